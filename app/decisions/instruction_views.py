"""The leader's instructions (领导批示) on pages: the banner at the top of an item's page
(and its printed forms), the block on an escalation's page, and the forms that write,
mark read and answer them."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import hooks
from app.core.errors import DomainError
from app.core.idempotency import once
from app.core.permissions import can
from app.core.web import flash_refusal, requires
from app.decisions import service
from app.decisions.instructions import Instruction
from app.decisions.models import Escalation
from app.decisions.service import instructions as orders
from app.issues import service as issues
from app.issues.models import Issue

bp = Blueprint("instructions", __name__)

TEMPLATE = "decisions/_instructions.html"


@dataclass
class Shown:
    """What the instructions' template shows: the rows, which the reader may answer, and
    where the reader may write a new one (None: the reader may not)."""

    instructions: list[Instruction]
    answerable: set[int] = field(default_factory=set)
    write_url: str | None = None
    on_escalation: bool = False

    @property
    def waiting(self) -> int:
        return sum(1 for each in self.instructions if each.answered_at is None)


def _answers(user, instruction: Instruction) -> bool:
    """Its owner answers; another leader may on the owner's behalf, its writer is not shown
    the buttons to answer their own instruction."""
    if not can(user, "instruction.answer", instruction):
        return False
    return instruction.owner_id == user.id or instruction.written_by_id != user.id


def _shown(user, instructions: list[Instruction], write_url: str | None, **kw) -> Shown:
    return Shown(
        instructions, {each.id for each in instructions if _answers(user, each)}, write_url, **kw
    )


def issue_banner(user, issue) -> list[hooks.Section]:
    """The item's instructions (hooks.ISSUE_BANNERS); the leaders also see where to write one."""
    if not can(user, "instruction.view", issue.task_force_id):
        return []
    instructions = orders.instructions_of_issue(issue.id)
    may_write = (
        can(user, "instruction.write", issue.task_force_id)
        and issue.is_open
        and issue.owner_id is not None
    )
    if not instructions and not may_write:
        return []
    write_url = url_for("instructions.write_on_issue", issue_id=issue.id) if may_write else None
    shown = _shown(user, instructions, write_url)
    return [hooks.Section("instructions", _("Leader's instructions"), TEMPLATE, [shown])]


def escalation_block(user, escalation: Escalation) -> list[hooks.Section]:
    """The escalation's own instructions, for its page."""
    if not can(user, "instruction.view", escalation.task_force_id):
        return []
    instructions = orders.instructions_of_escalation(escalation.id)
    may_write = (
        can(user, "instruction.write", escalation.task_force_id) and escalation.issue.is_open
    )
    if not instructions and not may_write:
        return []
    write_url = (
        url_for("instructions.write_on_escalation", escalation_id=escalation.id)
        if may_write
        else None
    )
    shown = _shown(user, instructions, write_url, on_escalation=True)
    return [hooks.Section("instructions", _("Leader's instructions"), TEMPLATE, [shown])]


# --- writing -------------------------------------------------------------------------------


def _write(issue: Issue, escalation: Escalation | None, back: str):
    text = request.form.get("text", "")
    try:
        with once(back) as receipt:
            instruction = orders.write_instruction(current_user, issue, text, escalation)
            receipt.location = location = orders.link_of(instruction)
    except DomainError as error:
        flash_refusal(error)
        return redirect(back + "#instructions")
    owner = instruction.escalation.raised_by if escalation is not None else issue.owner
    flash(_("Instruction written; %(name)s has been told.", name=owner.display_name), "success")
    return redirect(location)


@bp.post("/issues/<int:issue_id>/instructions")
@requires("instruction.write")
def write_on_issue(issue_id: int):
    issue = issues.load_issue(current_user, issue_id)
    return _write(issue, None, url_for("issues.issue_detail", issue_id=issue_id))


@bp.post("/escalations/<int:escalation_id>/instructions")
@requires("instruction.write")
def write_on_escalation(escalation_id: int):
    escalation = service.load_escalation(current_user, escalation_id)
    back = url_for("decisions.escalation", escalation_id=escalation_id)
    return _write(escalation.issue, escalation, back)


# --- reading and answering -----------------------------------------------------------------


@bp.post("/instructions/<int:instruction_id>/read")
@requires("instruction.answer")
def mark_read(instruction_id: int):
    instruction = orders.load_instruction(current_user, instruction_id)
    try:
        if orders.mark_read(current_user, instruction):
            flash(_("Marked as read."), "success")
    except DomainError as error:
        flash_refusal(error)
    return redirect(orders.link_of(instruction))


@bp.post("/instructions/<int:instruction_id>/answer")
@requires("instruction.answer")
def answer(instruction_id: int):
    instruction = orders.load_instruction(current_user, instruction_id)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    try:
        orders.answer_instruction(
            current_user, instruction, request.form.get("answer", ""), version
        )
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(
            _("Answer saved; %(name)s has been told.", name=instruction.written_by.display_name),
            "success",
        )
    return redirect(orders.link_of(instruction))
