"""Links between items (关联): blocks, relates to, duplicates; and closing an item as a
duplicate of the one kept.

A link is one row from its source. Each item reads it from its own side: the source
"blocks KH-012", the target "is blocked by KH-003". Whoever may work on the item being
edited (``issue.work``) links it to any item of the same task force; every link is
audited on both items, each in its own words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.core import audit
from app.core.database import among_ids, constant_in
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.service import check_version
from app.extensions import db
from app.issues.links import BLOCKS, DUPLICATES, RELATES, IssueLink
from app.issues.models import DROPPED, OPEN_STATUSES, Issue
from app.issues.service.rules import _require_work, require_open
from app.issues.service.workflow import change_status
from app.people.models import User

# The kinds as the item being edited reads them: (stored kind, this item is the source).
BLOCKED_BY = "blocked_by"
DUPLICATED_BY = "duplicated_by"
SIDES: dict[str, tuple[str, bool]] = {
    BLOCKS: (BLOCKS, True),
    BLOCKED_BY: (BLOCKS, False),
    RELATES: (RELATES, True),
    DUPLICATES: (DUPLICATES, True),
    DUPLICATED_BY: (DUPLICATES, False),
}
# What a person may choose on an item's page ("duplicated by" is made from the other side).
CHOSEN_KINDS = (BLOCKS, BLOCKED_BY, RELATES, DUPLICATES)
# The two ends of a link, made once: a fresh alias per call would miss SQLAlchemy's
# statement cache and rebuild the item's columns every time (about 2 ms an item page).
_SOURCE, _TARGET = aliased(Issue, name="link_source"), aliased(Issue, name="link_target")


def side_of(link: IssueLink, issue_id: int) -> str:
    """The kind of ``link`` as the item ``issue_id`` reads it."""
    if link.kind == RELATES or link.source_id == issue_id:
        return link.kind
    return BLOCKED_BY if link.kind == BLOCKS else DUPLICATED_BY


@dataclass(frozen=True)
class Related:
    """One link as an item's page shows it."""

    id: int
    kind: str  # a key of SIDES, from this item's side
    other: Issue

    @property
    def open_blocker(self) -> bool:
        return self.kind == BLOCKED_BY and self.other.status in OPEN_STATUSES


def links_of(issue: Issue) -> list[Related]:
    """The links of ``issue`` with their other items: one query, however many."""
    source, target = _SOURCE, _TARGET
    rows = db.session.execute(
        select(IssueLink, source, target)
        .join(source, source.id == IssueLink.source_id)
        .join(target, target.id == IssueLink.target_id)
        .where(or_(IssueLink.source_id == issue.id, IssueLink.target_id == issue.id))
        .order_by(IssueLink.kind, IssueLink.id)
    )
    result = []
    for link, src, tgt in rows:
        other = tgt if link.source_id == issue.id else src
        result.append(Related(link.id, side_of(link, issue.id), other))
    order = {kind: n for n, kind in enumerate(SIDES)}
    return sorted(result, key=lambda r: (order[r.kind], r.other.code))


