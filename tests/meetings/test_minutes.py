"""During and after a meeting, over HTTP: agenda, attendance, minutes, action items that
become subtasks or items, publishing with its notifications and lock; who may do what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.issues.models import Issue, Subtask
from app.meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from app.people.models import User
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_meeting, make_series
from tests.pdfcheck import needs_poppler, pdf_text


@pytest.fixture
def meeting_id(app, world):
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        series = make_series(world, attendee_ids=[world.users["member"]])
        meeting = make_meeting(
            series,
            TODAY,
            invited=[world.users["leader"], world.users["member"], world.users["exec_leader"]],
        )
        db.session.get(User, world.users["member"]).locale = "en"
        db.session.get(Issue, world.issue_id).deadline = days(3)  # yellow
        db.session.commit()
        return meeting.id


def test_the_chair_runs_a_meeting_from_agenda_to_published_minutes(login, look, world, meeting_id):
    leader = login("leader")
    page = leader.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert 'data-testid="proposed-agenda"' in page
    assert "现金管理类产品归集与支付" in page
    assert leader.post(f"/meetings/{meeting_id}/agenda/adopt").status_code == 302
    assert (
        leader.post(
            f"/meetings/{meeting_id}/agenda", data={"agenda-title": "其他事项：培训安排"}
        ).status_code
        == 302
    )
    with look():
        items = db.session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
        ).all()
        item_id = items[-1].id
    members = {world.users["member"]: "present", world.users["exec_leader"]: "late"}
    data = {f"att-{uid}": status for uid, status in members.items()}
    assert leader.post(f"/meetings/{meeting_id}/attendance", data=data).status_code == 302
    response = leader.post(
        f"/meetings/{meeting_id}/minutes",
        data={f"minutes-{item_id}": "**同意**<script>alert(1)</script>", "decisions": "按季度复盘"},
    )
    assert response.status_code == 302
    response = leader.post(
        f"/meetings/{meeting_id}/actions",
        data={
            "title": "梳理私行客户名单",
            "owner_id": world.users["member"],
            "deadline": days(14).isoformat(),
        },
    )
    assert response.status_code == 302
    # Publishing needs the meeting held first.
    leader.post(f"/meetings/{meeting_id}/publish")
    with look():
        assert db.session.get(Meeting, meeting_id).status == "planned"
    assert leader.post(f"/meetings/{meeting_id}/held").status_code == 302
    assert leader.post(f"/meetings/{meeting_id}/publish").status_code == 302
    page = leader.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "<script>alert" not in page
    with look():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.status == "published"
        assert meeting.decisions == "按季度复盘"
        statuses = {
            a.user_id: a.status
            for a in db.session.scalars(
                select(Attendance).where(Attendance.meeting_id == meeting_id)
            )
        }
        assert statuses[world.users["member"]] == "present"
        assert statuses[world.users["exec_leader"]] == "late"
        told = {
            n.recipient_id: n.text
            for n in db.session.scalars(select(Notification).where(Notification.kind == "minutes"))
        }
        assert set(told) == {world.users["member"], world.users["exec_leader"]}
        assert told[world.users["member"]].startswith("The minutes of")  # in English
        assert "纪要" in told[world.users["exec_leader"]]  # in Chinese
    # Locked: attendance no longer changes, a correction of the minutes is recorded.
    leader.post(
        f"/meetings/{meeting_id}/attendance", data={f"att-{world.users['member']}": "absent"}
    )
    leader.post(
        f"/meetings/{meeting_id}/minutes",
        data={f"minutes-{item_id}": "同意（更正）", "decisions": "按季度复盘"},
    )
    with look():
        row = db.session.scalars(
            select(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.user_id == world.users["member"]
            )
        ).one()
        assert row.status == "present"
        correction = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "minutes_corrected")
        ).one()
        assert correction.changes[f"minutes:{item_id}"][1] == "同意（更正）"


def test_an_action_item_becomes_a_subtask_and_another_a_new_item(login, look, world, meeting_id):
    leader = login("leader")
    for title in ("对接私行中心", "新增问题：理财经理配置不足"):
        leader.post(
            f"/meetings/{meeting_id}/actions",
            data={
                "title": title,
                "owner_id": world.users["member"],
                "deadline": days(10).isoformat(),
            },
        )
    with look():
        first, second = db.session.scalars(
            select(ActionItem).where(ActionItem.meeting_id == meeting_id).order_by(ActionItem.id)
        ).all()
        first_id, second_id = first.id, second.id
        code = db.session.get(Issue, world.issue_id).code
    response = leader.post(
        f"/meetings/actions/{first_id}/subtask", data={f"issue_code-{first_id}": "NO-999"}
    )
    assert "alert-danger" in leader.get(response.headers["Location"]).get_data(as_text=True)
    response = leader.post(
        f"/meetings/actions/{first_id}/subtask",
        data={f"issue_code-{first_id}": f"{code} 现金管理类产品归集与支付"},
    )
    assert response.status_code == 302
    assert (
        leader.post(
            f"/meetings/actions/{second_id}/issue",
            data={f"category_id-{second_id}": world.category_id},
        ).status_code
        == 302
    )
    # Converting twice does nothing more.
    leader.post(
        f"/meetings/actions/{first_id}/subtask",
        data={f"issue_code-{first_id}": f"{code} 现金管理类产品归集与支付"},
    )
    with look():
        subtasks = db.session.scalars(select(Subtask).where(Subtask.title == "对接私行中心")).all()
        assert len(subtasks) == 1
        assert subtasks[0].issue_id == world.issue_id
        assert subtasks[0].owner_id == world.users["member"]
        assert subtasks[0].deadline == days(10)
        issue = db.session.scalars(
            select(Issue).where(Issue.title == "新增问题：理财经理配置不足")
        ).one()
        assert issue.source == "meeting"
        assert issue.owner_id == world.users["member"]
        assert db.session.get(ActionItem, second_id).issue_id == issue.id
    # The previous meeting's action items show with their state at the next meeting.
    with look():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.status = "published"
        from app.meetings.models import MeetingSeries

        series = db.session.get(MeetingSeries, meeting.series_id)
        following = make_meeting(series, days(30))
        db.session.get(Subtask, subtasks[0].id).done_at = issue.created_at
        db.session.commit()
        following_id = following.id
    page = leader.get(f"/meetings/{following_id}").get_data(as_text=True)
    assert 'data-testid="previous-actions"' in page
    assert "bi-check-circle" in page and "对接私行中心" in page


def test_only_the_chair_and_the_leaders_run_the_meeting(login, look, world, meeting_id):
    member = login("member")
    assert member.get(f"/meetings/{meeting_id}").status_code == 200
    response = member.post(f"/meetings/{meeting_id}/agenda", data={"agenda-title": "加一项"})
    assert response.status_code == 302  # refused with a message on the meeting's page
    follow = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "alert-danger" in follow
    assert member.post(f"/meetings/{meeting_id}/held").status_code == 302
    with look():
        assert db.session.get(Meeting, meeting_id).status == "planned"
        assert (
            db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all()
            == []
        )
    # The executive leader is not the chair but runs meetings.
    exec_leader = login("exec_leader")
    exec_leader.post(f"/meetings/{meeting_id}/held")
    with look():
        assert db.session.get(Meeting, meeting_id).status == "held"
    viewer = login("viewer")
    assert viewer.get(f"/meetings/{meeting_id}").status_code == 200
    assert viewer.post(f"/meetings/{meeting_id}/publish").status_code == 403


def test_a_meeting_of_another_task_force_is_not_found(login, look, world):
    from app.core.scope import unscoped

    with look(), unscoped():
        other = make_series(
            world, task_force_id=world.other_task_force_id, chair_id=world.users["leader"]
        )
        meeting = make_meeting(other, TODAY)
        ids = (other.id, meeting.id)
    leader = login("leader")
    assert leader.get(f"/meetings/series/{ids[0]}").status_code == 404
    assert leader.get(f"/meetings/{ids[1]}").status_code == 404
    assert leader.post(f"/meetings/{ids[1]}/held").status_code == 404


@needs_poppler
def test_minutes_as_pdf(login, look, world, meeting_id):
    leader = login("leader")
    leader.post(f"/meetings/{meeting_id}/agenda", data={"agenda-title": "私行中心改革试点"})
    with look():
        item = db.session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
        ).one()
        item_id = item.id
    leader.post(
        f"/meetings/{meeting_id}/minutes",
        data={f"minutes-{item_id}": "同意在长春分行先行试点", "decisions": "十二月底前完成"},
    )
    leader.post(
        f"/meetings/{meeting_id}/actions",
        data={"title": "制定试点方案", "owner_id": world.users["member"]},
    )
    response = leader.get(f"/meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in (
        "月度工作推进交流会",
        "私行中心改革试点",
        "同意在长春分行先行试点",
        "十二月底前完成",
        "制定试点方案",
    ):
        assert expected in text
    assert date(2024, 6, 3).strftime("%Y") in text


def test_my_open_action_items_show_on_my_items(login, look, world, meeting_id):
    leader = login("leader")
    leader.post(
        f"/meetings/{meeting_id}/actions",
        data={"title": "走访吉林分行", "owner_id": world.users["member"]},
    )
    leader.post(
        f"/meetings/{meeting_id}/actions",
        data={"title": "组长自己的事", "owner_id": world.users["leader"]},
    )
    page = login("member").get("/my").get_data(as_text=True)
    section = page.split('data-testid="my-meeting-actions"', 1)[1].split("</ul>", 1)[0]
    assert "走访吉林分行" in section
    assert "组长自己的事" not in section
