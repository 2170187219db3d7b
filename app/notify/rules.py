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

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.i18n import gettext as _
from app.core.models import Notification
from app.core.permissions import EXEC_LEADER, LEADER, TEMP_MEMBER
from app.core.reminders import (
    DIGEST_SECTIONS,
    MONDAY,
    RULES,
    Grouping,
    Rule,
    RuleContext,
    as_datetime,
    question,
)
from app.core.scope import unscoped
from app.extensions import db
from app.issues.lights import LightRules, light_clause
from app.issues.models import FINISHED_STATUSES, OPEN_STATUSES, RED, Issue, Milestone
from app.notify.channels import BULLET
from app.notify.models import RuleOptOut, ToldItems
from app.notify.store import insert_or_skip, upsert
from app.people.models import Membership, TaskForce, User

SHOWN = 10  # the items a grouped message lists; the rest are counted


def current_context() -> RuleContext:
    """The context of a pass that starts now, with the settings of the application."""
    config = current_app.config
    return RuleContext(
        today=clock.today(),
        now=clock.now(),
        due_soon_days=config["REMINDER_DUE_SOON_DAYS"],
        stale_days=config["REMINDER_STALE_DAYS"],
        unacknowledged_days=config["REMINDER_UNACKNOWLEDGED_DAYS"],
        membership_days=config["REMINDER_MEMBERSHIP_DAYS"],
        light_rules=LightRules.current(),
    )


@dataclass
class RuleResult:
    rule: str
    matched: int = 0  # messages this pass considered (one per person and task force if grouped)
    written: int = 0
    items: int = 0  # rows the targets query matched
    messages: list[dict] = field(default_factory=list)


def _open_owned():
    return Issue.status.in_(OPEN_STATUSES), Issue.owner_id.is_not(None)


def _short_codes(codes: str | None, limit: int = 10) -> str:
    found = sorted(c for c in (codes or "").split(", ") if c)
    shown = ", ".join(found[:limit])
    return shown + (" …" if len(found) > limit else "")


# --- due soon ------------------------------------------------------------------------------


def _due_soon_items():
    # The same items as ``_open_owned``. Said as NOT IN the finished statuses, which no
    # index serves, so the narrow window of days leads: an engine without statistics
    # (SQLite) would otherwise walk every open item and its milestones, 10 times the work.
    return Issue.status.not_in(FINISHED_STATUSES), Issue.owner_id.is_not(None)


def _deadlines_and_milestones(owned, when) -> Select:
    """Items whose deadline, and milestones not done whose day, meets ``when``, as one
    kind of row (what, item, step, day) to the item's owner: the due-soon and overdue
    rules each list both in one message."""
    deadlines = select(
        Issue.owner_id.label("recipient_id"),
        Issue.task_force_id,
        Issue.id.label("subject_id"),
        literal("issue").label("what"),
        Issue.id.label("item_id"),
        Issue.code,
        Issue.title,
        literal("").label("step"),
        Issue.deadline.label("day"),
    ).where(*owned, when(Issue.deadline))
    milestones = (
        select(
            Issue.owner_id.label("recipient_id"),
            Issue.task_force_id,
            Issue.id.label("subject_id"),
            literal("milestone").label("what"),
            Milestone.id.label("item_id"),
            Issue.code,
            Issue.title,
            Milestone.title.label("step"),
            Milestone.due_on.label("day"),
        )
        .join(Issue, Issue.id == Milestone.issue_id)
        .where(*owned, Milestone.done_on.is_(None), when(Milestone.due_on))
    )
    return union_all(deadlines, milestones)


def _due_soon(ctx: RuleContext) -> Select:
    until = ctx.today + timedelta(days=ctx.due_soon_days)

    def window(day):
        return and_(day >= ctx.today, day <= until)

    return _deadlines_and_milestones(_due_soon_items(), window)