def open_blockers(issue_ids: Iterable[int]) -> dict[int, list[str]]:
    """The codes of the open items blocking each of ``issue_ids`` (for the boards): one
    query for any number of items."""
    ids = list(issue_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(IssueLink.target_id, Issue.code)
        .join(Issue, Issue.id == IssueLink.source_id)
        .where(
            constant_in(IssueLink.kind, (BLOCKS,)),
            among_ids(IssueLink.target_id, ids),
            constant_in(Issue.status, OPEN_STATUSES),
        )
        .order_by(IssueLink.target_id, Issue.code)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for target_id, code in rows:
        found[target_id].append(code)
    return dict(found)


def find_issue(task_force_id: int, text: str, field: str = "other") -> Issue:
    """The item ``text`` names: its code (``KH-012``, or the picker's ``KH-012 · title``),
    its exact title, or the one title that contains it.

    :raise ValidationFailed: when no item, or more than one, matches.
    """
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Choose an item by its code or title."), field)
    code = (text.split("·", 1)[0].split() or [""])[0]
    in_tf = Issue.task_force_id == task_force_id
    found = db.session.scalars(
        select(Issue).where(in_tf, func.upper(Issue.code) == code.upper())
    ).first()
    if found is None:
        found = db.session.scalars(select(Issue).where(in_tf, Issue.title == text)).first()
    if found is None:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = db.session.scalars(
            select(Issue).where(in_tf, Issue.title.like(pattern, escape="\\")).limit(2)
        ).all()
        if len(matches) > 1:
            raise ValidationFailed(
                _("More than one item matches “%(text)s”: choose it by its code.", text=text),
                field,
            )
        found = matches[0] if matches else None
    if found is None:
        raise ValidationFailed(
            _("No item of this task force matches “%(text)s”.", text=text), field
        )
    return found


def _blocks_reach(task_force_id: int, start: int, goal: int) -> bool:
    """Whether ``start`` blocks ``goal`` through a chain of "blocks" links (one query for
    the task force's blocking links, then a walk in memory)."""
    edges: dict[int, list[int]] = defaultdict(list)
    for source_id, target_id in db.session.execute(
        select(IssueLink.source_id, IssueLink.target_id).where(
            IssueLink.task_force_id == task_force_id, IssueLink.kind == BLOCKS
        )
    ):
        edges[source_id].append(target_id)
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _existing(a: Issue, b: Issue) -> IssueLink | None:
    return db.session.scalars(
        select(IssueLink).where(
            or_(
                (IssueLink.source_id == a.id) & (IssueLink.target_id == b.id),
                (IssueLink.source_id == b.id) & (IssueLink.target_id == a.id),
            )
        )
    ).first()


def _check_pair(issue: Issue, other: Issue, kind: str) -> None:
    if other.task_force_id != issue.task_force_id:
        raise ValidationFailed(_("Only items of the same task force can be linked."), "other")
    if other.id == issue.id:
        raise ValidationFailed(_("An item cannot be linked to itself."), "other")
    if _existing(issue, other) is not None:
        raise ValidationFailed(
            _("%(a)s and %(b)s are already linked.", a=issue.code, b=other.code), "other"
        )
    stored, from_issue = SIDES[kind]
    if stored == BLOCKS:
        blocker, blocked = (issue, other) if from_issue else (other, issue)
        if _blocks_reach(issue.task_force_id, blocked.id, blocker.id):
            raise ValidationFailed(
                _(
                    "%(blocked)s already blocks %(blocker)s, directly or through other "
                    "items: %(blocker)s cannot block it too.",
                    blocked=blocked.code,
                    blocker=blocker.code,
                ),
                "other",
            )


def _record(actor: User, action: str, issue: Issue, kind: str, other: Issue) -> None:
    audit.record(
        actor,
        action,
        issue,
        {"link_kind": [None, kind], "linked_issue": [None, other.id]},
        summary=f"{issue.code} {other.code}",
    )


def _reverse(kind: str) -> str:
    return {BLOCKS: BLOCKED_BY, BLOCKED_BY: BLOCKS, DUPLICATES: DUPLICATED_BY}.get(kind, kind)


def _create(actor: User, issue: Issue, kind: str, other: Issue) -> IssueLink:
    stored, from_issue = SIDES[kind]
    source, target = (issue, other) if from_issue else (other, issue)
    link = IssueLink(
        task_force_id=issue.task_force_id,
        source_id=source.id,
        target_id=target.id,
        kind=stored,
        created_by_id=actor.id,
    )
    db.session.add(link)
    _record(actor, "linked", issue, kind, other)
    _record(actor, "linked", other, _reverse(kind), issue)
    return link


def add_link(actor: User, issue: Issue, kind: str, other: Issue) -> IssueLink:
    """Link ``issue`` to ``other``; ``kind`` is read from ``issue``'s side (one of
    ``CHOSEN_KINDS``).

    :raise PermissionDenied: unless the actor may work on ``issue``.
    :raise InvalidTransition: for a closed or dropped ``issue``.
    :raise ValidationFailed: for another task force's item, the item itself, a pair
        already linked, or a "blocks" that would close a cycle.
    """
    if kind not in CHOSEN_KINDS:
        raise ValidationFailed(_("Choose how the items are linked."), "kind")
    _require_work(actor, issue)
    require_open(issue)
    _check_pair(issue, other, kind)
    link = _create(actor, issue, kind, other)
    db.session.flush()
    return link


def remove_link(actor: User, issue: Issue, link_id) -> None:
    """Remove one of ``issue``'s links.

    :raise PermissionDenied: unless the actor may work on ``issue``.
    :raise InvalidTransition: for a closed or dropped ``issue``.
    :raise NotFound: for a link that is not ``issue``'s.
    """
    _require_work(actor, issue)
    require_open(issue)
    link = db.session.scalars(
        select(IssueLink)
        .where(
            IssueLink.id == _as_id(link_id),
            or_(IssueLink.source_id == issue.id, IssueLink.target_id == issue.id),
        )
        .options(joinedload(IssueLink.source), joinedload(IssueLink.target))
    ).first()
    if link is None:
        raise NotFound(_("This link does not exist any more."))
    other = link.target if link.source_id == issue.id else link.source
    kind = side_of(link, issue.id)
    _record(actor, "unlinked", issue, kind, other)
    _record(actor, "unlinked", other, _reverse(kind), issue)
    db.session.execute(delete(IssueLink).where(IssueLink.id == link.id))
    db.session.flush()


def _as_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(_("This link does not exist any more.")) from None


def drop_as_duplicate(
    actor: User, issue: Issue, kept: Issue, reason: str = "", version: int | None = None
) -> None:
    """Drop (撤销) ``issue`` as a duplicate of ``kept``: the status change with its own
    rules (the leaders drop items), and the link "duplicate of" the item kept, which
    replaces any other link between the two.

    :raise PermissionDenied, InvalidTransition, ValidationFailed: as dropping would, and
        for a ``kept`` item of another task force, the item itself, or an item that is
        itself a duplicate of ``issue``.
    """
    check_version(issue, version)
    if kept.task_force_id != issue.task_force_id:
        raise ValidationFailed(
            _("Only items of the same task force can be linked."), "duplicate_of"
        )
    if kept.id == issue.id:
        raise ValidationFailed(_("An item cannot be a duplicate of itself."), "duplicate_of")
    existing = _existing(issue, kept)
    if existing is not None and existing.kind == DUPLICATES and existing.source_id == kept.id:
        raise ValidationFailed(
            _("%(kept)s is itself a duplicate of %(code)s.", kept=kept.code, code=issue.code),
            "duplicate_of",
        )
    if kept.status == DROPPED:
        raise InvalidTransition(
            _("%(kept)s is dropped: choose the item that is kept.", kept=kept.code)
        )
    reason = reason.strip() or _("Duplicate of %(code)s", code=kept.code)
    change_status(actor, issue, DROPPED, reason=reason)
    already = existing is not None and existing.kind == DUPLICATES
    if existing is not None and not already:
        kind = side_of(existing, issue.id)
        _record(actor, "unlinked", issue, kind, kept)
        _record(actor, "unlinked", kept, _reverse(kind), issue)
        db.session.execute(delete(IssueLink).where(IssueLink.id == existing.id))
        existing = None
    if existing is None:
        _create(actor, issue, DUPLICATES, kept)
    db.session.flush()
