"""The meetings an escalation is decided in or scheduled for, read through the hook
(``hooks.MEETING_CHOICES``): meetings is a sibling feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import clock, hooks
from app.decisions.models import Decision, Escalation
from app.extensions import db

# How far back the decide form offers meetings, how far ahead the schedule form does.
RECENT_MEETING_DAYS = 45
UPCOMING_MEETING_DAYS = 120
MEETING_KIND_ORDER = {"progress": 0, "review": 1, "one_on_one": 2}


def meeting_choice(task_force_id: int, meeting_id) -> hooks.MeetingChoice | None:
    """The meeting ``meeting_id`` when it is one of the task force's and not cancelled."""
    try:
        ident = int(meeting_id)
    except (TypeError, ValueError):
        return None
    found = hooks.MEETING_CHOICES.collect(task_force_id, None, None, ids=[ident])
    return next((m for m in found if m.id == ident), None)


@dataclass
class MeetingOptions:
    """The meetings an escalation's page offers: one hook call."""

    upcoming: list  # to schedule onto: planned, from today; progress meetings first
    recent: list  # to decide in: held or planned, recent up to today; latest first
    today: hooks.MeetingChoice | None  # the one of today, progress first
    by_id: dict  # every meeting read, by id (the decision's meeting among them)


def meeting_options(task_force_id: int, ids=()) -> MeetingOptions:
    today = clock.today()
    found = hooks.MEETING_CHOICES.collect(
        task_force_id,
        today - timedelta(days=RECENT_MEETING_DAYS),
        today + timedelta(days=UPCOMING_MEETING_DAYS),
        ids=[i for i in ids if i is not None],
    )
    kind_order = MEETING_KIND_ORDER
    upcoming = sorted(
        (m for m in found if m.day >= today and m.status == "planned"),
        key=lambda m: (kind_order.get(m.kind, 9), m.day, m.id),
    )
    recent = sorted(
        (
            m
            for m in found
            if today - timedelta(days=RECENT_MEETING_DAYS) <= m.day <= today
            and m.status in ("planned", "held")
        ),
        key=lambda m: (m.day, -kind_order.get(m.kind, 9), m.id),
        reverse=True,
    )
    today_meeting = next((m for m in recent if m.day == today), None)
    return MeetingOptions(upcoming, recent, today_meeting, {m.id: m for m in found})


def meetings_by_id(task_force_id: int, ids) -> dict[int, hooks.MeetingChoice]:
    """The meetings of ``ids`` by id: one query, none when there are no ids."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {m.id: m for m in hooks.MEETING_CHOICES.collect(task_force_id, None, None, ids=ids)}


def decisions_in_meeting(task_force_id: int, meeting_id: int) -> list[Decision]:
    """The decisions taken in a meeting with their escalation and item: one query."""
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.task_force_id == task_force_id, Decision.meeting_id == meeting_id)
            .options(
                joinedload(Decision.escalation).joinedload(Escalation.issue),
                joinedload(Decision.decided_by),
            )
            .order_by(Decision.decided_at, Decision.id)
        )
    )
