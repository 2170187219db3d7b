"""Deadline extension requests (延期申请): asking, deciding, and reading them.

The owner of an open item asks for a later deadline with a reason, one pending request
per item at a time (``extension.request``). The executive leader or the leader decides,
the leader alone for a major item (``extension.decide``). An approval moves the item's
deadline through the problem list's own reschedule (its checks and its audit) in the
same unit of work as the decision: both are kept, or neither. The deciders are told of a
request, the owner of the decision, through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.permissions import authorize, can, deciders_for
from app.core.scope import get_in_scope, unscoped
from app.core.service import check_version
from app.decisions.extensions import APPROVED, DECLINED, PENDING, DeadlineExtension
from app.decisions.service.escalations import _active_with_roles, _tell
from app.discussion import tell_followers
from app.extensions import db
from app.issues import service as issues
from app.issues.models import OPEN_STATUSES, Issue
from app.people.models import User

MAX_REASON = 2000


def _issue_link(issue: Issue) -> str:
    # A path: the outbox names the task force (``?tf=``) when it delivers the link.
    return f"/issues/{issue.id}#panel-extensions"


def request_extension(
    actor: User, issue: Issue, new_deadline: date | None, reason: str
) -> DeadlineExtension:
    """Ask for ``new_deadline`` on ``issue``; the deciders are told.

    :raise PermissionDenied: for anyone but the item's owner.
    :raise InvalidTransition: for a closed or dropped item, or while a request waits.
    :raise ValidationFailed: without a reason, or for a date not after the deadline or past.
    """
    authorize(
        actor,
        "extension.request",
        issue,
        message=_("Only the owner of the item may ask for a later deadline."),
    )
    if issue.status not in OPEN_STATUSES:
        raise InvalidTransition(_("A closed or dropped item cannot ask for a later deadline."))
    if pending_of_issue(issue) is not None:
        raise InvalidTransition(_("A request for a later deadline is already waiting."))
    if new_deadline is None:
        raise ValidationFailed(_("Choose the new deadline."), "new_deadline")
    if new_deadline < clock.today():
        raise ValidationFailed(_("The new deadline must not be in the past."), "new_deadline")
    if issue.deadline is not None and new_deadline <= issue.deadline:
        raise ValidationFailed(
            _(
                "The new deadline must be after the current one, %(day)s.",
                day=issue.deadline.isoformat(),
            ),
            "new_deadline",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the delay."), "reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("At most %(n)d characters.", n=MAX_REASON), "reason")
    extension = DeadlineExtension(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        current_deadline=issue.deadline,
        requested_deadline=new_deadline,
        reason=reason,
        status=PENDING,
        requested_by_id=actor.id,
        requested_at=clock.now(),
    )
    db.session.add(extension)
    db.session.flush()  # a second request that won the race is refused here (DuplicateKey)
    old = issue.deadline.isoformat() if issue.deadline else None
    changes = {"requested_deadline": [old, new_deadline.isoformat()]}
    audit.record(actor, "requested", extension, changes, summary=f"{issue.code} {reason}")
    audit.record(actor, "extension_requested", issue, changes, summary=f"{issue.code} {reason}")
    _tell_deciders(actor, issue, extension)
    return extension


def _tell_deciders(actor: User, issue: Issue, extension: DeadlineExtension) -> None:
    for decider in _active_with_roles(issue.task_force_id, deciders_for(extension.level)):
        if decider.id == actor.id:
            continue
        _tell(
            decider,
            "extension",
            f"extension:{extension.id}:{decider.id}",
            _issue_link(issue),
            issue,
            issue.task_force_id,
            lambda: _(
                "%(who)s asks to move the deadline of %(code)s %(title)s from %(old)s to "
                "%(new)s: %(reason)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                old=extension.current_deadline.isoformat() if extension.current_deadline else "—",
                new=extension.requested_deadline.isoformat(),
                reason=extension.reason,
            ),
        )


def decide_extension(
    actor: User,
    extension: DeadlineExtension,
    approve: bool,
    comment: str = "",
    version: int | None = None,
) -> None:
    """Approve (the item's deadline moves to the requested date) or decline a pending
    request, with a comment; the owner is told. One unit of work with the reschedule.

    :raise PermissionDenied: for anyone but the deciders of the item's level.
    :raise StaleEdit: when the request changed after ``version`` was read.
    :raise InvalidTransition: when it is decided already, or the item is closed (approval).
    :raise ValidationFailed: declining without a comment; approving a date now past.
    """
    authorize(
        actor,
        "extension.decide",
        extension,
        message=_("Only the leader decides on a later deadline for a major item."),
    )
    check_version(extension, version)
    if extension.status != PENDING:
        raise InvalidTransition(_("This request has been decided already."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed(_("Say why the request is declined."), "comment")
    issue = extension.issue
    if approve:
        if extension.requested_deadline < clock.today():
            raise ValidationFailed(
                _("The requested deadline has passed: decline it and let the owner ask again."),
                "comment",
            )
        # The problem list's own reschedule: its checks (an open item) and its audit.
        issues.reschedule(actor, issue, extension.requested_deadline)
    outcome = APPROVED if approve else DECLINED
    extension.status = outcome
    extension.decided_by_id = actor.id
    extension.decided_at = clock.now()
    extension.comment = comment
    db.session.flush()  # a second decision that lost the race is refused here (StaleEdit)
    changes = {"status": [PENDING, outcome]}
    if comment:
        changes["comment"] = [None, comment]
    summary = f"{issue.code} {extension.requested_deadline.isoformat()} {comment}"
    audit.record(actor, outcome, extension, changes, summary=summary)
    # On the item, the action says the outcome; its fields are the date asked and the
    # decider's words (an item's "status" and "comment" mean other things there).
    on_item = {"requested_deadline": [None, extension.requested_deadline.isoformat()]}
    if comment:
        on_item["decision_comment"] = [None, comment]
    audit.record(actor, f"extension_{outcome}", issue, on_item, summary=summary)
    _tell_owner(actor, issue, extension)


def _tell_owner(actor: User, issue: Issue, extension: DeadlineExtension) -> None:
    """The requester hears of the decision, and the item's followers once, besides."""
    requester = extension.requested_by
    new = extension.requested_deadline.isoformat()
    comment = extension.comment or "—"
    if extension.status == APPROVED:

        def message():
            return _(
                "%(who)s approved the new deadline of %(code)s %(title)s: %(new)s. %(comment)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                new=new,
                comment=comment,
            )
    else:

        def message():
            return _(
                "%(who)s declined moving the deadline of %(code)s %(title)s to %(new)s: "
                "%(comment)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                new=new,
                comment=comment,
            )

    told: set[int] = set()
    if requester is not None and requester.id != actor.id:
        _tell(
            requester,
            "extension_decided",
            f"extension-decided:{extension.id}",
            _issue_link(issue),
            issue,
            issue.task_force_id,
            message,
        )
        told.add(requester.id)
    tell_followers(
        issue,
        "extension_decided",
        actor,
        message,
        url=_issue_link(issue),
        key=f"extension-decided:{extension.id}:followers",
        told=told,
    )


# --- reading ----------------------------------------------------------------------------------


def get_extension(extension_id) -> DeadlineExtension:
    """:raise NotFound: for an unknown id or one of another task force."""
    return get_in_scope(db.session, DeadlineExtension, extension_id)


def pending_of_issue(issue: Issue) -> DeadlineExtension | None:
    return db.session.scalar(
        select(DeadlineExtension).where(
            DeadlineExtension.issue_id == issue.id, DeadlineExtension.status == PENDING
        )
    )


@dataclass
class ExtensionHistory:
    """An item's requests, newest first, and what the approved ones did to its deadline."""

    requests: list[DeadlineExtension]

    @property
    def approved(self) -> list[DeadlineExtension]:
        return sorted(
            (r for r in self.requests if r.status == APPROVED),
            key=lambda r: (r.decided_at, r.id),
        )

    @property
    def pending(self) -> DeadlineExtension | None:
        return next((r for r in self.requests if r.status == PENDING), None)

    @property
    def original_deadline(self) -> date | None:
        """The deadline before the first approved extension."""
        approved = self.approved
        return approved[0].current_deadline if approved else None

    @property
    def times_extended(self) -> int:
        return len(self.approved)

    @property
    def extended_to(self) -> date | None:
        approved = self.approved
        return approved[-1].requested_deadline if approved else None


def history_of_issue(issue: Issue) -> ExtensionHistory:
    """The item's requests with their people: one query."""
    rows = db.session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.issue_id == issue.id)
        .options(
            joinedload(DeadlineExtension.requested_by), joinedload(DeadlineExtension.decided_by)
        )
        .order_by(DeadlineExtension.requested_at.desc(), DeadlineExtension.id.desc())
    ).all()
    return ExtensionHistory(list(rows))


