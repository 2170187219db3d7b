"""What every change of an item checks first: the object-level rule, and that the item is
still open."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import InvalidTransition
from app.core.permissions import authorize
from app.core.scope import get_in_scope
from app.extensions import db
from app.issues.labels import STATUS_LABELS
from app.issues.models import FINISHED_STATUSES, Issue
from app.people.models import User


def _db_get(model, ident) -> object:
    return get_in_scope(db.session, model, ident)


def _require_work(actor: User, issue: Issue) -> None:
    """The permission table's rule for working on an item (``issue.work``): its owner,
    its collaborators or the leaders."""
    authorize(
        actor,
        "issue.work",
        issue,
        message=_("Only the owner, a collaborator or the leaders may change this item."),
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
    authorize(
        actor,
        "issue.manage",
        task_force_id,
        message=message or _("Only the leader or the executive leader may do this."),
    )
