"""``/api/v1/kpis`` and ``/api/v1/kpi-readings``: goal figures and their readings,
through the KPI pages' own services (``kpis.service``, ``kpis.service.breakdown``).

The bank's data warehouse feeds the readings: one at a time, or many in one batch that is
saved whole or not at all. A reading sent again for the same period (and unit) replaces
the one before, as on the page."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import UnprocessableEntity

from app.api.kpi_schemas import (
    BatchResultSchema,
    BatchSchema,
    KpiArgsSchema,
    KpiDetailSchema,
    KpiPageSchema,
    KpiReadingSchema,
    KpiUnitReadingSchema,
    ReadingInputSchema,
    UnitReadingInputSchema,
)
from app.api.paging import Paging, envelope
from app.api.spec import api_blueprint
from app.api.versions import etag
from app.core.errors import ValidationFailed
from app.core.paging import within
from app.core.web import current_task_force, requires
from app.extensions import db
from app.kpis import service
from app.kpis.models import RATIO, Kpi, KpiReading, KpiUnitReading
from app.kpis.service import breakdown
from app.people.models import User

bp = api_blueprint(
    "api_kpis",
    __name__,
    "Goal figures (指标) and their readings, of the task force and of its org units.",
)


def load_kpi(kpi_id: int) -> Kpi:
    """The KPI of the URL in the task force of the call (404 for any other)."""
    return service.load_kpi(current_user, kpi_id)


def _standing(kpi: Kpi, standing: service.Standing) -> Kpi:
    kpi.api_actual = standing.actual
    kpi.api_actual_period = standing.reading.period if standing.reading else None
    kpi.api_progress = standing.progress
    return kpi


def _detail(kpi: Kpi) -> Kpi:
    _standing(kpi, service.standing(kpi))
    kpi.api_periods = [p.end for p in breakdown.plan_periods(kpi)] if kpi.breakdown else []
    kpi.api_units = breakdown.kpi_units(kpi)
    kpi.api_unit_readings = list(
        db.session.scalars(
            select(KpiUnitReading)
            .where(KpiUnitReading.kpi_id == kpi.id)
            .options(joinedload(KpiUnitReading.entered_by))
            .order_by(KpiUnitReading.period, KpiUnitReading.org_unit_id)
        )
    )
    return kpi


@bp.route("/kpis", methods=["GET"])
@requires("kpi.view")
@bp.arguments(KpiArgsSchema, location="query", as_kwargs=True)
@bp.response(200, KpiPageSchema)
def list_kpis(**args):
    """The task force's open KPIs in their order, each with its latest reading."""
    paging = Paging.of(args)
    found = service.list_kpis(current_user, current_task_force().id)
    page, _pages = within(paging.page, len(found), paging.per_page)
    rows = [
        _standing(standing.kpi, standing)
        for standing in found[(page - 1) * paging.per_page : page * paging.per_page]
    ]
    body, headers = envelope(rows, len(found), page, paging.per_page)
    return body, 200, headers


