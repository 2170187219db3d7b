"""Bulk edit (批量操作): one change applied to many items, each by its own rules.

Every item goes through the service a single edit uses (``update_issue`` for the fields,
``change_status`` for the workflow), inside its own savepoint: an item the rules refuse
changes nothing of itself, and the others are kept; the request's boundary commits all
that was allowed at once. Each changed item gets the one audit event its service writes.
The services' messages about single items are held, and each person concerned is told
once, with the list of their items.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core import clock, history
from app.core.errors import DomainError, StaleEdit, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import PRIORITIES, STATUSES, Issue
from app.issues.service.items import IssueInput, holding_messages, update_issue
from app.issues.service.queries import IssueFilter, filtered
from app.issues.service.workflow import change_status
from app.people.models import User

# The most items one bulk change takes, whether picked by hand or by the filter.
LIMIT = 500


@dataclass
class BulkChange:
    """What to change; ``None`` (or an empty list) leaves a field as each item has it."""

    owner_id: int | None = None
    add_collaborator_ids: list[int] = field(default_factory=list)
    remove_collaborator_ids: list[int] = field(default_factory=list)
    deadline: date | None = None
    priority: str | None = None
    category_id: int | None = None
    major: bool | None = None
    status: str | None = None
    # The reason a status change may need (blocking, dropping, reopening); closing takes
    # it as the verification note.
    reason: str = ""

    def fields_changed(self) -> bool:
        return bool(
            self.owner_id is not None
            or self.add_collaborator_ids
            or self.remove_collaborator_ids
            or self.deadline is not None
            or self.priority is not None
            or self.category_id is not None
            or self.major is not None
        )


@dataclass
class Selection:
    """The items picked: by hand, each with the version the list showed; or every item
    matching the list's filter, as the list stood at ``shown_at``."""

    versions: dict[int, int | None] = field(default_factory=dict)
    filters: IssueFilter | None = None
    shown_at: datetime | None = None


@dataclass
class ItemResult:
    issue: Issue
    changes: dict = field(default_factory=dict)
    refusal: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes) and self.refusal is None


@dataclass
class BulkResult:
    items: list[ItemResult]

    @property
    def changed(self) -> list[ItemResult]:
        return [r for r in self.items if r.changed]

    @property
    def refused(self) -> list[ItemResult]:
        return [r for r in self.items if r.refusal is not None]

    @property
    def unchanged(self) -> list[ItemResult]:
        return [r for r in self.items if r.refusal is None and not r.changes]


def check_change(change: BulkChange) -> None:
    """:raise ValidationFailed: for no change at all, a status with other fields, or an
    unknown value."""
    if change.status is None and not change.fields_changed():
        raise ValidationFailed(_("Choose at least one change."))
    if change.status is not None and change.fields_changed():
        raise ValidationFailed(
            _("Change the status on its own: each item moves through its own workflow."),
            "status",
        )
    if change.status is not None and change.status not in STATUSES:
        raise ValidationFailed(_("Unknown status."), "status")
    if change.priority is not None and change.priority not in PRIORITIES:
        raise ValidationFailed(_("Unknown priority."), "priority")
    if set(change.add_collaborator_ids) & set(change.remove_collaborator_ids):
        raise ValidationFailed(
            _("A person cannot be added and removed at once."), "remove_collaborator_ids"
        )


def selected_issues(actor: User, task_force_id: int, selection: Selection) -> list[Issue]:
    """The items of the selection, in the list's order by code; a filter is run again here.

    :raise ValidationFailed: when nothing is selected or more than ``LIMIT`` items are.
    """
    authorize(actor, "issue.bulk", task_force_id)
    if selection.filters is not None:
        base = filtered(task_force_id, selection.filters, LightRules.current())
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        if total > LIMIT:
            raise ValidationFailed(
                _(
                    "%(n)d items match this filter; a bulk change takes at most %(limit)d. "
                    "Narrow the filter and apply it in parts.",
                    n=total,
                    limit=LIMIT,
                )
            )
        stmt = base
    else:
        if len(selection.versions) > LIMIT:
            raise ValidationFailed(_("A bulk change takes at most %(limit)d items.", limit=LIMIT))
        stmt = select(Issue).where(
            Issue.task_force_id == task_force_id, Issue.id.in_(list(selection.versions))
        )
    issues = list(
        db.session.scalars(
            stmt.options(selectinload(Issue.collaborators)).order_by(Issue.code, Issue.id)
        )
    )
    if not issues:
        raise ValidationFailed(_("Select at least one item."))
    return issues


