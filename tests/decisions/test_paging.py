"""The decision register and the supervision boards come a page at a time: the filters
survive paging, the figures and the exports cover every matching row, the boards keep
their order across pages, and a change shows at once although the pages are cached."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.core import clock
from app.core.scope import task_force_scope
from app.decisions import service
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from tests import factories

from .conftest import TODAY, days

PER_PAGE = 2


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", PER_PAGE)


def _raise(world, questions: list[tuple[str, str]]) -> None:
    """Escalations on the world's item, one hour apart after the world's own, in order."""
    with task_force_scope(world.task_force_id):
        member = db.session.get(User, world.users["member"])
        issue = db.session.get(Issue, world.issue_id)
        for hour, (kind, question) in enumerate(questions, start=1):
            clock.set_now(datetime(TODAY.year, TODAY.month, TODAY.day, hour, tzinfo=UTC))
            service.raise_escalation(
                member, issue, service.EscalationInput(kind, "exec_leader", question)
            )
    db.session.commit()  # the boundary: the pages read them in requests of their own
    clock.set_today(TODAY)


def _questions(html: str) -> list[str]:
    table = html.split('data-testid="register-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/escalations/\d+">([^<]+)</a>', table)


def _page_links(html: str, testid: str) -> list[str]:
    if f'data-testid="{testid}"' not in html:
        return []
    nav = html.split(f'data-testid="{testid}"', 1)[1].split("</nav>", 1)[0]
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', nav)]


def _figures_total(html: str) -> int:
    figures = html.split('data-testid="register-figures"', 1)[1]
    return int(re.search(r'fw-semibold"><td>[^<]*</td><td class="text-end">(\d+)<', figures)[1])


def test_the_register_pages_through_a_filter_and_keeps_it(app, world, login, look, small_pages):
    with look():
        _raise(world, [("decision", f"决策{i}") for i in range(1, 6)] + [("communication", "沟通")])
    client = login("member")
    html = client.get("/decisions?kind=decision&q=决策").get_data(as_text=True)
    assert _questions(html) == ["决策5", "决策4"]  # newest first, two to a page
    assert "共 5 条提级事项" in html
    assert _figures_total(html) == 5  # the figures count every match, not the page
    links = _page_links(html, "register-pager")
    assert links and all("kind=decision" in link and "q=" in link for link in links)
    assert any("page=3" in link for link in links)
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/decisions?kind=decision&q=决策&page={page}").get_data(as_text=True)
        assert _figures_total(html) == 5
        seen += _questions(html)
    assert seen == ["决策5", "决策4", "决策3", "决策2", "决策1"]
    # Past the last page: the last page; not a number: the first.
    assert _questions(client.get("/decisions?kind=decision&q=决策&page=9").get_data(True)) == [
        "决策1"
    ]
    assert _questions(client.get("/decisions?kind=decision&page=x").get_data(True))[:1] == ["决策5"]
    # The exports' links drop the page and keep the filter; the exports hold every match.
    html = client.get("/decisions?kind=decision&page=2").get_data(as_text=True)
    assert 'href="/decisions.xlsx?kind=decision"' in html
    sheet = load_workbook(BytesIO(client.get("/decisions.xlsx?kind=decision&page=2").data)).active
    questions = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
    assert {f"决策{i}" for i in range(1, 6)} <= questions and "沟通" not in questions


def test_a_single_page_has_no_pager(app, world, login):
    html = login("member").get("/decisions").get_data(as_text=True)
    assert 'data-testid="register-pager"' not in html
    assert "归集产品是否先在长春分行试点？" in html


def test_the_register_shows_a_new_escalation_and_a_decision_at_once(
    app, world, login, look, commit
):
    client = login("leader")
    assert "新的提级" not in client.get("/decisions").get_data(as_text=True)
    with look():
        _raise(world, [("decision", "新的提级")])
    assert "新的提级" in client.get("/decisions").get_data(as_text=True)
    with look(), task_force_scope(world.task_force_id):
        escalation = service.rows_of_register(world.task_force_id, service.RegisterFilter())[0]
        leader = db.session.get(User, world.users["leader"])
        service.decide(leader, escalation.escalation, service.DecisionInput(text="同意先行"))
        commit()
    html = client.get("/decisions").get_data(as_text=True)
    assert "同意先行" in html and _figures_total(html) == 2


def _exec_items(world) -> dict[str, int]:
    """Items on the executive leader's board, whose lights do not follow their deadlines:
    two red, two yellow, one only unacknowledged."""
    category = db.session.get(factories.Category, world.category_id)
    member = world.users["member"]
    made = {
        "red_blocked": factories.make_issue(
            category,
            "受阻",
            owner_id=member,
            deadline=days(30),
            status="blocked",
            resume_status="in_progress",
        ),
        "yellow_stale": factories.make_issue(
            category, "久未更新", owner_id=member, deadline=days(10)
        ),
        "unacknowledged": factories.make_issue(
            category, "未签收", owner_id=member, deadline=days(60), acknowledged_at=None
        ),
        "yellow_soon": factories.make_issue(category, "临期", owner_id=member, deadline=days(2)),
        "red_late": factories.make_issue(category, "逾期", owner_id=member, deadline=days(-5)),
    }
    for issue in made.values():
        issue.last_progress_at = datetime(2024, 6, 2, tzinfo=UTC)
    made["yellow_stale"].last_progress_at = datetime(2024, 5, 1, tzinfo=UTC)
    # The world's item is green and acknowledged: not on the board.
    db.session.get(Issue, world.issue_id).last_progress_at = datetime(2024, 6, 2, tzinfo=UTC)
    db.session.commit()
    return {name: issue.id for name, issue in made.items()}


def _board_ids(html: str) -> list[int]:
    table = html.split('data-testid="supervision-board"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'href="/issues/(\d+)"', table)]


def test_the_boards_keep_their_order_across_pages(app, world, login, look, small_pages):
    with look():
        ids = _exec_items(world)
    client = login("exec_leader")
    first = client.get("/supervision?board=exec").get_data(as_text=True)
    assert "共 5 项" in first
    links = _page_links(first, "supervision-pager")
    assert links and all("board=exec" in link for link in links)
    shown = []
    for page in (1, 2, 3):
        shown.append(_board_ids(client.get(f"/supervision?board=exec&page={page}").get_data(True)))
    # Red, then yellow, then the rest, each by deadline.
    assert shown == [
        [ids["red_late"], ids["red_blocked"]],
        [ids["yellow_soon"], ids["yellow_stale"]],
        [ids["unacknowledged"]],
    ]
    # Past the last page: the last page.
    assert _board_ids(client.get("/supervision?board=exec&page=9").get_data(True)) == [
        ids["unacknowledged"]
    ]
    # A nudge from the second page comes back to it, and its count shows at once.
    response = client.post(
        f"/issues/{ids['yellow_stale']}/nudge", data={"next": "/supervision?board=exec&page=2"}
    )
    assert response.headers["Location"].endswith("/supervision?board=exec&page=2")
    html = client.get("/supervision?board=exec&page=2").get_data(as_text=True)
    row = html.split(f'href="/issues/{ids["yellow_stale"]}"', 1)[1]
    assert re.search(r'data-testid="nudges">(\d+)<', row)[1] == "1"


def test_the_leaders_board_puts_supervised_items_first_on_every_page(ctx, world):
    with task_force_scope(world.task_force_id):
        category = db.session.get(factories.Category, world.category_id)
        member = world.users["member"]
        red_major = factories.make_issue(
            category,
            "受阻重大",
            owner_id=member,
            major=True,
            deadline=days(40),
            status="blocked",
            resume_status="in_progress",
        )
        green_supervised = factories.make_issue(
            category, "督办正常", owner_id=member, supervised=True, deadline=days(60)
        )
        yellow_urgent = factories.make_issue(
            category, "临期紧急", owner_id=member, priority="urgent", deadline=days(1)
        )
        leader = db.session.get(User, world.users["leader"])
        pages = [
            service.leader_board(leader, world.task_force_id, n, per_page=1) for n in (1, 2, 3)
        ]
        everything = service.leader_board(leader, world.task_force_id, per_page=50)
    assert [p.rows[0].issue.id for p in pages] == [
        green_supervised.id,
        red_major.id,
        yellow_urgent.id,
    ]
    assert [r.issue.id for r in everything.rows] == [p.rows[0].issue.id for p in pages]
    assert {(p.total, p.pages) for p in pages} == {(3, 3)}
    assert [r.light for r in everything.rows] == ["green", "red", "yellow"]


def test_an_empty_board_has_one_empty_page(ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        for n in (1, 3):
            empty = service.leader_board(leader, world.task_force_id, n)
            assert (empty.rows, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)
