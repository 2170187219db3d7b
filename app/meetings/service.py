"""The rules of meetings: series and their occurrences, the agenda built from the data,
attendance, minutes, publishing, action items, figures for the review.

Every function that writes takes the acting user, checks the permission table and the
object-level rule (the chair and the leaders run a meeting; attendees read) and writes the
audit event; it flushes at most, and the request's or the command's boundary commits
(``core.unit``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil import rrule
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.core import audit, clock, hooks
from app.core.errors import (
    ConfirmationRequired,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from app.core.forms import WEB_LINK_MESSAGE, is_web_link
from app.core.i18n import format_clock
from app.core.outbox import notify
from app.core.permissions import authorize
from app.core.quarters import Quarter
from app.core.scope import get_in_scope, unscoped
from app.core.service import check_version
from app.extensions import db
from app.issues import service as issues
from app.issues.asof import quarter_figures
from app.issues.labels import STATUS_LABELS
from app.issues.lights import LightRules, light_clause, light_expression
from app.issues.models import (
    OPEN_STATUSES,
    RED,
    YELLOW,
    Issue,
    Subtask,
)
from app.meetings.models import (
    ATTENDANCE,
    CADENCES,
    CANCELLED,
    HELD,
    KINDS,
    ONE_ON_ONE,
    PLANNED,
    PROGRESS,
    PUBLISHED,
    ActionItem,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingSeries,
)
from app.people import roster
from app.people.models import OrgUnit, User

PLAN_AHEAD = 8


def _get(model, ident):
    return get_in_scope(db.session, model, ident)


def is_future(meeting: Meeting) -> bool:
    """Whether ``meeting`` has not started yet: the one comparison of a meeting's time with
    now that the rules make (marking held, publishing). Both are instants."""
    return meeting.starts_at > clock.now()


def _require_run(actor: User, meeting: Meeting) -> None:
    """The chair and the leaders edit a meeting's agenda, attendance and minutes
    (``meeting.run`` in the permission table)."""
    authorize(
        actor,
        "meeting.run",
        meeting,
        message=_("Only the chair or the leaders may change this meeting."),
    )


# --- recurrence ----------------------------------------------------------------------------


def _monthly(start: date, interval: int) -> rrule.rrule:
    # The 29th, 30th or 31st falls on the month's last day when the month is shorter.
    day = start.day
    if day <= 28:
        return rrule.rrule(rrule.MONTHLY, interval=interval, dtstart=start, bymonthday=day)
    return rrule.rrule(
        rrule.MONTHLY,
        interval=interval,
        dtstart=start,
        bymonthday=tuple(range(28, day + 1)),
        bysetpos=-1,
    )


def recurrence(cadence: str, starts_on: date, rule: str = ""):
    """The series' rule as a dateutil rrule (dates at midnight).

    :raise ValidationFailed: on an unknown cadence or a custom rule that does not parse.
    """
    start = datetime.combine(starts_on, time())  # dateutil counts in naive calendar days
    if cadence == "weekly":
        return rrule.rrule(rrule.WEEKLY, dtstart=start)
    if cadence == "monthly":
        return _monthly(start, 1)
    if cadence == "quarterly":
        return _monthly(start, 3)
    if cadence == "custom":
        text = (rule or "").strip()
        if text.upper().startswith("RRULE:"):
            text = text[6:]
        if not text or "\n" in text:
            raise ValidationFailed(
                _("Write a recurrence rule, e.g. FREQ=MONTHLY;BYDAY=-1FR."), "rrule"
            )
        try:
            return rrule.rrulestr(text, dtstart=start)
        except (ValueError, TypeError):
            raise ValidationFailed(_("This recurrence rule is not valid."), "rrule") from None
    raise ValidationFailed(_("Unknown cadence."), "cadence")


def occurrence_days(series: MeetingSeries, until: date, ahead: int = 0) -> list[date]:
    """Every day the rule gives up to ``until``, then ``ahead`` more after it."""
    days: list[date] = []
    extra = 0
    for moment in recurrence(series.cadence, series.starts_on, series.rrule):
        day = moment.date()
        if day > until:
            if extra >= ahead:
                break
            extra += 1
        days.append(day)
        if len(days) > 2000:  # a rule firing daily for years: stop somewhere sane
            break
    return days


def _start_time(series: MeetingSeries) -> time:
    hour, minute = (int(part) for part in series.start_time.split(":"))
    return time(hour, minute)


def _counterpart(series: MeetingSeries, number: int) -> tuple[int | None, int | None]:
    if series.kind != ONE_ON_ONE or not series.counterparts:
        return None, None
    entry = series.counterparts[(number - 1) % len(series.counterparts)]
    return entry.get("user"), entry.get("unit")


def plan_occurrences(series: MeetingSeries, ahead: int = PLAN_AHEAD) -> list[Meeting]:
    """Add the occurrences not planned yet: every past one and ``ahead`` to come.

    A moved or cancelled occurrence keeps its ``scheduled_on`` day, so planning again
    never brings it back. The caller commits.
    """
    existing = {
        day: number
        for day, number in db.session.execute(
            select(Meeting.scheduled_on, Meeting.number).where(Meeting.series_id == series.id)
        )
    }
    added = []
    at = _start_time(series)
    for number, day in enumerate(occurrence_days(series, clock.today(), ahead), start=1):
        if day in existing:
            continue
        user_id, unit_id = _counterpart(series, number)
        meeting = Meeting(
            task_force_id=series.task_force_id,
            series_id=series.id,
            number=number,
            title=series.name,
            kind=series.kind,
            scheduled_on=day,
            starts_at=clock.at(day, at),
            duration_minutes=series.duration_minutes,
            place=series.place,
            online_link=series.online_link,
            status=PLANNED,
            chair_id=series.chair_id,
            counterpart_user_id=user_id,
            counterpart_unit_id=unit_id,
        )
        db.session.add(meeting)
        added.append(meeting)
    db.session.flush()
    attendees = set(series.attendee_ids or []) | {series.chair_id}
    for meeting in added:
        invited = set(attendees)
        if meeting.counterpart_user_id:
            invited.add(meeting.counterpart_user_id)
        for user_id in sorted(invited):
            db.session.add(
                Attendance(
                    task_force_id=series.task_force_id, meeting_id=meeting.id, user_id=user_id
                )
            )
    return added


# --- series --------------------------------------------------------------------------------


@dataclass
class SeriesInput:
    name: str
    kind: str
    cadence: str
    starts_on: date
    chair_id: int
    start_time: str = "09:30"
    duration_minutes: int = 60
    rrule: str = ""
    place: str = ""
    online_link: str = ""
    agenda_template: str = ""
    attendee_ids: list[int] = field(default_factory=list)
    counterpart_user_ids: list[int] = field(default_factory=list)
    counterpart_unit_ids: list[int] = field(default_factory=list)


def _check_series(task_force_id: int, data: SeriesInput) -> None:
    if data.online_link.strip() and not is_web_link(data.online_link.strip()):
        raise ValidationFailed(str(WEB_LINK_MESSAGE), "online_link")
    if data.kind not in KINDS:
        raise ValidationFailed(_("Unknown kind of meeting."), "kind")
    if data.cadence not in CADENCES:
        raise ValidationFailed(_("Unknown cadence."), "cadence")
    recurrence(data.cadence, data.starts_on, data.rrule)
    try:
        hour, minute = (int(p) for p in data.start_time.split(":"))
        time(hour, minute)
    except (ValueError, TypeError):
        raise ValidationFailed(_("Write the time as HH:MM."), "start_time") from None
    members = roster.active_member_ids(task_force_id)
    if data.chair_id not in members:
        raise ValidationFailed(_("The chair must be on the task force's roster."), "chair_id")
    if any(uid not in members for uid in data.attendee_ids):
        raise ValidationFailed(_("Attendees must be on the task force's roster."), "attendee_ids")
    if any(uid not in members for uid in data.counterpart_user_ids):
        raise ValidationFailed(
            _("Counterparts must be on the task force's roster."), "counterpart_user_ids"
        )


def create_series(actor: User, task_force_id: int, data: SeriesInput) -> MeetingSeries:
    authorize(actor, "meeting.manage", task_force_id)
    _check_series(task_force_id, data)
    series = MeetingSeries(
        task_force_id=task_force_id,
        name=data.name.strip(),
        kind=data.kind,
        cadence=data.cadence,
        rrule=data.rrule.strip() if data.cadence == "custom" else "",
        starts_on=data.starts_on,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        chair_id=data.chair_id,
        place=data.place.strip(),
        online_link=data.online_link.strip(),
        agenda_template=data.agenda_template.strip(),
        attendee_ids=sorted(set(data.attendee_ids)),
        counterparts=[{"user": uid} for uid in data.counterpart_user_ids]
        + [{"unit": uid} for uid in data.counterpart_unit_ids],
    )
    db.session.add(series)
    db.session.flush()
    planned = plan_occurrences(series)
    audit.record(
        actor,
        "created",
        series,
        {"name": [None, series.name], "cadence": [None, series.cadence]},
        summary=f"{series.name} ({len(planned)})",
    )
    return series


def update_series(
    actor: User, series: MeetingSeries, data: SeriesInput, version: int | None
) -> dict:
    """Change a series; its planned meetings to come follow (those moved by hand keep
    their time). The kind, cadence and first day stay as they were: a different rhythm
    is a new series.
    """
    authorize(actor, "meeting.manage", series.task_force_id)
    check_version(series, version)
    data.kind, data.cadence, data.rrule, data.starts_on = (
        series.kind,
        series.cadence,
        series.rrule,
        series.starts_on,
    )
    _check_series(series.task_force_id, data)
    old_time = series.start_time
    changes = audit.apply_changes(
        series,
        {
            "name": data.name.strip(),
            "start_time": data.start_time,
            "duration_minutes": data.duration_minutes,
            "chair_id": data.chair_id,
            "place": data.place.strip(),
            "online_link": data.online_link.strip(),
            "agenda_template": data.agenda_template.strip(),
            "attendee_ids": sorted(set(data.attendee_ids)),
            "counterparts": [{"user": uid} for uid in data.counterpart_user_ids]
            + [{"unit": uid} for uid in data.counterpart_unit_ids],
        },
    )
    if not changes:
        return changes
    today = clock.start_of_day(clock.today())
    coming = db.session.scalars(
        select(Meeting).where(
            Meeting.series_id == series.id, Meeting.status == PLANNED, Meeting.starts_at >= today
        )
    ).all()
    invited: dict[int, dict[int, Attendance]] = defaultdict(dict)
    for row in db.session.scalars(
        select(Attendance).where(Attendance.meeting_id.in_([m.id for m in coming]))
    ):
        invited[row.meeting_id][row.user_id] = row
    at = _start_time(series)
    wanted_base = set(series.attendee_ids) | {series.chair_id}
    for meeting in coming:
        before = (meeting.starts_at, meeting.place, meeting.online_link, meeting.duration_minutes)
        wall = clock.local(meeting.starts_at)
        by_hand = wall.date() != meeting.scheduled_on or wall.strftime("%H:%M") != old_time
        if not by_hand:
            meeting.starts_at = clock.at(meeting.scheduled_on, at)
        meeting.title = series.name
        meeting.place = series.place
        meeting.online_link = series.online_link
        meeting.duration_minutes = series.duration_minutes
        meeting.chair_id = series.chair_id
        user_id, unit_id = _counterpart(series, meeting.number)
        meeting.counterpart_user_id, meeting.counterpart_unit_id = user_id, unit_id
        wanted = wanted_base | ({user_id} if user_id else set())
        rows = invited[meeting.id]
        for uid in wanted - set(rows):
            db.session.add(
                Attendance(task_force_id=series.task_force_id, meeting_id=meeting.id, user_id=uid)
            )
        for uid, row in rows.items():
            if uid not in wanted and row.status is None:
                db.session.delete(row)
        after = (meeting.starts_at, meeting.place, meeting.online_link, meeting.duration_minutes)
        if after != before:
            meeting.ical_sequence += 1
    audit.record(actor, "updated", series, changes, summary=series.name)
    return changes


def plan_ahead(actor: User, series: MeetingSeries) -> int:
    authorize(actor, "meeting.manage", series.task_force_id)
    added = plan_occurrences(series)
    if added:
        audit.record(actor, "planned", series, summary=f"{series.name} +{len(added)}")
    return len(added)


def get_series(series_id) -> MeetingSeries:
    return _get(MeetingSeries, series_id)


def list_series(actor: User, task_force_id: int) -> list[MeetingSeries]:
    authorize(actor, "meeting.view", task_force_id)
    return list(
        db.session.scalars(
            select(MeetingSeries)
            .where(MeetingSeries.task_force_id == task_force_id)
            .options(joinedload(MeetingSeries.chair))
            .order_by(MeetingSeries.kind, MeetingSeries.id)
        )
    )


def series_meetings(series: MeetingSeries) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.series_id == series.id)
            .options(joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit))
            .order_by(Meeting.starts_at)
        )
    )


def upcoming_and_recent(task_force_id: int, limit: int = 10) -> tuple[list, list]:
    now = clock.start_of_day(clock.today())
    base = select(Meeting).options(
        joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit)
    )
    upcoming = db.session.scalars(
        base.where(Meeting.task_force_id == task_force_id, Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()
    recent = db.session.scalars(
        base.where(Meeting.task_force_id == task_force_id, Meeting.starts_at < now)
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    ).all()
    return list(upcoming), list(recent)


# --- one occurrence ------------------------------------------------------------------------


def get_meeting(meeting_id) -> Meeting:
    return _get(Meeting, meeting_id)


def load_meeting(actor: User, meeting_id, with_agenda: bool = False) -> Meeting:
    """The meeting, the one before it in its series and (``with_agenda``) its agenda items,
    in one query: the meeting's page shows them all."""
    try:
        ident = int(meeting_id)
    except (TypeError, ValueError):
        raise NotFound("meeting not found") from None
    before = aliased(Meeting)
    previous_id = (
        select(before.id)
        .where(
            before.series_id == Meeting.series_id,
            before.starts_at < Meeting.starts_at,
            before.status.in_((HELD, PUBLISHED)),
        )
        .order_by(before.starts_at.desc())
        .limit(1)
        .correlate(Meeting)
        .scalar_subquery()
    )
    previous = aliased(Meeting)
    options = [
        joinedload(Meeting.series),
        joinedload(Meeting.chair),
        joinedload(Meeting.counterpart_user),
        joinedload(Meeting.counterpart_unit),
    ]
    if with_agenda:
        options.append(joinedload(Meeting.agenda_items))
    row = (
        db.session.execute(
            select(Meeting, previous)
            .outerjoin(previous, previous.id == previous_id)
            .where(Meeting.id == ident)
            .options(*options)
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        raise NotFound("meeting not found")
    meeting, meeting._previous = row
    authorize(actor, "meeting.view", meeting.task_force_id)
    return meeting


def move_meeting(
    actor: User, meeting: Meeting, starts_at: datetime, place: str | None = None
) -> None:
    """Move one occurrence (a public holiday, the leader away) without touching the series."""
    authorize(actor, "meeting.manage", meeting.task_force_id)
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be moved."))
    values = {"starts_at": starts_at}
    if place is not None:
        values["place"] = place.strip()
    changes = audit.apply_changes(meeting, values)
    if changes:
        meeting.ical_sequence += 1
        audit.record(actor, "moved", meeting, changes, summary=meeting.title)


def cancel_meeting(actor: User, meeting: Meeting) -> None:
    authorize(actor, "meeting.manage", meeting.task_force_id)
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be cancelled."))
    meeting.status = CANCELLED
    meeting.ical_sequence += 1
    audit.record(
        actor, "cancelled", meeting, {"status": [PLANNED, CANCELLED]}, summary=meeting.title
    )


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last meeting of the same series that took place before this one."""
    if "_previous" in vars(meeting):  # read along with the meeting by load_meeting
        return meeting._previous
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.starts_at < meeting.starts_at,
            Meeting.status.in_((HELD, PUBLISHED)),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    ).first()


# --- the agenda built from the data --------------------------------------------------------


def _issue_line(issue: Issue) -> str:
    return f"{issue.code} {issue.title}"


def _deadline(issue: Issue) -> str:
    return issue.deadline.isoformat() if issue.deadline else ""


def _issue_proposal(section: str, issue: Issue, detail: str = "") -> hooks.AgendaProposal:
    return hooks.AgendaProposal(
        section=section,
        title=_issue_line(issue),
        url=f"/issues/{issue.id}",
        subject_type="issue",
        subject_id=issue.id,
        detail=detail,
    )


def _open_actions(meeting_id: int) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.meeting_id == meeting_id)
            .options(
                joinedload(ActionItem.owner),
                joinedload(ActionItem.subtask),
                joinedload(ActionItem.issue),
            )
            .order_by(ActionItem.id)
        )
    )


def _progress_agenda(
    meeting: Meeting, since: date | None, previous: Meeting | None, previous_actions
) -> list:
    rules = LightRules.current()
    light = light_expression(rules).label("light")
    flagged = and_(
        Issue.status.in_(OPEN_STATUSES),
        or_(light_clause(rules, RED), light_clause(rules, YELLOW)),
    )
    wanted = flagged
    if since is not None:
        changed = and_(
            Issue.updated_at >= clock.start_of_day(since),
            Issue.updated_at < clock.start_of_day(meeting.scheduled_on),
        )
        wanted = or_(flagged, changed)
    # One query for the red, the yellow and the changed items.
    rows = db.session.execute(
        select(Issue, light)
        .where(Issue.task_force_id == meeting.task_force_id, wanted)
        .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.id)
    ).all()
    sections = {RED: _("Red items"), YELLOW: _("Yellow items")}
    proposals = []
    for wanted_light in (RED, YELLOW):
        for issue, lt in rows:
            if lt == wanted_light:
                proposals.append(_issue_proposal(sections[lt], issue, _deadline(issue)))
    if since is not None:
        recent = sorted(
            (issue for issue, lt in rows if lt not in sections), key=lambda i: i.updated_at
        )
        for issue in reversed(recent):
            if issue.updated_at < clock.start_of_day(since):
                continue
            proposals.append(
                _issue_proposal(
                    _("Changed since the last meeting"), issue, str(STATUS_LABELS[issue.status])
                )
            )
    if previous is not None:
        proposals.extend(_previous_actions_proposals(previous, previous_actions))
    return proposals


def _previous_actions_proposals(previous: Meeting, actions: list | None = None) -> list:
    if actions is None:
        actions = _open_actions(previous.id)
    return [
        hooks.AgendaProposal(
            section=_("Open action items from last time"),
            title=action.title,
            url=f"/meetings/{previous.id}#actions",
            subject_type="action_item",
            subject_id=action.id,
            detail=action.owner.display_name if action.owner else "",
        )
        for action in actions
        if not action.done
    ]


def _one_on_one_agenda(meeting: Meeting, previous: Meeting | None, previous_actions) -> list:
    tf = meeting.task_force_id
    if meeting.counterpart_user_id:
        who = Issue.owner_id == meeting.counterpart_user_id
    elif meeting.counterpart_unit_id:
        who = Issue.org_unit_id == meeting.counterpart_unit_id
    else:
        return []
    day = meeting.scheduled_on
    items = db.session.scalars(
        select(Issue)
        .where(Issue.task_force_id == tf, Issue.status.in_(OPEN_STATUSES), who)
        .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.id)
    ).all()
    proposals = []
    for issue in items:
        if issue.owner_id and issue.acknowledged_at is None:
            section = _("Not acknowledged")
        elif issue.deadline is not None and issue.deadline < day:
            section = _("Overdue")
        else:
            section = _("Open items")
        proposals.append(
            hooks.AgendaProposal(
                section=section,
                title=_issue_line(issue),
                url=f"/issues/{issue.id}",
                subject_type="issue",
                subject_id=issue.id,
                detail=issue.deadline.isoformat() if issue.deadline else "",
            )
        )
    order = {_("Overdue"): 0, _("Not acknowledged"): 1, _("Open items"): 2}
    proposals.sort(key=lambda p: order[p.section])
    if previous is not None:
        proposals.extend(_previous_actions_proposals(previous, previous_actions))
    return proposals


def _review_agenda(meeting: Meeting) -> list:
    quarter = Quarter.of(meeting.scheduled_on).previous()
    figures = quarter_figures(meeting.task_force_id, quarter)
    section = _("The quarter in figures")
    period = f"{quarter.first_day.isoformat()} – {quarter.last_day.isoformat()}"
    lines = [
        (_("Items raised"), figures.raised),
        (_("Items closed"), figures.closed),
        (_("Closed on time"), figures.closed_on_time),
        (_("Open at the quarter's end"), figures.open_at_end),
        (_("Overdue at the quarter's end"), figures.overdue_at_end),
    ]
    return [
        hooks.AgendaProposal(section=section, title=f"{label}: {value}", detail=period)
        for label, value in lines
    ]


_UNSET = object()


def build_agenda(
    meeting: Meeting, previous=_UNSET, previous_actions: list | None = None
) -> list[hooks.AgendaProposal]:
    """What the agenda of ``meeting`` proposes, from the data as of today.

    Progress meeting: red and yellow items, items changed since the last meeting, open
    action items from last time. One-on-one: the counterpart's overdue, unacknowledged
    and open items. Quarterly review: the quarter's figures. Then whatever the other
    features propose through ``hooks.AGENDA`` (escalations, pilots, the review pack).
    A page that has loaded the previous meeting and its action items passes them in.
    """
    if previous is _UNSET:
        previous = previous_meeting(meeting)
    since = previous.scheduled_on if previous is not None else None
    if meeting.kind == PROGRESS:
        proposals = _progress_agenda(meeting, since, previous, previous_actions)
    elif meeting.kind == ONE_ON_ONE:
        proposals = _one_on_one_agenda(meeting, previous, previous_actions)
    else:
        proposals = _review_agenda(meeting)
    proposals.extend(
        hooks.AGENDA.collect(meeting.task_force_id, meeting.kind, since, meeting.scheduled_on)
    )
    return proposals


def grouped(proposals: list) -> list[tuple[str, list]]:
    """Proposals (or agenda items) under their section headings, in first-seen order."""
    sections: dict[str, list] = {}
    for proposal in proposals:
        sections.setdefault(proposal.section, []).append(proposal)
    return list(sections.items())


def agenda_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _require_unlocked(meeting: Meeting) -> None:
    if meeting.status == CANCELLED:
        raise InvalidTransition(_("This meeting was cancelled."))


def adopt_agenda(actor: User, meeting: Meeting) -> int:
    """Write the proposed agenda (template lines first) as the meeting's agenda.

    Items the chair added by hand and items with minutes stay; proposed lines already
    there are not added twice. Returns how many lines were added.
    """
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("The agenda is set before the meeting."))
    current = agenda_items(meeting)
    have = {(i.section, i.title) for i in current}
    position = max((i.position for i in current), default=0)
    added = 0
    template = [
        hooks.AgendaProposal(section=_("Agenda"), title=line.strip())
        for line in (meeting.series.agenda_template or "").splitlines()
        if line.strip()
    ]
    for proposal in template + build_agenda(meeting):
        if (proposal.section, proposal.title) in have:
            continue
        position += 1
        added += 1
        db.session.add(
            AgendaItem(
                task_force_id=meeting.task_force_id,
                meeting_id=meeting.id,
                position=position,
                section=proposal.section[:100],
                title=proposal.title[:300],
                url=proposal.url,
                subject_type=proposal.subject_type,
                subject_id=proposal.subject_id,
                detail=(proposal.detail or "")[:300],
            )
        )
    audit.record(actor, "agenda_built", meeting, summary=f"{meeting.title} +{added}")
    return added


def add_agenda_item(actor: User, meeting: Meeting, title: str, section: str = "") -> AgendaItem:
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if meeting.locked:
        raise InvalidTransition(_("The minutes are published; the agenda is closed."))
    if not title.strip():
        raise ValidationFailed(_("Write the agenda item."), "title")
    position = db.session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    item = AgendaItem(
        task_force_id=meeting.task_force_id,
        meeting_id=meeting.id,
        position=(position or 0) + 1,
        section=(section.strip() or _("Other business"))[:100],
        title=title.strip()[:300],
    )
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "agenda_item_added", meeting, {"item": [None, item.title]})
    return item


def get_agenda_item(item_id) -> AgendaItem:
    return _get(AgendaItem, item_id)


def remove_agenda_item(actor: User, item: AgendaItem) -> None:
    meeting = get_meeting(item.meeting_id)
    _require_run(actor, meeting)
    if meeting.locked:
        raise InvalidTransition(_("The minutes are published; the agenda is closed."))
    if item.minutes.strip():
        raise InvalidTransition(_("This item has minutes; clear them before removing it."))
    audit.record(actor, "agenda_item_removed", meeting, {"item": [item.title, None]})
    db.session.delete(item)


def move_agenda_item(actor: User, item: AgendaItem, direction: int) -> None:
    """One place up (-1) or down (+1) in the agenda."""
    meeting = get_meeting(item.meeting_id)
    _require_run(actor, meeting)
    if meeting.locked:
        raise InvalidTransition(_("The minutes are published; the agenda is closed."))
    items = agenda_items(meeting)
    index = items.index(item)
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, entry in enumerate(items, start=1):
        entry.position = position
    audit.record(actor, "agenda_reordered", meeting, summary=item.title[:120])


# --- during and after ----------------------------------------------------------------------


def attendance(meeting: Meeting) -> list[Attendance]:
    return list(
        db.session.scalars(
            select(Attendance)
            .where(Attendance.meeting_id == meeting.id)
            .options(joinedload(Attendance.user))
            .order_by(Attendance.user_id)
        )
    )


def _require_attendance_open(actor: User, meeting: Meeting) -> None:
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if meeting.locked:
        raise InvalidTransition(_("The minutes are published and locked."))


def _apply_attendance(
    actor: User, meeting: Meeting, statuses: dict[int, str | None], rows: list[Attendance]
) -> dict:
    """Set the statuses that differ, audited; the caller commits. Nothing differs:
    nothing is checked."""
    changes = {}
    for row in rows:
        if row.user_id not in statuses:
            continue
        value = statuses[row.user_id] or None
        if value is not None and value not in ATTENDANCE:
            raise ValidationFailed(_("Unknown attendance."))
        if row.status != value:
            changes[str(row.user_id)] = [row.status, value]
    if changes:
        _require_attendance_open(actor, meeting)
        for row in rows:
            if str(row.user_id) in changes:
                row.status = changes[str(row.user_id)][1]
        audit.record(actor, "attendance", meeting, changes, summary=meeting.title)
    return changes


def record_attendance(actor: User, meeting: Meeting, statuses: dict[int, str | None]) -> None:
    """Set attendance per invited person: present, late, excused, absent (or not yet)."""
    _require_attendance_open(actor, meeting)
    _apply_attendance(actor, meeting, statuses, attendance(meeting))


def mark_all_present(actor: User, meeting: Meeting) -> int:
    """Everyone invited whose attendance is not recorded yet came ("all present" in one
    click; the exceptions are set one by one). Returns how many were marked."""
    _require_attendance_open(actor, meeting)
    rows = attendance(meeting)
    marked = _apply_attendance(
        actor, meeting, {row.user_id: "present" for row in rows if row.status is None}, rows
    )
    return len(marked)


def _apply_minutes(
    actor: User,
    meeting: Meeting,
    minutes: dict[int, str],
    decisions: str | None,
    version: int | None,
) -> dict:
    """Write the minutes and decisions that differ, audited; the caller commits."""
    items = agenda_items(meeting)
    texts = {
        item.id: (minutes[item.id] or "").strip()
        for item in items
        if item.id in minutes and (minutes[item.id] or "").strip() != item.minutes
    }
    decided = decisions.strip() if decisions is not None else None
    if not texts and decided in (None, meeting.decisions):
        return {}
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    check_version(meeting, version)
    changes = {}
    for item in items:
        if item.id in texts:
            changes[f"minutes:{item.id}"] = [item.minutes, texts[item.id]]
            item.minutes = texts[item.id]
    if decided is not None:
        changes.update(audit.apply_changes(meeting, {"decisions": decided}))
    meeting.updated_at = clock.now()
    action = "minutes_corrected" if meeting.locked else "minutes"
    audit.record(actor, action, meeting, changes, summary=meeting.title)
    return changes


def save_minutes(
    actor: User,
    meeting: Meeting,
    minutes: dict[int, str],
    decisions: str | None = None,
    version: int | None = None,
) -> dict:
    """Write the minutes per agenda item and the decisions.

    After publishing, the minutes are locked: a change is a correction, recorded in the
    history with the old and the new text.

    :raise StaleEdit: when someone saved the meeting after ``version`` was read.
    """
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    check_version(meeting, version)
    changes = _apply_minutes(actor, meeting, minutes, decisions, version)
    return changes


@dataclass
class TypedRecord:
    """What the secretary typed on the meeting's page (minutes per agenda item, decisions,
    attendance) and the meeting's version when the page was opened. The page is one form:
    every action on it carries this along."""

    minutes: dict[int, str] = field(default_factory=dict)
    decisions: str | None = None
    attendance: dict[int, str | None] = field(default_factory=dict)
    version: int | None = None


def keep_typed(actor: User, meeting: Meeting, typed: TypedRecord) -> dict:
    """Save what was typed on the meeting's page before another action on it runs, so that
    no action loses unsaved minutes. What equals the saved record is not checked again
    (an attendee ticking their action item carries nothing). Returns the changes.

    :raise StaleEdit: when the minutes changed since the page was opened; nothing is saved.
    """
    changes = _apply_minutes(actor, meeting, typed.minutes, typed.decisions, typed.version)
    if typed.attendance:
        changes.update(_apply_attendance(actor, meeting, typed.attendance, attendance(meeting)))
    return changes


def mark_held(actor: User, meeting: Meeting, confirmed: bool = False) -> None:
    """:raise ConfirmationRequired: for a meeting that has not started yet, unless
    ``confirmed``."""
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be marked as held."))
    if is_future(meeting) and not confirmed:
        raise ConfirmationRequired(
            _(
                "This meeting is on %(day)s at %(time)s and has not started yet. "
                "Mark it as held anyway?",
                day=clock.local_date(meeting.starts_at).isoformat(),
                time=format_clock(meeting.starts_at),
            )
        )
    meeting.status = HELD
    meeting.held_at = clock.now()
    audit.record(actor, "held", meeting, {"status": [PLANNED, HELD]}, summary=meeting.title)


def publish_minutes(actor: User, meeting: Meeting, confirmed: bool = False) -> int:
    """Publish and lock the minutes; tell every attendee, in their language.

    Returns how many people were told.

    :raise ConfirmationRequired: for a meeting that has not started yet, unless
        ``confirmed``.
    """
    _require_run(actor, meeting)
    if meeting.status != HELD:
        raise InvalidTransition(_("Mark the meeting as held before publishing its minutes."))
    if is_future(meeting) and not confirmed:
        raise ConfirmationRequired(
            _(
                "This meeting is on %(day)s at %(time)s and has not started yet. "
                "Publish its minutes to the attendees anyway?",
                day=clock.local_date(meeting.starts_at).isoformat(),
                time=format_clock(meeting.starts_at),
            )
        )
    meeting.status = PUBLISHED
    meeting.published_at = clock.now()
    audit.record(actor, "published", meeting, {"status": [HELD, PUBLISHED]}, summary=meeting.title)
    recipients = [row.user for row in attendance(meeting) if row.user_id != actor.id]
    day = clock.local_date(meeting.starts_at)
    for user in recipients:
        with force_locale(user.locale):
            text = _(
                "The minutes of %(title)s on %(day)s are published.",
                title=meeting.title,
                day=day.isoformat(),
            )
        notify(
            user.id,
            "minutes",
            text,
            unique_key=f"minutes:{meeting.id}:{user.id}",
            link=f"/meetings/{meeting.id}",
            subject=meeting,
            task_force_id=meeting.task_force_id,
        )
    return len(recipients)


# --- action items --------------------------------------------------------------------------


def add_action(
    actor: User, meeting: Meeting, title: str, owner_id: int | None, deadline: date | None
) -> ActionItem:
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if not title.strip():
        raise ValidationFailed(_("Write what is to be done."), "title")
    if owner_id is not None and owner_id not in roster.active_member_ids(meeting.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    action = ActionItem(
        task_force_id=meeting.task_force_id,
        meeting_id=meeting.id,
        title=title.strip()[:300],
        owner_id=owner_id,
        deadline=deadline,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(actor, "action_added", meeting, {"action": [None, action.title]})
    return action


def get_action(action_id) -> ActionItem:
    return _get(ActionItem, action_id)


def set_action_done(actor: User, action: ActionItem, done: bool) -> None:
    meeting = get_meeting(action.meeting_id)
    if action.owner_id != actor.id:
        _require_run(actor, meeting)
    authorize(actor, "meeting.minutes", meeting.task_force_id)
    action.done_on = clock.today() if done else None
    audit.record(
        actor,
        "action_done" if done else "action_reopened",
        meeting,
        {"action": [None, action.title]},
    )


def _require_unconverted(action: ActionItem) -> None:
    if action.subtask_id or action.issue_id:
        raise InvalidTransition(_("This action item is already on the problem list."))


def issue_by_code(task_force_id: int, code: str) -> Issue:
    """:raise ValidationFailed: when no item of the task force has this code."""
    issue = None
    if code:
        issue = db.session.scalars(
            select(Issue).where(Issue.task_force_id == task_force_id, Issue.code == code.upper())
        ).first()
    if issue is None:
        raise ValidationFailed(_("No item has this code."), "issue_code")
    return issue


def action_to_subtask(actor: User, action: ActionItem, issue_id: int) -> Subtask:
    """The action item becomes a subtask of an existing item (through the issue services)."""
    meeting = get_meeting(action.meeting_id)
    _require_run(actor, meeting)
    _require_unconverted(action)
    try:
        issue = issues.get_issue(issue_id)
    except NotFound:
        raise ValidationFailed(_("Choose an item."), "issue_id") from None
    subtask = issues.add_subtask(actor, issue, action.title, action.owner_id, action.deadline)
    action.subtask_id = subtask.id
    action.issue_id = issue.id
    audit.record(actor, "action_to_subtask", meeting, {"action": [action.title, issue.code]})
    return subtask


def action_to_issue(actor: User, action: ActionItem, category_id: int) -> Issue:
    """The action item becomes a new item on the problem list, with source "meeting"."""
    meeting = get_meeting(action.meeting_id)
    _require_run(actor, meeting)
    _require_unconverted(action)
    issue = issues.create_issue(
        actor,
        meeting.task_force_id,
        issues.IssueInput(
            title=action.title[:200],
            category_id=category_id,
            description=_(
                "From the meeting %(title)s on %(day)s.",
                title=meeting.title,
                day=clock.local_date(meeting.starts_at).isoformat(),
            ),
            owner_id=action.owner_id,
            deadline=action.deadline,
            source="meeting",
        ),
    )
    action.issue_id = issue.id
    audit.record(actor, "action_to_issue", meeting, {"action": [action.title, issue.code]})
    return issue


def actions_of(meeting_ids: list[int]) -> dict[int, list[ActionItem]]:
    """Action items of several meetings with their subtask and issue: one query."""
    found: dict[int, list[ActionItem]] = defaultdict(list)
    if not meeting_ids:
        return found
    for action in db.session.scalars(
        select(ActionItem)
        .where(ActionItem.meeting_id.in_(meeting_ids))
        .options(
            joinedload(ActionItem.owner),
            joinedload(ActionItem.subtask),
            joinedload(ActionItem.issue),
        )
        .order_by(ActionItem.id)
    ):
        found[action.meeting_id].append(action)
    return found


# --- cadence compliance and figures --------------------------------------------------------


@dataclass
class CoverageRow:
    name: str
    last_met: date | None
    overdue: bool


def coverage(series: MeetingSeries, weeks: int = 4) -> list[CoverageRow]:
    """For a one-on-one series: each counterpart's last held meeting; who is overdue."""
    today = clock.today()
    last: dict[tuple, date] = {}
    for user_id, unit_id, day in db.session.execute(
        select(
            Meeting.counterpart_user_id, Meeting.counterpart_unit_id, func.max(Meeting.starts_at)
        )
        .where(
            Meeting.series_id == series.id,
            Meeting.status.in_((HELD, PUBLISHED)),
            Meeting.starts_at < clock.start_of_day(today + timedelta(days=1)),
        )
        .group_by(Meeting.counterpart_user_id, Meeting.counterpart_unit_id)
    ):
        last[("user", user_id) if user_id else ("unit", unit_id)] = clock.local_date(day)
    user_ids = [c["user"] for c in series.counterparts or [] if "user" in c]
    unit_ids = [c["unit"] for c in series.counterparts or [] if "unit" in c]
    names = {}
    if user_ids:
        for uid, name in db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(user_ids))
        ):
            names[("user", uid)] = name
    if unit_ids:
        for uid, name in db.session.execute(
            select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))
        ):
            names[("unit", uid)] = name
    limit = today - timedelta(weeks=weeks)
    rows = []
    for entry in series.counterparts or []:
        key = ("user", entry["user"]) if "user" in entry else ("unit", entry["unit"])
        met = last.get(key)
        rows.append(CoverageRow(names.get(key, "?"), met, met is None or met < limit))
    rows.sort(key=lambda r: (not r.overdue, r.last_met or date.min))
    return rows


