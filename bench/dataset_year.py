"""The year around the problem list: meetings, escalations and decisions, nudges,
incentives, pilots with their rollout, and goal-figure readings. Written in bulk."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from app.core import clock
from app.decisions.models import Decision, Escalation, Incentive, Nudge
from app.extensions import db
from app.issues.models import CLOSED, Issue
from app.kpis.models import Kpi, KpiReading
from app.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingSeries
from app.pilots.models import Pilot, RolloutTask


def _bulk(model, rows: list[dict], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        db.session.execute(insert(model), rows[start : start + size])


def build(task_force_id: int, members: list[int], units: list[int]) -> dict[str, int]:
    rng = random.Random(7)
    counts = {}
    counts.update(_meetings(task_force_id, members, units, rng))
    counts.update(_escalations(task_force_id, members, rng))
    counts.update(_pilots(task_force_id, members, units, rng))
    counts.update(_kpis(task_force_id, members))
    db.session.commit()
    return counts


def _meetings(task_force_id, members, units, rng) -> dict[str, int]:
    today = clock.today()
    now = clock.now()
    leader, exec_leader = members[0], members[1]
    start = today - timedelta(days=364)
    cadences = (
        ("按周面谈", "one_on_one", "weekly", 7),
        ("月度工作推进交流会", "progress", "monthly", 30),
        ("季度工作汇报会", "review", "quarterly", 91),
    )
    series_ids = []
    for name, kind, cadence, _step in cadences:
        series = MeetingSeries(
            task_force_id=task_force_id,
            name=name,
            kind=kind,
            cadence=cadence,
            starts_on=start,
            chair_id=leader if kind != "one_on_one" else exec_leader,
            place="总行 12 楼会议室",
            attendee_ids=members[:12],
            counterparts=[],
        )
        db.session.add(series)
        db.session.flush()
        series_ids.append(series.id)
    meetings = []
    for series_id, (name, kind, _cadence, step) in zip(series_ids, cadences, strict=True):
        day, number = start, 1
        while day <= today + timedelta(days=60):
            past = day < today
            meetings.append(
                {
                    "task_force_id": task_force_id,
                    "series_id": series_id,
                    "number": number,
                    "title": f"{name} 第{number}次",
                    "kind": kind,
                    "scheduled_on": day,
                    "starts_at": datetime.combine(day, time(1, 30), tzinfo=UTC),
                    "duration_minutes": 60,
                    "status": "published" if past else "planned",
                    "chair_id": leader,
                    "counterpart_user_id": rng.choice(members) if kind == "one_on_one" else None,
                    "counterpart_unit_id": rng.choice(units) if kind == "one_on_one" else None,
                    "decisions": "会议决定：按计划推进。" if past else "",
                    "held_at": datetime.combine(day, time(3, 0), tzinfo=UTC) if past else None,
                    "published_at": datetime.combine(day, time(9, 0), tzinfo=UTC) if past else None,
                    "ical_sequence": 0,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            day += timedelta(days=step)
            number += 1
    _bulk(Meeting, meetings)
    db.session.flush()
    rows = db.session.execute(
        select(Meeting.id, Meeting.scheduled_on).where(Meeting.task_force_id == task_force_id)
    ).all()
    issue_ids = db.session.scalars(
        select(Issue.id).where(Issue.task_force_id == task_force_id, Issue.status != CLOSED)
    ).all()
    agenda, attendance, actions = [], [], []
    for meeting_id, day in rows:
        past = day < today
        for k in range(5):
            issue_id = rng.choice(issue_ids)
            agenda.append(
                {
                    "task_force_id": task_force_id,
                    "meeting_id": meeting_id,
                    "position": k,
                    "section": "红灯与黄灯事项",
                    "title": f"议题 {k + 1}",
                    "url": f"/issues/{issue_id}",
                    "subject_type": "issue",
                    "subject_id": issue_id,
                    "detail": "",
                    "minutes": "讨论并明确了下一步举措。" if past else "",
                }
            )
        if past:
            for user_id in members[:12]:
                attendance.append(
                    {
                        "task_force_id": task_force_id,
                        "meeting_id": meeting_id,
                        "user_id": user_id,
                        "status": rng.choice(("present",) * 8 + ("late", "excused", "absent")),
                    }
                )
            for k in range(3):
                deadline = day + timedelta(days=14)
                actions.append(
                    {
                        "task_force_id": task_force_id,
                        "meeting_id": meeting_id,
                        "title": f"会后行动 {k + 1}",
                        "owner_id": rng.choice(members),
                        "deadline": deadline,
                        "done_on": deadline if deadline < today and rng.random() < 0.8 else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    _bulk(AgendaItem, agenda)
    _bulk(Attendance, attendance)
    _bulk(ActionItem, actions)
    return {"meetings": len(rows), "agenda_items": len(agenda), "action_items": len(actions)}


def _escalations(task_force_id, members, rng) -> dict[str, int]:
    today = clock.today()
    now = clock.now()
    issue_ids = db.session.scalars(
        select(Issue.id).where(Issue.task_force_id == task_force_id).limit(600)
    ).all()
    escalations = []
    for i, issue_id in enumerate(issue_ids):
        raised = now - timedelta(days=rng.randint(1, 360))
        escalations.append(
            {
                "task_force_id": task_force_id,
                "issue_id": issue_id,
                "kind": ("communication", "decision", "supervision")[i % 3],
                "level": ("exec_leader", "leader")[i % 2],
                "question": "跨部门协同资源如何安排？",
                "options": ["方案一：总行统筹", "方案二：分行自主"],
                "recommendation": "建议方案一",
                "due_on": raised.date() + timedelta(days=5),
                "status": "decided" if i % 6 else "pending",
                "raised_by_id": rng.choice(members),
                "raised_at": raised,
                "version": 1,
                "created_at": raised,
                "updated_at": raised,
            }
        )
    _bulk(Escalation, escalations)
    db.session.flush()
    decided = db.session.execute(
        select(Escalation.id, Escalation.raised_at).where(
            Escalation.task_force_id == task_force_id, Escalation.status == "decided"
        )
    ).all()
    _bulk(
        Decision,
        [
            {
                "task_force_id": task_force_id,
                "escalation_id": escalation_id,
                "text": "同意方案一，由总行统筹推进。",
                "chosen_option": "方案一：总行统筹",
                "rationale": "资源集中，见效快。",
                "decided_by_id": members[0],
                "decided_at": min(now, raised + timedelta(days=rng.randint(1, 12))),
                "unblocked": False,
            }
            for escalation_id, raised in decided
        ],
    )
    nudges = [
        {
            "task_force_id": task_force_id,
            "issue_id": rng.choice(issue_ids),
            "recipient_id": rng.choice(members),
            "sent_by_id": members[1],
            "note": "请尽快更新进度",
            "sent_at": now - timedelta(days=rng.randint(0, 360)),
        }
        for _ in range(2000)
    ]
    _bulk(Nudge, nudges)
    incentives = [
        {
            "task_force_id": task_force_id,
            "polarity": "positive" if i % 4 else "negative",
            "kind": "commendation" if i % 4 else "criticism",
            "user_id": rng.choice(members),
            "reason": "推进有力，按期销号。",
            "awarded_on": today - timedelta(days=rng.randint(0, 360)),
            "recorded_by_id": members[0],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(100)
    ]
    _bulk(Incentive, incentives)
    return {"escalations": len(escalations), "nudges": len(nudges)}


def _pilots(task_force_id, members, units, rng) -> dict[str, int]:
    today = clock.today()
    now = clock.now()
    statuses = ("planned", "running", "reviewing", "decided", "rolling_out", "completed")
    pilots = [
        {
            "task_force_id": task_force_id,
            "name": f"试点 {i + 1}：网点财富管理转型",
            "measure": "在一个分行先行先试，复盘后复制推广。",
            "owner_id": rng.choice(members),
            "starts_on": today - timedelta(days=200),
            "planned_end": today + timedelta(days=rng.randint(-30, 90)),
            "status": statuses[i % len(statuses)],
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(20)
    ]
    _bulk(Pilot, pilots)
    db.session.flush()
    rolling = db.session.scalars(
        select(Pilot.id).where(
            Pilot.task_force_id == task_force_id, Pilot.status.in_(("rolling_out", "completed"))
        )
    ).all()
    tasks = []
    for pilot_id in rolling:
        for unit_id in units:
            status = rng.choice(("not_started", "in_progress", "done", "done", "not_applicable"))
            planned = today + timedelta(days=rng.randint(-40, 60))
            tasks.append(
                {
                    "task_force_id": task_force_id,
                    "pilot_id": pilot_id,
                    "org_unit_id": unit_id,
                    "owner_id": rng.choice(members),
                    "planned_on": planned,
                    "status": status,
                    "done_on": planned if status == "done" else None,
                    "notes": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    _bulk(RolloutTask, tasks)
    return {"pilots": len(pilots), "rollout_tasks": len(tasks)}


def _kpis(task_force_id, members) -> dict[str, int]:
    today = clock.today()
    now = clock.now()
    figures = (
        ("非存AUM", "yi_yuan", Decimal("862"), Decimal("1000")),
        ("代销理财销量增速", "percent", Decimal("0"), Decimal("188")),
        ("理财中收增速", "percent", Decimal("0"), Decimal("19")),
        ("信托规模增速", "percent", Decimal("0"), Decimal("50")),
        ("AUM 增速", "percent", Decimal("0"), Decimal("16")),
    )
    readings = []
    for order, (name, unit, baseline, target) in enumerate(figures):
        kpi = Kpi(
            task_force_id=task_force_id,
            name=name,
            unit=unit,
            direction="up",
            baseline=baseline,
            baseline_on=today - timedelta(days=365),
            target=target,
            target_on=today + timedelta(days=30),
            sort_order=order,
        )
        db.session.add(kpi)
        db.session.flush()
        for month in range(12):
            readings.append(
                {
                    "task_force_id": task_force_id,
                    "kpi_id": kpi.id,
                    "period": today - timedelta(days=30 * (12 - month)),
                    "value": baseline + (target - baseline) * Decimal(month + 1) / 13,
                    "note": "",
                    "entered_by_id": members[0],
                    "created_at": now,
                }
            )
    _bulk(KpiReading, readings)
    return {"kpis": len(figures), "kpi_readings": len(readings)}
