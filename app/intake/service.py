"""Front-line submissions (调研意见) and their triage.

Where a submission goes: frontline staff are on no task force (their role is bank-wide),
so they choose among the open task forces, every one of which takes submissions; anyone
else submits to a task force they serve on (members, temporary members and the leaders;
viewers only read). The submitter sees their own submissions, across task forces, and
nothing else of a task force they are not on.

The leaders triage: accept (a new issue from it, source "intake", linked back), merge into
an existing issue, or decline with a reason. The submitter is told the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import FRONTLINE, authorize, can
from app.core.scope import get_in_scope, task_force_scope, unscoped
from app.core.service import check_version
from app.extensions import db
from app.intake.models import ACCEPTED, DECLINED, MERGED, STATES, SUBMITTED, Submission
from app.issues import service as issues
from app.issues.models import Category, Issue
from app.people.models import OrgUnit, TaskForce, User
from app.people.service import available_task_forces

# --- submitting ------------------------------------------------------------------------------


def open_task_forces(actor: User) -> list[TaskForce]:
    """The task forces ``actor`` may submit to (see the module's docstring)."""
    if actor.role == FRONTLINE:
        return list(
            db.session.scalars(
                select(TaskForce).where(TaskForce.archived_at.is_(None)).order_by(TaskForce.name)
            )
        )
    return [tf for tf in available_task_forces(actor) if can(actor, "intake.submit", tf.id)]


def category_options(task_force_ids: list[int]) -> list[tuple[int, int, str]]:
    """(task force id, category id, name) of the open categories, in tree order: one query."""
    if not task_force_ids:
        return []
    from app.core.tree import depth_first

    with unscoped():
        categories = list(
            db.session.scalars(
                select(Category).where(
                    Category.task_force_id.in_(task_force_ids), Category.archived_at.is_(None)
                )
            )
        )
    rows = depth_first(categories, lambda c: (c.task_force_id, c.sort_order, c.id))
    return [(c.task_force_id, c.id, "\u3000" * depth + c.name) for c, depth in rows]


def last_used_task_force(actor: User, task_force_ids: list[int]) -> int | None:
    """Of ``task_force_ids``, the task force the actor last submitted to: one query."""
    if not task_force_ids:
        return None
    with unscoped():  # the submitter's own rows, whichever task force they went to
        return db.session.scalar(
            select(Submission.task_force_id)
            .where(
                Submission.submitter_id == actor.id,
                Submission.task_force_id.in_(task_force_ids),
            )
            .order_by(Submission.id.desc())
            .limit(1)
        )


@dataclass
class SubmissionInput:
    task_force_id: int
    title: str
    description: str = ""
    category_id: int | None = None
    org_unit_id: int | None = None
    show_name: bool = True


def submit(actor: User, data: SubmissionInput) -> Submission:
    """:raise ValidationFailed: on a task force the actor may not submit to, a category of
    another task force, a missing title."""
    if data.task_force_id not in {tf.id for tf in open_task_forces(actor)}:
        raise ValidationFailed(_("Choose a task force."), "task_force_id")
    authorize(actor, "intake.submit", data.task_force_id)
    title = (data.title or "").strip()
    if not title:
        raise ValidationFailed(_("Give it a title."), "title")
    with task_force_scope(data.task_force_id):
        if data.category_id is not None:
            found = db.session.scalar(
                select(Category.id).where(
                    Category.id == data.category_id,
                    Category.task_force_id == data.task_force_id,
                )
            )
            if found is None:
                raise ValidationFailed(
                    _("Choose a dimension of the chosen task force."), "category_id"
                )
        if data.org_unit_id is not None and db.session.get(OrgUnit, data.org_unit_id) is None:
            raise ValidationFailed(_("Unknown org unit."), "org_unit_id")
        submission = Submission(
            task_force_id=data.task_force_id,
            submitter_id=actor.id,
            title=title,
            description=(data.description or "").strip(),
            category_id=data.category_id,
            org_unit_id=data.org_unit_id,
            show_name=data.show_name,
            state=SUBMITTED,
        )
        db.session.add(submission)
        db.session.flush()
        audit.record(actor, "submitted", submission, {"title": [None, title]}, summary=title)
    return submission


@dataclass
class MineRow:
    submission: Submission
    task_force_name: str
    issue_code: str | None
    issue_title: str | None
    may_open_issue: bool


def my_submissions(actor: User) -> list[MineRow]:
    """The actor's own submissions in every task force, newest first: one query.

    Deliberately unscoped (a frontline user has no current task force) and limited to
    the submitter's own rows.
    """
    with unscoped():
        rows = db.session.execute(
            select(Submission, TaskForce.name, Issue.code, Issue.title)
            .join(TaskForce, TaskForce.id == Submission.task_force_id)
            .outerjoin(Issue, Issue.id == Submission.issue_id)
            .where(Submission.submitter_id == actor.id)
            .options(joinedload(Submission.category))
            .order_by(Submission.created_at.desc(), Submission.id.desc())
        ).all()
    return [
        MineRow(
            s, name, code, title, code is not None and can(actor, "issue.view", s.task_force_id)
        )
        for s, name, code, title in rows
    ]


# --- triage ----------------------------------------------------------------------------------


def get_submission(submission_id) -> Submission:
    """:raise NotFound: for an unknown id or one of another task force."""
    return get_in_scope(db.session, Submission, submission_id)


def load_for_triage(actor: User, submission_id) -> Submission:
    submission = get_submission(submission_id)
    authorize(actor, "intake.triage", submission.task_force_id)
    return submission


def triage_queue(actor: User, task_force_id: int, state: str | None = SUBMITTED):
    """Submissions to the task force, oldest waiting first: one query."""
    authorize(actor, "intake.triage", task_force_id)
    stmt = (
        select(Submission)
        .where(Submission.task_force_id == task_force_id)
        .options(
            joinedload(Submission.submitter),
            joinedload(Submission.category),
            joinedload(Submission.org_unit),
            joinedload(Submission.issue),
        )
    )
    if state in STATES:
        stmt = stmt.where(Submission.state == state)
    if state == SUBMITTED:
        stmt = stmt.order_by(Submission.created_at, Submission.id)
    else:
        stmt = stmt.order_by(Submission.created_at.desc(), Submission.id.desc())
    return list(db.session.scalars(stmt))


@dataclass
class IntakeFigures:
    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    became_issues: int = 0  # accepted as new issues
    merged: int = 0
    by_category: list[tuple[str, int, int]] = field(default_factory=list)  # name, n, issues
    by_org_unit: list[tuple[str, int, int]] = field(default_factory=list)


def figures(actor: User, task_force_id: int) -> IntakeFigures:
    """Submissions per dimension and org unit, and how many became issues: three queries."""
    authorize(actor, "intake.triage", task_force_id)
    return figures_of(task_force_id)


def figures_of(
    task_force_id: int, since: datetime | None = None, until: datetime | None = None
) -> IntakeFigures:
    """``figures`` without the permission check, of the submissions made from ``since``
    (naive UTC, inclusive) to ``until`` (exclusive) when given (the review pack)."""
    result = IntakeFigures()
    scope = [Submission.task_force_id == task_force_id]
    if since is not None:
        scope.append(Submission.created_at >= since)
    if until is not None:
        scope.append(Submission.created_at < until)
    for state, n in db.session.execute(
        select(Submission.state, func.count(Submission.id)).where(*scope).group_by(Submission.state)
    ):
        result.by_state[state] = n
    result.total = sum(result.by_state.values())
    result.became_issues = result.by_state.get(ACCEPTED, 0)
    result.merged = result.by_state.get(MERGED, 0)
    became = func.count(Submission.id).filter(Submission.state.in_((ACCEPTED, MERGED)))
    result.by_category = [
        (name or _("No dimension"), n, k)
        for name, n, k in db.session.execute(
            select(Category.name, func.count(Submission.id), became)
            .select_from(Submission)
            .outerjoin(Category, Category.id == Submission.category_id)
            .where(*scope)
            .group_by(Category.name)
            .order_by(func.count(Submission.id).desc(), Category.name)
        )
    ]
    result.by_org_unit = [
        (name or _("No org unit"), n, k)
        for name, n, k in db.session.execute(
            select(OrgUnit.name, func.count(Submission.id), became)
            .select_from(Submission)
            .outerjoin(OrgUnit, OrgUnit.id == Submission.org_unit_id)
            .where(*scope)
            .group_by(OrgUnit.name)
            .order_by(func.count(Submission.id).desc(), OrgUnit.name)
        )
    ]
    return result


def _require_waiting(submission: Submission, version: int | None) -> None:
    check_version(submission, version)
    if submission.state != SUBMITTED:
        raise InvalidTransition(_("This submission has been triaged already."))


def _tell_submitter(actor: User, submission: Submission, message) -> None:
    submitter = db.session.get(User, submission.submitter_id)
    if submitter is None or submitter.id == actor.id:
        return
    tell(
        submitter,
        "intake",
        message,
        f"intake:{submission.id}:{submission.state}",
        "/intake/mine",
        submission,
        submission.task_force_id,
    )


def _triaged(actor: User, submission: Submission, state: str) -> None:
    """Claim the submission for one outcome. Flushed at once: of two people triaging it at
    the same moment, the second meets the changed row here (StaleEdit, on their form)."""
    submission.state = state
    submission.triaged_by_id = actor.id
    submission.triaged_at = clock.now()
    db.session.flush()


def accept(
    actor: User, submission: Submission, data: issues.IssueInput, version: int | None = None
) -> Issue:
    """Open a new issue from the submission (source "intake") and link it back.

    The issue is created by the problem list's own service (its rules, numbering, audit
    and assignment message) and the link is written in the same unit of work: both are
    kept, or neither (the boundary commits them together).

    :raise StaleEdit: when someone else triaged the submission at the same moment; no
        issue is created then.
    """
    authorize(actor, "intake.triage", submission.task_force_id)
    _require_waiting(submission, version)
    data.source = "intake"
    # The submission is claimed in the transaction that creates the issue: of two people
    # accepting it at once, the second one's claim meets a changed row, and no second
    # issue is created.
    _triaged(actor, submission, ACCEPTED)
    issue = issues.create_issue(actor, submission.task_force_id, data)
    submission.issue_id = issue.id
    audit.record(actor, "accepted", submission, {"issue_id": [None, issue.id]}, summary=issue.code)
    _tell_submitter(
        actor,
        submission,
        lambda: _(
            "Your submission “%(title)s” was accepted as %(code)s.",
            title=submission.title,
            code=issue.code,
        ),
    )
    return issue


def merge(
    actor: User, submission: Submission, issue_id: int | None, version: int | None = None
) -> Issue:
    """Fold the submission into an existing issue of the same task force."""
    authorize(actor, "intake.triage", submission.task_force_id)
    _require_waiting(submission, version)
    issue = db.session.scalar(
        select(Issue).where(Issue.id == issue_id, Issue.task_force_id == submission.task_force_id)
    )
    if issue is None:
        raise ValidationFailed(_("Choose an item of this task force."), "issue_id")
    _triaged(actor, submission, MERGED)
    submission.issue_id = issue.id
    audit.record(actor, "merged", submission, {"issue_id": [None, issue.id]}, summary=issue.code)
    audit.record(
        actor,
        "intake_merged",
        issue,
        {"intake": [None, submission.id]},
        summary=submission.title,
    )
    _tell_submitter(
        actor,
        submission,
        lambda: _(
            "Your submission “%(title)s” was merged into %(code)s.",
            title=submission.title,
            code=issue.code,
        ),
    )
    return issue


def decline(actor: User, submission: Submission, reason: str, version: int | None = None) -> None:
    authorize(actor, "intake.triage", submission.task_force_id)
    _require_waiting(submission, version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), "reason")
    _triaged(actor, submission, DECLINED)
    submission.decline_reason = reason
    audit.record(actor, "declined", submission, {"reason": [None, reason]}, summary=reason[:120])
    _tell_submitter(
        actor,
        submission,
        lambda: _(
            "Your submission “%(title)s” was declined: %(reason)s",
            title=submission.title,
            reason=reason,
        ),
    )


def issue_prefill(submission: Submission) -> dict:
    """Values for the new-issue form of an accepted submission."""
    name = submission.submitter.display_name if submission.show_name else _("anonymous")
    description = submission.description
    note = _("From a frontline submission by %(name)s.", name=name)
    return {
        "title": submission.title,
        "description": f"{description}\n\n{note}".strip(),
        "category_id": submission.category_id,
        "org_unit_id": submission.org_unit_id,
    }


def merge_options(task_force_id: int) -> list[tuple[int, str]]:
    """(id, "code title") of the task force's issues, for the merge select: one query."""
    return [
        (i, f"{code} {title}")
        for i, code, title in db.session.execute(
            select(Issue.id, Issue.code, Issue.title)
            .where(Issue.task_force_id == task_force_id)
            .order_by(Issue.code)
        )
    ]
