"""The meeting rhythm of the source case, for ``flask demo load``.

Three series on the AUM task force: the leader's weekly one-on-ones with key people and
departments (按周面谈), the monthly progress meeting (月度工作推进交流会) and the quarterly
review (季度工作汇报会). A year of past meetings is written straight into the tables
(held, attendance, minutes, action items, minutes published), deterministically and in
one commit per series; the coming ones stay planned, so their agendas are proposed from
the data. A second run finds the series and adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues.models import Issue
from app.meetings import service
from app.meetings.models import (
    CANCELLED,
    HELD,
    PUBLISHED,
    ActionItem,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingSeries,
)

WEEKLY = "领导按周面谈"
MONTHLY = "月度工作推进交流会"
QUARTERLY = "季度工作汇报会"

ONE_ON_ONE_PEOPLE = ["chenlei", "liuyang", "zhaojing", "huangwei", "wuqiang", "sunhao", "zhouting"]
ONE_ON_ONE_UNITS = ["长春分行", "吉林分行"]
MONTHLY_ATTENDEES = [
    "exec", "chenlei", "liuyang", "zhaojing", "huangwei", "wuqiang", "sunhao", "zhouting",
]  # fmt: skip
QUARTERLY_ATTENDEES = MONTHLY_ATTENDEES + ["wangfang"]

TEMPLATES = {
    MONTHLY: "上月工作回顾\n重点问题推进情况\n需提级沟通与决策的事项\n下月工作安排",
    QUARTERLY: "季度目标完成情况\n总结复盘：做法与成效\n存在问题与改进措施\n下季度重点工作",
    WEEKLY: "",
}

MINUTES = [
    "进展符合预期，按既定排期推进。",
    "需与金融科技部对接系统排期，{owner}牵头于两周内拿出方案。",
    "分行反映客户经理配置不足，建议纳入下月提级沟通议题。",
    "试点效果初步显现，注意总结可复制的做法。",
    "进度滞后，明确责任人和完成时限，执行组长跟踪督办。",
    "同意调整方案，报组长审定后执行。",
]
ACTIONS = [
    "梳理重点客户名单并分层分类",
    "与金融科技部确认系统改造排期",
    "整理网点转型试点数据，形成复盘材料",
    "起草理财经理配置优化方案",
    "对接私行中心，明确服务流程",
    "汇总分行意见，提交下次会议讨论",
    "更新落地排期并报执行组长",
]
DECISIONS = [
    "会议明确：红灯事项由责任人一周内提交整改计划，执行组长跟踪督办。",
    "会议决定：将客户分层经营方案提交组长审定后在长春分行先行试点。",
    "会议要求：各成员单位按月报送非存AUM进展数据。",
]


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    """The instant of ``hh:mm`` local time on ``day``."""
    return clock.at(day, time(hh, mm))


def _weekday_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _workday(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def load(task_force, users: dict, units: dict, today: date) -> int:
    """Write the three series and their year; returns how many series were added."""
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(
                select(MeetingSeries.name).where(MeetingSeries.task_force_id == task_force.id)
            )
        )
        start = task_force.starts_on
        leader = users["leader"]
        specs = [
            service.SeriesInput(
                name=WEEKLY,
                kind="one_on_one",
                cadence="weekly",
                starts_on=_weekday_after(start + timedelta(days=7), 1),  # Tuesdays
                start_time="15:00",
                duration_minutes=45,
                chair_id=leader.id,
                place="组长办公室",
                counterpart_user_ids=[users[u].id for u in ONE_ON_ONE_PEOPLE],
                counterpart_unit_ids=[units[u].id for u in ONE_ON_ONE_UNITS],
            ),
            service.SeriesInput(
                name=MONTHLY,
                kind="progress",
                cadence="monthly",
                starts_on=start + timedelta(days=24),  # the 25th
                start_time="09:30",
                duration_minutes=120,
                chair_id=leader.id,
                place="总行12楼第一会议室",
                online_link="https://meeting.gongjian.local/aum-monthly",
                agenda_template=TEMPLATES[MONTHLY],
                attendee_ids=[users[u].id for u in MONTHLY_ATTENDEES],
            ),
            service.SeriesInput(
                name=QUARTERLY,
                kind="review",
                cadence="quarterly",
                starts_on=start + timedelta(days=98),  # early in the second quarter
                start_time="14:30",
                duration_minutes=150,
                chair_id=leader.id,
                place="总行12楼第一会议室",
                agenda_template=TEMPLATES[QUARTERLY],
                attendee_ids=[users[u].id for u in QUARTERLY_ATTENDEES],
            ),
        ]
        issues = list(db.session.scalars(select(Issue).where(Issue.task_force_id == task_force.id)))
        added = 0
        for spec in specs:
            if spec.name in have:
                continue
            with clock.frozen_at(_at(spec.starts_on - timedelta(days=7), 10)):
                series = service.create_series(leader, task_force.id, spec)
            service.plan_ahead(leader, series)
            _replay(series, issues, users, today)
            added += 1
    return added


def _replay(series: MeetingSeries, issues: list[Issue], users: dict, today: date) -> None:
    """Hold every past meeting of the series: attendance, agenda, minutes, action items."""
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.scheduled_on)
    ).all()
    invited: dict[int, list[Attendance]] = {}
    for row in db.session.scalars(
        select(Attendance).where(
            Attendance.meeting_id.in_([m.id for m in meetings]),
        )
    ):
        invited.setdefault(row.meeting_id, []).append(row)
    by_id = {u.id: u for u in users.values()}
    past = [m for m in meetings if m.scheduled_on < today]
    last = past[-1] if past else None
    for meeting in meetings:
        rng = random.Random(f"{series.name}-{meeting.number}")
        # A weekend day is moved by hand to the nearest working day.
        workday = _workday(meeting.scheduled_on)
        if workday != meeting.scheduled_on:
            meeting.starts_at = clock.at(workday, clock.local(meeting.starts_at).time())
            meeting.ical_sequence = 1
        if meeting.scheduled_on >= today:
            continue
        if series.kind == "one_on_one" and meeting.number % 11 == 6:
            meeting.status = CANCELLED  # the leader away: cancelled, not moved
            meeting.ical_sequence += 1
            continue
        day = clock.local_date(meeting.starts_at)
        # The most recent monthly meeting is held, its minutes not yet published.
        meeting.status = PUBLISHED if meeting is not last or series.kind != "progress" else HELD
        meeting.held_at = meeting.ends_at
        if meeting.status == PUBLISHED:
            meeting.published_at = _at(day + timedelta(days=1), 11)
        for row in invited.get(meeting.id, []):
            roll = rng.random()
            row.status = (
                "present"
                if roll < 0.82 or row.user_id == series.chair_id
                else "late"
                if roll < 0.9
                else "excused"
                if roll < 0.97
                else "absent"
            )
        topics = _topics(series, meeting, issues, day, rng)
        position = 0
        for line in (series.agenda_template or "").splitlines():
            position += 1
            db.session.add(
                AgendaItem(
                    task_force_id=series.task_force_id,
                    meeting_id=meeting.id,
                    position=position,
                    section="议程",
                    title=line,
                    minutes=rng.choice(MINUTES).format(owner="执行组长"),
                )
            )
        for section, issue in topics:
            position += 1
            owner = by_id.get(issue.owner_id)
            db.session.add(
                AgendaItem(
                    task_force_id=series.task_force_id,
                    meeting_id=meeting.id,
                    position=position,
                    section=section,
                    title=f"{issue.code} {issue.title}",
                    url=f"/issues/{issue.id}",
                    subject_type="issue",
                    subject_id=issue.id,
                    minutes=rng.choice(MINUTES).format(
                        owner=owner.display_name if owner else "责任人"
                    ),
                )
            )
        if series.kind != "one_on_one":
            meeting.decisions = rng.choice(DECISIONS)
        count = {"progress": 2, "review": 2}.get(series.kind, 1 if rng.random() < 0.5 else 0)
        people = [r.user_id for r in invited.get(meeting.id, []) if r.user_id != series.chair_id]
        for i in range(count):
            if not people:
                break
            deadline = day + timedelta(days=rng.choice((7, 14, 21)))
            done_on = None
            if deadline < today - timedelta(days=3) or rng.random() < 0.3:
                done_on = min(day + timedelta(days=rng.randint(3, 26)), today - timedelta(days=1))
            db.session.add(
                ActionItem(
                    task_force_id=series.task_force_id,
                    meeting_id=meeting.id,
                    title=ACTIONS[(meeting.number + i) % len(ACTIONS)],
                    owner_id=rng.choice(people),
                    deadline=deadline,
                    done_on=done_on,
                )
            )
    db.session.commit()


def _topics(series, meeting, issues, day: date, rng) -> list[tuple[str, Issue]]:
    """Items that were open on ``day`` and worth talking about then."""
    moment = clock.start_of_day(day)

    def open_then(issue: Issue) -> bool:
        return issue.created_at < moment and (issue.closed_at is None or issue.closed_at > moment)

    if series.kind == "one_on_one":
        mine = [
            i
            for i in issues
            if open_then(i)
            and (
                i.owner_id == meeting.counterpart_user_id
                or (meeting.counterpart_unit_id and i.org_unit_id == meeting.counterpart_unit_id)
            )
        ]
        mine.sort(key=lambda i: (i.deadline or date.max, i.id))
        return [("面谈事项", i) for i in mine[:4]]
    due = [i for i in issues if open_then(i) and i.deadline is not None]
    overdue = [i for i in due if i.deadline < day]
    soon = [i for i in due if day <= i.deadline <= day + timedelta(days=30)]
    topics = [("红灯问题", i) for i in sorted(overdue, key=lambda i: i.deadline)[:4]]
    topics += [("黄灯问题", i) for i in sorted(soon, key=lambda i: i.deadline)[:4]]
    if series.kind == "review":
        since = moment - timedelta(days=92)
        closed = [i for i in issues if i.closed_at and since < i.closed_at < moment]
        rng.shuffle(closed)
        topics += [("本季度销号问题", i) for i in closed[:5]]
    return topics
