"""The battle map (作战图): its figures at a chosen date, its links, and its cost in queries."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, insert, select

from app.core import clock
from app.core.scope import task_force_scope, unscoped
from app.dashboard import service as dashboard
from app.extensions import db
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    IN_PROGRESS,
    NEW,
    PLANNING,
    STATUSES,
    VERIFYING,
    Category,
    Issue,
    Milestone,
    Subtask,
    issue_collaborator,
)
from app.issues.service import category_tree
from app.people.models import User
from tests.factories import make_category, make_issue, make_task_force
from tests.issues.conftest import days
from tests.issues.pages import list_codes, list_total


@pytest.fixture
def counted(app, world):
    """A problem list whose figures were counted by hand (W is the world's item).

    item  where     owner        status       deadline  other                light
    W     客户端     member       in progress  +30       solution, milestone  green
    C1    客户端     member       closed       -30                            grey
    C2    引客       temp member  closed       —                              grey
    C3    渠道端     leader       closed       —                              grey
    X     客户端     member       dropped      -10                            grey
    O1    客户端     leader       in progress  -2                             red
    O2    引客       temp member  verifying    -1                             red
    BL    客户端     leader       blocked      —                              red
    U1    渠道端     temp member  planning     +5        not acknowledged     yellow
    U2    客户端     member       new          +60       not acknowledged     green
    Y     客户端     —            new          —         solution, milestone -3  yellow
    P     客户端     leader       planning     +40       solution, milestone  green
    """
    with app.app_context(), unscoped():
        users = world.users
        top = db.session.get(Category, world.category_id)
        sub = make_category(world.task_force_id, "引客", parent=top)
        channel = make_category(world.task_force_id, "渠道端", prefix="QD")
        unacknowledged = dict(
            acknowledged_at=None, assigned_at=clock.now(), assigned_by_id=users["leader"]
        )
        specs = {
            "C1": (top, users["member"], CLOSED, -30, {}),
            "C2": (sub, users["temp_member"], CLOSED, None, {}),
            "C3": (channel, users["leader"], CLOSED, None, {}),
            "X": (top, users["member"], DROPPED, -10, {}),
            "O1": (top, users["leader"], IN_PROGRESS, -2, {}),
            "O2": (sub, users["temp_member"], VERIFYING, -1, {}),
            "BL": (top, users["leader"], BLOCKED, None, {}),
            "U1": (channel, users["temp_member"], PLANNING, 5, unacknowledged),
            "U2": (top, users["member"], NEW, 60, unacknowledged),
            "Y": (top, None, NEW, None, {"solution": "先试点后推广"}),
            "P": (top, users["leader"], PLANNING, 40, {"solution": "分三步落地"}),
        }
        ids = {}
        for name, (category, owner_id, status, deadline, fields) in specs.items():
            issue = make_issue(
                category,
                f"作战图{name}",
                code=f"BM-{name}",
                owner_id=owner_id,
                status=status,
                deadline=days(deadline) if deadline is not None else None,
                closed_at=clock.now() if status == CLOSED else None,
                **fields,
            )
            ids[name] = issue.id
        for name, due in (("Y", -3), ("P", 15)):
            db.session.add(
                Milestone(
                    task_force_id=world.task_force_id,
                    issue_id=ids[name],
                    title="试点",
                    due_on=days(due),
                )
            )
        db.session.commit()
        return {"top": top.id, "sub": sub.id, "channel": channel.id}


EXPECTED = dict(
    problems=11,
    closed=3,
    open=8,
    path_defined=3,
    overdue=2,
    unacknowledged=2,
    red=3,
    yellow=2,
    green=3,
    major_open=0,
    delayed_twice=0,  # no extension requests here (tests/decisions/test_extensions_figures.py)
)


def test_the_totals_match_the_hand_count(app, world, counted):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        data = dashboard.battle_map(leader, world.task_force_id)

    assert vars(data.totals) == EXPECTED
    assert sorted(i.code for i in data.red) == ["BM-BL", "BM-O1", "BM-O2"]
    assert sorted(i.code for i in data.yellow) == ["BM-U1", "BM-Y"]


def test_another_task_forces_items_count_for_no_figure(app, world, counted):
    # Items of every kind counted, in another task force: the battle map's figures (kept
    # as items change, issues.tally) and its owners stay the hand count.
    with app.app_context(), unscoped():
        other = make_task_force("另一专班")
        category = make_category(other.id, "别处")
        for status in (CLOSED, IN_PROGRESS, BLOCKED, NEW):
            make_issue(
                category,
                code=f"OT-{status}",
                status=status,
                deadline=days(-1),
                closed_at=clock.now() if status == CLOSED else None,
            )
        db.session.commit()
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        data = dashboard.battle_map(leader, world.task_force_id)

    assert vars(data.totals) == EXPECTED
    assert sum(load.open for load in data.owners) == EXPECTED["open"]
    assert sum(load.closed for load in data.owners) == EXPECTED["closed"]


def test_the_dimensions_count_their_subtrees(app, world, counted):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        rows = dashboard.battle_map(leader, world.task_force_id).dimensions

    figures = {row.name: (row.total, row.closed) for row in rows}
    # 客户端 holds 引客; the dropped X counts nowhere.
    assert figures == {"客户端": (9, 2), "引客": (2, 1), "渠道端": (2, 1)}


def test_the_dimensions_follow_each_change_as_the_category_tree_counts_them(app, world, counted):
    """The dimensions' figures are kept as items change (``issues.tally``) and the
    framework under the setup version: after each change they equal the category tree's,
    counted over every item."""

    def both():
        with app.app_context(), task_force_scope(world.task_force_id):
            leader = db.session.get(User, world.users["leader"])
            kept = [
                (row.name, row.depth, row.total, row.closed)
                for row in dashboard.battle_map(leader, world.task_force_id).dimensions
            ]
            tree = [
                (row.category.name, row.depth, row.total, row.closed)
                for row in category_tree(world.task_force_id, include_archived=False)
                if row.depth <= 1
            ]
            return kept, tree

    def change(work):
        with app.app_context(), unscoped():
            work({i.code: i for i in db.session.scalars(select(Issue))})
            db.session.commit()

    kept, tree = both()
    assert kept == tree
    deep = {}
    for work in (
        lambda items: setattr(items["BM-O2"], "status", CLOSED),  # 引客: closed
        lambda items: setattr(items["BM-U1"], "category_id", counted["sub"]),  # moved
        lambda items: setattr(items["BM-X"], "status", IN_PROGRESS),  # back from dropped
        lambda items: deep.setdefault(  # a sub-sub-category counts for its ancestors
            "id",
            make_category(
                world.task_force_id, "深层", parent=db.session.get(Category, counted["sub"])
            ).id,
        ),
        lambda items: setattr(items["BM-P"], "category_id", deep["id"]),
        lambda items: setattr(  # archived: its subtree's items count nowhere
            db.session.get(Category, counted["sub"]), "archived_at", clock.now()
        ),
    ):
        change(work)
        kept, tree = both()
        assert kept == tree
    assert [name for name, *_ in kept] == ["客户端", "渠道端"]


def test_the_totals_follow_the_clock(app, world, counted):
    clock.set_today(days(6))  # U1 (due +5) is overdue now, W and P still ahead

    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        totals = dashboard.battle_map(leader, world.task_force_id).totals

    assert (totals.overdue, totals.red) == (3, 4)


_CARD = re.compile(
    r'<a class="card[^"]*" href="([^"]+)" data-testid="total-\d+">.*?display-6[^>]*>(\d+)<', re.S
)
_NUMBER_LINK = re.compile(
    r'<a [^>]*?href="(/issues\?[^"]*)"[^>]*>(?:\s*<span[^>]*></span>)?\s*(\d+)</a>'
)


def linked_numbers(html: str) -> list[tuple[str, int]]:
    """Every figure on the page that is a link, with its link."""
    links = _CARD.findall(html) + _NUMBER_LINK.findall(html)
    return [(unescape(url), int(number)) for url, number in links]


def test_every_figure_links_to_a_list_with_that_many_items(counted, login):
    client = login("leader")
    html = client.get("/").get_data(as_text=True)
    figures = linked_numbers(html)

    cards = [int(number) for _url, number in _CARD.findall(html)]
    assert cards == [11, 3, 8, 3, 2, 2]
    assert len(figures) > 20  # the cards, the lights, the dimensions and the owners
    wrong = []
    for url, number in figures:
        page = client.get(url).get_data(as_text=True)
        if (list_total(page), len(list_codes(page))) != (number, number):
            wrong.append((url, number, list_total(page)))
    assert wrong == [], "\n".join(map(str, wrong))


def test_an_unassigned_load_is_not_a_link_to_everything(counted, login):
    html = login("leader").get("/").get_data(as_text=True)

    owners = html.split('data-testid="owners"', 1)[1].split("</table>", 1)[0]
    for url, _number in linked_numbers(owners):
        assert "owner=" in url


# --- queries do not grow with the items --------------------------------------------------------

PAGES = ["/", "/issues", "/board", "/my"]


def _grow(app, world, n: int) -> None:
    """Add ``n`` varied items in bulk: every status, owners, milestones, subtasks."""
    users = world.users
    owners = [users["member"], users["leader"], users["temp_member"], None]
    with app.app_context(), unscoped():
        categories = [world.category_id]
        top = db.session.get(Category, world.category_id)
        categories.append(make_category(world.task_force_id, f"子维度{n}", parent=top).id)
        start = db.session.scalar(select(func.count(Issue.id)))
        issues = []
        for i in range(n):
            status = STATUSES[i % len(STATUSES)]
            owner = owners[i % len(owners)]
            issues.append(
                Issue(
                    task_force_id=world.task_force_id,
                    code=f"Q-{start + i:05d}",
                    title=f"批量问题{start + i}",
                    category_id=categories[i % 2],
                    owner_id=owner,
                    status=status,
                    deadline=days((i % 40) - 10) if i % 5 else None,
                    priority=("urgent", "high", "medium", "low")[i % 4],
                    major=i % 9 == 0,
                    solution="方案" if i % 3 == 0 else "",
                    assigned_at=clock.now() if owner else None,
                    assigned_by_id=users["leader"] if owner else None,
                    acknowledged_at=clock.now() if owner and i % 4 else None,
                    closed_at=clock.now() if status == CLOSED else None,
                )
            )
        db.session.add_all(issues)
        db.session.flush()
        extras = []
        for i, issue in enumerate(issues):
            if i % 3 == 0:
                extras.append(
                    Milestone(
                        task_force_id=world.task_force_id,
                        issue_id=issue.id,
                        title="节点",
                        due_on=days((i % 20) - 5),
                    )
                )
            if i % 7 == 0:
                extras.append(
                    Subtask(
                        task_force_id=world.task_force_id,
                        issue_id=issue.id,
                        title="子任务",
                        owner_id=users["leader"],
                    )
                )
        db.session.add_all(extras)
        db.session.execute(
            insert(issue_collaborator),
            [
                {"issue_id": issue.id, "user_id": users["leader"]}
                for i, issue in enumerate(issues)
                if i % 6 == 1 and issue.owner_id != users["leader"]
            ],
        )
        db.session.commit()


def _counts(login) -> dict[str, int]:
    client = login("leader")
    counts = {}
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        counts[page] = int(response.headers["X-Query-Count"])
    return counts


def test_the_pages_issue_as_many_queries_for_1000_items_as_for_10(app, world, login):
    # Each page seen once before: the battle map's counts are kept (issues.tally) and
    # move on by the journal, counting again the 9 changed items, then all 1,000.
    _counts(login)
    _grow(app, world, 9)
    with_10 = _counts(login)

    _grow(app, world, 990)
    with_1000 = _counts(login)

    assert with_1000 == with_10
    assert max(with_1000.values()) <= 12, with_1000


def test_a_long_list_comes_in_pages_of_the_configured_size(app, world, login):
    _grow(app, world, 120)

    html = login("leader").get("/issues").get_data(as_text=True)

    assert list_total(html) == 121
    assert len(list_codes(html)) == app.config["PAGE_SIZE"]
