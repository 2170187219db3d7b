"""The workflow of an item (statuses, who may move it, the outcome of a decision) and
its progress, subtasks and milestones."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import audit, clock, hooks
from app.core.errors import (
    ConfirmationRequired,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from app.core.permissions import EXEC_LEADER
from app.core.service import check_version
from app.extensions import db
from app.issues.labels import STATUS_LABELS
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    FINISHED_STATUSES,
    IN_PROGRESS,
    NEW,
    PLANNING,
    STATUSES,
    VERIFYING,
    Issue,
    Milestone,
    ProgressUpdate,
    Subtask,
)
from app.issues.service.items import _assign, _notify_assignment, _tell
from app.issues.service.rules import _require_manager, _require_work, require_open
from app.people.models import Membership, User
from app.people.roster import active_member_ids

# (from, to) -> who may: "work" = owner, collaborator or manager; "manage" = leaders only.
TRANSITIONS: dict[tuple[str, str], str] = {
    (NEW, PLANNING): "work",
    (NEW, IN_PROGRESS): "work",
    (PLANNING, IN_PROGRESS): "work",
    (PLANNING, NEW): "work",
    (IN_PROGRESS, PLANNING): "work",
    (IN_PROGRESS, VERIFYING): "work",
    (VERIFYING, IN_PROGRESS): "work",
    (VERIFYING, CLOSED): "manage",
    (CLOSED, IN_PROGRESS): "manage",
    (DROPPED, PLANNING): "manage",
}
for _open in (NEW, PLANNING, IN_PROGRESS, VERIFYING):
    TRANSITIONS[(_open, BLOCKED)] = "work"
    TRANSITIONS[(_open, DROPPED)] = "manage"


for _resume in (NEW, PLANNING, IN_PROGRESS, VERIFYING):
    TRANSITIONS[(BLOCKED, _resume)] = "work"


TRANSITIONS[(BLOCKED, DROPPED)] = "manage"


def needs_reason(from_status: str, to_status: str) -> bool:
    """Blocking, dropping, reopening and sending back from verification need a reason."""
    return (
        to_status in (BLOCKED, DROPPED)
        or from_status in FINISHED_STATUSES
        or (from_status == VERIFYING and to_status == IN_PROGRESS)
    )


def allowed_transitions(actor: User, issue: Issue) -> list[str]:
    """The statuses ``actor`` may move ``issue`` to now (for buttons and the board)."""
    result = []
    for (source, target), who in TRANSITIONS.items():
        if source != issue.status:
            continue
        try:
            _check_transition(actor, issue, target, who)
        except (PermissionDenied, InvalidTransition):
            continue
        result.append(target)
    return result


def _check_transition(actor: User, issue: Issue, target: str, who: str) -> None:
    if who == "manage":
        _require_manager(actor, issue.task_force_id)
    else:
        _require_work(actor, issue)
    if target in (IN_PROGRESS, VERIFYING) and issue.owner_id is None:
        raise InvalidTransition(_("Assign an owner before work starts."))
    if target in (IN_PROGRESS, VERIFYING) and issue.acknowledged_at is None:
        raise InvalidTransition(
            _("The owner has not acknowledged the assignment yet; it cannot count as started.")
        )


def open_work(issue: Issue) -> dict | None:
    """What is still open on ``issue`` (milestones and subtasks not done) as plain data,
    the record kept with the verification when it is closed anyway; None when nothing is."""
    milestones = [
        {"title": m.title, "due_on": m.due_on.isoformat()} for m in issue.milestones if not m.done
    ]
    subtasks = [
        {
            "title": s.title,
            "deadline": s.deadline.isoformat() if s.deadline else None,
            "owner": s.owner.display_name if s.owner else None,
        }
        for s in issue.subtasks
        if not s.done
    ]
    if not milestones and not subtasks:
        return None
    return {"milestones": milestones, "subtasks": subtasks}


def describe_open_work(record: dict | None) -> list[str]:
    """The lines of an ``open_work`` record, in the reader's language."""
    lines = []
    for milestone in (record or {}).get("milestones", []):
        lines.append(
            _(
                "Milestone “%(title)s”, due %(day)s",
                title=milestone["title"],
                day=milestone["due_on"],
            )
        )
    for subtask in (record or {}).get("subtasks", []):
        title, owner, day = subtask["title"], subtask.get("owner"), subtask.get("deadline")
        if owner and day:
            line = _(
                "Subtask “%(title)s” (%(owner)s, due %(day)s)", title=title, owner=owner, day=day
            )
        elif owner:
            line = _("Subtask “%(title)s” (%(owner)s)", title=title, owner=owner)
        elif day:
            line = _("Subtask “%(title)s”, due %(day)s", title=title, day=day)
        else:
            line = _("Subtask “%(title)s”", title=title)
        lines.append(line)
    return lines