def _due_soon_text(row, ctx: RuleContext, extra) -> str:
    days = (row.day - ctx.today).days
    if row.what == "milestone":
        return _(
            "Milestone “%(step)s” of %(code)s %(title)s is due on %(day)s (in %(n)d days).",
            step=row.step,
            code=row.code,
            title=row.title,
            day=row.day.isoformat(),
            n=days,
        )
    return _(
        "%(code)s %(title)s is due on %(day)s (in %(n)d days).",
        code=row.code,
        title=row.title,
        day=row.day.isoformat(),
        n=days,
    )


def _due_soon_detail(row, ctx: RuleContext) -> str:
    days = (row.day - ctx.today).days
    if row.what == "milestone":
        return _(
            "milestone “%(step)s” due on %(day)s (in %(n)d days)",
            step=row.step,
            day=row.day.isoformat(),
            n=days,
        )
    return _("due on %(day)s (in %(n)d days)", day=row.day.isoformat(), n=days)


_DUE_SOON = Grouping(
    # Once per deadline: a moved deadline or milestone is told again.
    item_key=lambda row, ctx: f"{row.what}:{row.item_id}:{row.day.isoformat()}",
    order=lambda row: (row.day, row.code, row.step),
    heading=lambda rows, ctx: _(
        "%(n)d deadlines or milestones of your items are due within %(days)d days:",
        n=len(rows),
        days=ctx.due_soon_days,
    ),
    detail=_due_soon_detail,
)


# --- overdue -------------------------------------------------------------------------------


def _overdue(ctx: RuleContext) -> Select:
    """Open items past their deadline, and the milestones not done past their day, to the
    item's owner: one message lists both."""

    def past(day):
        return day < ctx.today

    return _deadlines_and_milestones(_open_owned(), past)


def _overdue_text(row, ctx: RuleContext, extra) -> str:
    if row.what == "milestone":
        return _(
            "Milestone “%(step)s” of %(code)s %(title)s is %(n)d days overdue (due on %(day)s).",
            step=row.step,
            code=row.code,
            title=row.title,
            n=(ctx.today - row.day).days,
            day=row.day.isoformat(),
        )
    return _(
        "%(code)s %(title)s is %(n)d days overdue (deadline %(day)s).",
        code=row.code,
        title=row.title,
        n=(ctx.today - row.day).days,
        day=row.day.isoformat(),
    )


def _overdue_heading(rows: list, ctx: RuleContext) -> str:
    if any(row.what == "milestone" for row in rows):
        return _("%(n)d deadlines or milestones of your items are overdue:", n=len(rows))
    return _("%(n)d of your items are overdue:", n=len(rows))


def _overdue_detail(row, ctx: RuleContext) -> str:
    days = (ctx.today - row.day).days
    if row.what == "milestone":
        return _(
            "milestone “%(step)s” %(n)d days overdue (due on %(day)s)",
            step=row.step,
            n=days,
            day=row.day.isoformat(),
        )
    return _("%(n)d days overdue (deadline %(day)s)", n=days, day=row.day.isoformat())


_OVERDUE = Grouping(
    # An item's key is its id and deadline, as before milestones joined the rule, so what
    # people were last told still matches; a milestone's names itself.
    item_key=lambda row, ctx: (
        f"milestone:{row.item_id}:{row.day.isoformat()}"
        if row.what == "milestone"
        else f"{row.subject_id}:{row.day.isoformat()}"
    ),
    order=lambda row: (row.day, row.code, row.step),  # the longest overdue first
    heading=_overdue_heading,
    detail=_overdue_detail,
    again_after=lambda ctx: 1,  # every day
)


