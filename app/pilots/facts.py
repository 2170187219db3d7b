"""What the pilots say of a quarter, for the review narrative's pre-fill
(``core.hooks.REVIEW_FACTS``): each reviewed pilot (复盘) as a typical case, its units,
what worked, what did not, and its lessons (经验做法与典型案例)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.hooks import NarrativeFact
from app.core.quarters import Quarter
from app.extensions import db
from app.pilots.labels import OUTCOME_LABELS
from app.pilots.models import Pilot

LISTED = 8  # pilots told as cases


def _quote(text: str) -> str:
    """A Markdown text indented under a list line."""
    return "\n".join("  " + line if line.strip() else "" for line in text.strip().splitlines())


def facts(task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]:
    reviewed_by_then = clock.start_of_day(quarter.next().first_day)
    pilots = db.session.scalars(
        select(Pilot)
        .where(
            Pilot.task_force_id == task_force_id,
            or_(Pilot.starts_on.is_(None), Pilot.starts_on <= quarter.last_day),
            or_(Pilot.lessons != "", Pilot.what_worked != ""),
            or_(Pilot.reviewed_at.is_(None), Pilot.reviewed_at < reviewed_by_then),
        )
        .options(selectinload(Pilot.units))
        .order_by(Pilot.reviewed_at.is_(None), Pilot.reviewed_at.desc(), Pilot.id)
        .limit(LISTED)
    ).all()
    found = []
    for order, pilot in enumerate(pilots, start=10):
        units = "、".join(unit.name for unit in pilot.units)
        head = f"**{pilot.name}**" + (f"（{units}）" if units else "")
        parts = [head]
        if pilot.what_worked.strip():
            parts.append("- " + _("What worked:") + "\n" + _quote(pilot.what_worked))
        if pilot.what_did_not.strip():
            parts.append("- " + _("What did not:") + "\n" + _quote(pilot.what_did_not))
        if pilot.lessons.strip():
            parts.append("- " + _("Lessons:") + "\n" + _quote(pilot.lessons))
        if pilot.decision:
            parts.append("- " + _("Decision: %(outcome)s", outcome=OUTCOME_LABELS[pilot.decision]))
        found.append(NarrativeFact("practices", order, "\n".join(parts)))
    return found
