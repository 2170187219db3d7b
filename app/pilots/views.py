"""Pages of the pilots: list, matrix, one pilot with its review, decision and rollout."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.core import hooks
from app.core.errors import DomainError, StaleEdit
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.i18n import Labels
from app.core.idempotency import once
from app.core.nav import NavItem
from app.core.permissions import can
from app.core.web import (
    current_task_force,
    flash_refusal,
    form_error,
    refusal_status,
    requires,
    send_stored_file,
)
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import Issue
from app.people.roster import assignee_options
from app.people.service import org_unit_options
from app.pilots import service
from app.pilots.forms import (
    DecisionForm,
    EvidenceForm,
    ObjectiveForm,
    PilotForm,
    ResultForm,
    ReviewForm,
    RolloutForm,
    RolloutPlanForm,
    StageForm,
)
from app.pilots.labels import MOVE_LABELS, OUTCOME_LABELS, ROLLOUT_LABELS, STATUS_LABELS
from app.pilots.models import DECIDED, REVIEWING, ROLL_OUT, ROLLING_OUT, STATUSES

bp = Blueprint("pilots", __name__)

NAV_ITEMS = (NavItem("pilots.pilot_list", _l("Pilots"), "pilot.view", 70, ("pilots.",), "pilots"),)


_LABELS = {
    "pilot_stage_label": Labels(STATUS_LABELS),
    "rollout_label": Labels(ROLLOUT_LABELS),
    "outcome_label": Labels(OUTCOME_LABELS),
}


@bp.app_context_processor
def pilot_labels():
    return _LABELS


@bp.app_template_filter("pilot_number")
def pilot_number(value) -> str:
    """A metric as people write it: 1,234.5, without trailing zeros."""
    return format_decimal(value.normalize() if hasattr(value, "normalize") else value)


def _people_choices(task_force_id: int, blank: bool = True):
    people = assignee_options(task_force_id)
    return choices(([("", "—")] if blank else []) + people)


def _issue_choices(task_force_id: int):
    rows = db.session.execute(
        select(Issue.id, Issue.code, Issue.title)
        .where(Issue.task_force_id == task_force_id)
        .order_by(Issue.code)
    )
    return choices((row.id, f"{row.code} {row.title}") for row in rows)


# --- lists ---------------------------------------------------------------------------------


@bp.get("/pilots")
@requires("pilot.view")
def pilot_list():
    task_force_id = current_task_force().id
    status = request.args.get("status")
    status = status if status in STATUSES else None

    def content() -> dict:
        rows = service.list_pilots(current_user, task_force_id, status)
        return {"rows": rows, "status": status, "statuses": STATUSES}

    return render_template("pilots/list.html", body=cached_body("pilots/_list_body.html", content))


@bp.get("/pilots/matrix")
@requires("pilot.view")
def matrix():
    task_force_id = current_task_force().id

    def content() -> dict:
        return {"data": service.matrix(current_user, task_force_id)}

    return render_template(
        "pilots/matrix.html", body=cached_body("pilots/_matrix_body.html", content)
    )


# --- one pilot -----------------------------------------------------------------------------


def _fill_pilot_form(form: PilotForm, task_force_id: int) -> None:
    form.owner_id.choices = _people_choices(task_force_id)
    form.unit_ids.choices = choices(org_unit_options())
    form.issue_ids.choices = _issue_choices(task_force_id)


def _pilot_input(form: PilotForm) -> service.PilotInput:
    return service.PilotInput(
        name=form.name.data.strip(),
        measure=(form.measure.data or "").strip(),
        owner_id=form.owner_id.data,
        starts_on=form.starts_on.data,
        planned_end=form.planned_end.data,
        issue_ids=list(form.issue_ids.data or []),
        unit_ids=list(form.unit_ids.data or []),
    )


@bp.route("/pilots/new", methods=["GET", "POST"])
@requires("pilot.manage")
def create_pilot():
    task_force_id = current_task_force().id
    form = PilotForm()
    _fill_pilot_form(form, task_force_id)
    if request.method == "GET" and request.args.get("issue", type=int):
        form.issue_ids.data = [request.args.get("issue", type=int)]
    if form.validate_on_submit():
        try:
            pilot = service.create_pilot(current_user, task_force_id, _pilot_input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Pilot “%(name)s” created.", name=pilot.name), "success")
            return redirect(url_for("pilots.pilot_detail", pilot_id=pilot.id))
    status = 400 if request.method == "POST" else 200
    return render_template("pilots/form.html", form=form, pilot=None), status


def _pilot(pilot_id: int):
    """The pilot a page acts on (``requires``' ``load``)."""
    return service.load_pilot(current_user, pilot_id)


@bp.route("/pilots/<int:pilot_id>/edit", methods=["GET", "POST"])
@requires("pilot.work", load=_pilot)
def edit_pilot(pilot, pilot_id: int):
    form = PilotForm(obj=pilot) if request.method == "GET" else PilotForm()
    _fill_pilot_form(form, pilot.task_force_id)
    if request.method == "GET":
        form.version.data = pilot.version
        form.unit_ids.data = [u.id for u in pilot.units]
        form.issue_ids.data = [i.id for i in pilot.issues]
    status = 200
    if form.validate_on_submit():
        try:
            service.update_pilot(current_user, pilot, _pilot_input(form), form.version_value)
        except StaleEdit as error:
            form_error(form, error)
            db.session.rollback()
            status = 409
        except DomainError as error:
            form_error(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("pilots.pilot_detail", pilot_id=pilot_id))
    elif request.method == "POST":
        status = 400
    return render_template("pilots/form.html", form=form, pilot=pilot), status


@dataclass
class RefusedRollout:
    """A rollout row's save that was refused: shown again with what was typed."""

    task_id: int
    form: RolloutForm


def _detail_context(pilot, **forms):
    rules = LightRules.current()
    may_work = can(current_user, "pilot.work", pilot)
    may_decide = can(current_user, "pilot.manage", pilot)
    rolling = pilot.status in (DECIDED, ROLLING_OUT) and pilot.decision == ROLL_OUT
    people = _people_choices(pilot.task_force_id) if may_work and rolling else []
    plan_form = forms.get("plan_form") or RolloutPlanForm()
    if may_work and rolling:
        planned = {t.org_unit_id for t in pilot.rollouts}
        plan_form.unit_ids.choices = choices(
            (uid, name) for uid, name in org_unit_options() if uid not in planned
        )
        plan_form.owner_id.choices = people
    decision_form = forms.get("decision_form") or DecisionForm()
    decision_form.version.data = pilot.version
    return {
        "pilot": pilot,
        "light": service.light_of(pilot, rules),
        "rules": rules,
        "rollout_light": lambda task: service.rollout_light(task, rules),
        "coverage": service.coverage_of(t.status for t in pilot.rollouts),
        "history": service.coverage_history(pilot) if pilot.rollouts else [],
        "evidence": service.evidence_of(pilot),
        "may_work": may_work,
        "may_decide": may_decide,
        "may_update": lambda task: can(current_user, "rollout.update", task),
        "rolling": rolling,
        "moves": service.allowed_transitions(current_user, pilot),
        "move_labels": MOVE_LABELS,
        "people": people,
        "objective_form": forms.get("objective_form") or ObjectiveForm(),
        "review_form": forms.get("review_form") or ReviewForm(obj=pilot),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "decision_form": decision_form,
        "plan_form": plan_form,
        "reviewing": pilot.status == REVIEWING,
        "refused_rollout": forms.get("refused_rollout"),
    }


@bp.get("/pilots/<int:pilot_id>")
@requires("pilot.view")
def pilot_detail(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    return render_template("pilots/detail.html", **_detail_context(pilot))


def _detail_with_error(pilot_id: int, status: int, **forms):
    db.session.rollback()
    pilot = service.load_pilot(current_user, pilot_id)
    return render_template("pilots/detail.html", **_detail_context(pilot, **forms)), status


def _back_to(pilot_id: int, anchor: str = ""):
    return redirect(url_for("pilots.pilot_detail", pilot_id=pilot_id) + anchor)


@bp.post("/pilots/<int:pilot_id>/stage")
@requires("pilot.work")
def change_stage(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = StageForm()
    if not form.validate_on_submit():
        return _detail_with_error(pilot_id, 400)
    try:
        service.change_status(current_user, pilot, form.target.data, form.version_value)
    except DomainError as error:
        flash_refusal(error)
        return _detail_with_error(pilot_id, error.status)
    flash(
        _("The pilot is now “%(stage)s”.", stage=STATUS_LABELS[pilot.status]),
        "success",
    )
    return _back_to(pilot_id)


@bp.post("/pilots/<int:pilot_id>/objectives")
@requires("pilot.work")
def add_objective(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = ObjectiveForm()
    if form.validate_on_submit():
        try:
            service.add_objective(
                current_user,
                pilot,
                form.title.data.strip(),
                (form.metric.data or "").strip(),
                form.baseline.data,
                form.target.data,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            return _back_to(pilot_id, "#objectives")
    return _detail_with_error(pilot_id, 400, objective_form=form)


@bp.post("/pilot-objectives/<int:objective_id>/result")
@requires("pilot.work")
def record_result(objective_id: int):
    objective = service.get_objective(objective_id)
    form = ResultForm()
    if form.validate_on_submit():
        try:
            service.record_result(current_user, objective, form.actual.data, form.measured_on.data)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("Result recorded."), "success")
    else:
        flash(_("Enter a number."), "danger")
    return _back_to(objective.pilot_id, "#objectives")


@bp.post("/pilots/<int:pilot_id>/review")
@requires("pilot.work")
def record_review(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            service.record_review(
                current_user,
                pilot,
                (form.what_worked.data or "").strip(),
                (form.what_did_not.data or "").strip(),
                (form.lessons.data or "").strip(),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Review saved."), "success")
            return _back_to(pilot_id, "#review")
    return _detail_with_error(pilot_id, 400, review_form=form)


@bp.post("/pilots/<int:pilot_id>/evidence")
@requires("pilot.work")
def add_evidence(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = EvidenceForm()
    status = 400
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with once(url_for("pilots.pilot_detail", pilot_id=pilot_id) + "#review"):
                service.add_evidence(current_user, pilot, upload.filename, upload.stream)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("File attached."), "success")
            return _back_to(pilot_id, "#review")
    return _detail_with_error(pilot_id, status, evidence_form=form)


@bp.get("/pilot-evidence/<int:evidence_id>")
@requires("pilot.view")
def download_evidence(evidence_id: int):
    evidence = service.get_evidence(evidence_id)
    return send_stored_file(service.readable_evidence(current_user, evidence))


@bp.post("/pilots/<int:pilot_id>/decision")
@requires("pilot.manage")
def decide(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide(
                current_user,
                pilot,
                form.outcome.data,
                form.rationale.data.strip(),
                form.planned_end.data,
                form.version_value,
            )
        except DomainError as error:
            form_error(form, error)
            return _detail_with_error(pilot_id, error.status, decision_form=form)
        flash(_("Decision recorded."), "success")
        return _back_to(pilot_id, "#decision")
    return _detail_with_error(pilot_id, 400, decision_form=form)


@bp.post("/pilots/<int:pilot_id>/rollout")
@requires("pilot.work")
def plan_rollout(pilot_id: int):
    pilot = service.load_pilot(current_user, pilot_id)
    form = RolloutPlanForm()
    form.unit_ids.choices = choices(org_unit_options())
    form.owner_id.choices = _people_choices(pilot.task_force_id)
    if form.validate_on_submit():
        try:
            service.plan_rollout(
                current_user,
                pilot,
                list(form.unit_ids.data),
                form.owner_id.data,
                form.planned_on.data,
            )
        except DomainError as error:
            form_error(form, error)
            return _detail_with_error(pilot_id, error.status, plan_form=form)
        flash(_("Rollout plan saved."), "success")
        return _back_to(pilot_id, "#rollout")
    return _detail_with_error(pilot_id, 400, plan_form=form)


@bp.post("/rollout-tasks/<int:rollout_id>")
@requires("rollout.update", load=service.get_rollout)
def update_rollout(task, rollout_id: int):
    form = RolloutForm()
    form.owner_id.choices = _people_choices(task.task_force_id)
    if not form.validate_on_submit():
        flash(_("Choose a status."), "danger")
        return _back_to(task.pilot_id, "#rollout")
    try:
        service.update_rollout(
            current_user,
            task,
            service.RolloutInput(
                status=form.status.data,
                planned_on=form.planned_on.data,
                owner_id=form.owner_id.data,
                notes=(form.notes.data or "").strip(),
            ),
            form.version_value,
        )
    except DomainError as error:
        # The row again with what was typed, beside the saved values the page shows
        # above it; saving again applies it over them (the current version).
        form_error(form, error)
        refused = RefusedRollout(task.id, form)
        return _detail_with_error(task.pilot_id, error.status, refused_rollout=refused)
    else:
        flash(
            _("%(unit)s: %(status)s.", unit=task.org_unit.name, status=ROLLOUT_LABELS[task.status]),
            "success",
        )
    return _back_to(task.pilot_id, "#rollout")


# --- on other pages ------------------------------------------------------------------------


def _my_rollout_tasks(user, task_force_ids):
    viewable = [tf for tf in task_force_ids if can(user, "pilot.view", tf)]
    tasks = service.open_rollout_tasks(user.id, viewable) if viewable else []
    if not tasks:
        return []
    rules = LightRules.current()
    rows = [(task, service.rollout_light(task, rules)) for task in tasks]
    return [
        hooks.Section("rollout", _("My rollout tasks"), "pilots/_my_rollout.html", rows, len(rows))
    ]


def _pilots_of_issue(user, issue):
    pilots = service.pilots_for_issue(issue)
    if not pilots:
        return []
    return [hooks.Section("pilots", _("Pilots"), "pilots/_issue_panel.html", pilots, len(pilots))]


def _pilots_under_review(task_force_id, kind, since, until):
    if kind != "progress":  # one-on-ones and reviews have their own agenda
        return []
    return [
        hooks.AgendaProposal(
            section=_("Pilots under review"),
            title=pilot.name,
            # Plain paths: agendas and feeds may be built outside a request.
            url=f"/pilots/{pilot.id}",
            subject_type="pilot",
            subject_id=pilot.id,
            detail=pilot.owner.display_name if pilot.owner else "",
        )
        for pilot in service.pilots_under_review(task_force_id)
    ]


def _rollout_dates(user, task_force_id, start, end, per_day=None):
    rows = service.rollout_dates(
        user.id if user is not None else None, task_force_id, start, end, per_day
    )
    # Translated once, filled per row: a month holds a hundred rollouts or more.
    title = _("Rollout: %(pilot)s · %(unit)s")
    return [
        hooks.CalendarEvent(
            uid=f"rollout-{row.id}@gongjian",
            kind="rollout",
            title=title % {"pilot": row.pilot, "unit": row.unit},
            start=row.planned_on,
            url=f"/pilots/{row.pilot_id}#rollout",
            cancelled=row.status == "not_applicable",
        )
        for row in rows
    ] + hooks.rows_left_out(rows, "planned_on", per_day)
