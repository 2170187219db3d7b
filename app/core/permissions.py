"""The one permission table: roles x actions, and the rules about one object on top.

Every view (through ``core.web.requires``) and every service (through ``authorize``)
asks this table, with one question: ``can(user, action, target)``, where the target is a
task force's id or the object acted on. For an object, the roles come from its task
force, and where ``OBJECT_RULES`` has a rule for the action the user must also stand in
the right relation to the object (own it, work on it, chair it, own one of its rollout
tasks, be of the level it was escalated to).

A user's roles are their bank-wide role (``admin``, ``frontline``) plus the role of
their *active* membership in the task force at hand; a temporary member
whose membership has ended has no task-force role left, so no access.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

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
    # Searching (搜索): each result is shown only where its own view action allows.
    "search.view": frozenset({AUTHENTICATED}),
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
    # Turning off someone else's two-factor sign-in (a lost phone).
    "account.two_factor.reset": frozenset({ADMIN}),
    # The sign-in methods (single sign-on providers, their secrets) and each account's way in.
    "signin.manage": frozenset({ADMIN}),
    "orgunit.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    # The problem list.
    "issue.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "issue.create": frozenset(_WORKS_ON_TASK_FORCE),
    # Object-level on top: members work on items they own or collaborate on.
    "issue.work": frozenset(_WORKS_ON_TASK_FORCE),
    "issue.manage": frozenset(_RUNS_TASK_FORCE),
    # Bulk edit: for those who work on items; each item's own rule decides (issue.work).
    "issue.bulk": frozenset(_WORKS_ON_TASK_FORCE),
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
    # Running one meeting (agenda, attendance, minutes): its chair or the leaders.
    "meeting.run": frozenset(_WORKS_ON_TASK_FORCE),
    "calendar.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    # Escalations and decisions, supervision, scorecards and incentives.
    "escalation.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "escalation.raise": frozenset(_WORKS_ON_TASK_FORCE),
    "escalation.decide": frozenset(_RUNS_TASK_FORCE),
    # Deadline extension requests (延期申请): the item's owner asks; the executive leader
    # or the leader decides, the leader alone for a major item.
    "extension.request": frozenset(_WORKS_ON_TASK_FORCE),
    "extension.decide": frozenset(_RUNS_TASK_FORCE),
    "supervision.view": frozenset(_RUNS_TASK_FORCE),
    "supervision.nudge": frozenset(_RUNS_TASK_FORCE),
    # Lifting the leader's supervision (组长督办): the leader alone.
    "supervision.lift": frozenset({LEADER}),
    # The leader's instructions (领导批示): the leaders write them; they are read where the
    # item is; their owner (object-level on top) or the leaders mark them read and answer.
    "instruction.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "instruction.write": frozenset(_RUNS_TASK_FORCE),
    "instruction.answer": frozenset(_WORKS_ON_TASK_FORCE),
    "scorecard.view": frozenset(_RUNS_TASK_FORCE | {ADMIN}),
    "incentive.manage": frozenset(_RUNS_TASK_FORCE),
    # Front-line submissions (调研意见) and their triage.
    "intake.submit": frozenset({FRONTLINE} | _ON_TASK_FORCE - {VIEWER}),
    "intake.triage": frozenset(_RUNS_TASK_FORCE),
    # Pilots, rollout and goal figures.
    "pilot.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "pilot.manage": frozenset(_RUNS_TASK_FORCE),
    "pilot.work": frozenset(_WORKS_ON_TASK_FORCE),
    # Updating one rollout task: its owner, the pilot's owner or the leaders.
    "rollout.update": frozenset(_WORKS_ON_TASK_FORCE),
    "kpi.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "kpi.manage": frozenset(_RUNS_TASK_FORCE),
    # Reminders and delivery channels.
    "notification.configure": frozenset({AUTHENTICATED}),
    "channel.manage": frozenset({ADMIN}),
    "delivery.view": frozenset({ADMIN}),
    # The quarterly review pack and PDF exports.
    "report.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "report.generate": frozenset(_RUNS_TASK_FORCE),
    # The quarterly review's narrative (汇报正文): the leaders draft it, the leader alone
    # approves it (审定); whoever reads the reports reads it.
    "review.draft": frozenset(_RUNS_TASK_FORCE),
    "review.approve": frozenset({LEADER}),
    # The activity stream (动态) and the personal feed: members of the task force, each
    # entry shown only where its object's own view action allows.
    "activity.view": frozenset(_ON_TASK_FORCE),
    # Discussion (讨论) on items, escalations, pilots and meetings: a thread is read by
    # whoever may read its object (asked of the object as well), written by those who
    # work on the task force (not viewers, not frontline staff); following (关注) is for
    # every reader.
    "discussion.view": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "discussion.comment": frozenset(_WORKS_ON_TASK_FORCE),
    "discussion.follow": frozenset(_ON_TASK_FORCE | {ADMIN}),
    # Saved views (视图) of the problem list and the board: every reader of the list keeps
    # their own; the leaders share views with the task force and change the shared ones.
    "saved_view.save": frozenset(_ON_TASK_FORCE | {ADMIN}),
    "saved_view.share": frozenset(_RUNS_TASK_FORCE),
}


class HasRoles(Protocol):
    id: int

    def roles_in(self, task_force_id: int | None) -> set[str]: ...


# --- rules about one object ------------------------------------------------------------
# A rule reads the object's attributes only (``owner_id``, ``collaborators``, ``chair_id``,
# ``rollouts``, ``pilot``, ``level``), so the ground floor needs no feature's model.

Rule = Callable[[HasRoles, set[str], Any], bool]


def runs_task_force(user: HasRoles, roles: set[str], obj: Any) -> bool:
    """The leader or the executive leader of the object's task force."""
    return bool(roles & _RUNS_TASK_FORCE)


