"""What the decisions say of a quarter, for the review narrative's pre-fill
(``core.hooks.REVIEW_FACTS``): the decisions taken (main results), the escalations still
waiting (matters submitted for decision), the leader's instructions not yet answered
(problems), and one line per org unit with its on-time rate and a suggested conclusion
the leader will edit (assessment)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import clock
from app.core.hooks import NarrativeFact
from app.core.quarters import Quarter
from app.decisions import scorecards as cards
from app.decisions import service
from app.decisions.models import PENDING, Decision, Escalation
from app.decisions.service import instructions
from app.extensions import db

LISTED = 8  # rows named in a list; the figures count them all


def _short(text: str, length: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _more(rows: list, shown: int) -> list[str]:
    return [_("- and %(n)d more", n=len(rows) - shown)] if len(rows) > shown else []


def _decisions(task_force_id: int, quarter: Quarter) -> list[NarrativeFact]:
    filters = service.RegisterFilter(raised_from=quarter.first_day, raised_to=quarter.last_day)
    figures = service.figures_of_register(task_force_id, filters)
    if not figures.total:
        return []
    text = _(
        "%(total)d matters were escalated this quarter and %(decided)d decided "
        "(median %(days)s days to a decision).",
        total=figures.total,
        decided=figures.decided,
        days="—" if figures.median_days is None else figures.median_days,
    )
    rows = [
        row
        for row in service.rows_of_register(task_force_id, filters, limit=LISTED)
        if row.decision
    ]
    lines = [
        f"- {row.issue.code} {_short(row.escalation.question, 40)}："
        f"{_short(row.decision.text)}（{row.decider_name or '—'}）"
        for row in rows
    ]
    return [NarrativeFact("results", 30, text + ("\n\n" + "\n".join(lines) if lines else ""))]


def _pending(task_force_id: int) -> list[NarrativeFact]:
    rows = service.rows_of_register(
        task_force_id, service.RegisterFilter(status=PENDING), limit=LISTED + 1
    )
    if not rows:
        return []
    lines = []
    for row in rows[:LISTED]:
        line = f"- {row.issue.code} {_short(row.escalation.question, 120)}"
        if row.escalation.options:
            line += "\n  " + _("Options: %(options)s", options="；".join(row.escalation.options))
        if row.escalation.recommendation:
            line += "\n  " + _(
                "Recommended: %(text)s", text=_short(row.escalation.recommendation, 120)
            )
        lines.append(line)
    head = _("The following matters are submitted to the leaders for decision:")
    return [NarrativeFact("decisions", 10, head + "\n\n" + "\n".join(lines + _more(rows, LISTED)))]


def _unanswered(task_force_id: int, quarter: Quarter) -> list[NarrativeFact]:
    rows = [
        row
        for row in instructions.instructions_between(
            task_force_id, quarter.first_day, quarter.last_day
        )
        if row.instruction.answered_at is None
    ]
    if not rows:
        return []
    lines = [
        f"- {row.code} {row.title}：{_short(row.instruction.text, 60)}（{row.owner}）"
        for row in rows[:LISTED]
    ]
    head = _("%(n)d of the leader's instructions are not answered yet:", n=len(rows))
    return [NarrativeFact("problems", 30, head + "\n\n" + "\n".join(lines + _more(rows, LISTED)))]


def suggested_conclusion(line: cards.ScoreLine) -> str:
    """A starting wording for an org unit's conclusion, from its on-time rate, its overdue
    items and its goal figures' pace; the leader edits it."""
    rate = line.on_time_rate
    behind = line.goals is not None and line.goals.behind > 0
    if line.owned == 0 and line.closed == 0 and line.goals is None:
        return _("nothing to assess this quarter")
    if line.overdue_now == 0 and not behind and (rate is None or rate >= 0.9):
        return _("good: on schedule")
    if rate is not None and rate < 0.6 or (line.overdue_now >= 3) or behind:
        return _("needs improvement: behind schedule, to be followed up")
    return _("fair: mostly on schedule")


def _assessment(task_force_id: int, quarter: Quarter) -> list[NarrativeFact]:
    period = cards.Period(quarter.first_day, quarter.last_day)
    lines = cards.scorecard_lines(task_force_id, period, cards.BY_UNIT)
    if not lines:
        return []
    rows = []
    for line in lines:
        rate = "—" if line.on_time_rate is None else f"{line.on_time_rate * 100:.0f}%"
        text = _(
            "- %(unit)s: %(closed)d closed, on time %(rate)s, %(overdue)d overdue now",
            unit=line.name,
            closed=line.closed,
            rate=rate,
            overdue=line.overdue_now,
        )
        if line.goals is not None and line.goals.attainment is not None:
            text += _(", goal attainment %(share)d%%", share=round(line.goals.attainment * 100))
        rows.append(text + _("; suggested: %(conclusion)s", conclusion=suggested_conclusion(line)))
    head = _("By org unit (suggested conclusions, to be confirmed):")
    return [NarrativeFact("assessment", 10, head + "\n\n" + "\n".join(rows))]


def facts(task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]:
    return [
        *_decisions(task_force_id, quarter),
        *_pending(task_force_id),
        *_unanswered(task_force_id, quarter),
        *_assessment(task_force_id, quarter),
        *_mechanisms(task_force_id, quarter),
    ]


def _mechanisms(task_force_id: int, quarter: Quarter) -> list[NarrativeFact]:
    """短平快: how fast the escalations of the quarter were decided, and how many in a
    meeting (会商决策)."""
    filters = service.RegisterFilter(raised_from=quarter.first_day, raised_to=quarter.last_day)
    figures = service.figures_of_register(task_force_id, filters)
    if not figures.total:
        return []
    in_meetings = db.session.scalar(
        select(func.count(Decision.id))
        .join(Escalation, Escalation.id == Decision.escalation_id)
        .where(
            Decision.task_force_id == task_force_id,
            Decision.meeting_id.is_not(None),
            Decision.decided_at >= clock.start_of_day(quarter.first_day),
            Decision.decided_at < clock.start_of_day(quarter.next().first_day),
        )
    )
    text = _(
        "- “Short, flat, fast”: %(decided)d of %(total)d escalations decided, %(meetings)d of "
        "them in meetings; median %(days)s days from escalation to decision, %(late)d "
        "decided after their due date, %(overdue)d waiting past it now.",
        decided=figures.decided,
        total=figures.total,
        meetings=in_meetings or 0,
        days="—" if figures.median_days is None else figures.median_days,
        late=figures.decided_late,
        overdue=figures.overdue_now,
    )
    return [NarrativeFact("mechanisms", 30, text)]