def _leaders(roles: tuple[str, ...], per_task_force, ctx: RuleContext, outer: bool = False):
    """Leaders (by role) of every live task force, with an aggregate per task force."""
    query = (
        select(
            Membership.user_id.label("recipient_id"),
            Membership.task_force_id,
            Membership.task_force_id.label("subject_id"),
            TaskForce.name.label("task_force"),
            func.coalesce(per_task_force.c.n, 0).label("n"),
            per_task_force.c.codes,
        )
        .join(TaskForce, TaskForce.id == Membership.task_force_id)
        .join(
            per_task_force,
            per_task_force.c.task_force_id == Membership.task_force_id,
            isouter=outer,
        )
        .where(
            Membership.role.in_(roles),
            Membership.active_on(ctx.today),
            TaskForce.archived_at.is_(None),
        )
    )
    return query


def _overdue_weekly(ctx: RuleContext) -> Select:
    per_task_force = (
        select(
            Issue.task_force_id,
            func.count().label("n"),
            func.aggregate_strings(Issue.code, ", ").label("codes"),
        )
        .where(Issue.status.in_(OPEN_STATUSES), Issue.deadline < ctx.today)
        .group_by(Issue.task_force_id)
        .subquery()
    )
    return _leaders((EXEC_LEADER,), per_task_force, ctx)


def _overdue_weekly_text(row, ctx: RuleContext, extra) -> str:
    return _(
        "%(task_force)s: %(n)d items are overdue this week: %(codes)s",
        task_force=row.task_force,
        n=row.n,
        codes=_short_codes(row.codes),
    )


# --- stale ---------------------------------------------------------------------------------


def _last_activity():
    return func.coalesce(Issue.last_progress_at, Issue.created_at)


def _stale(ctx: RuleContext) -> Select:
    return select(
        Issue.owner_id.label("recipient_id"),
        Issue.task_force_id,
        Issue.id.label("subject_id"),
        Issue.code,
        Issue.title,
        _last_activity().label("last"),
    ).where(*_open_owned(), _last_activity() < ctx.now - timedelta(days=ctx.stale_days))


def _day_of(value) -> str:
    """The ISO day of a timestamp, or of SQLite's text for one, without parsing it."""
    return value[:10] if isinstance(value, str) else value.date().isoformat()


def _stale_days(row, ctx: RuleContext) -> int:
    return (ctx.now - as_datetime(row.last)).days


def _stale_text(row, ctx: RuleContext, extra) -> str:
    return _(
        "No progress update on %(code)s %(title)s for %(n)d days. Please record where it stands.",
        code=row.code,
        title=row.title,
        n=_stale_days(row, ctx),
    )


_STALE = Grouping(
    # Once when an item turns stale (its last activity names the episode), then the
    # whole list again every M days while any item stays stale.
    item_key=lambda row, ctx: f"{row.subject_id}:{_day_of(row.last)}",
    order=lambda row: (as_datetime(row.last), row.code),  # the longest quiet first
    heading=lambda rows, ctx: _(
        "%(n)d of your items have had no progress update for %(days)d days or more. "
        "Please record where they stand:",
        n=len(rows),
        days=ctx.stale_days,
    ),
    detail=lambda row, ctx: _("no progress update for %(n)d days", n=_stale_days(row, ctx)),
    again_after=lambda ctx: ctx.stale_days,
)


# --- unacknowledged assignment -------------------------------------------------------------


def _unacknowledged(ctx: RuleContext) -> Select:
    return select(
        Issue.owner_id.label("recipient_id"),
        Issue.task_force_id,
        Issue.id.label("subject_id"),
        Issue.code,
        Issue.title,
        Issue.assigned_at,
    ).where(
        *_open_owned(),
        Issue.acknowledged_at.is_(None),
        Issue.assigned_at < ctx.now - timedelta(days=ctx.unacknowledged_days),
    )


def _unacknowledged_text(row, ctx: RuleContext, extra) -> str:
    return _(
        "%(code)s %(title)s was assigned to you %(n)d days ago and is not acknowledged yet.",
        code=row.code,
        title=row.title,
        n=(ctx.now - row.assigned_at).days,
    )


