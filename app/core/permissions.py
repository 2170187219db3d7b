"""The one permission table: roles x actions.

Every view (through ``core.web.requires``) and every service (through ``authorize``)
asks this table. A user's roles are their bank-wide role (``admin``, ``frontline``)
plus the role of their *active* membership in the task force at hand; a temporary
member whose membership has ended has no task-force role left, so no access.
"""

from __future__ import annotations

from typing import Protocol

from flask_babel import lazy_gettext as _l

from app.core.errors import PermissionDenied

# Bank-wide roles, kept on the user.
ADMIN = "admin"
FRONTLINE = "frontline"
STAFF = "staff"  # an ordinary account: all rights come from memberships
GLOBAL_ROLES = (STAFF, ADMIN, FRONTLINE)

# Task-force roles, kept on the membership.
LEADER = "leader"
EXEC_LEADER = "exec_leader"
MEMBER = "member"
TEMP_MEMBER = "temp_member"
VIEWER = "viewer"
TASK_FORCE_ROLES = (LEADER, EXEC_LEADER, MEMBER, TEMP_MEMBER, VIEWER)

ROLE_LABELS = {
    ADMIN: _l("Administrator"),
    FRONTLINE: _l("Frontline staff"),
    STAFF: _l("Staff"),
    LEADER: _l("Leader"),
    EXEC_LEADER: _l("Executive leader"),
    MEMBER: _l("Member"),
    TEMP_MEMBER: _l("Temporary member"),
    VIEWER: _l("Viewer"),
}

# Any logged-in account, whatever its roles.
AUTHENTICATED = "authenticated"

# The roles whose holders run the task force: granting or removing them is leadership.
LEADERSHIP_ROLES = (LEADER, EXEC_LEADER)

_ON_TASK_FORCE = {LEADER, EXEC_LEADER, MEMBER, TEMP_MEMBER, VIEWER}
_RUNS_TASK_FORCE = {LEADER, EXEC_LEADER}
_WORKS_ON_TASK_FORCE = {LEADER, EXEC_LEADER, MEMBER, TEMP_MEMBER}

PERMISSIONS: dict[str, frozenset[str]] = {
    # Everyone with an account.
    "home.view": frozenset({AUTHENTICATED}),
    "account.edit": frozenset({AUTHENTICATED}),
    "notification.view": frozenset({AUTHENTICATED}),
    # The current task force.
    "taskforce.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "taskforce.edit": frozenset({LEADER, ADMIN}),
    "roster.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "roster.manage": frozenset(_RUNS_TASK_FORCE | {ADMIN}),
    # Granting or removing the leader's and the executive leader's roles, and changing
    # one's own role: only the leader or an administrator, never the executive leader
    # promoting themself over the leader.
    "roster.leadership": frozenset({LEADER, ADMIN}),
    # Bank-wide administration.
    "taskforce.create": frozenset({ADMIN}),
    "user.manage": frozenset({ADMIN}),
    "orgunit.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    # The problem list.
    "issue.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "issue.create": frozenset(_WORKS_ON_TASK_FORCE),
    # Object-level on top: members work on items they own or collaborate on.
    "issue.work": frozenset(_WORKS_ON_TASK_FORCE),
    "issue.manage": frozenset(_RUNS_TASK_FORCE),
    "category.manage": frozenset(_RUNS_TASK_FORCE),
    # Mind map, import and export of the framework and the list.
    "mindmap.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "mindmap.import": frozenset(_RUNS_TASK_FORCE),
    "issue.export": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "issue.import": frozenset(_RUNS_TASK_FORCE),
    # Meetings and the calendar. Object-level on top: the chair edits their meetings.
    "meeting.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "meeting.manage": frozenset(_RUNS_TASK_FORCE),
    "meeting.minutes": frozenset(_WORKS_ON_TASK_FORCE),
    "calendar.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    # Escalations and decisions, supervision, scorecards and incentives.
    "escalation.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "escalation.raise": frozenset(_WORKS_ON_TASK_FORCE),
    "escalation.decide": frozenset(_RUNS_TASK_FORCE),
    "supervision.view": frozenset(_RUNS_TASK_FORCE),
    "supervision.nudge": frozenset(_RUNS_TASK_FORCE),
    "scorecard.view": frozenset(_RUNS_TASK_FORCE | {ADMIN}),
    "incentive.manage": frozenset(_RUNS_TASK_FORCE),
    # Front-line submissions (调研意见) and their triage.
    "intake.submit": frozenset({FRONTLINE} | _ON_TASK_FORCE - {VIEWER}),
    "intake.triage": frozenset(_RUNS_TASK_FORCE),
    # Pilots, rollout and goal figures.
    "pilot.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "pilot.manage": frozenset(_RUNS_TASK_FORCE),
    "pilot.work": frozenset(_WORKS_ON_TASK_FORCE),
    "kpi.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "kpi.manage": frozenset(_RUNS_TASK_FORCE),
    # Reminders and delivery channels.
    "notification.configure": frozenset({AUTHENTICATED}),
    "channel.manage": frozenset({ADMIN}),
    "delivery.view": frozenset({ADMIN}),
    # The quarterly review pack and PDF exports.
    "report.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "report.generate": frozenset(_RUNS_TASK_FORCE),
}


class HasRoles(Protocol):
    def roles_in(self, task_force_id: int | None) -> set[str]: ...


def roles_allowed(action: str) -> frozenset[str]:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to PERMISSIONS") from None


def allowed(roles: set[str], action: str) -> bool:
    granted = roles_allowed(action)
    return AUTHENTICATED in granted or bool(roles & granted)


def can(user: HasRoles | None, action: str, task_force_id: int | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return allowed(user.roles_in(task_force_id), action)


def authorize(user: HasRoles | None, action: str, task_force_id: int | None = None) -> None:
    """:raise PermissionDenied: when the table does not grant ``action``."""
    if not can(user, action, task_force_id):
        raise PermissionDenied(str(_l("You are not allowed to do this.")))
