"""The shapes of goal figures (KPIs) on the API: the KPIs with where they stand, their
readings, their units' readings, and the readings a data warehouse sends."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of
from app.kpis.models import AGGREGATIONS, BREAKDOWN_PERIODS, DIRECTIONS, UNITS

# A batch is one unit of work: all its rows are saved, or none.
MAX_BATCH = 1000
_LIMIT = Decimal(10) ** 14  # the columns hold 18 digits, 4 of them decimals


def _in_range(value: Decimal) -> None:
    if abs(value) >= _LIMIT:
        raise ValidationError(_("A figure must be below 10^14 in size."))


def _figure(**kwargs) -> fields.Float:
    """A figure (stored with up to 4 decimal places)."""
    return fields.Float(**kwargs)


class KpiSchema(Schema):
    id = fields.Integer(required=True)
    task_force_id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    unit = fields.String(
        required=True, metadata={"enum": list(UNITS), "description": "亿元, %, or a count."}
    )
    direction = fields.String(required=True, metadata={"enum": list(DIRECTIONS)})
    baseline = _figure(required=True)
    baseline_on = fields.Date(allow_none=True, required=True)
    target = _figure(required=True)
    target_on = fields.Date(allow_none=True, required=True)
    breakdown = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "enum": [*BREAKDOWN_PERIODS, None],
            "description": "Broken down by org unit per quarter or month (目标任务分解), or not.",
        },
    )
    aggregation = fields.String(required=True, metadata={"enum": list(AGGREGATIONS)})
    actual = _figure(
        allow_none=True,
        required=True,
        attribute="api_actual",
        metadata={"description": "The latest reading up to today."},
    )
    actual_period = fields.Date(allow_none=True, required=True, attribute="api_actual_period")
    progress = fields.Float(
        allow_none=True,
        required=True,
        attribute="api_progress",
        metadata={"description": "0 at the baseline, 1 at the target."},
    )
    version = fields.Integer(required=True)


KpiPageSchema = page_of(KpiSchema, "KpiPage")


class KpiReadingSchema(Schema):
    kpi_id = fields.Integer(required=True)
    period = fields.Date(required=True, metadata={"description": "The period's last day."})
    value = _figure(required=True)
    note = fields.String(required=True)
    entered_by = fields.Nested(PersonSchema, allow_none=True, required=True)
    created_at = LocalDateTime(required=True)


class UnitRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class KpiUnitSchema(Schema):
    org_unit = fields.Nested(UnitRefSchema, required=True)
    baseline = _figure(allow_none=True, required=True)
    weight = _figure(allow_none=True, required=True)


class KpiUnitReadingSchema(Schema):
    kpi_id = fields.Integer(required=True)
    org_unit_id = fields.Integer(required=True)
    period = fields.Date(required=True)
    value = _figure(required=True)
    numerator = _figure(allow_none=True, required=True)
    denominator = _figure(allow_none=True, required=True)
    entered_by = fields.Nested(PersonSchema, allow_none=True, required=True)
    entered_at = LocalDateTime(required=True)


class KpiDetailSchema(KpiSchema):
    readings = fields.List(fields.Nested(KpiReadingSchema), required=True)
    periods = fields.List(
        fields.Date(),
        required=True,
        attribute="api_periods",
        metadata={"description": "A broken-down KPI's periods (their last days)."},
    )
    units = fields.List(fields.Nested(KpiUnitSchema), required=True, attribute="api_units")
    unit_readings = fields.List(
        fields.Nested(KpiUnitReadingSchema), required=True, attribute="api_unit_readings"
    )


class KpiArgsSchema(PageArgsSchema):
    pass


_NOTE = validate.Length(max=200)


class ReadingInputSchema(Strict):
    """The task force's figure of one period; sent again, it replaces the first."""

    period = fields.Date(required=True, metadata={"description": "The period's last day."})
    value = fields.Decimal(required=True, validate=_in_range)
    note = fields.String(load_default="", validate=_NOTE)


class UnitReadingInputSchema(Strict):
    """One org unit's figure of one period of a broken-down KPI; a ratio KPI takes the
    numerator and the denominator (the value is computed), the others the value."""

    org_unit_id = fields.Integer(required=True)
    period = fields.Date(required=True, metadata={"description": "One of the KPI's periods."})
    value = fields.Decimal(load_default=None, validate=_in_range)
    numerator = fields.Decimal(load_default=None, validate=_in_range)
    denominator = fields.Decimal(load_default=None, validate=_in_range)


class BatchRowSchema(Strict):
    """A row of a batch: with ``org_unit_id`` a unit's reading, else the task force's."""

    kpi_id = fields.Integer(required=True)
    org_unit_id = fields.Integer(load_default=None)
    period = fields.Date(required=True)
    value = fields.Decimal(load_default=None, validate=_in_range)
    numerator = fields.Decimal(load_default=None, validate=_in_range)
    denominator = fields.Decimal(load_default=None, validate=_in_range)
    note = fields.String(load_default="", validate=_NOTE)


class _Refused:
    """The messages of rows that did not parse, kept for the schema to raise by row."""

    def __init__(self, messages: dict):
        self.messages = messages


class _Rows(fields.List):
    """A list whose refused rows are named ``readings.<index>.<field>``, not gathered."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as error:
            return _Refused(error.messages)


def _by_row(name: str, messages) -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {name: list(messages) if isinstance(messages, list) else [str(messages)]}
    found: dict[str, list[str]] = {}
    for key, inner in messages.items():
        found.update(_by_row(f"{name}.{key}", inner))
    return found


class BatchSchema(Strict):
    readings = _Rows(
        fields.Nested(BatchRowSchema),
        required=True,
        metadata={"description": f"At most {MAX_BATCH} rows: all are saved, or none."},
    )

    @validates_schema
    def _rows(self, data, **kwargs):
        rows = data.get("readings")
        if isinstance(rows, _Refused):
            raise ValidationError(_by_row("readings", rows.messages))
        if rows is not None and not 1 <= len(rows) <= MAX_BATCH:
            raise ValidationError(
                _("Send between 1 and %(most)d rows.", most=MAX_BATCH), "readings"
            )


class BatchResultSchema(Schema):
    saved = fields.Integer(
        required=True, metadata={"description": "Rows whose figure is new or changed."}
    )
    unchanged = fields.Integer(required=True)
