"""The decisions' sections of the monthly supervision bulletin (core.hooks.BULLETIN_SECTIONS).

Items whose deadline had been extended more than once by the month's end, each extension
old → new (order 30); the leader's instructions (批示) written by the month's end and not
answered by then (40); the nudges (催办) sent in the month and the first progress update
on their item after each (50); the org units ranked by on-time closure over the month,
from the scorecards by org unit (60). A fixed number of queries whatever the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from app.core import clock, hooks
from app.core.quarters import Month
from app.decisions import scorecards as cards
from app.decisions.extensions import APPROVED, DeadlineExtension
from app.decisions.instructions import Instruction
from app.decisions.models import Escalation, Nudge
from app.decisions.service import instructions
from app.extensions import db
from app.issues.models import Issue, ProgressUpdate
from app.people.models import User


def _end(month: Month) -> datetime:
    """The instant after the month (now, for the month under way)."""
    return min(clock.start_of_day(month.last_day + timedelta(days=1)), clock.now())


def _day(month: Month) -> date:
    return min(month.last_day, clock.today())


@dataclass
class DelayedItem:
    issue: Issue
    extensions: list[tuple[date | None, date]] = field(default_factory=list)


def delayed_section(task_force_id: int, month: Month) -> dict:
    """Items with two or more extensions approved by the month's end, most extended first."""
    ext = DeadlineExtension
    rows = db.session.scalars(
        select(ext)
        .where(
            ext.task_force_id == task_force_id, ext.status == APPROVED, ext.decided_at < _end(month)
        )
        .options(joinedload(ext.issue).joinedload(Issue.owner))
        .order_by(ext.issue_id, ext.decided_at, ext.id)
    ).all()
    by_issue: dict[int, DelayedItem] = {}
    for row in rows:
        item = by_issue.setdefault(row.issue_id, DelayedItem(row.issue))
        item.extensions.append((row.current_deadline, row.requested_deadline))
    items = sorted(
        (item for item in by_issue.values() if len(item.extensions) >= 2),
        key=lambda item: (-len(item.extensions), item.issue.code),
    )
    return {"items": items, "figures": [(_("Items delayed more than once"), len(items))]}


@dataclass(frozen=True)
class WaitingInstruction:
    code: str
    title: str
    writer: str
    owner: str
    written_on: date
    days_waiting: int


def instructions_section(task_force_id: int, month: Month) -> dict:
    """Instructions written by the month's end and not answered by then, the oldest first."""
    end, day = _end(month), _day(month)
    owner, writer = aliased(User), aliased(User)
    rows = db.session.execute(
        select(
            Instruction.written_at, Issue.code, Issue.title, writer.display_name, owner.display_name
        )
        .join(Issue, Issue.id == Instruction.issue_id)
        .outerjoin(Escalation, Escalation.id == Instruction.escalation_id)
        .join(writer, writer.id == Instruction.written_by_id)
        .outerjoin(owner, owner.id == instructions.owner_column())
        .where(
            Instruction.task_force_id == task_force_id,
            Instruction.written_at < end,
            (Instruction.answered_at.is_(None)) | (Instruction.answered_at >= end),
        )
        .order_by(Instruction.written_at, Instruction.id)
    ).all()
    lines = [
        WaitingInstruction(
            code,
            title,
            writer_name,
            owner_name or "—",
            clock.local_date(written_at),
            (day - clock.local_date(written_at)).days,
        )
        for written_at, code, title, writer_name, owner_name in rows
    ]
    return {"lines": lines, "figures": [(_("Leader's instructions unanswered"), len(lines))]}


@dataclass(frozen=True)
class NudgeLine:
    code: str
    title: str
    sender: str
    recipient: str
    sent_on: date
    response_days: int | None  # None: no progress update since


def nudges_section(task_force_id: int, month: Month) -> dict:
    """The nudges sent in the month and the first progress update on the item after each
    (by anyone), up to the moment the bulletin is made."""
    start, end = clock.start_of_day(month.first_day), _end(month)
    sender, recipient = aliased(User), aliased(User)
    first_update = (
        select(func.min(ProgressUpdate.created_at))
        .where(
            ProgressUpdate.issue_id == Nudge.issue_id, ProgressUpdate.created_at >= Nudge.sent_at
        )
        .correlate(Nudge)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Nudge.sent_at,
            Issue.code,
            Issue.title,
            sender.display_name,
            recipient.display_name,
            first_update,
        )
        .join(Issue, Issue.id == Nudge.issue_id)
        .join(sender, sender.id == Nudge.sent_by_id)
        .join(recipient, recipient.id == Nudge.recipient_id)
        .where(Nudge.task_force_id == task_force_id, Nudge.sent_at >= start, Nudge.sent_at < end)
        .order_by(Nudge.sent_at, Nudge.id)
    ).all()
    lines = [
        NudgeLine(
            code,
            title,
            sender_name,
            recipient_name,
            clock.local_date(sent_at),
            None
            if answered is None
            else (clock.local_date(answered) - clock.local_date(sent_at)).days,
        )
        for sent_at, code, title, sender_name, recipient_name, answered in rows
    ]
    responded = sum(1 for line in lines if line.response_days is not None)
    return {
        "lines": lines,
        "responded": responded,
        "figures": [(_("Nudges sent (responded)"), f"{len(lines)} ({responded})")],
    }


@dataclass(frozen=True)
class RankedUnit:
    rank: int | None  # None: nothing closed in the month
    name: str
    closed: int
    on_time: int
    rate: float | None


def rank_units(lines: list[cards.ScoreLine]) -> list[RankedUnit]:
    """By on-time rate, then by closures on time; equal on both share a rank (1, 1, 3).
    Units that closed nothing come last, unranked."""
    ranked = sorted(
        (line for line in lines if line.closed),
        key=lambda line: (-line.on_time_rate, -line.closed_on_time, line.name),
    )
    result: list[RankedUnit] = []
    for index, line in enumerate(ranked):
        previous = ranked[index - 1] if index else None
        same = previous is not None and (previous.on_time_rate, previous.closed_on_time) == (
            line.on_time_rate,
            line.closed_on_time,
        )
        rank = result[-1].rank if same else index + 1
        result.append(
            RankedUnit(rank, line.name, line.closed, line.closed_on_time, line.on_time_rate)
        )
    result.extend(
        RankedUnit(None, line.name, 0, 0, None)
        for line in sorted((line for line in lines if not line.closed), key=lambda line: line.name)
    )
    return result


def ranking_section(task_force_id: int, month: Month) -> dict:
    period = cards.Period(month.first_day, month.last_day)
    lines = cards.scorecard_lines(task_force_id, period, cards.BY_UNIT, "name")
    return {"units": rank_units(lines)}


SECTIONS = (
    hooks.BulletinSection(
        "delayed",
        30,
        _l("Items delayed more than once"),
        "decisions/_bulletin_delayed.html",
        delayed_section,
    ),
    hooks.BulletinSection(
        "instructions",
        40,
        _l("Unanswered leader's instructions"),
        "decisions/_bulletin_instructions.html",
        instructions_section,
    ),
    hooks.BulletinSection(
        "nudges", 50, _l("Nudges and responses"), "decisions/_bulletin_nudges.html", nudges_section
    ),
    hooks.BulletinSection(
        "ranking",
        60,
        _l("Org units ranked by on-time closure"),
        "decisions/_bulletin_ranking.html",
        ranking_section,
    ),
)
