"""The quarterly review's narrative (汇报正文): drafted, approved, printed in the pack.

The executive leader drafts one narrative per task force and quarter (``ReviewDraft``),
section by section, each pre-filled from the data through ``core.hooks.REVIEW_FACTS``
(the features' facts, as Markdown the person edits); the leader approves it (审定), with
an instruction (批示) if they wish. A pack prints the approved text and keeps it
(``ReviewPack.narrative``). A save checks the version the page was opened with; a save
of an approved narrative withdraws the approval and says so. Every change of a section
is an audit event with the text before and after: the page's history.

The functions flush and never commit (the request's boundary does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.attributes import flag_modified

from app.core import audit, clock, hooks
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.models import AuditEvent
from app.core.permissions import authorize
from app.core.quarters import Quarter
from app.core.scope import get_in_scope
from app.core.service import check_version
from app.extensions import db
from app.people.models import User
from app.reports.models import APPROVED, DRAFT, ReviewDraft, ReviewDraftSection

# The sections, in the order the narrative prints them.
SECTIONS: dict[str, object] = {
    "results": _l("Main results"),
    "problems": _l("Problems and shortfalls"),
    "practices": _l("Practices and typical cases"),
    "mechanisms": _l("Assessment of the working mechanisms (“four keeps” and “short, flat, fast”)"),
    "plan": _l("Next quarter's work plan"),
    "decisions": _l("Matters submitted for decision"),
    "assessment": _l("Assessment conclusions"),
}
SECTION_KEYS = tuple(SECTIONS)

MAX_SECTION = 20_000  # characters of one section's Markdown
MAX_INSTRUCTION = 2_000  # characters of the leader's instruction
HISTORY = 40  # changes listed on the page


def section_title(key: str) -> str:
    return str(SECTIONS.get(key, key))


# --- the pre-fill -------------------------------------------------------------------------


def prefill(task_force_id: int, quarter: Quarter) -> dict[str, str]:
    """Every section's text from the data: the facts of ``REVIEW_FACTS`` by section, in
    their order, one paragraph or list after the other."""
    facts = hooks.REVIEW_FACTS.collect(task_force_id, quarter)
    texts: dict[str, list[hooks.NarrativeFact]] = {key: [] for key in SECTION_KEYS}
    for fact in facts:
        if fact.section in texts and fact.markdown.strip():
            texts[fact.section].append(fact)
    return {
        key: "\n\n".join(f.markdown.strip() for f in sorted(found, key=lambda f: f.order))
        for key, found in texts.items()
    }


# --- reading ----------------------------------------------------------------------------


def _draft_query(task_force_id: int, quarter: Quarter):
    return (
        select(ReviewDraft)
        .where(ReviewDraft.task_force_id == task_force_id, ReviewDraft.quarter == str(quarter))
        .options(
            selectinload(ReviewDraft.sections),
            selectinload(ReviewDraft.approved_by),
            selectinload(ReviewDraft.updated_by),
        )
    )


def find_draft(actor: User, task_force_id: int, quarter: Quarter) -> ReviewDraft | None:
    """The quarter's narrative, if one was started; whoever reads the reports reads it.
    :raise PermissionDenied:"""
    authorize(actor, "report.view", task_force_id)
    return db.session.scalars(_draft_query(task_force_id, quarter)).one_or_none()


def drafts_by_quarter(task_force_id: int) -> dict[str, ReviewDraft]:
    """Each quarter's narrative of the task force, for the reports page (one query)."""
    rows = db.session.scalars(
        select(ReviewDraft)
        .where(ReviewDraft.task_force_id == task_force_id)
        .options(selectinload(ReviewDraft.approved_by))
    )
    return {draft.quarter: draft for draft in rows}


def bodies(draft: ReviewDraft) -> dict[str, str]:
    """The draft's text by section key, every section present."""
    found = {section.key: section.body for section in draft.sections}
    return {key: found.get(key, "") for key in SECTION_KEYS}


