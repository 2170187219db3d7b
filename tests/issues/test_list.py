"""The problem list, the board and "my items": filters, sorting, pages, and who sees what.

The filters are checked through the URL, as a bookmarked or shared link would carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.issues import service
from app.issues.lights import LightRules, light_of
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
)
from app.issues.service import queries
from app.people.models import User
from tests.factories import make_category, make_issue, make_org_unit
from tests.issues.conftest import days
from tests.issues.pages import list_codes, list_total, section


@dataclass
class Catalogue:
    """Ids of a small problem list; ``code`` maps a letter to the item's code."""

    top: int  # 客户端, the world's dimension
    mid: int  # 客户端 › 引客
    leaf: int  # 客户端 › 引客 › 新客首投
    sibling: int  # 客户端 › 粘客
    other: int  # 渠道端
    unit: int
    second_unit: int
    users: dict[str, int]
    code: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    other_task_force_code: str = ""

    def letters(self, codes: list[str]) -> list[str]:
        by_code = {code: letter for letter, code in self.code.items()}
        return [by_code.get(code, code) for code in codes]


@pytest.fixture
def catalogue(app, world) -> Catalogue:
    """Seven items over a three-level tree, besides the other task force's one.

    W  the world's item: 客户端, member, in progress, due in 30 days, path defined (green)
    A  新客首投 (two levels below 客户端), member, overdue, urgent, major, 长春分行 (red)
    B  粘客, temp member, planning, due in 3 days, high, not acknowledged, 吉林分行 (yellow)
    C  引客, leader, blocked, no deadline, low, solution and milestone (red)
    D  渠道端, member, closed long ago, "AI" in the description (grey)
    E  渠道端, nobody, new, due in 60 days (green)
    F  渠道端, temp member, dropped (grey)
    """
    with app.app_context(), unscoped():
        top = db.session.get(Category, world.category_id)
        mid = make_category(world.task_force_id, "引客", parent=top)
        leaf = make_category(world.task_force_id, "新客首投", parent=mid)
        sibling = make_category(world.task_force_id, "粘客", parent=top)
        other = make_category(world.task_force_id, "渠道端", prefix="QD")
        second_unit = make_org_unit("吉林分行")
        users = world.users
        cat = Catalogue(
            top=top.id,
            mid=mid.id,
            leaf=leaf.id,
            sibling=sibling.id,
            other=other.id,
            unit=world.org_unit_id,
            second_unit=second_unit.id,
            users=users,
        )
        specs = {
            "A": (leaf, "保险工坊推广", dict(
                owner_id=users["member"], status=IN_PROGRESS, deadline=days(-1),
                priority="urgent", major=True, org_unit_id=world.org_unit_id,
            )),
            "B": (sibling, "营销竞赛方案", dict(
                owner_id=users["temp_member"], status=PLANNING, deadline=days(3),
                priority="high", org_unit_id=second_unit.id, acknowledged_at=None,
                assigned_at=clock.now(), assigned_by_id=users["leader"],
            )),
            "C": (mid, "账户分配方案", dict(
                owner_id=users["leader"], status=BLOCKED, priority="low", solution="分三步推进",
            )),
            "D": (other, "智能线索", dict(
                owner_id=users["member"], status=CLOSED, deadline=days(-20),
                description="用 AI 生成销售线索",
            )),
            "E": (other, "积分体系", dict(status=NEW, deadline=days(60))),
            "F": (other, "养老金产品 R1", dict(owner_id=users["temp_member"], status=DROPPED)),
        }  # fmt: skip
        numbers = {"KH": 100, "QD": 100}
        for letter, (category, title, fields) in specs.items():
            prefix = "QD" if category is other else "KH"
            numbers[prefix] += 1
            issue = make_issue(category, title, code=f"{prefix}-{numbers[prefix]}", **fields)
            cat.code[letter], cat.ids[letter] = issue.code, issue.id
        db.session.add(
            Milestone(
                task_force_id=world.task_force_id,
                issue_id=cat.ids["C"],
                title="方案评审",
                due_on=days(10),
            )
        )
        db.session.commit()
        cat.code["W"] = db.session.get(Issue, world.issue_id).code
        cat.ids["W"] = world.issue_id
        cat.other_task_force_code = db.session.get(Issue, world.other_issue_id).code
    return cat


@pytest.fixture
def browse(login):
    """A leader's client: ``browse(query)`` returns the list page's HTML."""
    client = login("leader")

    def get(query=None, path="/issues") -> str:
        response = client.get(path, query_string=query)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return get