_UNACKNOWLEDGED = Grouping(
    item_key=lambda row, ctx: f"{row.subject_id}:{row.assigned_at.isoformat()}",
    order=lambda row: (row.assigned_at, row.code),
    heading=lambda rows, ctx: _(
        "%(n)d items assigned to you are not acknowledged yet:", n=len(rows)
    ),
    detail=lambda row, ctx: _("assigned %(n)d days ago", n=(ctx.now - row.assigned_at).days),
)


# --- temporary membership ending -----------------------------------------------------------


def _membership_ending(ctx: RuleContext) -> Select:
    member = aliased(User)
    ending = (
        Membership.role == TEMP_MEMBER,
        Membership.left_on.is_(None),
        Membership.ends_on >= ctx.today,
        Membership.ends_on <= ctx.today + timedelta(days=ctx.membership_days),
    )
    columns = (
        Membership.task_force_id,
        Membership.id.label("subject_id"),
        member.display_name.label("member"),
        TaskForce.name.label("task_force"),
        Membership.ends_on.label("day"),
    )
    to_member = (
        select(Membership.user_id.label("recipient_id"), *columns, literal(True).label("own"))
        .join(member, member.id == Membership.user_id)
        .join(TaskForce, TaskForce.id == Membership.task_force_id)
        .where(*ending)
    )
    lead = aliased(Membership)
    to_leaders = (
        select(lead.user_id.label("recipient_id"), *columns, literal(False).label("own"))
        .join(member, member.id == Membership.user_id)
        .join(TaskForce, TaskForce.id == Membership.task_force_id)
        .join(lead, lead.task_force_id == Membership.task_force_id)
        .where(*ending, lead.role == EXEC_LEADER, lead.active_on(ctx.today))
    )
    return union_all(to_member, to_leaders)


def _membership_ending_text(row, ctx: RuleContext, extra) -> str:
    if row.own:
        return _(
            "Your temporary membership of %(task_force)s ends on %(day)s.",
            task_force=row.task_force,
            day=row.day.isoformat(),
        )
    return _(
        "The temporary membership of %(member)s in %(task_force)s ends on %(day)s.",
        member=row.member,
        task_force=row.task_force,
        day=row.day.isoformat(),
    )


# --- the weekly digest ---------------------------------------------------------------------


def _digest(ctx: RuleContext) -> Select:
    red = (
        select(
            Issue.task_force_id,
            func.count().label("n"),
            func.aggregate_strings(Issue.code, ", ").label("codes"),
        )
        .where(light_clause(ctx.light_rules, RED))
        .group_by(Issue.task_force_id)
        .subquery()
    )
    return _leaders((LEADER, EXEC_LEADER), red, ctx, outer=True)


def _digest_sections(ctx: RuleContext, rows: list) -> list[tuple[Any, dict[int, list[str]]]]:
    task_force_ids = sorted({row.task_force_id for row in rows})
    return [(section.title, section.lines(ctx, task_force_ids)) for section in DIGEST_SECTIONS]


def _digest_text(row, ctx: RuleContext, sections) -> str:
    parts = [
        _(
            "Weekly digest of %(task_force)s, week %(week)s.",
            task_force=row.task_force,
            week=ctx.week,
        )
    ]
    if row.n:
        parts.append(_("Red items: %(n)d (%(codes)s).", n=row.n, codes=_short_codes(row.codes)))
    else:
        parts.append(_("No red items."))
    for title, lines in sections or []:
        found = lines.get(row.task_force_id) or []
        if found:
            parts.append(f"{title}: " + "; ".join(found))
    return "\n".join(parts)


# --- the list ------------------------------------------------------------------------------

