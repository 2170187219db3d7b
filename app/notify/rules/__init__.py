"""Reminder rules: each finds its targets with one query and writes the outbox in bulk.

A rule is a small declared object (``core/reminders.py``) that the feature whose data it
reads registers in its ``init_app`` into ``RULES``; this module runs them all, and holds
the rules about items, memberships and the weekly digest (``OWN_RULES``). Adding one
takes a few lines:

    def _minutes_missing(ctx):            # ONE query; label the columns
        return select(Meeting.chair_id.label("recipient_id"), Meeting.task_force_id,
                      Meeting.id.label("subject_id"), Meeting.title).where(...)

    MINUTES_MISSING = Rule(               # registered: reminders.RULES.register(...)
        name="minutes_missing", label=_l("Minutes not published"), subject_type="meeting",
        targets=_minutes_missing,
        key=lambda row, ctx: f"minutes_missing:{row.subject_id}:{row.recipient_id}",
        message=lambda row, ctx, extra: _("Publish the minutes of %(t)s.", t=row.title),
        link=lambda row: f"/meetings/{row.subject_id}",
        order=120,                        # where it stands among the rules
    )

The query must give ``recipient_id``, ``task_force_id`` and ``subject_id``; the runner
drops inactive accounts and people who turned the rule off (unless it is mandatory),
renders each message in the recipient's language and inserts the rows with
insert-or-skip on the outbox's unique key. The key names the period (a day, an ISO
week, a deadline), so a rule run twice, or by two schedulers at once, tells once.

Grouped rules (due soon, overdue, stale, unacknowledged) tell a person about their items
(and, for due soon and overdue, their items' milestones) in ONE message per task force,
not one per item: a person with 40 overdue items gets one
message listing them (the first ``SHOWN`` with code, title and what is due, then "and N
more"), linking to the item when there is one and otherwise to ``/reminders/<rule>``,
the page of exactly their items of that rule. Each item has its own period key (overdue:
the item and its deadline, or the milestone and its day; due soon: the item or milestone
and its day; stale: the item
and the day of its last activity; unacknowledged: the item and its assignment), and
``ToldItems`` keeps, per rule, person and task force, the keys the last message listed
and its day. A pass tells a person again when

- an item's key is not among those last told: an item newly overdue, due soon, stale or
  unacknowledged, a deadline moved, an item reassigned to them. The message lists all
  their current items of the rule, the new ones first and marked;
- or, for a rule that repeats, the last message is old enough: overdue every day, stale
  every ``REMINDER_STALE_DAYS`` days while any item stays stale. Due soon tells once per
  deadline and unacknowledged once per assignment, as before.

An item leaving the set (done, updated, acknowledged) does not make a message: the
person acted, and telling them the rest again would punish it. The kept keys are those
of the last message, so an item that leaves and comes back with the same key is not
told twice. Nothing is written per item, and a pass with nothing new writes nothing.
The outbox key of a grouped message is ``rule:recipient:task force:day:digest of the
items' keys``: two schedulers at once compute the same key and tell once.
"""

from __future__ import annotations

from app.core.reminders import RULES, Rule
from app.notify.rules.own import OWN_RULES
from app.notify.rules.runner import (
    SHOWN,
    RuleResult,
    current_context,
    due_rules,
    items_of,
    rule_named,
    run_all,
    run_rule,
)

__all__ = [
    "OWN_RULES",
    "RULES",
    "SHOWN",
    "Rule",
    "RuleResult",
    "current_context",
    "due_rules",
    "items_of",
    "rule_named",
    "run_all",
    "run_rule",
]
