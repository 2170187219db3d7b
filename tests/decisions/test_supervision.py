"""Supervision (督导): the leader's and the executive leader's boards, and nudges (催办)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.models import AuditEvent, Notification
from app.core.scope import task_force_scope
from app.decisions import service
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from tests import factories

from .conftest import days


def _items(world) -> dict[str, int]:
    """One item of each kind the boards tell apart."""
    category = db.session.get(factories.Category, world.category_id)
    member = world.users["member"]
    made = {
        "major": factories.make_issue(category, "重大事项", owner_id=member, major=True),
        "urgent": factories.make_issue(
            category, "紧急事项", owner_id=member, priority="urgent", deadline=days(60)
        ),
        "supervised": factories.make_issue(
            category, "组长督办事项", owner_id=member, supervised=True, deadline=days(60)
        ),
        "red": factories.make_issue(category, "逾期事项", owner_id=member, deadline=days(-2)),
        "yellow": factories.make_issue(category, "临期事项", owner_id=member, deadline=days(3)),
        "unacknowledged": factories.make_issue(
            category, "未签收事项", owner_id=member, deadline=days(60), acknowledged_at=None
        ),
        "green": factories.make_issue(category, "正常事项", owner_id=member, deadline=days(60)),
        "closed": factories.make_issue(
            category, "已销号逾期", owner_id=member, deadline=days(-9), status="closed"
        ),
    }
    for issue in made.values():
        issue.last_progress_at = datetime(2024, 6, 2, tzinfo=UTC)
    db.session.commit()
    return {name: issue.id for name, issue in made.items()}


def test_the_boards_split_major_and_daily_supervision(ctx, world):
    with task_force_scope(world.task_force_id):
        ids = _items(world)
        leader = db.session.get(User, world.users["leader"])
        leader_board = {r.issue.id for r in service.leader_board(leader, world.task_force_id).rows}
        exec_board = {r.issue.id for r in service.exec_board(leader, world.task_force_id).rows}
    assert leader_board == {ids["major"], ids["urgent"], ids["supervised"]}
    assert {ids["red"], ids["yellow"], ids["unacknowledged"]} <= exec_board
    assert not exec_board & leader_board
    assert ids["green"] not in exec_board and ids["closed"] not in exec_board


def test_a_nudge_tells_the_owner_is_logged_and_counted(app, world, login, look):
    exec_leader = login("exec_leader")
    for _ in range(2):
        response = exec_leader.post(
            f"/issues/{world.issue_id}/nudge", data={"note": "请本周内更新"}
        )
        assert response.status_code == 302
    with look():
        messages = db.session.scalars(
            select(Notification).where(Notification.kind == "nudge").order_by(Notification.id)
        ).all()
        assert [m.recipient_id for m in messages] == [world.users["member"]] * 2
        assert "请本周内更新" in messages[-1].text
        logged = db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "issue",
                AuditEvent.entity_id == world.issue_id,
                AuditEvent.action == "nudged",
            )
            .order_by(AuditEvent.id)
        ).all()
        assert [e.changes["nudges"] for e in logged] == [[0, 1], [1, 2]]
    page = login("member").get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert "2" in page.split('data-testid="nudge-count"')[1].split("</span>")[0]
    board = exec_leader.get("/supervision?board=exec").get_data(as_text=True)
    assert board  # the page renders with the counts


def test_members_may_not_nudge_or_see_the_boards(app, world, login):
    member = login("member")
    assert member.post(f"/issues/{world.issue_id}/nudge").status_code == 403
    assert member.get("/supervision").status_code == 403


def test_the_boards_count_nudges_per_item(ctx, world):
    with task_force_scope(world.task_force_id):
        issue = db.session.get(Issue, world.issue_id)
        issue.deadline = days(-1)  # red: on the executive leader's board
        db.session.commit()
        leader = db.session.get(User, world.users["leader"])
        service.nudge(leader, issue)
        service.nudge(leader, issue, "再催")
        rows = service.exec_board(leader, world.task_force_id).rows
    assert [(r.issue.id, r.nudges, r.light) for r in rows] == [(world.issue_id, 2, "red")]


def test_a_finished_item_cannot_be_nudged(ctx, world):
    import pytest

    from app.core.errors import InvalidTransition

    with task_force_scope(world.task_force_id):
        issue = db.session.get(Issue, world.issue_id)
        issue.status = "closed"
        issue.closed_at = datetime(2024, 6, 1, tzinfo=UTC) - timedelta(days=1)
        db.session.commit()
        with pytest.raises(InvalidTransition):
            service.nudge(db.session.get(User, world.users["leader"]), issue)
