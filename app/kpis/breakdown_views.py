"""Pages of a KPI broken down (目标任务分解): the unit × period matrix with lights and a
ranking, the grids where targets and readings are typed, one unit's figures, and the KPIs
an org unit carries. The routes hang on the goal figures' blueprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.core.errors import DomainError, StaleEdit
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.web import current_task_force, form_error, requires
from app.extensions import db
from app.kpis import charts, pace, service
from app.kpis.forms import BreakdownForm
from app.kpis.models import RATIO, WEIGHTED, Kpi, KpiUnit
from app.kpis.service import breakdown as plan
from app.kpis.views import SVG_POLICY, bp
from app.people.service import get_org_unit, org_unit_neighbours, org_unit_options

# --- the matrix ----------------------------------------------------------------------------


def _day() -> date | None:
    """``?on=2026-09-30`` reads the matrix as it stood that day (not beyond today)."""
    text = request.args.get("on", "")
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return min(day, clock.today()) if day else None


@bp.get("/kpis/<int:kpi_id>/breakdown")
@requires("kpi.view")
def breakdown(kpi_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    day = _day()

    def content() -> dict:
        return {
            "kpi": kpi,
            "matrix": plan.matrix(kpi, day),
            "history": plan.target_history(kpi),
            "day": day,
        }

    return render_template(
        "kpis/breakdown.html", kpi=kpi, body=cached_body("kpis/_breakdown_body.html", content)
    )


@bp.route("/kpis/<int:kpi_id>/breakdown/setup", methods=["GET", "POST"])
@requires("kpi.manage")
def breakdown_setup(kpi_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    form = BreakdownForm()
    form.unit_ids.choices = choices(org_unit_options())
    if request.method == "GET":
        form.version.data = kpi.version
        form.kind.data = kpi.breakdown or ""
        form.aggregation.data = kpi.aggregation
        form.tolerance.data = kpi.tolerance
        form.unit_ids.data = [u.org_unit_id for u in plan.kpi_units(kpi)]
    status = 200
    if form.validate_on_submit():
        data = plan.BreakdownInput(
            kind=form.kind.data or None,
            aggregation=form.aggregation.data,
            tolerance=form.tolerance.data,
            unit_ids=_ordered(form.unit_ids.data or []),
        )
        try:
            plan.set_breakdown(current_user, kpi, data, form.version_value)
        except StaleEdit as error:
            db.session.rollback()
            form_error(form, error)
            status = 409
        except DomainError as error:
            form_error(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            if kpi.breakdown:
                return redirect(url_for("kpis.breakdown_targets", kpi_id=kpi_id))
            return redirect(url_for("kpis.kpi_detail", kpi_id=kpi_id))
    elif request.method == "POST":
        status = 400
    return render_template("kpis/breakdown_setup.html", form=form, kpi=kpi), status


def _ordered(unit_ids: list[int]) -> list[int]:
    """The chosen units in the tree's order, whatever order the browser sent them in."""
    order = {uid: n for n, (uid, _name) in enumerate(org_unit_options())}
    return sorted(set(unit_ids), key=lambda uid: order.get(uid, len(order)))


# --- the grids -----------------------------------------------------------------------------


@dataclass
class Grid:
    """What a grid form sent: the figures by cell, the figures it was opened with, and
    the message of each cell that does not read as a number (by input name)."""

    values: dict = field(default_factory=dict)
    was: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)


def _number(grid: Grid, name: str) -> tuple[bool, Decimal | None]:
    """(read, value) of input ``name``: blank is None, a bad number an error."""
    text = (request.form.get(name) or "").strip()
    grid.typed[name] = text
    if not text:
        return True, None
    value = service.number_in(text)
    if value is None or abs(value) >= Decimal("1e14"):
        grid.errors[name] = _("Not a number.")
        return False, None
    return True, value


def _was(name: str) -> Decimal | None:
    text = (request.form.get(name) or "").strip()
    try:
        return Decimal(text) if text else None
    except ArithmeticError:
        return None


def _cells(kpi: Kpi) -> list[tuple[KpiUnit, pace.Period]]:
    units = plan.kpi_units(kpi)
    return [(u, p) for u in units for p in plan.plan_periods(kpi)]


def _key(prefix: str, unit_id: int, period: date) -> str:
    return f"{prefix}-{unit_id}-{period.isoformat()}"


def _read_targets(kpi: Kpi) -> Grid:
    grid = Grid()
    for unit, period in _cells(kpi):
        name = _key("t", unit.org_unit_id, period.end)
        if name not in request.form:
            continue
        cell = (unit.org_unit_id, period.end)
        grid.was[cell] = _was("was-" + name)
        ok, value = _number(grid, name)
        if ok:
            grid.values[cell] = value
    for unit in plan.kpi_units(kpi):
        for prefix, into in (("b", grid.baselines), ("w", grid.weights)):
            name = f"{prefix}-{unit.org_unit_id}"
            if name in request.form:
                ok, value = _number(grid, name)
                if ok:
                    into[unit.org_unit_id] = value
    return grid


