"""Pages of the review's narrative (汇报正文), on the reports' blueprint.

One page per quarter: whoever reads the reports reads it (the text as Markdown rendered,
its state, its history); the leaders edit it there, the leader approves it. The page's
one form saves, previews, proposes a section's text from the data again (shown beside
the section, for the person to take: it never replaces what they typed) and takes it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError, NotFound, StaleEdit
from app.core.permissions import can
from app.core.quarters import Quarter
from app.core.scope import get_in_scope
from app.core.web import current_task_force, flash_refusal, form_error, refusal_status, requires
from app.extensions import db
from app.reports import narrative, service
from app.reports.forms import ApproveForm, NarrativeForm, StartForm, WithdrawForm
from app.reports.models import ReviewDraft
from app.reports.views import bp


def _quarter(text: str) -> Quarter:
    try:
        return narrative.require_quarter(text)
    except NotFound:
        abort(404)


def _draft(draft_id: int) -> ReviewDraft:
    return get_in_scope(db.session, ReviewDraft, draft_id)


def _page_url(draft: ReviewDraft, **values) -> str:
    return url_for("reports.narrative_page", quarter=draft.quarter, **values)


def _render(quarter: Quarter, draft: ReviewDraft | None, status: int = 200, **context):
    editing = draft is not None and can(current_user, "review.draft", draft.task_force_id)
    form = context.pop("form", None)
    if editing and form is None:
        form = NarrativeForm(data={**narrative.bodies(draft), "version": draft.version})
    approve_form = ApproveForm(data={"version": draft.version} if draft else {})
    if draft is not None and not approve_form.instruction.data:
        approve_form.instruction.data = draft.instruction
    withdraw_form = WithdrawForm(data={"version": draft.version} if draft else {})
    return (
        render_template(
            "reports/draft.html",
            quarter=quarter,
            quarter_label=service.quarter_label(quarter),
            draft=draft,
            texts=narrative.bodies(draft) if draft else {},
            sections=narrative.SECTIONS,
            editing=editing,
            form=form,
            approve_form=context.pop("approve_form", None) or approve_form,
            withdraw_form=withdraw_form,
            start_form=StartForm(),
            changes=narrative.history(draft) if draft else [],
            proposals=context.pop("proposals", {}),
            previews=context.pop("previews", False),
            current=context.pop("current", None),
            max_section=narrative.MAX_SECTION,
            **context,
        ),
        status,
    )


@bp.get("/narrative/<quarter>")
@requires("report.view")
def narrative_page(quarter: str):
    """The quarter's narrative: to read, or (the leaders) to write and approve."""
    when = _quarter(quarter)
    draft = narrative.find_draft(current_user, current_task_force().id, when)
    return _render(when, draft)


@bp.post("/narrative/<quarter>/start")
@requires("review.draft")
def start_narrative(quarter: str):
    """Open the quarter's narrative, pre-filled from the data on the first opening."""
    when = _quarter(quarter)
    try:
        draft = narrative.get_or_start_draft(current_user, current_task_force().id, when)
    except DomainError as error:
        flash_refusal(error, "warning")
        return redirect(url_for("reports.index"))
    return redirect(_page_url(draft))


def _typed(form: NarrativeForm) -> dict[str, str]:
    return {key: form[key].data or "" for key in narrative.SECTION_KEYS}


@bp.post("/narratives/<int:draft_id>")
@requires("review.draft", load=_draft)
def save_narrative(draft: ReviewDraft, draft_id: int):
    """Save the sections; or preview them, propose one from the data, take a proposal
    (nothing saved: the page comes back with what was typed)."""
    quarter = Quarter.parse(draft.quarter)
    form = NarrativeForm()
    if not form.validate_on_submit():
        return _render(quarter, draft, 400, form=form)
    if request.form.get("refill") in narrative.SECTIONS:
        key = request.form["refill"]
        proposal = narrative.refill_section(current_user, draft, key)
        return _render(quarter, draft, form=form, proposals={key: proposal})
    if request.form.get("take") in narrative.SECTIONS:
        key = request.form["take"]
        form[key].data = request.form.get(f"proposal-{key}", "")
        flash(_("The text from the data is in the section; save to keep it."), "info")
        return _render(quarter, draft, form=form)
    if "preview" in request.form:
        return _render(quarter, draft, form=form, previews=True)
    try:
        draft, withdrawn = narrative.save_draft(
            current_user, draft.id, form.version_value, _typed(form)
        )
    except StaleEdit as error:
        # Someone saved first: their text beside what was typed; saving again applies it.
        form_error(form, error)
        db.session.rollback()
        current = narrative.find_draft(current_user, draft.task_force_id, quarter)
        form.version.data = current.version
        return _render(quarter, current, 409, form=form, current=narrative.bodies(current))
    except DomainError as error:
        form_error(form, error)
        return _render(quarter, draft, refusal_status(error), form=form)
    if withdrawn:
        flash(_("Saved. The narrative had been approved: the approval is withdrawn."), "warning")
    else:
        flash(_("Saved."), "success")
    return redirect(_page_url(draft))


@bp.post("/narratives/<int:draft_id>/approve")
@requires("review.approve", load=_draft)
def approve_narrative(draft: ReviewDraft, draft_id: int):
    """The leader approves the narrative (审定), with an instruction if any."""
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            narrative.approve(
                current_user, draft.id, form.version_value, form.instruction.data or ""
            )
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
            if status == 409:
                db.session.rollback()
                draft = _draft(draft_id)
            return _render(Quarter.parse(draft.quarter), draft, status, approve_form=form)
        flash(_("The narrative is approved; the next pack prints it."), "success")
    return redirect(_page_url(draft))


@bp.post("/narratives/<int:draft_id>/withdraw")
@requires("review.approve", load=_draft)
def withdraw_narrative(draft: ReviewDraft, draft_id: int):
    """The leader takes the approval back."""
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            narrative.withdraw_approval(current_user, draft.id, form.version_value)
        except DomainError as error:
            flash_refusal(error, "warning")
        else:
            flash(_("The approval is withdrawn; the narrative is a draft again."), "info")
    return redirect(_page_url(draft))
