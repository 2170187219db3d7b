"""Scorecards per member and per org unit, and incentives (正反两方面考核激励).

A scorecard covers a period [start, end] and is read as of today:

- owned: items (not dropped) created by the end of the period and not closed before it;
- closed: items closed within the period; on time: closed no later than their deadline
  (an item without a deadline counts as on time); the rate is on time / closed;
- overdue now: open items past their deadline today;
- median delay: over the items closed late within the period, the median of the days
  between the deadline and the closing;
- days since the last update: since the person's latest progress note (for an org unit:
  the latest note on its items), up to the end of the period;
- nudges received and escalations raised within the period (for an org unit: on its items);
- deadline extensions asked for within the period (by the person; for an org unit: on its
  items), and granted: those among them approved (decided, like asked, in the period);
- incentives: positive and negative ones dated within the period;
- goal figures (for an org unit): how it does on the broken-down goal figures it carries
  as they stood at the end of the period (up to today), from the providers of
  ``hooks.UNIT_RESULTS`` (the goal figures' own feature, a floor this one does not import).

Every figure comes from a grouped query; the number of queries is fixed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.core import audit, clock, hooks
from app.core.database import among_ids
from app.core.errors import NotFound, ValidationFailed
from app.core.freshness import kept_value
from app.core.i18n import pinyin_key, pinyin_order
from app.core.permissions import authorize
from app.decisions.extensions import APPROVED, DeadlineExtension
from app.decisions.models import (
    INCENTIVE_KINDS,
    NEGATIVE,
    POLARITIES,
    POSITIVE,
    Escalation,
    Incentive,
    Nudge,
)
from app.decisions.service.register import _local_day_start_utc
from app.extensions import db
from app.issues import tally
from app.issues.lights import LightRules
from app.issues.models import (
    CLOSED,
    DROPPED,
    OPEN_STATUSES,
    Issue,
    ProgressUpdate,
    count_items,
)
from app.people.models import Membership, OrgUnit, TaskForce, User

BY_MEMBER = "member"
BY_UNIT = "unit"
SORT_KEYS = (
    "name",
    "owned",
    "closed",
    "on_time_rate",
    "overdue_now",
    "median_delay",
    "days_since_update",
    "nudges",
    "escalations",
    "extensions_asked",
    "incentives",
    "attainment",
)


@dataclass
class ScoreLine:
    key: int | None
    name: str
    owned: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue_now: int = 0
    median_delay: float | None = None
    days_since_update: int | None = None
    nudges: int = 0
    escalations: int = 0
    extensions_asked: int = 0
    extensions_granted: int = 0
    positive: int = 0
    negative: int = 0
    goals: hooks.UnitResult | None = None  # by org unit: its broken-down goal figures

    @property
    def attainment(self) -> float | None:
        return self.goals.attainment if self.goals is not None else None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.closed_on_time / self.closed, 3) if self.closed else None

    @property
    def incentives(self) -> int:
        return self.positive - self.negative


@dataclass
class Period:
    start: date
    end: date

    @property
    def start_utc(self) -> datetime:
        return _local_day_start_utc(self.start)

    @property
    def end_utc(self) -> datetime:  # exclusive
        return _local_day_start_utc(self.end + timedelta(days=1))


def default_period() -> Period:
    """The last 90 days up to today."""
    today = clock.today()
    return Period(today - timedelta(days=89), today)


def scorecards(
    actor: User,
    task_force_id: int,
    period: Period,
    by: str = BY_MEMBER,
    sort: str = "name",
    only: User | None = None,
) -> list[ScoreLine]:
    """One line per active member (or per org unit with items), sorted by ``sort``
    (a leading ``-`` sorts descending); with ``only``, that person's line alone."""
    authorize(actor, "scorecard.view", task_force_id)
    return scorecard_lines(task_force_id, period, by, sort, only)