@dataclass
class Figures:
    start: date
    end: date
    per_series: list[dict]
    attendance: list[dict]
    actions_total: int
    actions_on_time: int
    actions_done: int
    one_on_one_met: int
    one_on_one_counterparts: int


def figures(task_force_id: int, start: date, end: date) -> Figures:
    """Meetings held vs planned per series, attendance per person, action items done on
    time, one-on-one coverage, between ``start`` and ``end``: five grouped queries."""
    begin = clock.start_of_day(start)
    stop = clock.start_of_day(end + timedelta(days=1))
    in_period = and_(Meeting.starts_at >= begin, Meeting.starts_at < stop)
    held = Meeting.status.in_((HELD, PUBLISHED))
    series_rows = db.session.execute(
        select(
            MeetingSeries.id,
            MeetingSeries.name,
            MeetingSeries.kind,
            MeetingSeries.cadence,
            MeetingSeries.counterparts,
            func.count(Meeting.id),
            func.count(Meeting.id).filter(held),
            func.count(Meeting.id).filter(Meeting.status == CANCELLED),
        )
        .join(Meeting, and_(Meeting.series_id == MeetingSeries.id, in_period), isouter=True)
        .where(MeetingSeries.task_force_id == task_force_id)
        .group_by(
            MeetingSeries.id,
            MeetingSeries.name,
            MeetingSeries.kind,
            MeetingSeries.cadence,
        )
        .order_by(MeetingSeries.id)
    ).all()
    per_series = [
        {"name": name, "kind": kind, "cadence": cadence, "planned": planned, "held": held_n,
         "cancelled": cancelled}
        for _sid, name, kind, cadence, _cps, planned, held_n, cancelled in series_rows
    ]  # fmt: skip
    present = Attendance.status.in_(("present", "late"))
    attendance_rows = db.session.execute(
        select(
            User.display_name,
            func.count(Attendance.id),
            func.count(Attendance.id).filter(present),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.task_force_id == task_force_id, in_period, held)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name)
    ).all()
    attendance_list = [
        {"name": name, "invited": invited, "present": came, "rate": round(100 * came / invited)}
        for name, invited, came in attendance_rows
        if invited
    ]
    total, done, on_time = db.session.execute(
        select(
            func.count(ActionItem.id),
            func.count(ActionItem.id).filter(ActionItem.done_on.is_not(None)),
            func.count(ActionItem.id).filter(
                ActionItem.done_on.is_not(None),
                or_(ActionItem.deadline.is_(None), ActionItem.done_on <= ActionItem.deadline),
            ),
        )
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(ActionItem.task_force_id == task_force_id, in_period)
    ).one()
    counterparts = 0
    met_keys = set()
    for _sid, _name, kind, _cad, cps, *_rest in series_rows:
        if kind == ONE_ON_ONE:
            counterparts += len(cps or [])
    if counterparts:
        for user_id, unit_id in db.session.execute(
            select(Meeting.counterpart_user_id, Meeting.counterpart_unit_id)
            .where(
                Meeting.task_force_id == task_force_id,
                Meeting.kind == ONE_ON_ONE,
                in_period,
                held,
            )
            .distinct()
        ):
            met_keys.add((user_id, unit_id))
    return Figures(
        start=start,
        end=end,
        per_series=per_series,
        attendance=attendance_list,
        actions_total=total,
        actions_done=done,
        actions_on_time=on_time,
        one_on_one_met=min(len(met_keys), counterparts),
        one_on_one_counterparts=counterparts,
    )


