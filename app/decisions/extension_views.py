"""Deadline extension requests (延期申请) on the item's page: the owner's request form,
the deciders' approve / decline form, the item's requests and what they did to its
deadline; pending requests on "my items"; how their audit events read."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from app.core import hooks
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.forms import VersionedForm
from app.core.i18n import Labels, format_day
from app.core.idempotency import once
from app.core.permissions import can
from app.core.web import flash_refusal, requires
from app.decisions.extensions import APPROVED, DECLINED, PENDING, DeadlineExtension
from app.decisions.service import extensions as service
from app.issues import service as issues
from app.issues.models import Issue

bp = Blueprint("extensions", __name__)

STATUS_LABELS = {
    PENDING: _l("Awaiting approval"),
    APPROVED: _l("Approved"),
    DECLINED: _l("Declined"),
}


@bp.app_context_processor
def extension_labels():
    return {"extension_status_label": Labels(STATUS_LABELS)}


class ExtensionRequestForm(FlaskForm):
    new_deadline = DateField(_l("New deadline"), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason for the delay"), validators=[Optional(), Length(max=service.MAX_REASON)]
    )


class ExtensionDecisionForm(VersionedForm):
    extension_id = HiddenField()
    comment = TextAreaField(_l("Decision comment"), validators=[Optional(), Length(max=2000)])
    # Which of the two buttons was pressed: "approve" or "decline".
    outcome = HiddenField()


def register_history() -> None:
    """How the requests' audit events read (core/history.py), on them and on the item."""
    from app.core import history

    fields = {
        "requested_deadline": _l("Deadline asked for"),
        "status": _l("Status"),
        "comment": _l("Decision comment"),
    }
    history.register(
        "deadline_extension",
        _l("Deadline extension request"),
        actions={
            "requested": _l("Later deadline requested"),
            APPROVED: _l("Later deadline approved"),
            DECLINED: _l("Later deadline declined"),
        },
        fields=fields,
        values={"status": STATUS_LABELS},
    )
    history.register(
        "issue",
        actions={
            "extension_requested": _l("Later deadline requested"),
            "extension_approved": _l("Later deadline approved"),
            "extension_declined": _l("Later deadline declined"),
        },
        fields={
            "requested_deadline": _l("Deadline asked for"),
            "decision_comment": _l("Decision comment"),
        },
    )


# --- the panel on the item's page --------------------------------------------------------------


@dataclass
class ExtensionPanel:
    issue: Issue
    history: service.ExtensionHistory
    request_form: ExtensionRequestForm | None
    decision_form: ExtensionDecisionForm | None


def _extension_panel(user, issue):
    """The item's requests for everyone who reads the item; the request form for its
    owner, the decision form for the deciders. Nothing when there is nothing to show."""
    history = service.history_of_issue(issue)
    pending = history.pending
    may_request = pending is None and issue.is_open and can(user, "extension.request", issue)
    may_decide = pending is not None and can(user, "extension.decide", pending)
    if not (history.requests or may_request):
        return []
    decision_form = None
    if may_decide:
        decision_form = ExtensionDecisionForm(formdata=None)
        decision_form.version.data = pending.version
        decision_form.extension_id.data = pending.id
    panel = ExtensionPanel(
        issue=issue,
        history=history,
        request_form=ExtensionRequestForm(formdata=None) if may_request else None,
        decision_form=decision_form,
    )
    return [
        hooks.Section(
            "extensions",
            _("Deadline extensions"),
            "decisions/_extension_panel.html",
            [panel],
            len(history.requests) or None,
        )
    ]


def _my_extensions(user, task_force_ids):
    viewable = [tf for tf in task_force_ids if can(user, "issue.view", tf)]
    if not viewable:
        return []
    rows = service.pending_for_person(user, viewable)
    if not rows:
        return []
    return [
        hooks.Section(
            "extensions",
            _("Deadline extensions awaiting approval"),
            "decisions/_my_extensions.html",
            rows,
            len(rows),
        )
    ]


# --- asking and deciding -----------------------------------------------------------------------


def _item_page(issue_id: int) -> str:
    return url_for("issues.issue_detail", issue_id=issue_id, _anchor="panel-extensions")


@bp.post("/issues/<int:issue_id>/extension")
@requires("extension.request")
def request_extension(issue_id: int):
    """The owner asks; a refusal (not the owner, a date not later, no reason) is told in a
    flash message over the item's page, and nothing is kept."""
    issue = issues.load_issue(current_user, issue_id)
    form = ExtensionRequestForm()
    back = _item_page(issue_id)
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(_first_error(form))
        with once(back):
            service.request_extension(
                current_user, issue, form.new_deadline.data, form.reason.data or ""
            )
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Later deadline requested; the deciders have been told."), "success")
    return redirect(back)


def _first_error(form: FlaskForm) -> str:
    for name, errors in form.errors.items():
        if errors:
            label = getattr(form, name).label.text if hasattr(form, name) else ""
            return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@bp.post("/issues/<int:issue_id>/extension/decide")
@requires("extension.decide")
def decide_extension(issue_id: int):
    """The executive leader or the leader approves or declines the item's pending request;
    an approval moves the item's deadline in the same unit of work."""
    issue = issues.load_issue(current_user, issue_id)
    form = ExtensionDecisionForm()
    back = _item_page(issue_id)
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(_first_error(form))
        extension = _posted_extension(issue, form.extension_id.data)
        outcome = form.outcome.data
        if outcome not in ("approve", "decline"):
            raise ValidationFailed(_("Approve or decline the request."))
        service.decide_extension(
            current_user,
            extension,
            outcome == "approve",
            form.comment.data or "",
            form.version_value,
        )
    except DomainError as error:
        flash_refusal(error, "warning" if error.status == 409 else "danger")
    else:
        if outcome == "approve":
            flash(
                _("Approved: the deadline is now %(day)s.", day=format_day(issue.deadline)),
                "success",
            )
        else:
            flash(_("Declined; the owner has been told."), "success")
    return redirect(back)


def _posted_extension(issue: Issue, extension_id) -> DeadlineExtension:
    try:
        extension = service.get_extension(extension_id)
    except NotFound:
        extension = None
    if extension is None or extension.issue_id != issue.id:
        raise ValidationFailed(_("This request is no longer waiting for a decision."))
    return extension
