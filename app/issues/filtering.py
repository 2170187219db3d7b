"""The problem list's filter: its form and choices, what it asks for, and its bar.

The list, the board, the landing schedule, the mind map, the bulk edit, the saved views
and the list's PDF all read a filter from an address the same way (``filter_form``,
``filter_from_args``). The pages draw its bar kept under the task force's setup
(``filter_bar``): the choices are its categories, people and units, so a change to an
item leaves the bar as it was.
"""

from __future__ import annotations

from dataclasses import replace

from flask import current_app, g, request
from flask_babel import gettext as _
from markupsafe import Markup

from app.core.forms import choices
from app.core.freshness import cached_value, setup_value
from app.core.paging import requested_page
from app.issues import service
from app.issues.forms import FilterForm
from app.issues.labels import LIGHT_LABELS
from app.issues.models import LIGHTS, STATUSES
from app.people import roster
from app.people.service import org_unit_options


def open_categories(task_force_id: int) -> list[tuple[int, str]]:
    """The open categories for a picker, read once per request (the list's filter and its
    bulk bar both show them) and kept under the task force's setup version. (No request
    changes categories and then shows a picker: a change redirects.)"""
    made = g.setdefault("category_options", {})
    if task_force_id not in made:
        made[task_force_id] = setup_value(
            "category_options", task_force_id, lambda: service.category_options(task_force_id)
        )
    return list(made[task_force_id])


def category_choices(task_force_id: int, blank: str = "—", exclude_path: str | None = None):
    if exclude_path is None:
        return choices([("", blank)] + open_categories(task_force_id))
    return choices([("", blank)] + service.category_options(task_force_id, exclude_path))


def people_choices(task_force_id: int, blank: str | None = "—"):
    people = roster.assignee_options(task_force_id)
    return choices(([("", blank)] if blank is not None else []) + people)


def org_unit_choices():
    return choices([("", "—")] + org_unit_options())


def filter_from_args(form: FilterForm) -> service.IssueFilter:
    # A value that is no longer valid (an owner who left the roster, a mistyped date)
    # is dropped and marked on its field; the other filters still apply.
    data = dict(form.data)
    if not form.validate():
        for name in form.errors:
            data[name] = [] if name in ("status", "priority") else None
    major = {"yes": True, "no": False}.get(data.get("major") or "")
    path = {"yes": True, "no": False}.get(data.get("path") or "")
    return service.IssueFilter(
        category_id=data.get("category"),
        owner_id=data.get("owner"),
        org_unit_id=data.get("org_unit"),
        statuses=[s for s in data.get("status") or [] if s in STATUSES],
        priorities=list(data.get("priority") or []),
        light=data.get("light") or None,
        major=major,
        deadline_from=data.get("deadline_from"),
        deadline_to=data.get("deadline_to"),
        unacknowledged=bool(data.get("unacknowledged")),
        open_only=bool(data.get("open")),
        path_defined=path,
        delayed={"1": 1, "2": 2}.get(data.get("delayed") or ""),
        q=(data.get("q") or "").strip(),
        sort=data.get("sort") if data.get("sort") in service.SORT_KEYS else "code",
        page=requested_page(),
    )


def filter_form(task_force_id: int, args=None) -> FilterForm:
    """The list's filter form over ``args`` (the request's query string by default)."""
    form = FilterForm(request.args if args is None else args)
    form.category.choices = category_choices(task_force_id)
    form.owner.choices = people_choices(task_force_id)
    form.org_unit.choices = org_unit_choices()
    form.light.choices = choices([("", "—")] + [(lt, LIGHT_LABELS[lt]) for lt in LIGHTS])
    form.major.choices = choices([("", "—"), ("yes", _("Major only")), ("no", _("Not major"))])
    form.path.choices = choices(
        [("", "—"), ("yes", _("Path defined")), ("no", _("Path not defined"))]
    )
    form.delayed.choices = choices(
        [("", "—"), ("1", _("Extended at least once")), ("2", _("Extended more than once"))]
    )
    form.sort.choices = choices(
        [
            ("code", _("Category and number")),
            ("deadline", _("Deadline, earliest first")),
            ("-deadline", _("Deadline, latest first")),
            ("priority", _("Priority")),
            ("updated", _("Recently changed")),
            ("title", _("Title")),
            ("status", _("Status")),
        ]
    )
    return form


# Where a filter bar says what the items found say (the list's count): filled in after.
FOUND = "\x1dfound\x1d"


def filter_bar(task_force_id: int, template: str) -> tuple[service.IssueFilter, Markup]:
    """What this address's filter asks for, and its bar drawn by ``template``.

    Both are kept under the task force's setup, not its data: the bar's choices are the
    categories, the people and the units, and a change to an item leaves them as they
    were. What the items found say goes in the bar's slot ``FOUND``
    (``bar.replace(FOUND, …)``; the templates get it as ``found_slot``). Kept by each
    worker, not in the host's folder: the filter read is a value, not text."""

    def build() -> tuple[service.IssueFilter, Markup]:
        form = filter_form(task_force_id)
        filters = filter_from_args(form)
        context = {"form": form, "filters": filters, "found": Markup(FOUND)}
        current_app.update_template_context(context)
        return filters, Markup(current_app.jinja_env.get_template(template).render(context))

    filters, bar = cached_value(template, build, setup=True)
    return replace(filters), bar  # the kept filter stays as read