def _input_of(issue: Issue, change: BulkChange) -> IssueInput:
    """The edit form of ``issue`` as it stands, with the bulk change typed in."""
    collaborators = [u.id for u in issue.collaborators]
    collaborators += [uid for uid in change.add_collaborator_ids if uid not in collaborators]
    collaborators = [uid for uid in collaborators if uid not in change.remove_collaborator_ids]
    return IssueInput(
        title=issue.title,
        category_id=change.category_id if change.category_id is not None else issue.category_id,
        description=issue.description,
        solution=issue.solution,
        owner_id=change.owner_id if change.owner_id is not None else issue.owner_id,
        collaborator_ids=collaborators,
        org_unit_id=issue.org_unit_id,
        deadline=change.deadline if change.deadline is not None else issue.deadline,
        priority=change.priority or issue.priority,
        major=change.major if change.major is not None else issue.major,
        source=issue.source,
    )


def _changed_meanwhile(issue: Issue, selection: Selection) -> bool:
    if selection.filters is not None:
        return selection.shown_at is not None and issue.updated_at > selection.shown_at
    version = selection.versions.get(issue.id)
    return version is not None and version != issue.version


def _apply(actor: User, issue: Issue, change: BulkChange) -> dict:
    if change.status is not None:
        previous = issue.status
        change_status(
            actor, issue, change.status, reason=change.reason, verification_note=change.reason
        )
        return {"status": [previous, change.status]}
    return update_issue(actor, issue, _input_of(issue, change), None)


def apply_bulk(
    actor: User, task_force_id: int, selection: Selection, change: BulkChange
) -> BulkResult:
    """Apply ``change`` to every selected item its rules allow; returns what happened to
    each. Flushes; the caller's boundary commits.

    :raise ValidationFailed: for a change that is no change, or a selection too large.
    """
    check_change(change)
    issues = selected_issues(actor, task_force_id, selection)
    results: list[ItemResult] = []
    told: dict[int, tuple[User, list[ItemResult]]] = {}
    for issue in issues:
        result = ItemResult(issue)
        results.append(result)
        if _changed_meanwhile(issue, selection):
            result.refusal = _("Changed by someone else since the list was shown.")
            continue
        old_owner_id = issue.owner_id
        try:
            with db.session.begin_nested(), holding_messages() as held:
                result.changes = _apply(actor, issue, change)
        except StaleEdit:
            result.refusal = _("Changed by someone else since the list was shown.")
            continue
        except DomainError as error:
            result.refusal = str(error)
            continue
        if not result.changes:
            continue
        concerned = {r.id: r for r, _issue in held}
        for owner_id in {old_owner_id, issue.owner_id} - {None} - set(concerned):
            concerned[owner_id] = db.session.get(User, owner_id)
        for user in concerned.values():
            if user.id != actor.id:
                told.setdefault(user.id, (user, []))[1].append(result)
    _tell_each_once(actor, task_force_id, told)
    db.session.flush()
    return BulkResult(results)


def describe_changes(result: ItemResult, actor: User | None = None) -> list[str]:
    """The changes of one item as a person reads them (labels and names, not keys), in
    the language of the moment: "优先级：中 → 紧急"."""
    event = SimpleNamespace(
        entity_type="issue",
        entity_id=result.issue.id,
        changes=result.changes,
        action="updated",
    )
    return [
        _("%(field)s: %(old)s → %(new)s", field=c.label, old=c.old, new=c.new)
        for c in history.describe([(event, actor)])[0].changes
    ]


def _tell_each_once(
    actor: User, task_force_id: int, told: dict[int, tuple[User, list[ItemResult]]]
) -> None:
    stamp = clock.now().isoformat()
    for user, results in told.values():
        codes = ",".join(str(r.issue.id) for r in results)
        digest = hashlib.sha256(f"{codes}:{results[0].changes}".encode()).hexdigest()[:16]

        def message(results=results) -> str:
            lines = [
                ngettext(
                    "%(who)s changed %(num)d items that concern you, in one go:",
                    "%(who)s changed %(num)d items that concern you, in one go:",
                    len(results),
                    who=actor.display_name,
                )
            ]
            for r in results:
                what = pgettext("list separator", "; ").join(describe_changes(r, actor))
                lines.append(f"{r.issue.code} {r.issue.title} — {what}")
            return "\n".join(lines)

        link = f"/issues/{results[0].issue.id}" if len(results) == 1 else "/my"
        tell(
            user,
            "bulk",
            message,
            f"bulk:{actor.id}:{user.id}:{stamp}:{digest}",
            link,
            task_force_id=task_force_id,
        )