def owns(user: HasRoles, roles: set[str], obj: Any) -> bool:
    return obj.owner_id is not None and obj.owner_id == user.id


def collaborates(user: HasRoles, roles: set[str], obj: Any) -> bool:
    return any(person.id == user.id for person in obj.collaborators)


def chairs(user: HasRoles, roles: set[str], obj: Any) -> bool:
    return obj.chair_id == user.id


def owns_a_rollout_task(user: HasRoles, roles: set[str], pilot: Any) -> bool:
    return any(task.owner_id == user.id for task in pilot.rollouts)


def owns_the_pilot(user: HasRoles, roles: set[str], task: Any) -> bool:
    return task.pilot.owner_id == user.id


def of_the_escalated_level(user: HasRoles, roles: set[str], escalation: Any) -> bool:
    """An escalation to the leader is decided by the leader; one to the executive leader
    by the executive leader or the leader."""
    return bool(roles & deciders_for(escalation.level))


def deciders_for(level: str) -> set[str]:
    return {LEADER} if level == LEADER else {LEADER, EXEC_LEADER}


def any_of(*rules: Rule) -> Rule:
    def rule(user: HasRoles, roles: set[str], obj: Any) -> bool:
        return any(each(user, roles, obj) for each in rules)

    rule.__doc__ = " or ".join(each.__name__ for each in rules)
    rule.parts = rules  # type: ignore[attr-defined]
    return rule


OBJECT_RULES: dict[str, Rule] = {
    # An item: the leaders, its owner, its collaborators.
    "issue.work": any_of(runs_task_force, owns, collaborates),
    # Escalating an item: as for working on it. The object is the item.
    "escalation.raise": any_of(runs_task_force, owns, collaborates),
    # Deciding an escalation: the level it was raised to.
    "escalation.decide": of_the_escalated_level,
    # Reading and answering an instruction: its owner or the leaders.
    "instruction.answer": any_of(runs_task_force, owns),
    # Asking for a later deadline: the item's owner only (the object is the item).
    "extension.request": owns,
    # Deciding an extension request: the leader for a major item, else either leader.
    "extension.decide": of_the_escalated_level,
    # A meeting or a series: its chair or the leaders.
    "meeting.run": any_of(runs_task_force, chairs),
    # A pilot: the leaders, its owner, the owners of its rollout tasks.
    "pilot.work": any_of(runs_task_force, owns, owns_a_rollout_task),
    # A rollout task: the leaders, its owner, the pilot's owner.
    "rollout.update": any_of(runs_task_force, owns, owns_the_pilot),
}


def roles_allowed(action: str) -> frozenset[str]:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to PERMISSIONS") from None


def allowed(roles: set[str], action: str) -> bool:
    granted = roles_allowed(action)
    return AUTHENTICATED in granted or bool(roles & granted)


Target = int | None | Any  # a task force's id, or an object with a ``task_force_id``


def can(user: HasRoles | None, action: str, target: Target = None) -> bool:
    """May ``user`` do ``action`` in a task force (``target`` an id, or None for what
    belongs to no task force), or on one object (``target`` the object: the roles of its
    task force, and the action's rule in ``OBJECT_RULES``)?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if target is None or isinstance(target, int):
        return allowed(user.roles_in(target), action)
    roles = user.roles_in(target.task_force_id)
    if not allowed(roles, action):
        return False
    rule = OBJECT_RULES.get(action)
    return rule is None or rule(user, roles, target)


def authorize(
    user: HasRoles | None, action: str, target: Target = None, message: str | None = None
) -> None:
    """:raise PermissionDenied: when the table (and, for an object, its rule) does not
    grant ``action``; with ``message`` when the caller can say why in its own words."""
    if not can(user, action, target):
        raise PermissionDenied(message or str(_l("You are not allowed to do this.")))
