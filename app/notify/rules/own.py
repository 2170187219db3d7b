"""The rules about items, memberships and the weekly digest (``OWN_RULES``); how a
rule is written is told in ``notify/rules/__init__.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app.core.i18n import gettext as _
from app.core.permissions import EXEC_LEADER, LEADER, TEMP_MEMBER
from app.core.reminders import (
    DIGEST_SECTIONS,
    MONDAY,
    Grouping,
    Rule,
    RuleContext,
    as_datetime,
)
from app.issues.lights import light_clause
from app.issues.models import FINISHED_STATUSES, OPEN_STATUSES, RED, Issue, Milestone
from app.people.models import Membership, TaskForce, User


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