@dataclass(frozen=True)
class Change:
    """One line of the draft's history: who did what when, and the text before."""

    actor: str
    action: str
    key: str | None
    title: str
    at: datetime
    before: str
    after: str


def history(draft: ReviewDraft, limit: int = HISTORY) -> list[Change]:
    """The draft's changes, newest first (one query)."""
    who = aliased(User)
    rows = db.session.execute(
        select(AuditEvent, who.display_name)
        .outerjoin(who, who.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "review_draft", AuditEvent.entity_id == draft.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    changes = []
    for event, name in rows:
        key = event.summary if event.summary in SECTIONS else None
        before, after = (event.changes or {}).get("body", ["", ""])
        changes.append(
            Change(
                actor=name or _("Scheduler"),
                action=event.action,
                key=key,
                title=section_title(key) if key else "",
                at=event.at,
                before=before or "",
                after=after or "",
            )
        )
    return changes


# --- writing ----------------------------------------------------------------------------


def _load(actor: User, action: str, draft_id) -> ReviewDraft:
    """:raise NotFound: for an unknown id or another task force's draft."""
    draft = get_in_scope(db.session, ReviewDraft, draft_id)
    authorize(actor, action, draft.task_force_id)
    return draft


def _check_length(key: str, text: str) -> None:
    if len(text) > MAX_SECTION:
        raise ValidationFailed(
            _(
                "“%(section)s” is too long: at most %(max)d characters.",
                section=section_title(key),
                max=MAX_SECTION,
            ),
            key,
        )


def get_or_start_draft(actor: User, task_force_id: int, quarter: Quarter | str) -> ReviewDraft:
    """The quarter's narrative; on first open, a new one pre-filled from the data.
    :raise PermissionDenied, ValidationFailed:"""
    from app.reports.service import check_quarter

    authorize(actor, "review.draft", task_force_id)
    quarter = check_quarter(quarter)
    draft = db.session.scalars(_draft_query(task_force_id, quarter)).one_or_none()
    if draft is not None:
        return draft
    now = clock.now()
    draft = ReviewDraft(
        task_force_id=task_force_id,
        quarter=str(quarter),
        status=DRAFT,
        updated_by_id=actor.id,
        updated_at=now,
        created_at=now,
    )
    for key, text in prefill(task_force_id, quarter).items():
        draft.sections.append(
            ReviewDraftSection(
                task_force_id=task_force_id,
                key=key,
                body=text[:MAX_SECTION],
                updated_by_id=actor.id,
                updated_at=now,
            )
        )
    db.session.add(draft)
    db.session.flush()  # two first opens at once: the second is refused here (DuplicateKey)
    audit.record(actor, "narrative_started", draft, {"quarter": [None, str(quarter)]})
    return draft


def save_draft(
    actor: User, draft_id, version: int | None, sections: dict[str, str]
) -> tuple[ReviewDraft, bool]:
    """Save the sections' texts: (the draft, whether an approval was withdrawn by it).

    Only the sections whose text changed are written, each with an audit event holding
    the text before and after. :raise PermissionDenied, NotFound, ValidationFailed:
    :raise StaleEdit: when someone saved the draft after ``version`` was read.
    """
    draft = _load(actor, "review.draft", draft_id)
    check_version(draft, version)
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise ValidationFailed(_("Unknown section."))
    now = clock.now()
    current = {section.key: section for section in draft.sections}
    changed = []
    for key in SECTION_KEYS:
        if key not in sections:
            continue
        text = (sections[key] or "").replace("\r\n", "\n").strip()
        _check_length(key, text)
        section = current.get(key)
        before = section.body if section is not None else ""
        if text == before:
            continue
        if section is None:
            section = ReviewDraftSection(task_force_id=draft.task_force_id, key=key)
            draft.sections.append(section)
        section.body, section.updated_by_id, section.updated_at = text, actor.id, now
        changed.append((key, before, text))
    if not changed:
        return draft, False
    withdrawn = draft.status == APPROVED
    if withdrawn:
        _unapprove(actor, draft)
    draft.updated_by_id, draft.updated_at = actor.id, now
    flag_modified(draft, "updated_at")  # the draft's version moves even at the same instant
    for key, before, text in changed:
        audit.record(actor, "section_edited", draft, {"body": [before, text]}, summary=key)
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)
    return draft, withdrawn


def refill_section(actor: User, draft: ReviewDraft, key: str) -> str:
    """The section's text from the data as it stands now: a proposal for the person to
    take or leave; nothing is saved. :raise PermissionDenied, ValidationFailed:"""
    authorize(actor, "review.draft", draft.task_force_id)
    if key not in SECTIONS:
        raise ValidationFailed(_("Unknown section."))
    return prefill(draft.task_force_id, Quarter.parse(draft.quarter))[key]


def approve(actor: User, draft_id, version: int | None, instruction: str = "") -> ReviewDraft:
    """The leader approves (审定) the narrative, with an instruction (批示) if any.
    :raise PermissionDenied, NotFound, ValidationFailed, StaleEdit:"""
    draft = _load(actor, "review.approve", draft_id)
    check_version(draft, version)
    instruction = (instruction or "").replace("\r\n", "\n").strip()
    if len(instruction) > MAX_INSTRUCTION:
        raise ValidationFailed(
            _("The instruction is too long: at most %(max)d characters.", max=MAX_INSTRUCTION),
            "instruction",
        )
    if not any(section.body.strip() for section in draft.sections):
        raise InvalidTransition(_("The narrative is empty: write it before approving it."))
    before = (draft.status, draft.instruction)
    draft.status, draft.instruction = APPROVED, instruction
    draft.approved_by_id, draft.approved_at = actor.id, clock.now()
    audit.record(
        actor,
        "narrative_approved",
        draft,
        {"status": [before[0], APPROVED], "instruction": [before[1], instruction]},
    )
    db.session.flush()
    return draft


def _unapprove(actor: User, draft: ReviewDraft) -> None:
    draft.status, draft.approved_by_id, draft.approved_at = DRAFT, None, None
    audit.record(actor, "approval_withdrawn", draft, {"status": [APPROVED, DRAFT]})


def withdraw_approval(actor: User, draft_id, version: int | None) -> ReviewDraft:
    """The leader takes the approval back: the narrative is a draft again.
    :raise PermissionDenied, NotFound, StaleEdit, InvalidTransition:"""
    draft = _load(actor, "review.approve", draft_id)
    check_version(draft, version)
    if draft.status != APPROVED:
        raise InvalidTransition(_("The narrative is not approved."))
    _unapprove(actor, draft)
    draft.updated_at = clock.now()
    db.session.flush()
    return draft


# --- the pack ---------------------------------------------------------------------------


def approved_narrative(task_force_id: int, quarter: Quarter) -> dict | None:
    """What a pack prints and keeps (``ReviewPack.narrative``): the approved sections'
    titles and Markdown in the current language's titles, the approver, time and
    instruction, and the draft's version; None while the narrative is not approved.
    No permission is asked: the pack's builder calls it."""
    draft = db.session.scalars(_draft_query(task_force_id, quarter)).one_or_none()
    if draft is None or draft.status != APPROVED:
        return None
    texts = bodies(draft)
    return {
        "sections": [
            {"key": key, "title": section_title(key), "markdown": texts[key]}
            for key in SECTION_KEYS
        ],
        "approved_by": draft.approved_by.display_name if draft.approved_by else "",
        "approved_at": draft.approved_at.isoformat() if draft.approved_at else None,
        "instruction": draft.instruction,
        "version": draft.version,
    }


def require_quarter(text: str) -> Quarter:
    """:raise NotFound: for a malformed quarter in an address."""
    try:
        return Quarter.parse(text)
    except ValueError:
        raise NotFound("no such quarter") from None
