"""The meetings feature's part of the test world: a monthly progress meeting chaired by
the leader, with an agenda item and an action item owned by "member"."""

from __future__ import annotations

from datetime import time, timedelta

from app.core import clock
from app.extensions import db

URL_VALUES: dict = {
    "series_id": lambda w: w.ids["series"],
    "meeting_id": lambda w: w.ids["meeting"],
    "item_id": lambda w: w.ids["agenda_item"],
    "action_id": lambda w: w.ids["action"],
    "token": lambda w: "not-a-token",
}


def build(world) -> None:
    """Add this feature's objects to the world (ids in world.ids)."""
    from app.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingSeries

    today = clock.today()
    tf = world.task_force_id
    series = MeetingSeries(
        task_force_id=tf,
        name="月度工作推进交流会",
        kind="progress",
        cadence="monthly",
        starts_on=today - timedelta(days=3),
        chair_id=world.users["leader"],
        attendee_ids=[world.users["member"], world.users["exec_leader"]],
    )
    db.session.add(series)
    db.session.flush()
    meeting = Meeting(
        task_force_id=tf,
        series_id=series.id,
        number=1,
        title=series.name,
        kind="progress",
        scheduled_on=today + timedelta(days=1),
        starts_at=clock.at(today + timedelta(days=1), time(9, 30)),
        chair_id=world.users["leader"],
    )
    db.session.add(meeting)
    db.session.flush()
    for persona in ("leader", "member", "exec_leader"):
        db.session.add(
            Attendance(task_force_id=tf, meeting_id=meeting.id, user_id=world.users[persona])
        )
    item = AgendaItem(
        task_force_id=tf,
        meeting_id=meeting.id,
        position=1,
        section="红灯事项",
        title="现金管理类产品归集与支付",
    )
    action = ActionItem(
        task_force_id=tf,
        meeting_id=meeting.id,
        title="梳理客户分层名单",
        owner_id=world.users["member"],
    )
    db.session.add_all([item, action])
    db.session.commit()
    world.ids.update(series=series.id, meeting=meeting.id, agenda_item=item.id, action=action.id)