def open_actions_of(user: User, task_force_ids: list[int], limit: int = 20) -> list[ActionItem]:
    """The user's open action items in ``task_force_ids``, not turned into subtasks or
    items: one query."""
    with unscoped():  # across the user's task forces: the query names them
        return list(
            db.session.scalars(
                select(ActionItem)
                .where(
                    ActionItem.task_force_id.in_(list(task_force_ids)),
                    ActionItem.owner_id == user.id,
                    ActionItem.done_on.is_(None),
                    ActionItem.issue_id.is_(None),
                )
                .options(joinedload(ActionItem.meeting))
                .order_by(ActionItem.deadline.is_(None), ActionItem.deadline, ActionItem.id)
                .limit(limit)
            )
        )


# --- links to the other features ----------------------------------------------------------


def meeting_choices(
    task_force_id: int, start: date | None, end: date | None, ids=()
) -> list[hooks.MeetingChoice]:
    """The meetings not cancelled from ``start`` to ``end`` (and those of ``ids``, whatever
    their day; no window when ``start`` is None), by time: one query."""
    ids = [int(i) for i in ids or () if i is not None]
    which = Meeting.id.in_(ids)
    if start is not None and end is not None:
        window = and_(
            Meeting.starts_at >= clock.start_of_day(start),
            Meeting.starts_at < clock.start_of_day(end + timedelta(days=1)),
        )
        which = or_(window, which) if ids else window
    elif not ids:
        return []
    rows = db.session.scalars(
        select(Meeting)
        .where(Meeting.task_force_id == task_force_id, Meeting.status != CANCELLED, which)
        .options(joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        hooks.MeetingChoice(
            id=m.id,
            label=f"{m.title} · {m.counterpart_name}" if m.counterpart_name else m.title,
            day=clock.local_date(m.starts_at),
            kind=m.kind,
            status=m.status,
        )
        for m in rows
    ]


@dataclass
class IssueMeeting:
    """A meeting that had an item on its agenda or gave action items about it."""

    meeting: Meeting
    lines: list[AgendaItem] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)