def change_status(
    actor: User,
    issue: Issue,
    target: str,
    reason: str = "",
    verification_note: str = "",
    version: int | None = None,
    confirmed: bool = False,
) -> None:
    """Move an item through the workflow.

    Closing (销号) an item whose milestones or subtasks are not all done needs
    ``confirmed``; what was still open is then kept with the verification and audited.

    :raise InvalidTransition: for a move the workflow forbids, with the reason why.
    :raise PermissionDenied: when the actor may not make this move.
    :raise ValidationFailed: when a reason or a verification note is missing.
    :raise ConfirmationRequired: when closing with open work, unconfirmed; ``details``
        lists it.
    """
    if target not in STATUSES:
        raise InvalidTransition(_("Unknown status."))
    check_version(issue, version)
    changes = _move(actor, issue, target, reason, verification_note, confirmed)
    audit.record(actor, "status_changed", issue, changes, summary=issue.code)
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)


def _check_move(
    actor: User, issue: Issue, target: str, reason: str, verification_note: str, confirmed: bool
) -> dict | None:
    """Every rule of a move, before anything changes; returns the open work a closing
    records (None when there is none)."""
    if target == issue.status:
        raise InvalidTransition(_("The item already has this status."))
    who = TRANSITIONS.get((issue.status, target))
    if who is None:
        raise InvalidTransition(
            _(
                "An item cannot go from “%(from)s” to “%(to)s”.",
                **{"from": STATUS_LABELS[issue.status], "to": STATUS_LABELS[target]},
            )
        )
    if target == CLOSED:
        _require_manager(
            actor, issue.task_force_id, _("Only the leader or the executive leader closes an item.")
        )
    _check_transition(actor, issue, target, who)
    if needs_reason(issue.status, target) and not reason:
        raise ValidationFailed(_("Give a reason."), "reason")
    if target == CLOSED and not verification_note.strip():
        raise ValidationFailed(_("Write what was verified before closing."), "verification_note")
    still_open = open_work(issue) if target == CLOSED else None
    if still_open and not confirmed:
        raise ConfirmationRequired(
            _(
                "%(code)s still has open milestones or subtasks. Close it anyway? "
                "What is still open is recorded with the verification.",
                code=issue.code,
            ),
            describe_open_work(still_open),
        )
    return still_open


def _move(
    actor: User,
    issue: Issue,
    target: str,
    reason: str = "",
    verification_note: str = "",
    confirmed: bool = False,
) -> dict:
    """The status change itself, with its checks and its messages; the caller audits the
    changes it returns (as a status change, or as part of a decision)."""
    reason = reason.strip()
    still_open = _check_move(actor, issue, target, reason, verification_note, confirmed)
    previous = issue.status
    changes = {"status": [previous, target]}
    issue.status = target
    if reason:
        issue.status_reason = reason
        changes["status_reason"] = [None, reason]
    if target == BLOCKED:
        issue.resume_status = previous
    if target == CLOSED:
        issue.closed_at = clock.now()
        issue.closed_by_id = actor.id
        issue.verification_note = verification_note.strip()
        issue.percent = 100
        changes["verification_note"] = [None, issue.verification_note]
        issue.open_at_closing = still_open
        if still_open:
            changes["open_at_closing"] = [None, still_open]
    elif previous == CLOSED:
        issue.closed_at = None
        issue.closed_by_id = None
        issue.open_at_closing = None
    _tell_about_status(actor, issue, previous, target, reason)
    moved = {"from": previous, "to": target, "reason": reason}
    hooks.ITEM_EVENTS.collect(hooks.ItemEvent("status_changed", actor, issue, moved))
    if target == CLOSED:
        hooks.ITEM_EVENTS.collect(hooks.ItemEvent("closed", actor, issue, moved))
    return changes