OWN_RULES: list[Rule] = [
    Rule(
        name="due_soon",
        label=_l("Deadline or milestone due soon"),
        subject_type="issue",
        targets=_due_soon,
        group=_DUE_SOON,
        message=_due_soon_text,
        link=lambda row: f"/issues/{row.subject_id}",
        order=10,
    ),
    Rule(
        name="overdue",
        label=_l("Overdue item (daily)"),
        subject_type="issue",
        targets=_overdue,
        group=_OVERDUE,
        message=_overdue_text,
        link=lambda row: f"/issues/{row.subject_id}",
        mandatory=True,
        order=20,
    ),
    Rule(
        name="overdue_weekly",
        label=_l("Overdue items of the task force (weekly, executive leader)"),
        subject_type="task_force",
        targets=_overdue_weekly,
        key=lambda row, ctx: (
            f"overdue_weekly:task_force:{row.task_force_id}:{row.recipient_id}:{ctx.week}"
        ),
        message=_overdue_weekly_text,
        link=lambda row: "/issues?light=red",
        weekday=MONDAY,
        order=30,
    ),
    Rule(
        name="stale",
        label=_l("No progress update for a while"),
        subject_type="issue",
        targets=_stale,
        group=_STALE,
        message=_stale_text,
        link=lambda row: f"/issues/{row.subject_id}",
        order=40,
    ),
    Rule(
        name="unacknowledged",
        label=_l("Assignment not acknowledged"),
        subject_type="issue",
        targets=_unacknowledged,
        group=_UNACKNOWLEDGED,
        message=_unacknowledged_text,
        link=lambda row: f"/issues/{row.subject_id}",
        mandatory=True,
        order=50,
    ),
    Rule(
        name="membership_ending",
        label=_l("Temporary membership ending soon"),
        subject_type="membership",
        targets=_membership_ending,
        key=lambda row, ctx: (
            f"membership_ending:{row.subject_id}:{row.recipient_id}:{row.day.isoformat()}"
        ),
        message=_membership_ending_text,
        link=lambda row: "/roster" if not row.own else "/",
        order=60,
    ),
    Rule(
        name="weekly_digest",
        label=_l("Weekly digest (Monday, leaders)"),
        subject_type="task_force",
        targets=_digest,
        key=lambda row, ctx: (
            f"weekly_digest:task_force:{row.task_force_id}:{row.recipient_id}:{ctx.week}"
        ),
        message=_digest_text,
        link=lambda row: "/",
        weekday=MONDAY,
        prepare=_digest_sections,
        order=70,
    ),
]


def rule_named(name: str) -> Rule:
    """:raise KeyError: for an unknown rule."""
    return RULES.named(name)


# --- the runner ----------------------------------------------------------------------------


def _matches(rule: Rule, ctx: RuleContext) -> list:
    targets = rule.targets(ctx).subquery()
    query = (
        select(targets, User.locale.label("locale"))
        .join(User, User.id == targets.c.recipient_id)
        .where(User.active.is_(True))
    )
    if not rule.mandatory:
        query = query.where(
            ~exists().where(
                RuleOptOut.user_id == targets.c.recipient_id, RuleOptOut.rule == rule.name
            )
        )
    # Plain rows through the connection: no ORM loading machinery for thousands of rows.
    return db.session.connection().execute(query).all()


def _in_languages(items: list, locale_of: Callable[[Any], str | None], build: Callable) -> list:
    """``build(item)`` for every item, in its recipient's language: one switch per locale."""
    built = []
    for locale, group in groupby(sorted(items, key=lambda i: locale_of(i) or ""), locale_of):
        with force_locale(locale or "zh_CN"):
            built.extend(build(item) for item in group)
    return built


def _messages(rule: Rule, ctx: RuleContext, rows: list) -> list[dict]:
    extra = rule.prepare(ctx, rows) if rule.prepare else None
    stamp = ctx.now
    return _in_languages(
        rows, lambda row: row.locale, lambda row: _message(rule, ctx, extra, stamp, row)
    )


def _message(rule: Rule, ctx: RuleContext, extra, stamp: datetime, row) -> dict:
    return {
        "recipient_id": row.recipient_id,
        "task_force_id": row.task_force_id,
        "kind": rule.name,
        "subject_type": rule.subject_type,
        "subject_id": row.subject_id,
        "link": rule.link(row),
        "text": rule.message(row, ctx, extra),
        "unique_key": rule.key(row, ctx)[:200],
        "created_at": stamp,
        "read_at": None,
    }


