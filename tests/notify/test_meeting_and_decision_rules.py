"""The rules on escalations and meetings, and their sections of the weekly digest.

The world (tests/world_parts) has a pending escalation to the executive leader due in
three days, and a planned meeting tomorrow at 09:30 chaired by the leader with the
leader, "member" and the executive leader invited. Today is Monday 2024-06-03.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import event, select

from app.core import clock
from app.core.models import Notification
from app.decisions.models import DECIDED, Escalation
from app.extensions import db
from app.issues.models import Issue
from app.meetings.models import Attendance, Meeting, MeetingSeries
from app.notify.service import Preferences, save_preferences
from app.people.models import TaskForce, User
from tests import factories
from tests.jobs import run_rule
from tests.notify.conftest import TODAY, days


@pytest.fixture(autouse=True)
def _in_app(ctx):
    """These tests call the rules directly, as the scheduler does."""


def messages(kind: str, recipient_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    return list(db.session.scalars(query))


def world_escalation(world) -> Escalation:
    return db.session.get(Escalation, world.ids["escalation"])


def world_meeting(world) -> Meeting:
    return db.session.get(Meeting, world.ids["meeting"])


def add_escalation(world, level: str, due_on, question: str = "是否调整考核口径？") -> Escalation:
    escalation = Escalation(
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        kind="decision",
        level=level,
        question=question,
        due_on=due_on,
        raised_by_id=world.users["member"],
        raised_at=clock.now(),
    )
    db.session.add(escalation)
    db.session.commit()
    return escalation


def add_meeting(world, starts_at: datetime, title: str = "专题会", status: str = "planned"):
    # A series of its own: a series has one meeting per day.
    series = MeetingSeries(
        task_force_id=world.task_force_id,
        name=title,
        starts_on=starts_at.date(),
        chair_id=world.users["leader"],
    )
    db.session.add(series)
    db.session.flush()
    meeting = Meeting(
        task_force_id=world.task_force_id,
        series_id=series.id,
        number=99,
        title=title,
        kind="progress",
        scheduled_on=starts_at.date(),
        starts_at=starts_at,
        chair_id=world.users["leader"],
        status=status,
    )
    db.session.add(meeting)
    db.session.flush()
    db.session.add(
        Attendance(
            task_force_id=world.task_force_id, meeting_id=meeting.id, user_id=world.users["member"]
        )
    )
    db.session.commit()
    return meeting


def select_count(name: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run_rule(name)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


# --- escalation_overdue --------------------------------------------------------------------


def test_an_overdue_escalation_goes_to_the_decider_of_its_level_daily(world):
    to_exec = world_escalation(world)
    to_exec.due_on = days(-2)
    to_leader = add_escalation(world, "leader", days(-1), "是否追加营销费用？")
    add_escalation(world, "leader", TODAY, "今天到期，尚未逾期")
    first = run_rule("escalation_overdue")
    again = run_rule("escalation_overdue")
    assert first.written == 2 and again.written == 0
    exec_leader = messages("escalation_overdue", world.users["exec_leader"])
    leader = messages("escalation_overdue", world.users["leader"])
    assert [m.subject_id for m in exec_leader] == [to_exec.id]
    assert [m.subject_id for m in leader] == [to_leader.id]
    assert exec_leader[0].link == f"/escalations/{to_exec.id}"
    assert exec_leader[0].subject_type == "escalation"
    code = db.session.get(Issue, world.issue_id).code
    assert code in exec_leader[0].text and "2024-06-01" in exec_leader[0].text
    assert "长春分行试点" in exec_leader[0].text
    assert "逾期 2 天" in exec_leader[0].text
    # Nobody else is told: not the raiser, not the members.
    assert {m.recipient_id for m in messages("escalation_overdue")} == {
        world.users["exec_leader"],
        world.users["leader"],
    }
    clock.set_today(days(1))  # again the next day, and the one due yesterday joins
    assert run_rule("escalation_overdue").written == 3
    assert len(messages("escalation_overdue", world.users["exec_leader"])) == 2


def test_a_decided_escalation_is_not_chased(world):
    escalation = world_escalation(world)
    escalation.due_on = days(-5)
    escalation.status = DECIDED
    db.session.commit()
    assert run_rule("escalation_overdue").matched == 0


def test_escalation_overdue_is_mandatory_and_in_the_deciders_language(world):
    english = factories.make_user("eve", locale="en")
    factories.make_membership(english, db.session.get(TaskForce, world.task_force_id), "leader")
    save_preferences(english, Preferences(muted_rules=["escalation_overdue"]))
    add_escalation(world, "leader", days(-3), "Extend the pilot?")
    run_rule("escalation_overdue")
    found = messages("escalation_overdue", english.id)
    assert len(found) == 1
    assert "awaits your decision" in found[0].text and "3 days overdue" in found[0].text


def test_escalations_of_other_task_forces_go_to_their_own_leaders(world):
    world_escalation(world).due_on = days(-1)
    db.session.commit()
    stranger = db.session.scalar(select(User).where(User.username == "stranger"))
    run_rule("escalation_overdue")
    assert messages("escalation_overdue", stranger.id) == []


# --- meeting_tomorrow ----------------------------------------------------------------------


def test_meeting_tomorrow_tells_attendees_and_the_chair_once_with_the_agenda(world):
    meeting = world_meeting(world)
    meeting.place = "总行 1 号会议室"
    db.session.commit()
    first = run_rule("meeting_tomorrow")
    again = run_rule("meeting_tomorrow")
    found = messages("meeting_tomorrow")
    wanted = {world.users[p] for p in ("leader", "member", "exec_leader")}
    assert {m.recipient_id for m in found} == wanted
    assert len(found) == len(wanted)  # the chair is an attendee too: told once
    assert first.written == 3 and again.written == 0
    text = found[0].text
    assert "月度工作推进交流会" in text and "2024-06-04" in text and "09:30" in text
    assert "总行 1 号会议室" in text and "议程" in text
    assert found[0].link == f"/meetings/{meeting.id}#agenda"
    assert found[0].subject_type == "meeting"


def test_a_chair_who_is_not_an_attendee_is_told_too(world):
    meeting = world_meeting(world)
    meeting.chair_id = world.users["viewer"]
    db.session.commit()
    run_rule("meeting_tomorrow")
    assert len(messages("meeting_tomorrow", world.users["viewer"])) == 1


def test_a_moved_meeting_is_announced_again(world):
    run_rule("meeting_tomorrow")
    meeting = world_meeting(world)
    meeting.starts_at = clock.at(days(2), time(14, 0))
    db.session.commit()
    clock.set_today(days(1))
    assert run_rule("meeting_tomorrow").written == 3
    texts = [m.text for m in messages("meeting_tomorrow", world.users["member"])]
    assert len(texts) == 2 and "14:00" in texts[1] and "2024-06-05" in texts[1]


def test_only_planned_meetings_of_tomorrow_are_announced(world):
    world_meeting(world).status = "cancelled"
    db.session.commit()
    add_meeting(world, clock.at(days(2), time(9, 0)), "后天的会")
    add_meeting(world, clock.at(TODAY, time(23, 59)), "今天的会")
    early = add_meeting(world, clock.at(days(1), time(0, 0)), "明天零点的会")
    run_rule("meeting_tomorrow")
    assert {m.subject_id for m in messages("meeting_tomorrow")} == {early.id}


def test_tomorrow_is_the_configured_zones_tomorrow(world):
    # 20:00 UTC on Sunday is already 04:00 on Monday in Shanghai: tomorrow is Tuesday.
    clock.set_now(datetime(2024, 6, 2, 20, 0, tzinfo=UTC))
    run_rule("meeting_tomorrow")
    assert {m.subject_id for m in messages("meeting_tomorrow")} == {world.ids["meeting"]}


def test_meeting_tomorrow_can_be_switched_off(world):
    member = db.session.get(User, world.users["member"])
    save_preferences(member, Preferences(muted_rules=["meeting_tomorrow"]))
    run_rule("meeting_tomorrow")
    assert messages("meeting_tomorrow", member.id) == []
    assert len(messages("meeting_tomorrow", world.users["leader"])) == 1


def test_meeting_tomorrow_in_english(world):
    english = factories.make_user("tom", locale="en")
    meeting = world_meeting(world)
    db.session.add(
        Attendance(task_force_id=world.task_force_id, meeting_id=meeting.id, user_id=english.id)
    )
    db.session.commit()
    run_rule("meeting_tomorrow")
    text = messages("meeting_tomorrow", english.id)[0].text
    assert text.startswith("Meeting tomorrow") and "agenda" in text


# --- minutes_unpublished -------------------------------------------------------------------


def test_minutes_not_published_the_day_after_remind_the_chair_daily(world):
    meeting = world_meeting(world)
    meeting.starts_at = clock.at(days(-1), time(9, 30))
    meeting.status = "held"
    db.session.commit()
    first = run_rule("minutes_unpublished")
    again = run_rule("minutes_unpublished")
    found = messages("minutes_unpublished")
    assert [m.recipient_id for m in found] == [world.users["leader"]]
    assert first.written == 1 and again.written == 0
    assert "月度工作推进交流会" in found[0].text and "2024-06-02" in found[0].text
    assert "纪要" in found[0].text
    assert found[0].link == f"/meetings/{meeting.id}"
    clock.set_today(days(1))
    assert run_rule("minutes_unpublished").written == 1
    meeting = world_meeting(world)
    meeting.status = "published"
    meeting.published_at = clock.now()
    db.session.commit()
    clock.set_today(days(2))
    assert run_rule("minutes_unpublished").matched == 0
    assert len(messages("minutes_unpublished")) == 2


def test_minutes_wait_for_the_day_after_and_a_passed_planned_meeting_counts(world):
    held_today = world_meeting(world)
    held_today.starts_at = clock.at(TODAY, time(9, 30))
    held_today.status = "held"
    db.session.commit()
    passed = add_meeting(world, clock.at(days(-3), time(15, 0)), "没有标记已召开的会")
    add_meeting(world, clock.at(days(-3), time(10, 0)), "取消的会", status="cancelled")
    add_meeting(world, clock.at(days(-8), time(10, 0)), "已发布的会", status="published")
    run_rule("minutes_unpublished")
    assert {m.subject_id for m in messages("minutes_unpublished")} == {passed.id}


# --- the weekly digest's sections ----------------------------------------------------------


def test_the_digest_lists_decisions_due_and_meetings_this_week(world):
    code = db.session.get(Issue, world.issue_id).code
    world_escalation(world).due_on = days(3)  # Thursday: this week
    add_escalation(world, "leader", days(-4), "上周就该定的事")
    add_escalation(world, "leader", days(8), "下周才到期的事")
    decided = add_escalation(world, "leader", days(1), "已经决定的事")
    decided.status = DECIDED
    add_meeting(world, clock.at(days(4), time(15, 0)), "周五专题会")
    add_meeting(world, clock.at(days(7), time(9, 0)), "下周一的会")
    add_meeting(world, clock.at(days(2), time(9, 0)), "取消的会", status="cancelled")
    db.session.commit()
    run_rule("weekly_digest")
    digest = messages("weekly_digest", world.users["leader"])[0].text
    assert "待决事项" in digest and "本周会议" in digest
    assert f"2024-06-06 {code} 归集产品是否先在长春分行试点？" in digest
    assert f"2024-05-30 {code} 上周就该定的事" in digest
    assert "下周才到期的事" not in digest and "已经决定的事" not in digest
    assert "2024-06-04 09:30 月度工作推进交流会" in digest
    assert "2024-06-07 15:00 周五专题会" in digest
    assert "下周一的会" not in digest and "取消的会" not in digest


def test_the_digest_sections_are_in_the_recipients_language(world):
    english = factories.make_user("liz", locale="en")
    factories.make_membership(english, db.session.get(TaskForce, world.task_force_id), "leader")
    world_escalation(world).due_on = days(1)
    db.session.commit()
    run_rule("weekly_digest")
    digest = messages("weekly_digest", english.id)[0].text
    assert "Decisions due:" in digest and "Meetings this week:" in digest


# --- one query, whatever the number of targets ---------------------------------------------


@pytest.mark.parametrize(
    "rule", ["escalation_overdue", "meeting_tomorrow", "minutes_unpublished", "weekly_digest"]
)
def test_query_count_does_not_grow_with_targets(world, rule):
    few = select_count(rule)
    for n in range(12):
        add_escalation(world, ("leader", "exec_leader")[n % 2], days(-1 - n % 3), f"问题{n}")
        add_meeting(world, clock.at(days(1), time(8 + n % 8, 0)), f"明天的会{n}")
        add_meeting(world, clock.at(days(-1 - n % 4), time(10, 0)), f"开过的会{n}", "held")
    many = select_count(rule)
    assert many == few
    # The rule itself: one query for its targets; the digest adds one per section.
    assert many == (3 if rule == "weekly_digest" else 1)


# --- the command line and the settings page ------------------------------------------------


def test_reminders_list_shows_the_new_rules(app):
    output = app.test_cli_runner().invoke(args=["reminders", "list"]).output
    for name in ("escalation_overdue", "meeting_tomorrow", "minutes_unpublished"):
        assert name in output
    line = next(ln for ln in output.splitlines() if ln.startswith("escalation_overdue"))
    assert "daily" in line and "mandatory" in line
