"""Pages of the intake queue: submit, my submissions, triage."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.errors import DomainError, StaleEdit
from app.core.forms import choices
from app.core.i18n import Labels
from app.core.idempotency import once
from app.core.nav import NavItem
from app.core.web import current_task_force, form_error, requires
from app.intake import service
from app.intake.forms import DeclineForm, MergeForm, SubmissionForm
from app.intake.labels import STATE_LABELS
from app.intake.models import STATES, SUBMITTED
from app.issues import service as issues
from app.issues.forms import IssueForm
from app.people import roster
from app.people.service import org_unit_options

bp = Blueprint("intake", __name__)

NAV_ITEMS = (
    NavItem(
        "intake.queue",
        _l("Intake"),
        "intake.triage",
        66,
        ("intake.queue", "intake.triage", "intake.accept", "intake.merge", "intake.decline"),
        "oversight",
    ),
    NavItem(
        "intake.mine",
        _l("My submissions"),
        "intake.submit",
        67,
        ("intake.mine", "intake.submit"),
        "oversight",
    ),
)


_LABELS = {"intake_state_label": Labels(STATE_LABELS)}


@bp.app_context_processor
def intake_labels():
    return _LABELS


# --- submitting ------------------------------------------------------------------------------


def _submission_form(form: SubmissionForm | None = None) -> tuple[SubmissionForm, list]:
    """The form, and its dimensions grouped by task force: (id, name, [(id, label)])."""
    form = form or SubmissionForm()
    task_forces = service.open_task_forces(current_user)
    form.task_force_id.choices = choices([(tf.id, tf.name) for tf in task_forces])
    groups = {tf.id: (tf.id, tf.name, []) for tf in task_forces}
    for tf_id, cid, label in service.category_options(list(groups)):
        groups[tf_id][2].append((cid, label))
    form.category_id.choices = choices(
        [("", "—")] + [option for _id, _name, options in groups.values() for option in options]
    )
    form.org_unit_id.choices = choices([("", "—")] + org_unit_options())
    return form, list(groups.values())


def _default_task_force(task_force_ids: list[int]) -> int | None:
    """Where the submitter is working now; else (the front line, on no task force) where
    they submitted last; else the first."""
    if g.get("task_force_id") in task_force_ids:
        return g.task_force_id
    last = service.last_used_task_force(current_user, task_force_ids)
    return last or (task_force_ids[0] if task_force_ids else None)


@bp.route("/intake/new", methods=["GET", "POST"])
@requires("intake.submit")
def submit():
    form, category_groups = _submission_form()
    if request.method == "GET":
        form.task_force_id.data = _default_task_force([tf_id for tf_id, *_ in category_groups])
        form.org_unit_id.data = current_user.org_unit_id
    status = 200
    if form.validate_on_submit():
        data = service.SubmissionInput(
            task_force_id=form.task_force_id.data,
            title=form.title.data,
            description=form.description.data or "",
            category_id=form.category_id.data,
            org_unit_id=form.org_unit_id.data,
            show_name=bool(form.show_name.data),
        )
        try:
            with once(url_for("intake.mine")):
                service.submit(current_user, data)
        except DomainError as error:
            form_error(form, error)
            status = 400
        else:
            flash(
                _("Thank you. The task force will look at it and tell you the outcome."), "success"
            )
            return redirect(url_for("intake.mine"))
    elif request.method == "POST":
        status = 400
    return (
        render_template("intake/submit.html", form=form, category_groups=category_groups),
        status,
    )


@bp.get("/intake/mine")
@requires("intake.submit")
def mine():
    return render_template("intake/mine.html", rows=service.my_submissions(current_user))


# --- triage ----------------------------------------------------------------------------------


@bp.get("/intake")
@requires("intake.triage")
def queue():
    task_force_id = current_task_force().id
    state = request.args.get("state", SUBMITTED)
    state = state if state in STATES or state == "all" else SUBMITTED
    return render_template(
        "intake/queue.html",
        rows=service.triage_queue(current_user, task_force_id, None if state == "all" else state),
        figures=service.figures(current_user, task_force_id),
        state=state,
        states=STATES,
    )


def _accept_form(submission, form: IssueForm | None = None) -> IssueForm:
    task_force_id = submission.task_force_id
    if form is None:
        form = IssueForm(formdata=None, data=service.issue_prefill(submission))
        form.version.data = submission.version
        form.source.data = "intake"
    form.category_id.choices = choices([("", "—")] + issues.category_options(task_force_id))
    people = roster.assignee_options(task_force_id)
    form.owner_id.choices = choices([("", "—")] + people)
    form.collaborator_ids.choices = choices(people)
    form.org_unit_id.choices = choices([("", "—")] + org_unit_options())
    return form


def _triage_page(submission, status: int = 200, **forms):
    merge_form = forms.get("merge_form") or MergeForm(formdata=None)
    merge_form.issue_id.choices = choices(
        [("", "—")] + service.merge_options(submission.task_force_id)
    )
    if merge_form.version.data in (None, ""):
        merge_form.version.data = submission.version
    decline_form = forms.get("decline_form") or DeclineForm(formdata=None)
    if decline_form.version.data in (None, ""):
        decline_form.version.data = submission.version
    return (
        render_template(
            "intake/triage.html",
            submission=submission,
            accept_form=_accept_form(submission, forms.get("accept_form")),
            merge_form=merge_form,
            decline_form=decline_form,
        ),
        status,
    )


@bp.get("/intake/<int:submission_id>")
@requires("intake.triage")
def triage(submission_id: int):
    return _triage_page(service.load_for_triage(current_user, submission_id))


def _status_of(error: DomainError) -> int:
    return (
        409 if isinstance(error, StaleEdit) else error.status if error.status in (400, 409) else 400
    )


@bp.post("/intake/<int:submission_id>/accept")
@requires("intake.triage")
def accept(submission_id: int):
    submission = service.load_for_triage(current_user, submission_id)
    form = _accept_form(submission, IssueForm())
    if form.validate_on_submit():
        data = issues.IssueInput(
            title=form.title.data.strip(),
            category_id=form.category_id.data,
            description=(form.description.data or "").strip(),
            solution=(form.solution.data or "").strip(),
            owner_id=form.owner_id.data,
            collaborator_ids=list(form.collaborator_ids.data or []),
            org_unit_id=form.org_unit_id.data,
            deadline=form.deadline.data,
            priority=form.priority.data,
            major=bool(form.major.data),
            source="intake",
        )
        try:
            issue = service.accept(current_user, submission, data, form.version_value)
        except DomainError as error:
            form_error(form, error)
            return _triage_page(submission, _status_of(error), accept_form=form)
        flash(_("%(code)s created from the submission.", code=issue.code), "success")
        return redirect(url_for("issues.issue_detail", issue_id=issue.id))
    return _triage_page(submission, 400, accept_form=form)


@bp.post("/intake/<int:submission_id>/merge")
@requires("intake.triage")
def merge(submission_id: int):
    submission = service.load_for_triage(current_user, submission_id)
    form = MergeForm()
    form.issue_id.choices = choices([("", "—")] + service.merge_options(submission.task_force_id))
    if form.validate_on_submit():
        try:
            issue = service.merge(current_user, submission, form.issue_id.data, form.version_value)
        except DomainError as error:
            form_error(form, error)
            return _triage_page(submission, _status_of(error), merge_form=form)
        flash(_("Merged into %(code)s.", code=issue.code), "success")
        return redirect(url_for("intake.queue"))
    return _triage_page(submission, 400, merge_form=form)


@bp.post("/intake/<int:submission_id>/decline")
@requires("intake.triage")
def decline(submission_id: int):
    submission = service.load_for_triage(current_user, submission_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            service.decline(current_user, submission, form.reason.data, form.version_value)
        except DomainError as error:
            form_error(form, error)
            return _triage_page(submission, _status_of(error), decline_form=form)
        flash(_("Declined; the submitter has been told why."), "success")
        return redirect(url_for("intake.queue"))
    return _triage_page(submission, 400, decline_form=form)