FILTERS = {
    "nothing": (lambda c: {}, "WABCDEF"),
    "category: the whole subtree": (lambda c: {"category": c.top}, "WABC"),
    "category: a sub-dimension with its child": (lambda c: {"category": c.mid}, "AC"),
    "category: a leaf": (lambda c: {"category": c.leaf}, "A"),
    "category: the sibling's own only": (lambda c: {"category": c.sibling}, "B"),
    "category: another dimension": (lambda c: {"category": c.other}, "DEF"),
    "owner": (lambda c: {"owner": c.users["member"]}, "WAD"),
    "another owner": (lambda c: {"owner": c.users["temp_member"]}, "BF"),
    "org unit": (lambda c: {"org_unit": c.unit}, "A"),
    "another org unit": (lambda c: {"org_unit": c.second_unit}, "B"),
    "statuses": (lambda c: {"status": [PLANNING, BLOCKED]}, "BC"),
    "priorities": (lambda c: {"priority": ["urgent", "low"]}, "AC"),
    "light red": (lambda c: {"light": "red"}, "AC"),
    "light yellow": (lambda c: {"light": "yellow"}, "B"),
    "light green": (lambda c: {"light": "green"}, "WE"),
    "light grey": (lambda c: {"light": "grey"}, "DF"),
    "major": (lambda c: {"major": "yes"}, "A"),
    "not major": (lambda c: {"major": "no"}, "WBCDEF"),
    "deadline range": (
        lambda c: {"deadline_from": days(0).isoformat(), "deadline_to": days(10).isoformat()},
        "B",
    ),
    "deadline up to yesterday": (lambda c: {"deadline_to": days(-1).isoformat()}, "AD"),
    "not acknowledged": (lambda c: {"unacknowledged": "y"}, "B"),
    "open only": (lambda c: {"open": "y"}, "WABCE"),
    "path defined": (lambda c: {"path": "yes"}, "WC"),
    "path not defined": (lambda c: {"path": "no"}, "ABDEF"),
    "text in the title": (lambda c: {"q": "工坊"}, "A"),
    "text in the code": (lambda c: {"q": c.code["E"]}, "E"),
    "code in lower case": (lambda c: {"q": "qd-10"}, "DEF"),
    "text in the description, any case": (lambda c: {"q": "ai"}, "D"),
    "category and light together": (lambda c: {"category": c.top, "light": "red"}, "AC"),
    "open in a subtree, by owner": (
        lambda c: {"category": c.top, "owner": c.users["member"], "open": "y"},
        "WA",
    ),
}


@pytest.mark.parametrize(("query", "expected"), FILTERS.values(), ids=FILTERS.keys())
def test_the_filter_in_the_url_selects_exactly_the_right_items(catalogue, browse, query, expected):
    html = browse(query(catalogue))

    assert sorted(catalogue.letters(list_codes(html))) == sorted(expected)
    assert list_total(html) == len(expected)


def test_the_filter_form_shows_the_filter_it_applied(catalogue, browse):
    html = browse({"category": catalogue.mid, "light": "red", "q": "方案"})

    filters = section(html, "issue-filters", "</form>")
    assert f'<option value="{catalogue.mid}" selected>' in filters
    assert '<option value="red" selected>' in filters
    assert 'value="方案"' in filters
    assert catalogue.letters(list_codes(html)) == ["C"]


def test_items_of_another_task_force_never_appear(catalogue, browse, world):
    pages = [
        browse(),
        browse({"q": "对公存款"}),
        browse({"light": "green"}),
        browse({"owner": world.users["leader"], "open": "y"}),
    ]

    for html in pages:
        assert catalogue.other_task_force_code not in list_codes(html)
        assert "对公存款营销" not in html
    assert list_codes(pages[1]) == []


def test_naming_another_task_forces_category_shows_none_of_its_items(app, catalogue, browse, world):
    with app.app_context(), unscoped():
        foreign = db.session.scalar(
            select(Issue.category_id).where(Issue.id == world.other_issue_id)
        )

    html = browse({"category": foreign})

    assert catalogue.other_task_force_code not in list_codes(html)


def test_the_other_task_force_sees_only_its_own_items(catalogue, login):
    html = login("stranger").get("/issues").get_data(as_text=True)

    assert list_codes(html) == [catalogue.other_task_force_code]


SORTS = {
    "deadline": "DABWECF",  # earliest first, none last
    "-deadline": "EWBADCF",
    "priority": "ABDWEFC",  # urgent, high, medium by deadline (none last), low
}


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "priority"])
def test_sorting(catalogue, browse, sort):
    html = browse({"sort": sort})

    assert "".join(catalogue.letters(list_codes(html))) == SORTS[sort]