def run_rule(name: str, dry_run: bool = False, ctx: RuleContext | None = None) -> RuleResult:
    """Run one rule now: one query for its targets, one bulk insert-or-skip.

    A grouped rule reads what it last told as well (one more query) and writes one
    message per person and task force that has something to tell.
    With ``dry_run`` nothing is written; ``messages`` lists what would be sent, each
    with ``new`` telling whether it would be a new message.
    :raise KeyError: for an unknown rule.
    """
    rule = rule_named(name)
    ctx = ctx or current_context()
    with unscoped():
        rows = _matches(rule, ctx)
        if rule.group is not None:
            return _run_grouped(rule, ctx, rows, dry_run)
        messages = _messages(rule, ctx, rows)
        result = RuleResult(rule.name, matched=len(messages), items=len(rows))
        if dry_run:
            _mark_new(messages, {m["unique_key"] for m in messages})
            result.messages = messages
            db.session.rollback()
            return result
        result.written = _write(messages)
        db.session.commit()
    return result


def _write(messages: list[dict]) -> int:
    # In key order: two processes writing the same keys at once lock them in one order.
    messages.sort(key=lambda message: message["unique_key"])
    return insert_or_skip(Notification.__table__, messages, "unique_key")


def _mark_new(messages: list[dict], would_write: set[str]) -> None:
    existing = _existing_keys([m["unique_key"] for m in messages])
    for message in messages:
        key = message["unique_key"]
        message["new"] = key in would_write and key not in existing


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.session.scalars(
                select(Notification.unique_key).where(Notification.unique_key.in_(chunk))
            )
        )
    return found


# --- grouped rules: one message per person and task force ------------------------------------


@dataclass
class _Group:
    """One person's items of one rule in one task force, and whether to tell them now."""

    recipient_id: int
    task_force_id: int
    locale: str | None
    keyed: list[tuple[str, Any]]  # (the item's own key, its row)
    fresh: set[str]  # item keys the last message did not list
    first: bool  # no message told before: nothing is marked new
    tell: bool

    def listed(self, order: Callable[[Any], Any]) -> list[tuple[str, Any]]:
        """The items in the order the message lists them: the new ones first."""
        return sorted(self.keyed, key=lambda pair: (pair[0] not in self.fresh, order(pair[1])))

    def keys(self) -> list[str]:
        return sorted(key for key, _row in self.keyed)

    def unique_key(self, rule: Rule, ctx: RuleContext) -> str:
        digest = hashlib.blake2b(" ".join(self.keys()).encode(), digest_size=8).hexdigest()
        return f"{rule.name}:{self.recipient_id}:{self.task_force_id}:{ctx.today}:{digest}"


def _told(rule: Rule) -> dict[tuple[int, int], tuple[set[str], date]]:
    """What the rule last told each person per task force: one query."""
    rows = db.session.execute(
        select(
            ToldItems.recipient_id, ToldItems.task_force_id, ToldItems.items, ToldItems.told_on
        ).where(ToldItems.rule == rule.name)
    ).all()
    return {
        (row.recipient_id, row.task_force_id): (set(row.items.split()), row.told_on) for row in rows
    }


def _groups(rule: Rule, ctx: RuleContext, rows: list) -> list[_Group]:
    """Each person's items per task force, and whether there is something to tell.

    Cheap for the common case of nothing new: the items' keys are compared with the last
    message's; sorting and rendering wait for the groups that are told.
    """
    item_key = rule.group.item_key
    by_person: dict[tuple[int, int], list] = {}
    for row in rows:
        by_person.setdefault((row.recipient_id, row.task_force_id), []).append(
            (item_key(row, ctx), row)
        )
    told = _told(rule)
    again = rule.group.again_after(ctx)
    groups = []
    for (recipient_id, task_force_id), keyed in by_person.items():
        before, told_on = told.get((recipient_id, task_force_id), (set(), None))
        fresh = {key for key, _row in keyed if key not in before}
        repeat = told_on is not None and again is not None and (ctx.today - told_on).days >= again
        groups.append(
            _Group(
                recipient_id,
                task_force_id,
                keyed[0][1].locale,
                keyed,
                fresh,
                first=told_on is None,
                tell=bool(fresh) or repeat,
            )
        )
    return groups