def scorecard_lines(
    task_force_id: int,
    period: Period,
    by: str = BY_MEMBER,
    sort: str = "name",
    only: User | None = None,
) -> list[ScoreLine]:
    """``scorecards`` without the permission check (the review pack)."""
    if period.end < period.start:
        raise ValidationFailed(_("The end must not be before the start."), "end")
    if only is not None:
        lines = {only.id: ScoreLine(only.id, only.display_name)}
    else:
        lines = _subjects(task_force_id, by)
    _count_items(lines, task_force_id, period, by)
    _count_late_closures(lines, task_force_id, period, by)
    _count_days_since_update(lines, task_force_id, period, by)
    _count_nudges_and_escalations(lines, task_force_id, period, by)
    _count_extensions(lines, task_force_id, period, by)
    if only is None:  # a person's record counts the incentives from its list
        _count_incentives(lines, task_force_id, period, by)
    if by == BY_UNIT and only is None:
        _add_goal_results(lines, task_force_id, period)
    result = list(lines.values())
    if by == BY_UNIT:
        result = [
            line
            for line in result
            if line.owned or line.closed or line.positive or line.negative or line.goals
        ]
    return sort_lines(result, sort)


def _group(by: str):
    return Issue.owner_id if by == BY_MEMBER else Issue.org_unit_id


def _closed_in(period: Period):
    return and_(
        Issue.status == CLOSED,
        Issue.closed_at >= period.start_utc,
        Issue.closed_at < period.end_utc,
    )


_ITEM_FIGURES = ("owned", "closed", "closed_on_time", "overdue_now")


def _item_clauses(period: Period) -> dict:
    """What each item figure admits, over ``Issue``: owned in the period, closed in it,
    closed on time, overdue now. A dropped item counts for none."""
    start, end = period.start_utc, period.end_utc
    counted = Issue.status != DROPPED
    closed_in_period = counted & _closed_in(period)
    on_time = or_(Issue.deadline.is_(None), clock.local_day(Issue.closed_at) <= Issue.deadline)
    clauses = (
        counted
        & (Issue.created_at < end)
        & or_(Issue.closed_at.is_(None), Issue.closed_at >= start),
        closed_in_period,
        closed_in_period & on_time,
        counted & Issue.status.in_(OPEN_STATUSES) & (Issue.deadline < clock.today()),
    )
    return dict(zip(_ITEM_FIGURES, clauses, strict=True))


def item_counts(task_force_id: int, period: Period, by: str) -> dict[int, tuple[int, ...]]:
    """Each member's (or unit's) item figures, in the order of ``_ITEM_FIGURES``.

    The default period, the one the page opens on, is counted by ``issues.tally``: kept
    per worker, task force and day, and moved by the items each change names (the first
    view after a change counted every item of the task force, half of the page's time at
    10,000 items). Any other period is counted afresh (``item_counts_afresh``)."""
    if period != default_period():
        return item_counts_afresh(task_force_id, period, by)
    counts = tally.counted(
        db.session.get(TaskForce, task_force_id),
        f"scorecards.{by}",
        lambda: _item_clauses(period),
        LightRules.current(),
        group=_group(by),
    )
    return {
        key: tuple(sums[name] for name in _ITEM_FIGURES)
        for key, sums in counts.groups.items()
        if key is not None
    }


def item_counts_afresh(task_force_id: int, period: Period, by: str) -> dict[int, tuple[int, ...]]:
    """``item_counts``, counted over every item."""
    group = _group(by)
    rows = db.session.execute(
        select(group, *(count_items().filter(c) for c in _item_clauses(period).values()))
        .where(Issue.task_force_id == task_force_id, group.is_not(None))
        .group_by(group)
    ).all()
    return {key: tuple(figures) for key, *figures in rows}