def test_sorting_by_status_follows_the_workflow(catalogue, browse):
    html = browse({"sort": "status"})

    # new, planning, in progress (by code), verifying, closed, blocked, dropped
    assert "".join(catalogue.letters(list_codes(html))) == "EBAWDCF"


@pytest.fixture
def three_per_page(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)


@pytest.mark.usefixtures("three_per_page")
def test_pages_cover_every_item_once(catalogue, browse):
    pages = [list_codes(browse({"sort": "deadline", "page": n})) for n in (1, 2, 3)]

    assert [len(p) for p in pages] == [3, 3, 1]
    assert "".join(catalogue.letters(sum(pages, []))) == SORTS["deadline"]


@pytest.mark.parametrize("sort", service.SORT_KEYS)
def test_each_page_holds_the_sorted_items_with_their_own_lights(app, catalogue, world, sort):
    """The page's rows are read in two steps (its ids, then its rows with their lights):
    together they are the whole filtered list in its order, each with the light that
    the rule in Python gives it."""
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        rules = LightRules.current()
        pages = [
            service.list_issues(
                leader, world.task_force_id, service.IssueFilter(sort=sort, page=n), per_page=3
            )
            for n in (1, 2, 3)
        ]
        rows = [(issue.code, light) for page in pages for issue, light in page.rows]
        plain = db.session.scalars(queries._order(select(Issue), sort)).all()
        expected = [(issue.code, light_of(issue, rules)) for issue in plain]

    assert [page.total for page in pages] == [7, 7, 7]
    assert rows == expected


@pytest.mark.usefixtures("three_per_page")
@pytest.mark.parametrize(("asked", "shown"), [(99, 3), (0, 1), (-4, 1)])
def test_a_page_out_of_range_shows_the_nearest_page(catalogue, browse, asked, shown):
    html = browse({"sort": "deadline", "page": asked})

    assert list_codes(html) == list_codes(browse({"sort": "deadline", "page": shown}))
    assert list_total(html) == 7


@pytest.mark.usefixtures("three_per_page")
def test_the_page_links_keep_the_filter(catalogue, browse):
    html = browse({"open": "y", "sort": "deadline"})

    assert catalogue.letters(list_codes(html)) == ["A", "B", "W"]
    links = [part.split('"', 1)[0] for part in html.split('href="/issues?')[1:]]
    page_links = [link for link in links if "page=2" in link]
    assert page_links
    assert all("open=y" in link and "sort=deadline" in link for link in page_links)
    second = browse(page_links[0].replace("&amp;", "&"))
    assert catalogue.letters(list_codes(second)) == ["E", "C"]


@pytest.mark.parametrize("sort", queries.SORT_KEYS)
def test_the_page_s_plain_rows_are_the_items_rows(app, catalogue, world, sort):
    """The list page reads plain rows (``rows_only``): the same items, order and lights,
    each column as the item has it, the owner's and the category's names."""
    filters = [
        service.IssueFilter(sort=sort),
        service.IssueFilter(sort=sort, category_id=catalogue.mid),
        service.IssueFilter(sort=sort, open_only=True, light="red"),
    ]
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        for f in filters:
            items = service.list_issues(leader, world.task_force_id, f, per_page=4)
            rows = service.list_issues(leader, world.task_force_id, f, per_page=4, rows_only=True)
            assert (rows.total, rows.pages) == (items.total, items.pages)
            assert [(r.id, light) for r, light in rows.rows] == [
                (i.id, light) for i, light in items.rows
            ]
            for (row, _light), (issue, _same) in zip(rows.rows, items.rows, strict=True):
                for column in queries.ROW_COLUMNS:
                    assert getattr(row, column.key) == getattr(issue, column.key), column.key
                assert row.owner_name == (issue.owner.display_name if issue.owner else None)
                assert row.category_name == issue.category.name


# --- the board -------------------------------------------------------------------------------


def test_the_board_puts_each_item_in_its_status_column(app, catalogue, world):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        columns, counts = service.board(leader, world.task_force_id, service.IssueFilter())
        placed = {status: [i.code for i, _light in cards] for status, cards in columns.items()}

    code = catalogue.code
    assert list(placed) == list(STATUSES)
    assert placed == {
        NEW: [code["E"]],
        PLANNING: [code["B"]],
        IN_PROGRESS: [code["A"], code["W"]],  # earliest deadline first
        VERIFYING: [],
        CLOSED: [code["D"]],
        BLOCKED: [code["C"]],
        DROPPED: [code["F"]],
    }
    assert counts == {NEW: 1, PLANNING: 1, IN_PROGRESS: 2, CLOSED: 1, BLOCKED: 1, DROPPED: 1}


