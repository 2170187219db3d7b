"""Administration: accounts, task forces, org units and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import history
from app.core.errors import DomainError
from app.core.forms import choices
from app.core.paging import newer_older, requested_page
from app.core.web import flash_refusal, form_error, refusal_status, requires
from app.people import service
from app.people.forms import (
    ORG_UNIT_KIND_LABELS,
    AuditFilterForm,
    OrgUnitForm,
    PasswordResetForm,
    TaskForceCreateForm,
    TaskForceForm,
    UserCreateForm,
    UserForm,
)
from app.people.service import two_factor

bp = Blueprint("admin", __name__)

AUDIT_PAGE = 100


def _org_unit_choices(exclude_id: int | None = None):
    return choices([("", "—")] + service.org_unit_options(exclude_id))


# --- users -------------------------------------------------------------------------------


@bp.get("/users")
@requires("user.manage")
def users():
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "admin/users.html",
        users=service.list_users(current_user, query),
        query=query,
        two_factor_ids=two_factor.enabled_user_ids(),
    )


def _user_input(form: UserForm) -> service.UserInput:
    return service.UserInput(
        username=form.username.data.strip(),
        email=form.email.data.strip(),
        display_name=form.display_name.data.strip(),
        role=form.role.data,
        org_unit_id=form.org_unit_id.data,
        locale=form.locale.data,
        password=getattr(form, "password", None) and form.password.data,
        mobile=(form.mobile.data or "").strip(),
        wecom_userid=(form.wecom_userid.data or "").strip(),
        dingtalk_userid=(form.dingtalk_userid.data or "").strip(),
        feishu_user_id=(form.feishu_user_id.data or "").strip(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires("user.manage")
def create_user():
    form = UserCreateForm()
    form.org_unit_id.choices = _org_unit_choices()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.create_user(current_user, _user_input(form))
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("user.manage")
def edit_user(user_id: int):
    user = service.get_user(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    form.org_unit_id.choices = _org_unit_choices()
    if request.method == "GET":
        form.version.data = user.version
    status = 200
    if form.validate_on_submit():
        try:
            service.update_user(current_user, user, _user_input(form), form.version_value)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        reset_form=PasswordResetForm(),
        two_factor_on=two_factor.is_enabled(user),
        open_sessions=service.open_sessions(user),
    ), status


@bp.post("/users/<int:user_id>/sessions/end")
@requires("user.manage")
def end_sessions(user_id: int):
    """Sign the person out of every browser at once."""
    user = service.get_user(user_id)
    ended = service.end_sessions(current_user, user)
    flash(
        ngettext(
            "%(name)s was signed out of %(num)d browser.",
            "%(name)s was signed out of %(num)d browsers.",
            ended,
            name=user.username,
        ),
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@requires("user.manage")
def set_user_active(user_id: int):
    user = service.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        service.set_user_active(current_user, user, active)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(
            _("%(name)s can log in again.", name=user.username)
            if active
            else _("%(name)s is deactivated and cannot log in.", name=user.username),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@requires("user.manage")
def reset_password(user_id: int):
    user = service.get_user(user_id)
    reset_form = PasswordResetForm()
    if reset_form.validate_on_submit():
        try:
            service.reset_password(current_user, user, reset_form.new_password.data)
        except DomainError as error:
            form_error(reset_form, error)
        else:
            flash(_("The password of %(name)s was reset.", name=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    form = UserForm(obj=user)
    form.version.data = user.version
    form.org_unit_id.choices = _org_unit_choices()
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        reset_form=reset_form,
        two_factor_on=two_factor.is_enabled(user),
        open_sessions=service.open_sessions(user),
    ), 400


# --- task forces -------------------------------------------------------------------------


@bp.get("/task-forces")
@requires("taskforce.create")
def task_forces():
    items = service.all_task_forces(current_user)
    leaders = service.leaders_of([tf.id for tf in items])
    return render_template("admin/task_forces.html", task_forces=items, leaders=leaders)


def _task_force_input(form: TaskForceForm) -> service.TaskForceInput:
    return service.TaskForceInput(
        name=form.name.data.strip(),
        goal=form.goal.data.strip(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        leader_id=getattr(form, "leader_id", None) and form.leader_id.data,
    )


@bp.route("/task-forces/new", methods=["GET", "POST"])
@requires("taskforce.create")
def create_task_force():
    form = TaskForceCreateForm()
    form.leader_id.choices = choices([("", "—")] + service.user_options())
    status = 200
    if form.validate_on_submit():
        try:
            task_force = service.create_task_force(current_user, _task_force_input(form))
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Task force %(name)s created.", name=task_force.name), "success")
            return redirect(url_for("admin.task_forces"))
    return render_template("admin/task_force_form.html", form=form, task_force=None), status


@bp.route("/task-forces/<int:task_force_id>", methods=["GET", "POST"])
@requires("taskforce.create")
def edit_task_force(task_force_id: int):
    task_force = service.get_task_force(task_force_id)
    form = TaskForceForm(obj=task_force) if request.method == "GET" else TaskForceForm()
    if request.method == "GET":
        form.version.data = task_force.version
    status = 200
    if form.validate_on_submit():
        try:
            service.update_task_force(
                current_user, task_force, _task_force_input(form), form.version_value
            )
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.task_forces"))
    return render_template("admin/task_force_form.html", form=form, task_force=task_force), status


@bp.post("/task-forces/<int:task_force_id>/archive")
@requires("taskforce.create")
def archive_task_force(task_force_id: int):
    task_force = service.get_task_force(task_force_id)
    archived = request.form.get("archived") == "1"
    service.set_task_force_archived(current_user, task_force, archived)
    flash(_("Archived.") if archived else _("Restored."), "success")
    return redirect(url_for("admin.task_forces"))


# --- org units ---------------------------------------------------------------------------


@bp.get("/org-units")
@requires("orgunit.manage")
def org_units():
    return render_template(
        "admin/org_units.html", rows=service.org_unit_tree(), kind_labels=ORG_UNIT_KIND_LABELS
    )


def _org_unit_input(form: OrgUnitForm) -> service.OrgUnitInput:
    return service.OrgUnitInput(
        name=form.name.data.strip(),
        kind=form.kind.data,
        parent_id=form.parent_id.data,
        sort_order=form.sort_order.data or 0,
    )


@bp.route("/org-units/new", methods=["GET", "POST"])
@requires("orgunit.manage")
def create_org_unit():
    form = OrgUnitForm()
    form.parent_id.choices = _org_unit_choices()
    if request.method == "GET" and request.args.get("parent", type=int):
        form.parent_id.data = request.args.get("parent", type=int)
    status = 200
    if form.validate_on_submit():
        try:
            unit = service.create_org_unit(current_user, _org_unit_input(form))
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("%(name)s created.", name=unit.name), "success")
            return redirect(url_for("admin.org_units"))
    return render_template("admin/org_unit_form.html", form=form, unit=None), status


@bp.route("/org-units/<int:unit_id>", methods=["GET", "POST"])
@requires("orgunit.manage")
def edit_org_unit(unit_id: int):
    unit = service.get_org_unit(unit_id)
    form = OrgUnitForm(obj=unit) if request.method == "GET" else OrgUnitForm()
    form.parent_id.choices = _org_unit_choices(exclude_id=unit.id)
    if request.method == "GET":
        form.version.data = unit.version
    status = 200
    if form.validate_on_submit():
        try:
            service.update_org_unit(current_user, unit, _org_unit_input(form), form.version_value)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.org_units"))
    return render_template("admin/org_unit_form.html", form=form, unit=unit), status


@bp.post("/org-units/<int:unit_id>/archive")
@requires("orgunit.manage")
def archive_org_unit(unit_id: int):
    unit = service.get_org_unit(unit_id)
    archived = request.form.get("archived") == "1"
    service.set_org_unit_archived(current_user, unit, archived)
    flash(_("Archived.") if archived else _("Restored."), "success")
    return redirect(url_for("admin.org_units"))


# --- audit log ---------------------------------------------------------------------------


@bp.get("/audit")
@requires("audit.view")
def audit_log():
    form = AuditFilterForm(request.args)
    form.entity_type.choices = choices(
        [("", "—")] + [(t, history.kind_label(t)) for t in service.audit_entity_types()]
    )
    form.actor_id.choices = choices(
        [("", "—")] + [(u.id, u.display_name) for u in service.list_users(current_user)]
    )
    filters = service.AuditFilter()
    if form.validate():
        filters = service.AuditFilter(
            entity_type=form.entity_type.data or "",
            actor_id=form.actor_id.data,
            action=(form.action.data or "").strip(),
            since=form.since.data,
            until=form.until.data,
        )
    rows, page, has_next = newer_older(
        lambda limit, offset: service.audit_log(current_user, filters, limit, offset),
        lambda: service.count_audit_events(current_user, filters),
        requested_page(),
        AUDIT_PAGE,
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/audit.html",
        form=form,
        rows=rows,
        tokens=service.tokens_named(rows),
        page=page,
        has_next=has_next,
        args=args,
    )
