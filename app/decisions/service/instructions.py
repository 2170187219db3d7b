"""The leader's instructions (领导批示): writing one, marking it read (已阅), answering how it
will be carried out (落实情况), and the queries the pages, the boards and the pack read.

Writing tells the instruction's owner; answering tells its writer (through the outbox, in
each one's language); the item's followers hear of both, once. Each event is also handed
to the functions in ``LISTENERS``, called inside the same unit of work.
Services flush; the request's boundary commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, select
from sqlalchemy.orm import aliased, joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize
from app.core.reminders import question
from app.core.scope import get_in_scope
from app.core.service import check_version
from app.decisions.instructions import Instruction
from app.decisions.models import Escalation
from app.discussion import tell_followers
from app.extensions import db
from app.issues.models import OPEN_STATUSES, Issue
from app.people.models import User

MAX_TEXT = 5000

# The events of an instruction, as ``LISTENERS`` receive them.
WRITTEN = "written"
READ = "read"
ANSWERED = "answered"

# ``listener(event, instruction, actor)``; registered by a feature's ``init_app``.
Listener = Callable[[str, Instruction, User], None]
LISTENERS: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Be called with every instruction event (``WRITTEN``, ``READ``, ``ANSWERED``)."""
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    return listener


def _announce(event: str, instruction: Instruction, actor: User) -> None:
    _tell_followers(event, instruction, actor)
    for listener in LISTENERS:
        listener(event, instruction, actor)


def _wrote(actor: User, issue: Issue, text: str):
    """The message that ``actor`` wrote an instruction, in each reader's language."""
    return lambda: _(
        "%(who)s wrote an instruction on %(code)s %(title)s: %(text)s",
        who=actor.display_name,
        code=issue.code,
        title=issue.title,
        text=question(text, 120),
    )


def _tell_followers(event: str, instruction: Instruction, actor: User) -> None:
    """The item's followers hear of an instruction written or answered, once; its owner
    (written) or its writer (answered), told already, are left out."""
    if event not in (WRITTEN, ANSWERED):
        return
    issue = instruction.issue
    if event == WRITTEN:
        told = {instruction.escalation.raised_by_id if instruction.escalation else issue.owner_id}
        message = _wrote(actor, issue, instruction.text)
    else:
        told = {instruction.written_by_id}

        def message():
            return _(
                "%(who)s answered the instruction on %(code)s %(title)s: %(text)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                text=question(instruction.answer, 120),
            )

    tell_followers(
        issue,
        "instruction",
        actor,
        message,
        url=link_of(instruction),
        key=f"instruction:{instruction.id}:{event}:{instruction.version}:followers",
        told=told,
    )


# --- where an instruction is shown --------------------------------------------------------


def link_of(instruction: Instruction) -> str:
    """The instruction on its page: the escalation's for one on an escalation, else the item's."""
    return anchor(instruction.id, instruction.issue_id, instruction.escalation_id)


def anchor(instruction_id: int, issue_id: int, escalation_id: int | None) -> str:
    """``link_of`` from the ids alone (a reminder's row)."""
    if escalation_id is not None:
        return f"/escalations/{escalation_id}#instruction-{instruction_id}"
    return f"/issues/{issue_id}#instruction-{instruction_id}"


def _loaded():
    return (
        joinedload(Instruction.written_by),
        joinedload(Instruction.read_by),
        joinedload(Instruction.answered_by),
        joinedload(Instruction.escalation),
    )


def instructions_of_issue(issue_id: int) -> list[Instruction]:
    """Every instruction on the item and on its escalations, the unanswered first, then the
    newest first. One query."""
    return list(
        db.session.scalars(
            select(Instruction)
            .where(Instruction.issue_id == issue_id)
            .options(*_loaded())
            .order_by(Instruction.answered_at.is_not(None), Instruction.written_at.desc())
        ).unique()
    )


def instructions_of_escalation(escalation_id: int) -> list[Instruction]:
    return list(
        db.session.scalars(
            select(Instruction)
            .where(Instruction.escalation_id == escalation_id)
            .options(*_loaded())
            .order_by(Instruction.answered_at.is_not(None), Instruction.written_at.desc())
        ).unique()
    )


def get_instruction(instruction_id) -> Instruction:
    """:raise NotFound: for an unknown id or one of another task force."""
    return get_in_scope(db.session, Instruction, instruction_id)


def load_instruction(actor: User, instruction_id) -> Instruction:
    instruction = get_instruction(instruction_id)
    authorize(actor, "instruction.view", instruction.task_force_id)
    return instruction


def unanswered_clause():
    """True for an item (``Issue`` in the outer query) with an unanswered instruction."""
    return exists(
        select(Instruction.id)
        .where(Instruction.issue_id == Issue.id, Instruction.answered_at.is_(None))
        .correlate(Issue)
    )


def owner_column():
    """The owner of an instruction in SQL (``Instruction`` outer-joined to ``Escalation``
    and joined to ``Issue``): the escalation's raiser, else the item's owner."""
    return case(
        (Instruction.escalation_id.is_not(None), Escalation.raised_by_id),
        else_=Issue.owner_id,
    )


# --- writing, reading, answering ----------------------------------------------------------


def _text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("At most %(n)d characters.", n=MAX_TEXT), field)
    return text