def reschedule(
    actor: User, issue: Issue, deadline: date | None, version: int | None = None
) -> dict:
    """Move an item's deadline. Returns the changes (none when the date stays).

    :raise PermissionDenied: unless the actor may work on the item.
    :raise InvalidTransition: for a closed or dropped item.
    """
    check_version(issue, version)
    changes = _reschedule(actor, issue, deadline)
    if changes:
        audit.record(actor, "rescheduled", issue, changes, summary=issue.code)
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)
    return changes


def _reschedule(actor: User, issue: Issue, deadline: date | None) -> dict:
    _require_work(actor, issue)
    require_open(issue)
    return audit.apply_changes(issue, {"deadline": deadline})


def reassign(actor: User, issue: Issue, owner_id: int, version: int | None = None) -> dict:
    """Give an item to another owner on the roster, who is told and acknowledges it.

    :raise PermissionDenied: for anyone but the leaders.
    :raise InvalidTransition: for a closed or dropped item.
    :raise ValidationFailed: for an owner off the roster.
    """
    check_version(issue, version)
    changes = _reassign(actor, issue, owner_id)
    if changes:
        audit.record(actor, "reassigned", issue, changes, summary=issue.code)
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)
    return changes


def _check_owner(issue: Issue, owner_id: int) -> None:
    if owner_id not in active_member_ids(issue.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")


def _reassign(actor: User, issue: Issue, owner_id: int) -> dict:
    _require_manager(actor, issue.task_force_id)
    require_open(issue)
    if owner_id == issue.owner_id:
        return {}
    _check_owner(issue, owner_id)
    changes = {"owner_id": [issue.owner_id, owner_id]}
    _assign(actor, issue, owner_id)
    _notify_assignment(actor, issue)
    return changes


def apply_outcome(
    actor: User,
    issue: Issue,
    *,
    unblock: bool = False,
    deadline: date | None = None,
    owner_id: int | None = None,
    reason: str = "",
) -> dict:
    """Apply what a decision settled through the workflow's own steps: unblocking is the
    status change, a new deadline the reschedule, a new owner the reassignment, each with
    its checks and its messages. The changes are audited together, as the decision
    ("decided"); the boundary commits them with the decision's own rows, or nothing.

    Returns the changes.

    :raise PermissionDenied, InvalidTransition, ValidationFailed: as the single changes would.
    """
    _require_manager(actor, issue.task_force_id)
    new_owner = owner_id is not None and owner_id != issue.owner_id
    new_deadline = deadline is not None and deadline != issue.deadline
    if unblock or new_owner or new_deadline:
        # A decision may still be recorded on a finished item; it changes nothing on it.
        require_open(issue)
    if new_owner:
        _check_owner(issue, owner_id)  # before anything changes
    changes: dict = {}
    # Unblock first: the workflow checks the owner who was there when work stopped.
    if unblock:
        if issue.status != BLOCKED:
            raise InvalidTransition(_("The item is not blocked."))
        moved = _move(actor, issue, issue.resume_status or IN_PROGRESS, reason)
        changes["status"] = moved["status"]
    if new_deadline:
        changes.update(_reschedule(actor, issue, deadline))
    if new_owner:
        changes.update(_reassign(actor, issue, owner_id))
    if changes:
        audit.record(actor, "decided", issue, changes, summary=f"{issue.code} {reason}"[:120])
    return changes


def _tell_about_status(actor: User, issue: Issue, previous: str, target: str, reason: str) -> None:
    """Tell the owner what the leaders did, and the leaders what the owner reports."""
    recipients: set[int] = set()
    if target == VERIFYING:
        recipients = {
            m.user_id
            for m in db.session.scalars(
                select(Membership).where(
                    Membership.task_force_id == issue.task_force_id,
                    Membership.role == EXEC_LEADER,
                    Membership.active_on(clock.today()),
                )
            )
        }
    elif issue.owner_id and issue.owner_id != actor.id:
        recipients = {issue.owner_id}
    recipients.discard(actor.id)
    stamp = clock.now().isoformat()

    def message() -> str:
        text = _(
            "%(code)s %(title)s: %(from)s → %(to)s (%(who)s)",
            code=issue.code,
            title=issue.title,
            who=actor.display_name,
            **{"from": STATUS_LABELS[previous], "to": STATUS_LABELS[target]},
        )
        return f"{text} — {reason}" if reason else text

    for user in db.session.scalars(select(User).where(User.id.in_(recipients))):
        _tell(user, "status", issue, f"status:{issue.id}:{target}:{user.id}:{stamp}", message)
    # The item's followers hear of it too, once (the discussion, a floor up, answers).
    hooks.ISSUE_EVENTS.collect(
        actor, issue, "status", message, f"status:{issue.id}:{target}:{stamp}", recipients
    )


def add_progress(
    actor: User, issue: Issue, note: str, percent: int | None = None
) -> ProgressUpdate:
    _require_work(actor, issue)
    require_open(issue)
    if not note.strip():
        raise ValidationFailed(_("Write what happened."), "note")
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationFailed(_("Between 0 and 100."), "percent")
    update_ = ProgressUpdate(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        author_id=actor.id,
        note=note.strip(),
        percent=percent,
    )
    db.session.add(update_)
    issue.last_progress_at = clock.now()
    changes = {}
    if percent is not None and percent != issue.percent:
        changes["percent"] = [issue.percent, percent]
        issue.percent = percent
    db.session.flush()
    audit.record(actor, "progress", issue, changes, summary=note.strip()[:120])
    return update_


def add_subtask(
    actor: User, issue: Issue, title: str, owner_id: int | None = None, deadline: date | None = None
) -> Subtask:
    _require_work(actor, issue)
    require_open(issue)
    if owner_id is not None and owner_id not in active_member_ids(issue.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    subtask = Subtask(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        title=title.strip(),
        owner_id=owner_id,
        deadline=deadline,
        sort_order=(
            db.session.scalar(
                select(func.max(Subtask.sort_order)).where(Subtask.issue_id == issue.id)
            )
            or 0
        )
        + 1,
    )
    db.session.add(subtask)
    db.session.flush()
    audit.record(
        actor, "subtask_added", issue, {"subtask": [None, subtask.title]}, summary=issue.code
    )
    return subtask


def set_subtask_done(actor: User, subtask: Subtask, done: bool) -> None:
    issue = subtask.issue
    if subtask.owner_id != actor.id:
        _require_work(actor, issue)
    require_open(issue)
    subtask.done_at = clock.now() if done else None
    audit.record(
        actor,
        "subtask_done" if done else "subtask_reopened",
        issue,
        {"subtask": [subtask.title, subtask.title]},
        summary=issue.code,
    )


def add_milestone(
    actor: User, issue: Issue, title: str, due_on: date, starts_on: date | None = None
) -> Milestone:
    _require_work(actor, issue)
    require_open(issue)
    if starts_on is not None and starts_on > due_on:
        raise ValidationFailed(_("The start must not be after the due date."), "starts_on")
    milestone = Milestone(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        title=title.strip(),
        starts_on=starts_on,
        due_on=due_on,
    )
    db.session.add(milestone)
    db.session.flush()
    audit.record(
        actor,
        "milestone_added",
        issue,
        {"milestone": [None, f"{milestone.title} {due_on.isoformat()}"]},
        summary=issue.code,
    )
    return milestone


def set_milestone_done(actor: User, milestone: Milestone, done: bool) -> None:
    issue = milestone.issue
    _require_work(actor, issue)
    require_open(issue)
    milestone.done_on = clock.today() if done else None
    audit.record(
        actor,
        "milestone_done" if done else "milestone_reopened",
        issue,
        {"milestone": [milestone.title, milestone.title]},
        summary=issue.code,
    )


def reschedule_milestone(actor: User, milestone: Milestone, due_on: date) -> None:
    issue = milestone.issue
    _require_work(actor, issue)
    require_open(issue)
    changes = audit.apply_changes(milestone, {"due_on": due_on})
    if changes:
        audit.record(actor, "milestone_rescheduled", issue, changes, summary=issue.code)
