"""Deciding an escalation, and scheduling it for a meeting.

An escalation to the executive leader is decided by the executive leader or the leader;
one to the leader by the leader alone (``escalation.decide``). Deciding writes the
decision and applies it to the issue (unblock, new deadline, new owner) in one unit of
work, and tells the raiser and the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import ConfirmationRequired, InvalidTransition, ValidationFailed
from app.core.permissions import authorize
from app.core.service import check_version
from app.decisions.models import DECIDED, PENDING, Decision, Escalation
from app.decisions.service.escalations import _tell
from app.decisions.service.meeting_links import meeting_choice
from app.discussion import tell_followers
from app.extensions import db
from app.issues import service as issues
from app.people.models import User


@dataclass
class DecisionInput:
    text: str
    chosen_option: str = ""
    rationale: str = ""
    unblock: bool = False
    new_deadline: date | None = None
    new_owner_id: int | None = None
    meeting_id: int | None = None


def decide(
    actor: User, escalation: Escalation, data: DecisionInput, version: int | None = None
) -> Decision:
    """Record the decision and apply it to the issue, as one unit of work.

    :raise PermissionDenied: when the actor may not decide at this level.
    :raise InvalidTransition: when it is decided already, or the issue cannot be unblocked.
    :raise ValidationFailed: on a missing decision text, an unknown option or owner.
    :raise StaleEdit: when someone changed the escalation after ``version`` was read.
    What was flushed before any of these is raised is rolled back by the boundary.
    """
    authorize(
        actor,
        "escalation.decide",
        escalation,
        message=_("Only the leader decides an escalation to the leader."),
    )
    check_version(escalation, version)
    if escalation.status != PENDING:
        raise InvalidTransition(_("This escalation is decided already."))
    text = (data.text or "").strip()
    if not text:
        raise ValidationFailed(_("Write the decision."), "text")
    chosen = (data.chosen_option or "").strip()
    if chosen and chosen not in escalation.options:
        raise ValidationFailed(_("Choose one of the options."), "chosen_option")
    meeting_id = data.meeting_id
    if meeting_id is not None and meeting_choice(escalation.task_force_id, meeting_id) is None:
        raise ValidationFailed(_("Choose one of the meetings."), "meeting_id")
    issue = escalation.issue
    issue_changes = issues.apply_outcome(
        actor,
        issue,
        unblock=data.unblock,
        deadline=data.new_deadline,
        owner_id=data.new_owner_id,
        reason=text,
    )
    decision = Decision(
        task_force_id=escalation.task_force_id,
        escalation_id=escalation.id,
        text=text,
        chosen_option=chosen,
        rationale=(data.rationale or "").strip(),
        decided_by_id=actor.id,
        decided_at=clock.now(),
        meeting_id=data.meeting_id,
        unblocked="status" in issue_changes,
        new_deadline=data.new_deadline if "deadline" in issue_changes else None,
        new_owner_id=data.new_owner_id if "owner_id" in issue_changes else None,
    )
    db.session.add(decision)
    escalation.status = DECIDED
    db.session.flush()
    audit.record(
        actor,
        "decided",
        escalation,
        {"status": [PENDING, DECIDED], "decision": [None, text]},
        summary=f"{issue.code} {text}",
    )
    _tell_of_decision(actor, escalation, decision, text)
    return decision


def _tell_of_decision(actor: User, escalation: Escalation, decision: Decision, text: str) -> None:
    """The raiser and the owner are told; then the item's followers, once each."""
    issue = escalation.issue
    recipients = {escalation.raised_by_id, issue.owner_id} - {None, actor.id}
    for user in db.session.scalars(select(User).where(User.id.in_(recipients))):
        _tell(
            user,
            "decision",
            f"decision:{decision.id}:{user.id}",
            f"/escalations/{escalation.id}",
            escalation,
            escalation.task_force_id,
            lambda: _(
                "%(who)s decided on %(code)s %(title)s: %(text)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                text=text,
            ),
        )
    # The item's followers hear of the decision too, once; those told above are not.
    tell_followers(
        issue,
        "decision",
        actor,
        lambda: _(
            "%(who)s decided on %(code)s %(title)s: %(text)s",
            who=actor.display_name,
            code=issue.code,
            title=issue.title,
            text=text,
        ),
        url=f"/escalations/{escalation.id}",
        key=f"decision:{decision.id}:followers",
        told=recipients,
    )


def schedule(
    actor: User,
    escalation: Escalation,
    day: date | None,
    meeting_id: int | None = None,
    confirmed: bool = False,
) -> None:
    """Put a pending escalation on the agenda of the meeting ``meeting_id`` (one of its task
    force's), or of the meeting held on ``day``; neither: take it off.

    :raise ConfirmationRequired: for a meeting after the decision's due date, unless
        ``confirmed``: the decision would come late.
    """
    authorize(actor, "escalation.decide", escalation.task_force_id)
    if escalation.status != PENDING:
        raise InvalidTransition(_("This escalation is decided already."))
    if meeting_id is not None:
        meeting = meeting_choice(escalation.task_force_id, meeting_id)
        if meeting is None:
            raise ValidationFailed(_("Choose one of the meetings."), "meeting_id")
        if meeting.day < clock.today():
            raise ValidationFailed(_("This meeting has taken place already."), "meeting_id")
        day = meeting.day
    if day is not None and day < clock.today():
        raise ValidationFailed(_("The meeting day must not be in the past."), "day")
    late = day is not None and day > escalation.due_on and day != escalation.scheduled_for
    if late and not confirmed:
        raise ConfirmationRequired(
            _(
                "The meeting on %(day)s is after the decision's due date, %(due)s: the "
                "decision would come late. Put it on that meeting's agenda anyway?",
                day=day.isoformat(),
                due=escalation.due_on.isoformat(),
            ),
            field="meeting_id" if meeting_id is not None else "day",
        )
    changes = audit.apply_changes(escalation, {"scheduled_for": day})
    if changes:
        audit.record(actor, "scheduled", escalation, changes, summary=escalation.question[:120])
