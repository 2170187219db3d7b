"""Pages of the goal figures: the KPI list, one KPI with its chart, readings, import."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.core.errors import DomainError, StaleEdit
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.i18n import Labels
from app.core.nav import NavItem
from app.core.web import current_task_force, download, form_error, requires
from app.extensions import db
from app.issues.models import Issue
from app.kpis import by_unit, charts, pace, service
from app.kpis.forms import ImportForm, KpiForm, ReadingForm
from app.kpis.labels import (
    AGGREGATION_LABELS,
    BREAKDOWN_LABELS,
    DIRECTION_LABELS,
    LIGHT_LABELS,
    UNIT_LABELS,
)

bp = Blueprint("kpis", __name__)

NAV_ITEMS = (NavItem("kpis.kpi_list", _l("Goal figures"), "kpi.view", 75, ("kpis.",), "pilots"),)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The chart is an image: its own <style> must apply, and nothing in it may run.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


_LABELS = {
    "kpi_unit_label": Labels(UNIT_LABELS),
    "kpi_direction_label": Labels(DIRECTION_LABELS),
    "kpi_light_label": Labels(LIGHT_LABELS),
    "kpi_breakdown_label": Labels(BREAKDOWN_LABELS),
    "kpi_aggregation_label": Labels(AGGREGATION_LABELS),
    "period_label": pace.period_label,
}


@bp.app_context_processor
def kpi_labels():
    return _LABELS


@bp.app_template_filter("kpi_number")
def kpi_number(value) -> str:
    return "—" if value is None else format_decimal(value.normalize())


@bp.app_template_filter("kpi_plain")
def kpi_plain(value) -> str:
    """A number as typed into a form field: 135, 0.5, never 1.35E+2; empty for none."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


@bp.app_template_filter("kpi_share")
def kpi_share(value) -> str:
    """A share as a percentage without a sign: attainment 0.982 reads 98.2%."""
    return "—" if value is None else f"{value:.1%}"


@bp.app_template_filter("kpi_percent")
def kpi_percent(value) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _fill(form: KpiForm, task_force_id: int) -> None:
    rows = db.session.execute(
        select(Issue.id, Issue.code, Issue.title)
        .where(Issue.task_force_id == task_force_id)
        .order_by(Issue.code)
    )
    form.issue_ids.choices = choices((r.id, f"{r.code} {r.title}") for r in rows)
    form.pilot_ids.choices = choices(service.pilot_options(task_force_id))


def _input(form: KpiForm) -> service.KpiInput:
    return service.KpiInput(
        name=form.name.data.strip(),
        description=(form.description.data or "").strip(),
        unit=form.unit.data,
        direction=form.direction.data,
        baseline=form.baseline.data,
        baseline_on=form.baseline_on.data,
        target=form.target.data,
        target_on=form.target_on.data,
        issue_ids=list(form.issue_ids.data or []),
        pilot_ids=list(form.pilot_ids.data or []),
    )


@bp.get("/kpis")
@requires("kpi.view")
def kpi_list():
    task_force_id = current_task_force().id

    def content() -> dict:
        rows = service.list_kpis(current_user, task_force_id)
        # How many units are behind pace on each broken-down figure (no query without one).
        behind = by_unit.behind_pace(
            task_force_id, None, [s.kpi.id for s in rows if s.kpi.breakdown is not None]
        )
        counts: dict[int, int] = {}
        for matrix, _row in behind.rows:
            counts[matrix.kpi.id] = counts.get(matrix.kpi.id, 0) + 1
        return {"rows": rows, "behind": counts}

    return render_template("kpis/list.html", body=cached_body("kpis/_list_body.html", content))


@bp.route("/kpis/new", methods=["GET", "POST"])
@requires("kpi.manage")
def create_kpi():
    task_force_id = current_task_force().id
    form = KpiForm()
    _fill(form, task_force_id)
    if form.validate_on_submit():
        try:
            kpi = service.create_kpi(current_user, task_force_id, _input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("“%(name)s” created.", name=kpi.name), "success")
            return redirect(url_for("kpis.kpi_detail", kpi_id=kpi.id))
    status = 400 if request.method == "POST" else 200
    return render_template("kpis/form.html", form=form, kpi=None), status


@bp.route("/kpis/<int:kpi_id>/edit", methods=["GET", "POST"])
@requires("kpi.manage")
def edit_kpi(kpi_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    form = KpiForm(obj=kpi) if request.method == "GET" else KpiForm()
    _fill(form, kpi.task_force_id)
    if request.method == "GET":
        form.version.data = kpi.version
        form.issue_ids.data = [i.id for i in kpi.issues]
        form.pilot_ids.data = [pid for pid, _name in service.linked_pilots(kpi)]
    status = 200
    if form.validate_on_submit():
        try:
            service.update_kpi(current_user, kpi, _input(form), form.version_value)
        except StaleEdit as error:
            db.session.rollback()
            form_error(form, error)
            status = 409
        except DomainError as error:
            form_error(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("kpis.kpi_detail", kpi_id=kpi_id))
    elif request.method == "POST":
        status = 400
    return render_template("kpis/form.html", form=form, kpi=kpi), status


def _detail(kpi_id: int, reading_form: ReadingForm | None = None, status: int = 200):
    kpi = service.load_kpi(current_user, kpi_id)
    return render_template(
        "kpis/detail.html",
        kpi=kpi,
        now=service.standing(kpi),
        pilots=service.linked_pilots(kpi),
        reading_form=reading_form or ReadingForm(),
        progress_of=lambda value: service.progress(kpi, value),
        growth_of=lambda value: service.growth(kpi, value),
    ), status


@bp.get("/kpis/<int:kpi_id>")
@requires("kpi.view")
def kpi_detail(kpi_id: int):
    return _detail(kpi_id)


@bp.post("/kpis/<int:kpi_id>/readings")
@requires("kpi.manage")
def add_reading(kpi_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    form = ReadingForm()
    if form.validate_on_submit():
        try:
            service.record_reading(
                current_user, kpi, form.period.data, form.value.data, (form.note.data or "").strip()
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Reading recorded."), "success")
            return redirect(url_for("kpis.kpi_detail", kpi_id=kpi_id))
    db.session.rollback()
    return _detail(kpi_id, form, 400)


@bp.get("/kpis/<int:kpi_id>/chart.svg")
@requires("kpi.view")
def kpi_chart(kpi_id: int):
    """The chart as an image of its own, for the KPI page, the battle map and PDFs."""
    kpi = service.load_kpi(current_user, kpi_id)
    small = request.args.get("size") == "small"
    svg = charts.kpi_chart(
        kpi, width=420 if small else 720, height=220 if small else 320, small=small
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.route("/kpis/import", methods=["GET", "POST"])
@requires("kpi.manage")
def import_readings():
    task_force_id = current_task_force().id
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        result = service.import_readings(
            current_user, task_force_id, upload.read(), upload.filename or ""
        )
        if not result.failed:
            summary = _(
                "Imported: %(added)d readings added, %(replaced)d replaced.",
                added=result.added,
                replaced=result.replaced,
            )
            if result.samples:
                skipped = _("%(n)d sample rows of the template skipped.", n=result.samples)
                # Chinese sentences follow each other without a space.
                summary = summary + ("" if summary.endswith("。") else " ") + skipped
            flash(summary, "success")
            return redirect(url_for("kpis.kpi_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("kpis/import.html", form=form, result=result), status


@bp.get("/kpis/import/template.xlsx")
@requires("kpi.manage")
def import_template():
    return download(
        service.import_template(), XLSX, _("KPI readings template"), "kpi-readings-template", "xlsx"
    )
