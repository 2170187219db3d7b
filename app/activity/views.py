"""The activity stream of the current task force, and the feed of what I follow."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.activity import service
from app.activity.forms import ActivityFilterForm
from app.core.forms import choices
from app.core.nav import NavItem
from app.core.paging import requested_page
from app.core.web import current_task_force, requires
from app.people.roster import assignee_options

bp = Blueprint("activity", __name__)

NAV_ITEMS = (
    NavItem("activity.stream", _l("Activity"), "activity.view", 34, ("activity.",), "issues"),
)


def _form(task_force_id: int | None) -> ActivityFilterForm:
    form = ActivityFilterForm(request.args)
    empty = [("", "—")]
    form.kind.choices = choices(empty + service.group_options(feed=task_force_id is None))
    form.who.choices = choices(empty + (assignee_options(task_force_id) if task_force_id else []))
    dimensions = service.dimension_options(task_force_id) if task_force_id else []
    form.dimension.choices = choices(empty + dimensions)
    return form


def _filters(form: ActivityFilterForm) -> service.Filters:
    """The filters the query string asks for; one that makes no sense is left out."""
    form.validate()

    def value(name: str):
        field = form._fields.get(name)
        return None if field is None or field.errors else field.data

    return service.Filters(
        actor_id=value("who"), dimension_id=value("dimension"), group=value("kind") or ""
    )


def _args() -> dict[str, str]:
    """The query string but the page: the pages' links keep the filters."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.get("/activity")
@requires("activity.view")
def stream():
    """Who did what in the current task force, newest first."""
    task_force = current_task_force()
    form = _form(task_force.id)
    condition = service.stream_condition(current_user, task_force.id, _filters(form))
    page = service.read_page(condition, requested_page(), task_force.id)
    return render_template("activity/stream.html", form=form, page=page, args=_args(), feed=False)


@bp.get("/activity/following")
@requires("activity.view")
def feed():
    """The same, for what I follow, across my task forces."""
    task_forces = service.feed_task_forces(current_user, g.get("my_task_forces") or [])
    form = _form(None)
    del form.who, form.dimension  # a person and a dimension belong to one task force
    filters = _filters(form)
    condition = service.feed_condition(current_user, [tf.id for tf in task_forces], filters)
    names = {tf.id: tf.name for tf in task_forces} if len(task_forces) > 1 else {}
    page = service.read_page(condition, requested_page(), g.get("task_force_id"), names)
    return render_template("activity/stream.html", form=form, page=page, args=_args(), feed=True)