def _run_grouped(rule: Rule, ctx: RuleContext, rows: list, dry_run: bool) -> RuleResult:
    groups = _groups(rule, ctx, rows)
    result = RuleResult(rule.name, matched=len(groups), items=len(rows))
    telling = groups if dry_run else [g for g in groups if g.tell]
    built = _in_languages(telling, lambda g: g.locale, lambda g: (g, _group_message(rule, ctx, g)))
    messages = [message for _group, message in built]
    if dry_run:
        _mark_new(messages, {m["unique_key"] for g, m in built if g.tell})
        result.messages = messages
        db.session.rollback()
        return result
    result.written = _write(messages)
    told = [
        {
            "rule": rule.name,
            "recipient_id": g.recipient_id,
            "task_force_id": g.task_force_id,
            "items": " ".join(g.keys()),
            "told_on": ctx.today,
        }
        for g in telling
    ]
    upsert(ToldItems.__table__, told, ("rule", "recipient_id", "task_force_id"))
    db.session.commit()
    return result


def _group_message(rule: Rule, ctx: RuleContext, group: _Group) -> dict:
    listed = group.listed(rule.group.order)
    first = listed[0][1]
    one = len(listed) == 1
    return {
        "recipient_id": group.recipient_id,
        "task_force_id": group.task_force_id,
        "kind": rule.name,
        "subject_type": rule.subject_type,
        "subject_id": first.subject_id if one else None,
        "link": rule.link(first) if one else f"/reminders/{rule.name}",
        "text": rule.message(first, ctx, None) if one else _group_text(rule, ctx, group, listed),
        "unique_key": group.unique_key(rule, ctx)[:200],
        "created_at": ctx.now,
        "read_at": None,
    }


def items_of(rule: Rule, recipient_id: int, task_force_id: int, ctx: RuleContext) -> list:
    """A grouped rule's items of one person in one task force now, in the message's order.

    The same query as the pass, narrowed: the page a grouped message links to.
    """
    targets = rule.targets(ctx).subquery()
    rows = db.session.execute(
        select(targets).where(
            targets.c.recipient_id == recipient_id, targets.c.task_force_id == task_force_id
        )
    ).all()
    return sorted(rows, key=rule.group.order)


def _group_text(rule: Rule, ctx: RuleContext, group: _Group, listed: list) -> str:
    grouping = rule.group
    lines = [grouping.heading([row for _key, row in listed], ctx)]
    for key, row in listed[:SHOWN]:
        values = {
            "code": row.code,
            "title": question(row.title, 40),
            "detail": grouping.detail(row, ctx),
        }
        new = not group.first and key in group.fresh
        lines.append(
            BULLET
            + (
                _("%(code)s %(title)s: %(detail)s (new)", **values)
                if new
                else _("%(code)s %(title)s: %(detail)s", **values)
            )
        )
    if len(listed) > SHOWN:
        lines.append(_("… and %(n)d more.", n=len(listed) - SHOWN))
    return "\n".join(lines)


def due_rules(ctx: RuleContext) -> list[Rule]:
    """The rules a daily pass runs today: every daily rule, weekly ones on their day."""
    return [r for r in RULES if r.weekday is None or r.weekday == ctx.today.weekday()]


def run_all(dry_run: bool = False) -> list[RuleResult]:
    """One full reminder pass: every rule due today (the benchmark times this)."""
    ctx = current_context()
    return [run_rule(rule.name, dry_run=dry_run, ctx=ctx) for rule in due_rules(ctx)]
