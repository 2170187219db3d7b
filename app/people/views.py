"""Login, account, task-force switching, the task force's overview and its roster."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.permissions import LEADERSHIP_ROLES, can
from app.core.web import current_task_force, form_error, public, refusal_status, requires, safe_next
from app.extensions import db, limiter
from app.people import service
from app.people.forms import (
    EndMembershipForm,
    LocaleForm,
    LoginForm,
    MemberAddForm,
    PasswordChangeForm,
    RoleChangeForm,
    TaskForceForm,
)
from app.people.two_factor_views import (
    account_card,
    after_password,
    sign_in_browser,
    throttled_message,
)

bp = Blueprint("people", __name__)

# The home page (the battle map) is drawn by a higher floor; it is named, not imported.
HOME = "dashboard.battle_map"


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(HOME))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = service.check_password_step(
                form.login.data, form.password.data, request.remote_addr or "unknown"
            )
        except service.LoginThrottled as locked:
            form.form_errors.append(throttled_message(locked))
            status = 429
        except (service.DirectoryUnavailable, service.DirectoryRefused) as refusal:
            # The directory is down, or it says no to a right password: nothing is kept.
            form.form_errors.append(refusal.message)
            status = refusal.status
        except service.LoginRefused:
            # The failed attempt counts towards the lock-out although the login is
            # refused (401, which the boundary would roll back): it is kept here.
            db.session.commit()
            form.form_errors.append(_("Username or password is not correct."))
            status = 401
        else:
            # On to the second step, or to enrolment, or signed in (two_factor_views).
            return after_password(user, form.remember.data, form.next.data)
    return render_template("people/login.html", form=form), status


@bp.post("/logout")
@requires("home.view")
def logout():
    message = _("You have logged out.")  # in the user's language, while it is known
    service.end_session(current_user)
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(url_for("people.login"))


@bp.post("/account/sessions/end")
@requires("account.edit")
def sign_out_everywhere():
    """End every signed-in browser of the reader (a lost phone, a shared computer)."""
    message = _("You have been signed out on every device.")
    service.sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(url_for("people.login"))


@bp.post("/locale")
@public
def set_locale():
    """Switch the language: kept on the account, or in the session before login."""
    form = LocaleForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            service.set_locale(current_user, form.locale.data)
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(form.next.data, url_for(HOME)))


@bp.get("/task-force")
@requires("taskforce.view")
def home():
    """The current task force at a glance: goal, period, leaders, the roster's size."""
    task_force = current_task_force()
    overview = service.task_force_overview(current_user, task_force.id)
    return render_template("people/home.html", task_force=task_force, overview=overview)


@bp.post("/switch/<int:task_force_id>")
@requires("home.view")
def switch(task_force_id: int):
    try:
        task_force = service.switch_task_force(current_user, task_force_id)
    except NotFound:
        flash(_("You are not on that task force."), "danger")
    else:
        flash(_("Now working in %(name)s.", name=task_force.name), "success")
    return redirect(url_for(HOME))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.edit")
def change_password():
    form = PasswordChangeForm()
    # A directory account's password is the directory's: the page says so, with no form.
    if current_user.way_in == "local" and form.validate_on_submit():
        try:
            service.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationFailed as error:
            form_error(form, error)
        else:
            # Every other browser is signed out; this one carries on in a new session.
            sign_in_browser(current_user._get_current_object(), remember=False)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for(HOME))
    return render_template(
        "people/password.html",
        form=form,
        two_factor=account_card(current_user._get_current_object()),
    )


@bp.route("/task-force/edit", methods=["GET", "POST"])
@requires("taskforce.edit")
def edit_task_force():
    task_force = current_task_force()
    form = TaskForceForm(obj=task_force)
    if request.method == "GET":
        form.version.data = task_force.version
    status = 200
    if form.validate_on_submit():
        data = service.TaskForceInput(
            name=form.name.data.strip(),
            goal=form.goal.data.strip(),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
        )
        try:
            service.update_task_force(current_user, task_force, data, form.version_value)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("people.home"))
    return render_template("people/task_force_form.html", form=form, task_force=task_force), status


# --- roster ------------------------------------------------------------------------------


@bp.get("/roster")
@requires("roster.view")
def roster():
    current_task_force()

    def content() -> dict:
        return {"roster": service.roster(current_user, g.task_force_id), "task_force": g.task_force}

    return render_template(
        "people/roster.html", body=cached_body("people/_roster_body.html", content)
    )


def _fill_member_choices(form: MemberAddForm | RoleChangeForm) -> None:
    if not can(current_user, "roster.leadership", g.get("task_force_id")):
        # The executive leader appoints members, not leaders (the service refuses too).
        form.role.choices = [c for c in form.role.choices if c.value not in LEADERSHIP_ROLES]
    if hasattr(form, "user_id"):
        form.user_id.choices = choices([("", "—")] + service.user_options())
    if hasattr(form, "org_unit_id"):
        form.org_unit_id.choices = choices([("", "—")] + service.org_unit_options())


@bp.route("/roster/add", methods=["GET", "POST"])
@requires("roster.manage")
def add_member():
    current_task_force()
    form = MemberAddForm()
    _fill_member_choices(form)
    if form.validate_on_submit():
        try:
            service.add_member(
                current_user,
                g.task_force_id,
                form.user_id.data,
                form.role.data,
                org_unit_id=form.org_unit_id.data,
                joined_on=form.joined_on.data,
                ends_on=form.ends_on.data,
                note=(form.note.data or "").strip(),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Added to the roster."), "success")
            return redirect(url_for("people.roster"))
    return render_template("people/member_add.html", form=form)


@bp.route("/roster/<int:membership_id>/role", methods=["GET", "POST"])
@requires("roster.manage")
def change_role(membership_id: int):
    membership = service.get_membership(membership_id)
    form = RoleChangeForm(obj=membership) if request.method == "GET" else RoleChangeForm()
    _fill_member_choices(form)
    if form.validate_on_submit():
        try:
            service.change_role(current_user, membership, form.role.data, ends_on=form.ends_on.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Role changed."), "success")
            return redirect(url_for("people.roster"))
    return render_template("people/member_role.html", form=form, membership=membership)


@bp.route("/roster/<int:membership_id>/end", methods=["GET", "POST"])
@requires("roster.manage")
def end_membership(membership_id: int):
    membership = service.get_membership(membership_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        try:
            service.end_membership(current_user, membership, (form.note.data or "").strip())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(
                _("%(name)s has left the task force.", name=membership.user.display_name),
                "success",
            )
            return redirect(url_for("people.roster"))
    return render_template("people/member_end.html", form=form, membership=membership)