def meetings_of_issue(issue: Issue, limit: int = 60) -> list[IssueMeeting]:
    """The meetings where ``issue`` was on the agenda and the action items of meetings
    linked to it (made a subtask of it, or an item of their own), latest first: one query."""
    stmt = (
        select(Meeting, AgendaItem, ActionItem)
        .outerjoin(
            AgendaItem,
            and_(
                AgendaItem.meeting_id == Meeting.id,
                AgendaItem.subject_type == "issue",
                AgendaItem.subject_id == issue.id,
            ),
        )
        .outerjoin(
            ActionItem, and_(ActionItem.meeting_id == Meeting.id, ActionItem.issue_id == issue.id)
        )
        .where(
            Meeting.task_force_id == issue.task_force_id,
            or_(AgendaItem.id.is_not(None), ActionItem.id.is_not(None)),
        )
        .options(
            joinedload(ActionItem.owner),
            joinedload(ActionItem.subtask),
            joinedload(ActionItem.issue),
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id, AgendaItem.position, ActionItem.id)
        .limit(limit)
    )
    found: dict[int, IssueMeeting] = {}
    for meeting, line, action in db.session.execute(stmt).unique():
        row = found.setdefault(meeting.id, IssueMeeting(meeting))
        if line is not None and line not in row.lines:
            row.lines.append(line)
        if action is not None and action not in row.actions:
            row.actions.append(action)
    return list(found.values())