@dataclass
class PendingRow:
    extension: DeadlineExtension
    mine: bool  # the reader decides it


def _decides(actor: User, task_force_ids: list[int]):
    """SQL: a pending request of an item whose level the actor decides, per task force."""
    clauses = []
    for task_force_id in task_force_ids:
        if not can(actor, "extension.decide", task_force_id):
            continue
        roles = actor.roles_in(task_force_id)
        major_too = bool(roles & deciders_for("leader"))
        clause = DeadlineExtension.task_force_id == task_force_id
        if not major_too:
            clause = and_(clause, Issue.major.is_(False))
        clauses.append(clause)
    return or_(false(), *clauses)


def pending_for_person(actor: User, task_force_ids: list[int]) -> list[PendingRow]:
    """Pending requests the actor asked for or decides, oldest first: one query."""
    ids = list(task_force_ids)
    with unscoped():  # across task forces: the query names them
        rows = db.session.scalars(
            select(DeadlineExtension)
            .join(Issue, Issue.id == DeadlineExtension.issue_id)
            .where(
                DeadlineExtension.task_force_id.in_(ids),
                DeadlineExtension.status == PENDING,
                or_(DeadlineExtension.requested_by_id == actor.id, _decides(actor, ids)),
            )
            .options(
                # Of the item, its heading alone (my items keep the list until one changes).
                contains_eager(DeadlineExtension.issue).load_only(
                    Issue.code, Issue.title, Issue.major, Issue.task_force_id
                ),
                joinedload(DeadlineExtension.requested_by),
            )
            .order_by(DeadlineExtension.requested_at, DeadlineExtension.id)
        ).all()
    return [PendingRow(e, can(actor, "extension.decide", e)) for e in rows]