@bp.route("/kpis/<int:kpi_id>", methods=["GET"])
@requires("kpi.view", load=load_kpi)
@bp.response(200, KpiDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_kpi(kpi: Kpi, kpi_id: int):
    """One KPI with its readings and, broken down, its units, periods and units' readings."""
    return _detail(kpi), 200, etag(kpi)


def _reading(kpi: Kpi, period) -> KpiReading | None:
    return db.session.scalar(
        select(KpiReading).where(KpiReading.kpi_id == kpi.id, KpiReading.period == period)
    )


def _unit_reading(kpi: Kpi, unit_id: int, period) -> KpiUnitReading | None:
    return db.session.scalar(
        select(KpiUnitReading).where(
            KpiUnitReading.kpi_id == kpi.id,
            KpiUnitReading.org_unit_id == unit_id,
            KpiUnitReading.period == period,
        )
    )


def _put(actor: User, kpi: Kpi, period, value: Decimal | None, note: str) -> bool:
    """The task force's reading, as the KPI's page enters it; whether it is new or changed."""
    if value is None:
        raise ValidationFailed(_("Enter a number."), "value")
    was = _reading(kpi, period)
    same = was is not None and was.value.compare(value) == 0 and was.note == note.strip()
    service.record_reading(actor, kpi, period, value, note.strip())
    return not same


def _put_unit(actor: User, kpi: Kpi, row: dict) -> bool:
    """A unit's reading, as the breakdown's grid enters it; whether it is new or changed."""
    if kpi.aggregation == RATIO:
        given = breakdown.ReadingValue(Decimal(0), row.get("numerator"), row.get("denominator"))
    elif row.get("value") is None:
        raise ValidationFailed(_("Enter a number."), "value")
    else:
        given = breakdown.ReadingValue(row["value"])
    return bool(breakdown.save_readings(actor, kpi, {(row["org_unit_id"], row["period"]): given}))


@bp.route("/kpis/<int:kpi_id>/readings", methods=["POST"])
@requires("kpi.manage", load=load_kpi)
@bp.arguments(ReadingInputSchema)
@bp.response(200, KpiReadingSchema)
def put_reading(kpi: Kpi, data: dict, kpi_id: int):
    """Enter the task force's figure of a period (its last day). Sent again for the same
    period, it replaces the figure: a retry never makes a second reading."""
    _put(current_user, kpi, data["period"], data["value"], data["note"])
    return _reading(kpi, data["period"])


@bp.route("/kpis/<int:kpi_id>/unit-readings", methods=["POST"])
@requires("kpi.manage", load=load_kpi)
@bp.arguments(UnitReadingInputSchema)
@bp.response(200, KpiUnitReadingSchema)
def put_unit_reading(kpi: Kpi, data: dict, kpi_id: int):
    """Enter one org unit's figure of one of a broken-down KPI's periods; the task force's
    figure of the period is rolled up once every unit has reported."""
    _put_unit(current_user, kpi, data)
    return _unit_reading(kpi, data["org_unit_id"], data["period"])


def refuse_rows(errors: dict[str, list[str]]):
    """Answer 422 naming each refused row's field (``readings.<index>.<field>``)."""
    db.session.rollback()
    error = UnprocessableEntity()
    error.data = {"messages": {"json": errors}}
    error.problem_kind = "validation-failed"
    raise error


def _kpis_of(rows: list[dict]) -> dict[int, Kpi]:
    ids = {row["kpi_id"] for row in rows}
    return {
        kpi.id: kpi
        for kpi in db.session.scalars(
            select(Kpi).where(Kpi.task_force_id == current_task_force().id, Kpi.id.in_(ids))
        )
    }


def _check_rows(rows: list[dict], kpis: dict[int, Kpi]) -> dict[str, list[str]]:
    """What is wrong with rows before any is written: an unknown KPI, a row twice."""
    errors: dict[str, list[str]] = {}
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        if row["kpi_id"] not in kpis:
            errors[f"readings.{index}.kpi_id"] = [_("No KPI of this task force has this id.")]
        key = (row["kpi_id"], row["org_unit_id"], row["period"])
        if key in seen:
            errors[f"readings.{index}.period"] = [
                _("The same KPI, unit and period as readings.%(row)d.", row=seen[key])
            ]
        seen.setdefault(key, index)
    return errors


@bp.route("/kpi-readings", methods=["POST"])
@requires("kpi.manage")
@bp.arguments(BatchSchema)
@bp.response(200, BatchResultSchema)
def put_readings(data: dict):
    """Many readings at once, of any KPIs of the task force: a row with ``org_unit_id`` is
    a unit's reading of a broken-down KPI, one without it the task force's.

    All or nothing: one refused row refuses the batch with a 422 problem whose ``errors``
    name each refused row and field (``readings.3.value``; ``readings.3`` for the row as
    a whole), and nothing is saved. Rows already as sent count as ``unchanged``."""
    rows = data["readings"]
    kpis = _kpis_of(rows)
    errors = _check_rows(rows, kpis)
    saved = 0
    if not errors:
        for index, row in enumerate(rows):
            kpi = kpis[row["kpi_id"]]
            try:
                if row["org_unit_id"] is None:
                    changed = _put(current_user, kpi, row["period"], row["value"], row["note"])
                else:
                    changed = _put_unit(current_user, kpi, row)
            except ValidationFailed as refused:
                if isinstance(refused, IntegrityError):
                    raise  # the database refused: the session is spent (409, all undone)
                name = f"readings.{index}" + (f".{refused.field}" if refused.field else "")
                errors.setdefault(name, []).append(refused.message)
            else:
                saved += int(changed)
    if errors:
        refuse_rows(errors)
    return {"saved": saved, "unchanged": len(rows) - saved}