def _read_readings(kpi: Kpi) -> Grid:
    grid = Grid()
    today = clock.today()
    for unit, period in _cells(kpi):
        cell = (unit.org_unit_id, period.end)
        if kpi.aggregation == RATIO:
            names = (_key("n", *cell), _key("d", *cell))
            if names[0] not in request.form:
                continue
            grid.was[cell] = _was("was-" + _key("r", *cell))
            (ok_n, numerator), (ok_d, denominator) = (_number(grid, n) for n in names)
            if not (ok_n and ok_d):
                continue
            if numerator is None and denominator is None:
                value = None
            elif numerator is None or not denominator or denominator <= 0:
                grid.errors[names[1]] = _("A numerator and a denominator above zero.")
                continue
            else:
                value = plan.ReadingValue(Decimal(0), numerator, denominator)
        else:
            name = _key("r", *cell)
            if name not in request.form:
                continue
            grid.was[cell] = _was("was-" + name)
            ok, number = _number(grid, name)
            if not ok:
                continue
            value = None if number is None else plan.ReadingValue(number)
        if value is not None and period.end > today:
            grid.errors[_key("n" if kpi.aggregation == RATIO else "r", *cell)] = _(
                "The period has not ended yet."
            )
            continue
        grid.values[cell] = value
    return grid


def _grid_page(kpi: Kpi, what: str, grid: Grid | None, status: int = 200, message: str = ""):
    """The grid, with what was typed when a save was refused. After a refusal for a
    change made meanwhile (409) the form is opened anew on the current figures, which
    show beside what was typed; after any other refusal it keeps the figures it was
    opened with, so a later save still notices a change made meanwhile."""
    found = plan.matrix(kpi)
    stale = status == 409
    kept = grid.was if grid is not None and not stale else {}

    def was_of(cell, current):
        return kept.get(cell, current)

    problems = _problems(kpi, grid.errors) if grid is not None else []

    return render_template(
        "kpis/breakdown_grid.html",
        kpi=kpi,
        what=what,
        matrix=found,
        grid=grid or Grid(),
        message=message,
        ratio=kpi.aggregation == RATIO,
        weighted=kpi.aggregation == WEIGHTED,
        today=clock.today(),
        key=_key,
        was_of=was_of,
        stale=stale,
        problems=problems,
    ), status


def _problems(kpi: Kpi, errors: dict[str, str]) -> list[tuple[str, str]]:
    """Each refused cell by its unit and period (a phone shows a few columns at a time)."""
    labels = {}
    for unit, period in _cells(kpi):
        for prefix in ("t", "r", "n", "d"):
            labels[_key(prefix, unit.org_unit_id, period.end)] = (
                f"{unit.org_unit.name} {period.label}"
            )
    for unit in plan.kpi_units(kpi):
        labels[f"b-{unit.org_unit_id}"] = f"{unit.org_unit.name} {_('Baseline')}"
        labels[f"w-{unit.org_unit_id}"] = f"{unit.org_unit.name} {_('Weight')}"
    return [(labels.get(name, name), message) for name, message in errors.items()]


def _grid(kpi_id: int, what: str):
    kpi = service.load_kpi(current_user, kpi_id)
    if not kpi.breakdown:
        flash(_("Choose the units and periods first."), "warning")
        return redirect(url_for("kpis.breakdown_setup", kpi_id=kpi_id))
    if request.method == "GET":
        return _grid_page(kpi, what, None)
    grid = _read_targets(kpi) if what == "targets" else _read_readings(kpi)
    if grid.errors:
        db.session.rollback()
        return _grid_page(kpi, what, grid, 400, _("Some cells are not numbers; nothing was saved."))
    try:
        if what == "targets":
            changed = plan.save_targets(
                current_user, kpi, grid.values, grid.was, grid.baselines, grid.weights
            )
        else:
            changed = plan.save_readings(current_user, kpi, grid.values, grid.was)
    except StaleEdit as error:
        db.session.rollback()
        return _grid_page(kpi, what, grid, 409, error.message)
    except DomainError as error:
        db.session.rollback()
        return _grid_page(kpi, what, grid, 400, error.message)
    if changed:
        flash(_("%(n)d figures saved.", n=changed), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("kpis.breakdown", kpi_id=kpi_id))


@bp.route("/kpis/<int:kpi_id>/breakdown/targets", methods=["GET", "POST"])
@requires("kpi.manage")
def breakdown_targets(kpi_id: int):
    return _grid(kpi_id, "targets")


@bp.route("/kpis/<int:kpi_id>/breakdown/readings", methods=["GET", "POST"])
@requires("kpi.manage")
def breakdown_readings(kpi_id: int):
    return _grid(kpi_id, "readings")


# --- one unit ------------------------------------------------------------------------------


def _unit_row(kpi: Kpi, unit_id: int):
    found = plan.matrix(kpi)
    row = next((r for r in found.rows if r.unit.org_unit_id == unit_id), None) if found else None
    if row is None:
        abort(404)
    return found, row


@bp.get("/kpis/<int:kpi_id>/units/<int:unit_id>")
@requires("kpi.view")
def unit_readings(kpi_id: int, unit_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    found, row = _unit_row(kpi, unit_id)
    return render_template(
        "kpis/unit_readings.html",
        kpi=kpi,
        matrix=found,
        row=row,
        history=plan.target_history(kpi, unit_id),
    )


@bp.get("/kpis/<int:kpi_id>/units/<int:unit_id>/chart.svg")
@requires("kpi.view")
def unit_chart(kpi_id: int, unit_id: int):
    kpi = service.load_kpi(current_user, kpi_id)
    _found, row = _unit_row(kpi, unit_id)
    small = request.args.get("size") == "small"
    svg = charts.unit_chart(
        kpi, row, width=360 if small else 720, height=200 if small else 320, small=small
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.get("/kpis/units/<int:unit_id>")
@requires("kpi.view")
def unit_kpis(unit_id: int):
    """The goal figures an org unit carries in this task force, with its lights."""
    unit = get_org_unit(unit_id)
    found = plan.matrices(current_task_force().id, org_unit_id=unit_id)
    parents, children = org_unit_neighbours(unit)
    return render_template(
        "kpis/unit_kpis.html", unit=unit, matrices=found, parents=parents, children=children
    )
