"""What the problem list says of a quarter, for the narrative's pre-fill (REVIEW_FACTS):
the headline figures and the items closed (main results), the red and overdue items
(problems), the open priorities due by the next quarter's end (the plan)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.hooks import NarrativeFact
from app.core.i18n import format_day
from app.core.quarters import Quarter
from app.reports import review

LISTED = 10  # items named in a list; the figures count them all


def _item(issue, extra: str = "") -> str:
    owner = issue.owner.display_name if issue.owner else "—"
    return f"- {issue.code} {issue.title}（{owner}{extra}）"


def facts(task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]:
    as_of = review.AsOf.for_quarter(quarter)
    figures = review.summary(task_force_id, as_of)
    if not figures.problems:
        return []
    found = [
        NarrativeFact(
            "results",
            10,
            _(
                "By %(day)s, %(closed)d of %(problems)d problems were closed (%(share)d%%); "
                "%(quarter)d were closed this quarter, %(raised)d raised, and %(path)d of "
                "the open ones have a defined path.",
                day=format_day(as_of.day),
                closed=figures.closed,
                problems=figures.problems,
                share=figures.closed_share,
                quarter=figures.closed_this_quarter,
                raised=figures.raised_this_quarter,
                path=figures.path_defined,
            ),
        )
    ]
    if figures.open:
        found.append(
            NarrativeFact(
                "mechanisms",
                10,
                _(
                    "- Keep hold of the goal: %(path)d of %(open)d open problems have a "
                    "defined path (a solution and a landing schedule); %(overdue)d are overdue.",
                    path=figures.path_defined,
                    open=figures.open,
                    overdue=figures.overdue,
                ),
            )
        )
    return found + _lists(task_force_id, quarter, as_of)


def _listed(lines: list[str], total: int) -> str:
    if total > LISTED:
        lines = lines + [_("- and %(n)d more", n=total - LISTED)]
    return "\n".join(lines)


def _lists(task_force_id: int, quarter: Quarter, as_of) -> list[NarrativeFact]:
    """The items closed, the red ones, and the priorities due by next quarter's end."""
    found = []
    closed = review.closed_items(task_force_id, as_of)
    if closed:
        lines = [_item(issue, f" · {format_day(day)}") for issue, day in closed[:LISTED]]
        text = _("Items closed this quarter:") + "\n\n" + _listed(lines, len(closed))
        found.append(NarrativeFact("results", 11, text))
    items = review.open_items(task_force_id, as_of)
    red = [item for item in items if item.red]
    if red:
        lines = [
            _item(item.issue, f" · {'；'.join(item.reasons)}" if item.reasons else "")
            for item in red[:LISTED]
        ]
        head = _("%(n)d open items are red (blocked or overdue):", n=len(red))
        found.append(NarrativeFact("problems", 10, head + "\n\n" + _listed(lines, len(red))))
    following = quarter.next()
    due = [
        item
        for item in review.priorities(items)
        if item.deadline is not None and item.deadline <= following.last_day
    ]
    if due:
        lines = [_item(item.issue, f" · {format_day(item.deadline)}") for item in due[:LISTED]]
        head = _("Open priorities due by the end of next quarter (%(n)d):", n=len(due))
        found.append(NarrativeFact("plan", 10, head + "\n\n" + _listed(lines, len(due))))
    return found