def write_instruction(
    actor: User, issue: Issue, text: str, escalation: Escalation | None = None
) -> Instruction:
    """The leader's or the executive leader's instruction on ``issue`` (or on ``escalation``,
    one of its escalations); its owner is told.

    :raise PermissionDenied: for anyone but the leaders.
    :raise ValidationFailed: on an empty text.
    :raise InvalidTransition: for a finished item, or an item with no owner to carry it out.
    """
    authorize(
        actor,
        "instruction.write",
        issue.task_force_id,
        message=_("Only the leader or the executive leader may write an instruction."),
    )
    if escalation is not None and escalation.issue_id != issue.id:
        raise ValidationFailed(_("The escalation is not about this item."))
    text = _text(text, "text", _("Write the instruction."))
    if issue.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The item is finished; reopen it before instructing on it."))
    owner_id = escalation.raised_by_id if escalation is not None else issue.owner_id
    if owner_id is None:
        raise InvalidTransition(_("The item has no owner to carry out an instruction."))
    instruction = Instruction(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        escalation_id=escalation.id if escalation is not None else None,
        text=text,
        written_by_id=actor.id,
        written_at=clock.now(),
    )
    db.session.add(instruction)
    db.session.flush()
    audit.record(actor, "written", instruction, summary=f"{issue.code} {question(text, 80)}")
    owner = db.session.get(User, owner_id)
    tell(
        owner,
        "instruction",
        _wrote(actor, issue, text),
        f"instruction:{instruction.id}:written",
        link_of(instruction),
        instruction,
        instruction.task_force_id,
    )
    _announce(WRITTEN, instruction, actor)
    return instruction


def _may_answer(actor: User, instruction: Instruction) -> None:
    authorize(
        actor,
        "instruction.answer",
        instruction,
        message=_("Only the owner of the instruction or the leaders may do this."),
    )


def mark_read(actor: User, instruction: Instruction) -> bool:
    """已阅: returns False when it was read already (nothing changes).

    :raise PermissionDenied: for anyone but its owner or the leaders.
    """
    _may_answer(actor, instruction)
    if instruction.read_at is not None:
        return False
    instruction.read_at = clock.now()
    instruction.read_by_id = actor.id
    audit.record(actor, "read", instruction, summary=instruction.issue.code)
    _announce(READ, instruction, actor)
    return True


def answer_instruction(
    actor: User, instruction: Instruction, text: str, version: int | None = None
) -> Instruction:
    """落实情况: how the instruction will be (or was) carried out. Answering marks it read;
    answering again replaces the answer. Its writer is told.

    :raise PermissionDenied: for anyone but its owner or the leaders.
    :raise ValidationFailed: on an empty answer.
    :raise StaleEdit: when someone answered since ``version`` was read.
    """
    _may_answer(actor, instruction)
    check_version(instruction, version)
    text = _text(text, "answer", _("Write how the instruction is carried out."))
    now = clock.now()
    before = instruction.answer
    if instruction.read_at is None:
        instruction.read_at = now
        instruction.read_by_id = actor.id
    instruction.answer = text
    instruction.answered_at = now
    instruction.answered_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "answered",
        instruction,
        {"answer": [before, text]},
        summary=f"{instruction.issue.code} {question(text, 80)}",
    )
    issue = instruction.issue
    writer = db.session.get(User, instruction.written_by_id)
    if writer.id != actor.id:
        tell(
            writer,
            "instruction",
            lambda: _(
                "%(who)s answered your instruction on %(code)s %(title)s: %(text)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                text=question(text, 120),
            ),
            f"instruction:{instruction.id}:answered:{instruction.version}",
            link_of(instruction),
            instruction,
            instruction.task_force_id,
        )
    _announce(ANSWERED, instruction, actor)
    return instruction


# --- the quarter's instructions (the review pack) -----------------------------------------


@dataclass
class QuarterRow:
    instruction: Instruction
    code: str
    title: str
    writer: str
    owner: str
    days_to_answer: int | None


def _days_between(instruction: Instruction) -> int | None:
    if instruction.answered_at is None:
        return None
    return (
        clock.local_date(instruction.answered_at) - clock.local_date(instruction.written_at)
    ).days


def instructions_between(task_force_id: int, first: date, last: date) -> list[QuarterRow]:
    """The instructions written from ``first`` to ``last`` (days in the local time zone),
    oldest first, with their items, writers and owners. One query."""
    owner = aliased(User)
    writer = aliased(User)
    rows = db.session.execute(
        select(Instruction, Issue.code, Issue.title, writer.display_name, owner.display_name)
        .join(Issue, Issue.id == Instruction.issue_id)
        .outerjoin(Escalation, Escalation.id == Instruction.escalation_id)
        .join(writer, writer.id == Instruction.written_by_id)
        .outerjoin(owner, owner.id == owner_column())
        .where(
            and_(
                Instruction.task_force_id == task_force_id,
                Instruction.written_at >= clock.start_of_day(first),
                Instruction.written_at < clock.start_of_day(last + timedelta(days=1)),
            )
        )
        .order_by(Instruction.written_at, Instruction.id)
    ).all()
    return [
        QuarterRow(
            instruction,
            code,
            title,
            writer_name,
            owner_name or "—",
            _days_between(instruction),
        )
        for instruction, code, title, writer_name, owner_name in rows
    ]
