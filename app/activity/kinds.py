"""Which audit events the activity stream shows, under which kind, to whom, linking where.

An audit event names a record kind (``entity_type``: ``issue``, ``meeting`` …). The
stream shows the kinds listed here and no other (accounts, channels, sign-ins stay in
the administrator's audit log). Each kind says the filter group it falls under, the
view action a reader needs on the event's task force to see it (the same action that
opens the object's own page, so a reader sees in the stream what they may open), and
where its entries link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from app.core.models import AuditEvent
from app.core.permissions import allowed

# The filter groups ("kind" on the page), in the order the filter lists them.
GROUPS: dict[str, object] = {
    "items": pgettext_l("activity kind", "Items"),
    "decisions": _l("Escalations and decisions"),
    "meetings": _l("Meetings"),
    "pilots": _l("Pilots"),
    "kpis": _l("Goal figures"),
    "intake": pgettext_l("activity kind", "Frontline submissions"),
    "team": pgettext_l("activity kind", "Task force and reports"),
}


@dataclass(frozen=True)
class Source:
    """One record kind of the stream."""

    group: str
    view: str  # the permission a reader needs on the event's task force
    link: Callable[[int], str]  # the object's page, from its id
    own_page: bool = True  # the link names the object (False: a list or overview page)


def _to(endpoint: str, arg: str | None = None) -> Callable[[int], str]:
    if arg is None:
        return lambda _id: url_for(endpoint)
    return lambda ident: url_for(endpoint, **{arg: ident})


_D, _M = "decisions", "meetings"
SOURCES: dict[str, Source] = {
    "issue": Source("items", "issue.view", _to("issues.issue_detail", "issue_id")),
    "category": Source("items", "issue.view", _to("issues.issue_list", "category")),
    "escalation": Source(_D, "escalation.view", _to("decisions.escalation", "escalation_id")),
    "incentive": Source("decisions", "scorecard.view", _to("decisions.incentives"), False),
    "meeting": Source("meetings", "meeting.view", _to("meetings.meeting_detail", "meeting_id")),
    "meeting_series": Source(_M, "meeting.view", _to("meetings.series_detail", "series_id")),
    "pilot": Source("pilots", "pilot.view", _to("pilots.pilot_detail", "pilot_id")),
    "kpi": Source("kpis", "kpi.view", _to("kpis.kpi_detail", "kpi_id")),
    "intake_submission": Source("intake", "intake.triage", _to("intake.triage", "submission_id")),
    "membership": Source("team", "roster.view", _to("people.roster"), False),
    "task_force": Source("team", "taskforce.view", _to("people.home"), False),
    "review_pack": Source("team", "report.view", _to("reports.index"), False),
}  # fmt: skip

# Events of one kind that belong to another group: an item escalated, or chased by the
# leaders (督办), reads with the escalations and decisions.
ACTION_GROUPS: dict[tuple[str, str], str] = {
    ("issue", "escalated"): "decisions",
    ("issue", "nudged"): "decisions",
}


def group_of(entity_type: str, action: str) -> str:
    return ACTION_GROUPS.get((entity_type, action)) or SOURCES[entity_type].group


def groups_of(kinds) -> list[str]:
    """The filter groups the events of ``kinds`` fall under, in the filter's order."""
    wanted = {SOURCES[kind].group for kind in kinds}
    wanted |= {group for (kind, _action), group in ACTION_GROUPS.items() if kind in kinds}
    return [group for group in GROUPS if group in wanted]


def visible_kinds(roles: set[str]) -> list[str]:
    """The record kinds a reader with ``roles`` (in one task force) sees in the stream."""
    return [kind for kind, source in SOURCES.items() if allowed(roles, source.view)]


def in_group(group: str) -> ColumnElement[bool]:
    """The SQL condition of the events of filter group ``group``."""
    if group not in GROUPS:
        return false()
    parts = []
    for kind, source in SOURCES.items():
        moved = [action for (k, action), g in ACTION_GROUPS.items() if k == kind and g != group]
        if source.group == group:
            condition = AuditEvent.entity_type == kind
            if moved:
                condition = and_(condition, AuditEvent.action.not_in(moved))
            parts.append(condition)
    for (kind, action), g in ACTION_GROUPS.items():
        if g == group and SOURCES[kind].group != group:
            parts.append(and_(AuditEvent.entity_type == kind, AuditEvent.action == action))
    return or_(*parts) if parts else false()
