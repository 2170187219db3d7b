"""Pages of saved views (视图): the menu on the problem list and the board, saving,
renaming, updating, deleting, and the default a person's list opens with.

A view keeps the list's query string, its known parameters only, checked against the
list's filter form. It is opened by a plain link (``/issues?<query>&view=<id>``), so the
list's cached body stays keyed by its address; opening the list or the board with no
parameters at all is sent on to the reader's default view, and ``?view=none`` (the
"clear" links) shows everything.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Optional

from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.forms import VersionedForm, one_line
from app.core.freshness import cache_key, cached_body, fragment_cache
from app.core.permissions import can
from app.core.web import current_task_force, flash_refusal, form_error, refusal_status, requires
from app.issues.filtering import filter_form
from app.issues.saved_view_models import NAME_MAX
from app.issues.service import saved_views as service

bp = Blueprint("saved_views", __name__)

# The pages a view opens on, by the name its forms carry.
TARGETS = {"list": "issues.issue_list", "board": "issues.board"}
_ENDPOINT_TARGETS = {endpoint: name for name, endpoint in TARGETS.items()}
# Query parameters that are not filters: the view opened, the page, the task force.
NOT_FILTERS = ("view", "page", "tf")
NO_VIEW = "none"


class SaveViewForm(FlaskForm):
    # Length is checked by the service, so the name typed comes back whole with the error.
    name = StringField(
        _l("Name of the view"),
        validators=[Optional()],
        filters=[one_line],
        render_kw={"maxlength": NAME_MAX},
    )
    shared = BooleanField(_l("Share with the task force"))
    make_default = BooleanField(_l("Open the list with this view"))
    query = HiddenField()
    target = HiddenField(default="list")


class RenameViewForm(VersionedForm):
    name = StringField(
        _l("Name of the view"),
        validators=[Optional()],
        filters=[one_line],
        render_kw={"maxlength": NAME_MAX},
    )


class ViewQueryForm(VersionedForm):
    """Update a view with a filter, or delete it: the version it was shown with."""

    query = HiddenField()
    target = HiddenField(default="list")


def _filter_query(args: MultiDict, task_force_id: int) -> str:
    """``args``' filter parameters as a query string, checked against the filter form.

    :raise ValidationFailed: when one no longer fits (an owner who left, a wrong date).
    """
    known = filter_form(task_force_id, MultiDict())._fields
    pairs = [
        (key, value)
        for key, value in args.items(multi=True)
        if key in known and key not in NOT_FILTERS and value != ""
    ]
    form = filter_form(task_force_id, MultiDict(pairs))
    if not form.validate():
        labels = ", ".join(str(form[name].label.text) for name in form.errors)
        raise ValidationFailed(
            _("The filter has a value that is no longer valid (%(fields)s).", fields=labels)
        )
    pairs.sort(key=lambda pair: pair[0])  # stable order, values in the order given
    return urlencode(pairs)


def _query_args(query: str) -> MultiDict:
    from urllib.parse import parse_qsl

    return MultiDict(parse_qsl(query, keep_blank_values=False))


def view_url(view, target: str = "list") -> str:
    """The address that opens ``view`` on the list or the board."""
    base = url_for(TARGETS.get(target, TARGETS["list"]))
    return f"{base}?{view.query}&view={view.id}" if view.query else f"{base}?view={view.id}"


def _target() -> str:
    target = request.values.get("target", "list")
    return target if target in TARGETS else "list"


def open_with_default():
    """The list or the board asked with no parameters opens with the reader's default
    view, if they have one: a redirect to it, else None (the views call this)."""
    if request.method != "GET" or request.endpoint not in _ENDPOINT_TARGETS or request.args:
        return None
    task_force = g.get("task_force")
    if task_force is None:
        return None
    target = _ENDPOINT_TARGETS[request.endpoint]

    def default_url() -> str | None:
        view = service.default_view(current_user, task_force.id)
        return None if view is None else view_url(view, target)

    # Views and defaults are the task force's setup: a change to one gives a new version.
    key = ("default_view", target, *cache_key(current_user.id, setup=True))
    url = fragment_cache().get_or_build(key, default_url)
    return None if url is None else redirect(url)


@bp.app_context_processor
def saved_view_menu_context():
    return {"saved_views_menu": menu_markup}


def menu_markup():
    """The views menu of the list or the board, kept like a personal page's body (per
    reader, session and address): its forms carry the session's token, and what it lists
    is the task force's setup."""
    return cached_body(
        "issues/_saved_views_menu.html", lambda: {"m": _menu()}, personal=True, setup=True
    )


