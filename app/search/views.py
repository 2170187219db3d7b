"""The search page: /search?q=…, grouped by kind, or one kind paged."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.core.forms import choices
from app.core.links import in_task_force
from app.core.paging import requested_page
from app.core.scope import unscoped
from app.core.web import requires
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Issue
from app.kpis.models import Kpi
from app.meetings.models import Meeting
from app.people.roster import assignee_options
from app.pilots.models import Pilot
from app.search import service
from app.search.forms import SearchForm
from app.search.highlight import mark
from app.search.registry import KINDS

bp = Blueprint("search", __name__)

SNIPPET = 160  # characters of a result's text

# How the object a result belongs to is named: its model and its words.
HEADINGS = {
    "issue": (Issue, lambda row: f"{row.code} {row.title}"),
    "escalation": (Escalation, lambda row: row.question),
    "meeting": (Meeting, lambda row: row.title),
    "pilot": (Pilot, lambda row: row.name),
    "kpi": (Kpi, lambda row: row.name),
}


@dataclass
class Result:
    kind: str
    heading: str  # the object it belongs to, when it is not the object itself
    title: Markup
    snippet: Markup
    link: str
    task_force: str


def _form(task_forces) -> SearchForm:
    form = SearchForm(request.args)
    empty = [("", "—")]
    kinds = sorted(KINDS.values(), key=lambda kind: kind.order)
    form.kind.choices = choices(empty + [(kind.name, kind.label) for kind in kinds])
    form.force.choices = choices(empty + [(tf.id, tf.name) for tf in task_forces])
    people = assignee_options(g.task_force.id) if g.get("task_force") else []
    form.person.choices = choices(empty + people)
    form.validate()
    return form


def _value(form: SearchForm, name: str):
    field = form._fields[name]
    return None if field.errors else field.data


def _headings(entries) -> dict[tuple[str, int], str]:
    """The names of the objects the entries belong to: one query per kind of object."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.parent_kind in HEADINGS and entry.parent_id is not None:
            wanted.setdefault(entry.parent_kind, set()).add(entry.parent_id)
    found = {}
    with unscoped():
        for kind, ids in wanted.items():
            model, words = HEADINGS[kind]
            for row in db.session.scalars(select(model).where(model.id.in_(ids))):
                found[(kind, row.id)] = words(row)
    return found


def _results(entries, query: str, reader: service.Reader, names: dict[int, str]):
    headings = _headings(entries)
    results = []
    for entry in entries:
        own = (entry.parent_kind, entry.parent_id) == (entry.kind, entry.object_id)
        entry.view_here = reader.may(entry.task_force_id, entry.view)
        link = in_task_force(
            KINDS[entry.kind].link(entry), entry.task_force_id, g.get("task_force_id")
        )
        if entry.kind == "intake_submission" and not entry.view_here:
            link = KINDS[entry.kind].link(entry)  # the submitter's own list, in no task force
        heading = "" if own else headings.get((entry.parent_kind, entry.parent_id), "")
        title = entry.title
        if not title:  # a note, a comment, a decision: named by what it belongs to
            title, heading = heading or str(KINDS[entry.kind].label), ""
        results.append(
            Result(
                kind=entry.kind,
                heading=heading,
                title=mark(title, query),
                snippet=mark(entry.body, query, SNIPPET),
                link=link,
                task_force=names.get(entry.task_force_id, "") if len(names) > 1 else "",
            )
        )
    return results


@bp.get("/search")
@requires("search.view")
def search():
    """Find anything the reader may read; an item's code opens the item."""
    task_forces = list(g.get("my_task_forces") or [])
    reader = service.Reader.of(current_user, task_forces)
    form = _form(task_forces)
    query = form.q.data or ""
    item = service.item_by_code(reader, query)
    if item is not None:
        target = url_for("issues.issue_detail", issue_id=item.id)
        return redirect(in_task_force(target, item.task_force_id, g.get("task_force_id")))
    filters = service.Filters(
        kind=_value(form, "kind") or "",
        task_force_id=_value(form, "force"),
        person_id=_value(form, "person"),
        since=_value(form, "since"),
        until=_value(form, "until"),
    )
    names = {tf.id: tf.name for tf in task_forces}
    page = requested_page()
    with unscoped():
        totals, rows = service.overview(reader, query, filters)
        if filters.kind:
            rows = service.page_of_kind(reader, query, filters, page)
        groups = service.group(rows, totals)
        for each in groups:
            each.rows = _results(each.rows, query, reader, names)
    args = {k: v for k, v in request.args.items() if k not in ("page", "kind") and v}
    total = totals.get(filters.kind, 0) if filters.kind else sum(totals.values())
    return render_template(
        "search/results.html",
        form=form,
        query=query,
        groups=groups,
        totals=totals,
        total=total,
        kinds=KINDS,
        page=page,
        has_next=bool(filters.kind) and page * service.PER_PAGE < total,
        args=args,
        kind=filters.kind,
    )