def _count_items(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """Owned, closed, closed on time, overdue now."""
    for key, figures in item_counts(task_force_id, period, by).items():
        line = lines.get(key)
        if line is not None:
            line.owned, line.closed, line.closed_on_time, line.overdue_now = figures


def _count_late_closures(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """The late closures' delays, for the medians."""
    for key, median in median_delays(task_force_id, period, by).items():
        if key in lines:
            lines[key].median_delay = median


def _late_closures(task_force_id: int, period: Period, by: str):
    return select(Issue.id, _group(by).label("subject"), Issue.closed_at, Issue.deadline).where(
        Issue.task_force_id == task_force_id,
        _closed_in(period),
        Issue.deadline.is_not(None),
        clock.local_day(Issue.closed_at) > Issue.deadline,
    )


def median_delays(task_force_id: int, period: Period, by: str) -> dict:
    """Each member's (or unit's) median delay of its late closures, in days. For the
    default period the late closures are kept as the items change (``tally.kept_rows``),
    as the item figures are; any other period is read afresh."""
    if period != default_period():
        return median_delays_afresh(task_force_id, period, by)
    return tally.kept_rows(
        db.session.get(TaskForce, task_force_id),
        ("scorecards.late", by, period.start, period.end),
        _late_closures(task_force_id, period, by),
        Issue.id,
        group=lambda row: row.subject,
        order=lambda row: row.id,
        make=_median_delays,
    )


def median_delays_afresh(task_force_id: int, period: Period, by: str) -> dict:
    groups: dict = {}
    for row in db.session.execute(_late_closures(task_force_id, period, by)):
        groups.setdefault(row.subject, []).append(row)
    return _median_delays(groups)


def _median_delays(groups: dict) -> dict:
    """Each subject's median delay in days, of its late closures' rows."""
    return {
        key: round(statistics.median(_days_late(r.closed_at, r.deadline) for r in rows), 1)
        for key, rows in groups.items()
    }


@lru_cache(maxsize=16384)
def _days_late(closed_at: datetime, deadline: date) -> int:
    """Remembered: the kept late closures are all measured again at each change."""
    return (clock.local_date(closed_at) - deadline).days


def _count_days_since_update(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """The latest progress note up to the end of the period."""
    end = period.end_utc
    if by == BY_MEMBER:
        # Each member's latest note found in the index of (task force, author, time): one
        # step per member, where grouping every note of the task force reads them all.
        last_note = (
            select(ProgressUpdate.created_at)
            .where(
                ProgressUpdate.task_force_id == task_force_id,
                ProgressUpdate.author_id == User.id,
                ProgressUpdate.created_at < end,
            )
            .order_by(ProgressUpdate.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        # In order: a kept value is the same whoever builds it first.
        latest = select(User.id, last_note).where(among_ids(User.id, list(lines))).order_by(User.id)
    else:
        latest = (
            select(Issue.org_unit_id, func.max(ProgressUpdate.created_at))
            .join(Issue, Issue.id == ProgressUpdate.issue_id)
            .where(ProgressUpdate.task_force_id == task_force_id, ProgressUpdate.created_at < end)
            .group_by(Issue.org_unit_id)
            .order_by(Issue.org_unit_id)
        )
    reference = min(clock.today(), period.end)

    def read() -> tuple:
        return tuple((key, at) for key, at in db.session.execute(latest))

    if by == BY_MEMBER:
        # Read from the notes and the people alone: kept until one of them changes.
        found = kept_value(
            "scorecards.last_notes",
            ("progress_update", "user"),
            read,
            (period.start, period.end, tuple(lines)),
            task_force_id,
        )
    else:
        found = read()
    for key, at in found:
        if key in lines and at is not None:
            lines[key].days_since_update = max((reference - clock_day(at)).days, 0)


def _count_nudges_and_escalations(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """Nudges received and escalations raised within the period."""
    start, end = period.start_utc, period.end_utc
    if by == BY_MEMBER:
        nudges = select(Nudge.recipient_id, func.count(Nudge.id)).group_by(Nudge.recipient_id)
        escalations = select(Escalation.raised_by_id, func.count(Escalation.id)).group_by(
            Escalation.raised_by_id
        )
    else:
        nudges = (
            select(Issue.org_unit_id, func.count(Nudge.id))
            .join(Issue, Issue.id == Nudge.issue_id)
            .group_by(Issue.org_unit_id)
        )
        escalations = (
            select(Issue.org_unit_id, func.count(Escalation.id))
            .join(Issue, Issue.id == Escalation.issue_id)
            .group_by(Issue.org_unit_id)
        )
    nudges = nudges.where(
        Nudge.task_force_id == task_force_id, Nudge.sent_at >= start, Nudge.sent_at < end
    )
    escalations = escalations.where(
        Escalation.task_force_id == task_force_id,
        Escalation.raised_at >= start,
        Escalation.raised_at < end,
    )

    def counted() -> tuple[dict, dict]:
        return dict(db.session.execute(nudges).all()), dict(db.session.execute(escalations).all())

    if by == BY_MEMBER:
        # Read from these two tables alone: kept until one of them changes.
        counts = kept_value(
            "scorecards.nudges",
            ("nudge", "escalation"),
            counted,
            (period.start, period.end),
            task_force_id,
        )
    else:
        counts = counted()
    for figure, per_subject in zip(("nudges", "escalations"), counts, strict=True):
        for key, n in per_subject.items():
            if key in lines:
                setattr(lines[key], figure, n)


def _count_extensions(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """Deadline extensions asked for within the period, and how many of them were granted:
    one query."""
    subject = DeadlineExtension.requested_by_id if by == BY_MEMBER else Issue.org_unit_id
    stmt = select(
        subject,
        func.count(DeadlineExtension.id),
        func.count(DeadlineExtension.id).filter(DeadlineExtension.status == APPROVED),
    )
    if by != BY_MEMBER:
        stmt = stmt.join(Issue, Issue.id == DeadlineExtension.issue_id)
    stmt = stmt.where(
        DeadlineExtension.task_force_id == task_force_id,
        DeadlineExtension.requested_at >= period.start_utc,
        DeadlineExtension.requested_at < period.end_utc,
    ).group_by(subject)
    for key, asked, granted in db.session.execute(stmt):
        if key in lines:
            lines[key].extensions_asked, lines[key].extensions_granted = asked, granted


def _count_incentives(lines: dict, task_force_id: int, period: Period, by: str) -> None:
    """Incentives dated within the period, positive and negative."""
    subject = Incentive.user_id if by == BY_MEMBER else Incentive.org_unit_id
    for key, polarity, n in db.session.execute(
        select(subject, Incentive.polarity, func.count(Incentive.id))
        .where(
            Incentive.task_force_id == task_force_id,
            Incentive.awarded_on >= period.start,
            Incentive.awarded_on <= period.end,
            subject.is_not(None),
        )
        .group_by(subject, Incentive.polarity)
    ):
        if key in lines:
            if polarity == POSITIVE:
                lines[key].positive = n
            else:
                lines[key].negative = n


def _add_goal_results(lines: dict, task_force_id: int, period: Period) -> None:
    """Each org unit's results on the goal figures it carries, at the period's end (not
    beyond today)."""
    day = min(period.end, clock.today())
    for result in hooks.UNIT_RESULTS.collect(task_force_id, day):
        if result.org_unit_id in lines:
            lines[result.org_unit_id].goals = result


def clock_day(instant: datetime) -> date:
    """The local calendar day of an instant."""
    return clock.local_date(instant)


def _subjects(task_force_id: int, by: str) -> dict[int, ScoreLine]:
    if by == BY_MEMBER:
        rows = db.session.execute(
            select(User.id, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.task_force_id == task_force_id,
                Membership.active_on(clock.today()),
                Membership.role != "viewer",
            )
            .order_by(pinyin_order(User.display_name))
        ).all()
    else:
        rows = db.session.execute(
            select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.sort_order, OrgUnit.name)
        ).all()
    return {key: ScoreLine(key, name) for key, name in rows}


def sort_lines(lines: list[ScoreLine], sort: str) -> list[ScoreLine]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = "name", False
    if key == "name":
        return sorted(lines, key=lambda line: pinyin_key(line.name), reverse=descending)
    # Lines without a value (no closures, no updates) go last either way.
    present = [line for line in lines if getattr(line, key) is not None]
    missing = [line for line in lines if getattr(line, key) is None]
    present.sort(key=lambda line: (getattr(line, key), pinyin_key(line.name)), reverse=descending)
    return present + sorted(missing, key=lambda line: pinyin_key(line.name))


# --- incentives ------------------------------------------------------------------------------


@dataclass
class IncentiveInput:
    polarity: str
    kind: str
    reason: str
    awarded_on: date
    user_id: int | None = None
    org_unit_id: int | None = None
    issue_id: int | None = None


def record_incentive(actor: User, task_force_id: int, data: IncentiveInput) -> Incentive:
    """The leader or executive leader records a positive or negative incentive.

    :raise ValidationFailed: without a person or org unit, a reason, or on unknown codes.
    """
    authorize(actor, "incentive.manage", task_force_id)
    if data.polarity not in POLARITIES:
        raise ValidationFailed(_("Choose positive or negative."), "polarity")
    if data.kind not in INCENTIVE_KINDS:
        raise ValidationFailed(_("Choose a type."), "kind")
    if data.user_id is None and data.org_unit_id is None:
        raise ValidationFailed(_("Choose a person or an org unit."), "user_id")
    if not (data.reason or "").strip():
        raise ValidationFailed(_("Give a reason."), "reason")
    if data.user_id is not None:
        on_roster = db.session.scalar(
            select(Membership.id).where(
                Membership.task_force_id == task_force_id, Membership.user_id == data.user_id
            )
        )
        if on_roster is None:
            raise ValidationFailed(_("The person must be on the task force's roster."), "user_id")
    if data.org_unit_id is not None and db.session.get(OrgUnit, data.org_unit_id) is None:
        raise ValidationFailed(_("Unknown org unit."), "org_unit_id")
    if data.issue_id is not None:
        found = db.session.scalar(
            select(Issue.id).where(Issue.id == data.issue_id, Issue.task_force_id == task_force_id)
        )
        if found is None:
            raise ValidationFailed(_("Unknown item."), "issue_id")
    incentive = Incentive(
        task_force_id=task_force_id,
        polarity=data.polarity,
        kind=data.kind,
        user_id=data.user_id,
        org_unit_id=data.org_unit_id,
        reason=data.reason.strip(),
        issue_id=data.issue_id,
        awarded_on=data.awarded_on,
        recorded_by_id=actor.id,
    )
    db.session.add(incentive)
    db.session.flush()
    audit.record(
        actor,
        "recorded",
        incentive,
        {"polarity": [None, data.polarity], "kind": [None, data.kind]},
        summary=incentive.reason[:120],
    )
    return incentive


def incentives(
    actor: User, task_force_id: int, user_id: int | None = None, limit: int = 200
) -> list[Incentive]:
    authorize(actor, "scorecard.view", task_force_id)
    stmt = (
        select(Incentive)
        .where(Incentive.task_force_id == task_force_id)
        .options(
            joinedload(Incentive.user), joinedload(Incentive.org_unit), joinedload(Incentive.issue)
        )
        .order_by(Incentive.awarded_on.desc(), Incentive.id.desc())
        .limit(limit)
    )
    if user_id is not None:
        stmt = stmt.where(Incentive.user_id == user_id)
    return list(db.session.scalars(stmt))


@dataclass
class PersonRecord:
    user: User
    line: ScoreLine | None
    incentives: list[Incentive] = field(default_factory=list)
    negative_total: int = 0
    positive_total: int = 0


def person_record(actor: User, task_force_id: int, user: User, period: Period) -> PersonRecord:
    """A person's scorecard line for the period and every incentive they received.

    :raise NotFound: for anyone who is not and never was on the task force's roster.
    """
    authorize(actor, "scorecard.view", task_force_id)
    ever_member = db.session.scalar(
        select(Membership.id)
        .where(Membership.task_force_id == task_force_id, Membership.user_id == user.id)
        .limit(1)
    )
    if ever_member is None:
        raise NotFound("not on this task force's roster")
    line = scorecards(actor, task_force_id, period, BY_MEMBER, only=user)[0]
    given = incentives(actor, task_force_id, user_id=user.id)
    in_period = [i for i in given if period.start <= i.awarded_on <= period.end]
    line.positive = sum(1 for i in in_period if i.polarity == POSITIVE)
    line.negative = len(in_period) - line.positive
    return PersonRecord(
        user=user,
        line=line,
        incentives=given,
        positive_total=sum(1 for i in given if i.polarity == POSITIVE),
        negative_total=sum(1 for i in given if i.polarity == NEGATIVE),
    )