def _menu() -> dict | None:
    """What the views menu of the list or the board shows this reader (None: no menu)."""
    task_force = g.get("task_force")
    target = _ENDPOINT_TARGETS.get(request.endpoint or "")
    if task_force is None or target is None:
        return None
    if not can(current_user, "saved_view.save", task_force.id):
        return None
    menu = service.view_menu(current_user, task_force.id)
    current = None
    raw = request.args.get("view", "")
    if raw.isdigit():
        current = next((v for v in menu.mine + menu.shared if v.id == int(raw)), None)
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in NOT_FILTERS and v]
    query = urlencode(sorted(pairs, key=lambda pair: pair[0]))
    save_form = SaveViewForm(formdata=None, query=query, target=target)
    # The view opened, changeable by the reader, whose filter the reader has since changed.
    changed = None
    if current is not None and current.query != query and service.may_change(current_user, current):
        changed = ViewQueryForm(formdata=None, version=current.version, query=query, target=target)
    return {
        "menu": menu,
        "current": current,
        "changed": changed,
        "query": query,
        "target": target,
        "save_form": save_form,
        "may_share": can(current_user, "saved_view.share", task_force.id),
        "view_url": view_url,
    }


def _manage_context(save_form: SaveViewForm | None = None) -> dict:
    task_force_id = current_task_force().id
    target = _target()
    query = request.values.get("query", "")
    if save_form is None:
        save_form = SaveViewForm(formdata=None, query=query, target=target)
    menu = service.view_menu(current_user, task_force_id)
    return {
        "menu": menu,
        "save_form": save_form,
        "query": query,
        "target": target,
        "may_share": can(current_user, "saved_view.share", task_force_id),
        "may_change": lambda view: service.may_change(current_user, view),
        "rename_form": lambda view: RenameViewForm(formdata=None, obj=view),
        "query_form": lambda view: ViewQueryForm(
            formdata=None, version=view.version, query=query, target=target
        ),
        "view_url": view_url,
    }


@bp.get("/issues/views")
@requires("saved_view.save")
def manage():
    return render_template("issues/saved_views.html", **_manage_context())


@bp.post("/issues/views")
@requires("saved_view.save")
def save():
    form = SaveViewForm()
    task_force_id = current_task_force().id
    if form.validate_on_submit():
        try:
            query = _filter_query(_query_args(form.query.data or ""), task_force_id)
            view = service.save_view(
                current_user,
                task_force_id,
                form.name.data or "",
                query,
                shared=bool(form.shared.data),
                make_default=bool(form.make_default.data),
            )
        except DomainError as error:
            form_error(form, error)
            context = _manage_context(form)
            return render_template("issues/saved_views.html", **context), refusal_status(error)
        flash(_("View “%(name)s” saved.", name=view.name), "success")
        return redirect(view_url(view, _target()))
    return render_template("issues/saved_views.html", **_manage_context(form)), 400


def _load(view_id: int):
    try:
        return service.get_view(current_user, current_task_force().id, view_id)
    except NotFound:
        return None


def _back(view=None):
    query = request.form.get("query", "")
    args = {"target": _target()}
    if query:
        args["query"] = query
    return redirect(url_for("saved_views.manage", **args))


@bp.post("/issues/views/<int:view_id>/rename")
@requires("saved_view.save", load=_load)
def rename(view, view_id: int):
    form = RenameViewForm()
    if form.validate_on_submit():
        try:
            service.rename_view(current_user, view, form.name.data or "", form.version_value)
        except DomainError as error:
            form_error(form, error)
            context = _manage_context()
            context["rename_form"] = lambda v: (
                form if v.id == view.id else RenameViewForm(formdata=None, obj=v)
            )
            return render_template("issues/saved_views.html", **context), refusal_status(error)
        flash(_("View renamed."), "success")
    return _back(view)


@bp.post("/issues/views/<int:view_id>/update")
@requires("saved_view.save", load=_load)
def update(view, view_id: int):
    form = ViewQueryForm()
    if form.validate_on_submit():
        try:
            query = _filter_query(_query_args(form.query.data or ""), view.task_force_id)
            service.update_view_query(current_user, view, query, form.version_value)
        except DomainError as error:
            flash_refusal(error)
            return _back(view)
        flash(_("View “%(name)s” now keeps the current filter.", name=view.name), "success")
        return redirect(view_url(view, _target()))
    return _back(view)


@bp.post("/issues/views/<int:view_id>/delete")
@requires("saved_view.save", load=_load)
def delete(view, view_id: int):
    form = ViewQueryForm()
    if form.validate_on_submit():
        name = view.name
        try:
            service.delete_view(current_user, view, form.version_value)
        except DomainError as error:
            flash_refusal(error)
            return _back()
        flash(_("View “%(name)s” deleted.", name=name), "success")
    return _back()


@bp.post("/issues/views/<int:view_id>/default")
@requires("saved_view.save", load=_load)
def make_default(view, view_id: int):
    form = ViewQueryForm()
    if form.validate_on_submit():
        task_force_id = current_task_force().id
        on = request.form.get("on") == "1"
        service.set_default(current_user, task_force_id, view if on else None)
        flash(
            _("The list now opens with “%(name)s”.", name=view.name)
            if on
            else _("The list now opens with everything."),
            "success",
        )
    return _back(view)
