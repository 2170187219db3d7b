"""The agenda: proposed from the data as of today (red and yellow items, what changed, the
open action items from last time, a counterpart's items, the quarter's figures, and what
the other features propose through ``hooks.AGENDA``), adopted, and edited by hand.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.core import audit, clock, hooks
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.quarters import Quarter
from app.extensions import db
from app.issues.asof import quarter_figures
from app.issues.labels import STATUS_LABELS
from app.issues.lights import LightRules, light_clause, light_expression
from app.issues.models import OPEN_STATUSES, RED, YELLOW, Issue
from app.meetings.models import ONE_ON_ONE, PLANNED, PROGRESS, ActionItem, AgendaItem, Meeting
from app.meetings.service.occurrences import (
    _get,
    _require_run,
    _require_unlocked,
    get_meeting,
    previous_meeting,
)
from app.people.models import User


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
