"""What every change of an item checks first: the object-level rule, and that the item is
still open."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import (
    InvalidTransition,
    PermissionDenied,
)
from app.core.permissions import EXEC_LEADER, LEADER, authorize, can
from app.core.scope import get_in_scope
from app.extensions import db
from app.issues.labels import STATUS_LABELS
from app.issues.models import (
    FINISHED_STATUSES,
    Issue,
)
from app.people.models import User

MANAGERS = {LEADER, EXEC_LEADER}


def _db_get(model, ident) -> object:
    return get_in_scope(db.session, model, ident)


def is_manager(actor: User, task_force_id: int) -> bool:
    return bool(actor.roles_in(task_force_id) & MANAGERS)


def may_work_on(actor: User, issue: Issue) -> bool:
    """Managers work on any item; others on items they own or collaborate on."""
    if not can(actor, "issue.work", issue.task_force_id):
        return False
    if is_manager(actor, issue.task_force_id):
        return True
    return issue.owner_id == actor.id or any(u.id == actor.id for u in issue.collaborators)


def _require_work(actor: User, issue: Issue) -> None:
    if not may_work_on(actor, issue):
        raise PermissionDenied(
            _("Only the owner, a collaborator or the leaders may change this item.")
        )


def require_open(issue: Issue) -> None:
    """A closed or dropped item is read-only until it is reopened with a reason: no edit,
    no reschedule, no new or changed milestone, subtask, progress update or file.

    :raise InvalidTransition: for a finished item, naming its status.
    """
    if issue.status in FINISHED_STATUSES:
        raise InvalidTransition(
            _(
                "%(code)s is “%(status)s”: reopen it with a reason before changing it.",
                code=issue.code,
                status=STATUS_LABELS[issue.status],
            )
        )


def _require_manager(actor: User, task_force_id: int, message: str | None = None) -> None:
    authorize(actor, "issue.manage", task_force_id)
    if not is_manager(actor, task_force_id):
        raise PermissionDenied(message or _("Only the leader or the executive leader may do this."))