def test_a_full_board_column_shows_its_earliest_deadlines_and_the_undated_last(
    app, catalogue, world
):
    with app.app_context(), unscoped():
        top = db.session.get(Category, catalogue.top)
        undated = make_issue(top, "无期限", status=VERIFYING)
        later = make_issue(top, "后到期", status=VERIFYING, deadline=days(9))
        sooner = make_issue(top, "先到期", status=VERIFYING, deadline=days(3))
        codes = undated.code, later.code, sooner.code
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        board = lambda n: service.board(  # noqa: E731
            leader, world.task_force_id, service.IssueFilter(), per_column=n
        )[0][VERIFYING]
        assert [i.code for i, _light in board(2)] == [codes[2], codes[1]]
        assert [i.code for i, _light in board(3)] == [codes[2], codes[1], codes[0]]


def test_the_board_takes_the_list_filters(app, catalogue, world):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        filters = service.IssueFilter(category_id=catalogue.mid)
        columns, counts = service.board(leader, world.task_force_id, filters)
        shown = sorted(i.code for cards in columns.values() for i, _light in cards)

    assert shown == sorted([catalogue.code["A"], catalogue.code["C"]])
    assert counts == {IN_PROGRESS: 1, BLOCKED: 1}


def test_the_board_page_shows_every_item_of_the_task_force_once(catalogue, browse):
    html = browse(path="/board")

    for letter, issue_id in catalogue.ids.items():
        assert html.count(f'data-issue-id="{issue_id}"') == 1, letter
    assert catalogue.other_task_force_code not in html


# --- my items --------------------------------------------------------------------------------


def _my_codes(html: str, testid: str) -> list[str]:
    part = section(html, testid, "</ul>" if testid != "my-owned" else "</table>")
    return re.findall(r'<span class="[^"]*font-monospace[^"]*">([^<]+)</span>', part)


def test_my_items_list_overdue_first_then_by_deadline(app, catalogue, world, login):
    with app.app_context(), unscoped():
        top = db.session.get(Category, catalogue.top)
        soon = make_issue(top, "下周到期", owner_id=world.users["member"], deadline=days(5))
        later = make_issue(top, "无期限", owner_id=world.users["member"], status=PLANNING)
        soon_code, later_code = soon.code, later.code

    html = login("member").get("/my").get_data(as_text=True)

    code = catalogue.code
    # Overdue (red) first, then yellow, then the rest by deadline; closed D is not listed.
    assert _my_codes(html, "my-owned") == [code["A"], soon_code, code["W"], later_code]


def test_my_items_show_what_awaits_my_acknowledgement(catalogue, login):
    html = login("temp_member").get("/my").get_data(as_text=True)

    assert _my_codes(html, "to-acknowledge") == [catalogue.code["B"]]


def test_the_assigner_sees_what_is_not_yet_acknowledged(catalogue, login):
    html = login("leader").get("/my").get_data(as_text=True)

    assert catalogue.code["B"] in section(html, "assigned-unacknowledged", "</ul>")


def test_the_leaders_see_what_awaits_their_verification(app, catalogue, world, login):
    with app.app_context(), unscoped():
        top = db.session.get(Category, catalogue.top)
        waiting = make_issue(top, "待验收事项", owner_id=world.users["member"], status=VERIFYING)
        waiting_code = waiting.code

    html = login("exec_leader").get("/my").get_data(as_text=True)

    assert waiting_code in section(html, "to-verify", "</ul>")
    assert 'data-testid="to-verify"' not in login("member").get("/my").get_data(as_text=True)


def test_an_invalid_filter_value_is_dropped_and_the_others_still_apply(
    app, world, auth, client, look
):
    from app.extensions import db as _db
    from tests import factories as _factories

    with look():
        category = _db.session.get(_factories.Category, world.category_id)
        _factories.make_issue(category, "保险工作坊营销能力不足")
    auth.login("leader")
    page = client.get("/issues?owner=999999&q=现金管理").get_data(as_text=True)
    assert 'data-testid="issue-total"' in page
    assert "现金管理类产品归集与支付" in page
    assert "保险工作坊营销能力不足" not in page  # the search still applies
    assert "invalid-feedback" in page  # the owner filter says why it was ignored
