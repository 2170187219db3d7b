"""Goal figures: KPIs, their readings (by hand or from Excel), progress, growth, charts.

Leaders (``kpi.manage``) define KPIs and enter readings; everyone on the task force
reads them. Services check the table, write the audit event and flush; the caller's
boundary commits (``core.unit``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Table, func, select
from sqlalchemy.orm import selectinload

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.permissions import authorize
from app.core.scope import get_in_scope
from app.core.service import check_version
from app.core.sheets import Month, Percent, SheetError, SheetLimits, read_rows
from app.extensions import db
from app.issues.models import Issue
from app.issues.service import issues_of
from app.kpis import pace
from app.kpis.models import (
    DIRECTIONS,
    DOWN,
    UNITS,
    Kpi,
    KpiReading,
    KpiUnitReading,
    KpiUnitTarget,
    kpi_pilot,
)
from app.people.models import User

# --- figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a KPI stands on a day: its latest reading then, and what it means."""

    kpi: Kpi
    on: date
    reading: KpiReading | None

    @property
    def actual(self) -> Decimal | None:
        return self.reading.value if self.reading else None

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target (0 at the baseline, 1 at the target).

        Works for both directions: for a down-is-good KPI the target lies below the
        baseline, so a fall counts as progress and a rise as going backwards.
        """
        return progress(self.kpi, self.actual)

    @property
    def growth(self) -> float | None:
        return growth(self.kpi, self.actual)

    @property
    def improved(self) -> bool | None:
        """Whether the figure moved the good way from the baseline."""
        return improved(self.kpi, self.actual)


def progress(kpi: Kpi, actual: Decimal | None) -> float | None:
    if actual is None or kpi.target == kpi.baseline:
        return None
    return float((Decimal(actual) - kpi.baseline) / (kpi.target - kpi.baseline))


def growth(kpi: Kpi, actual: Decimal | None) -> float | None:
    """Change versus the baseline, signed as measured (+16 % means the figure rose)."""
    if actual is None or not kpi.baseline:
        return None
    return float((Decimal(actual) - kpi.baseline) / abs(kpi.baseline))


def improved(kpi: Kpi, actual: Decimal | None) -> bool | None:
    if actual is None or actual == kpi.baseline:
        return None
    rose = actual > kpi.baseline
    return not rose if kpi.direction == DOWN else rose


def standing(kpi: Kpi, on: date | None = None) -> Standing:
    """The KPI as it stood on ``on`` (today by default), from its loaded readings."""
    on = on or clock.today()
    past = [r for r in kpi.readings if r.period <= on]
    return Standing(kpi, on, past[-1] if past else None)


# --- KPIs ----------------------------------------------------------------------------------


@dataclass
class KpiInput:
    name: str
    unit: str
    direction: str
    baseline: Decimal
    target: Decimal
    baseline_on: date | None = None
    target_on: date | None = None
    description: str = ""
    issue_ids: list[int] = field(default_factory=list)
    pilot_ids: list[int] = field(default_factory=list)


def _pilot_table() -> Table:
    # Pilots are a sibling feature: their table is read by name, never imported.
    return db.metadata.tables["pilot"]


def pilot_options(task_force_id: int) -> list[tuple[int, str]]:
    pilot = _pilot_table()
    return [
        (row.id, row.name)
        for row in db.session.execute(
            select(pilot.c.id, pilot.c.name)
            .where(pilot.c.task_force_id == task_force_id)
            .order_by(pilot.c.id)
        )
    ]


def linked_pilots(kpi: Kpi) -> list[tuple[int, str]]:
    pilot = _pilot_table()
    return [
        (row.id, row.name)
        for row in db.session.execute(
            select(pilot.c.id, pilot.c.name)
            .join(kpi_pilot, kpi_pilot.c.pilot_id == pilot.c.id)
            .where(kpi_pilot.c.kpi_id == kpi.id)
            .order_by(pilot.c.id)
        )
    ]


def _check(task_force_id: int, data: KpiInput, kpi: Kpi | None) -> list[Issue]:
    if data.unit not in UNITS:
        raise ValidationFailed(_("Unknown unit."), "unit")
    if data.direction not in DIRECTIONS:
        raise ValidationFailed(_("Unknown direction."), "direction")
    if data.target == data.baseline:
        raise ValidationFailed(_("The target must differ from the baseline."), "target")
    wrong_way = (
        data.target < data.baseline if data.direction != DOWN else data.target > data.baseline
    )
    if wrong_way:
        raise ValidationFailed(
            _("For this direction the target must be beyond the baseline the good way."), "target"
        )
    clash = db.session.scalar(
        select(Kpi.id).where(Kpi.task_force_id == task_force_id, Kpi.name == data.name)
    )
    if clash is not None and (kpi is None or clash != kpi.id):
        raise ValidationFailed(_("Another KPI has this name."), "name")
    issues = issues_of(task_force_id, data.issue_ids)
    if data.pilot_ids:
        known = {pid for pid, _name in pilot_options(task_force_id)}
        if not set(data.pilot_ids) <= known:
            raise ValidationFailed(_("Unknown pilot."), "pilot_ids")
    return issues


def _set_pilots(kpi: Kpi, pilot_ids: list[int]) -> None:
    db.session.execute(kpi_pilot.delete().where(kpi_pilot.c.kpi_id == kpi.id))
    if pilot_ids:
        db.session.execute(
            kpi_pilot.insert(), [{"kpi_id": kpi.id, "pilot_id": pid} for pid in set(pilot_ids)]
        )


def create_kpi(actor: User, task_force_id: int, data: KpiInput) -> Kpi:
    authorize(actor, "kpi.manage", task_force_id)
    issues = _check(task_force_id, data, None)
    last = db.session.scalar(
        select(func.max(Kpi.sort_order)).where(Kpi.task_force_id == task_force_id)
    )
    kpi = Kpi(
        task_force_id=task_force_id,
        name=data.name,
        description=data.description,
        unit=data.unit,
        direction=data.direction,
        baseline=data.baseline,
        baseline_on=data.baseline_on,
        target=data.target,
        target_on=data.target_on,
        sort_order=(last or 0) + 1,
    )
    kpi.issues = issues
    db.session.add(kpi)
    db.session.flush()
    _set_pilots(kpi, data.pilot_ids)
    audit.record(actor, "created", kpi, {"name": [None, kpi.name]}, summary=kpi.name)
    return kpi


def _keep_breakdown_periods(kpi: Kpi, data: KpiInput) -> None:
    """Refuse new days for a KPI broken down by period when a unit's target or reading
    would fall outside the periods they make: nothing entered may vanish from the grid."""
    if kpi.breakdown is None or (
        (data.baseline_on, data.target_on) == (kpi.baseline_on, kpi.target_on)
    ):
        return
    ends = {p.end for p in pace.periods(kpi.breakdown, data.baseline_on, data.target_on)}
    if not ends:
        raise ValidationFailed(
            _("This KPI is broken down by period: it keeps a baseline's day and a target's day."),
            "target_on" if data.target_on is None else "baseline_on",
        )
    entered = set()
    for model in (KpiUnitTarget, KpiUnitReading):
        entered |= set(
            db.session.scalars(select(model.period).where(model.kpi_id == kpi.id).distinct())
        )
    lost = sorted(entered - ends)
    if lost:
        raise ValidationFailed(
            _(
                "Units' targets or readings are entered for %(periods)s, which these days "
                "leave out; empty them in the grids first.",
                periods="、".join(pace.period_label(kpi.breakdown, day) for day in lost[:6]),
            ),
            "target_on",
        )


def update_kpi(actor: User, kpi: Kpi, data: KpiInput, version: int | None) -> dict:
    authorize(actor, "kpi.manage", kpi.task_force_id)
    check_version(kpi, version)
    issues = _check(kpi.task_force_id, data, kpi)
    _keep_breakdown_periods(kpi, data)
    changes = audit.apply_changes(
        kpi,
        {
            "name": data.name,
            "description": data.description,
            "unit": data.unit,
            "direction": data.direction,
            "baseline": data.baseline,
            "baseline_on": data.baseline_on,
            "target": data.target,
            "target_on": data.target_on,
        },
    )
    if sorted(i.id for i in kpi.issues) != sorted(i.id for i in issues):
        changes["issues"] = [sorted(i.id for i in kpi.issues), sorted(i.id for i in issues)]
        kpi.issues = issues
    old_pilots = sorted(pid for pid, _n in linked_pilots(kpi))
    if old_pilots != sorted(set(data.pilot_ids)):
        changes["pilots"] = [old_pilots, sorted(set(data.pilot_ids))]
        _set_pilots(kpi, data.pilot_ids)
    if changes:
        audit.record(actor, "updated", kpi, changes, summary=kpi.name)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return changes


def put_reading(actor: User, kpi: Kpi, period: date, value: Decimal, note: str) -> str:
    """Insert or replace the reading of one period; returns "added" or "replaced"."""
    reading = db.session.scalar(
        select(KpiReading).where(KpiReading.kpi_id == kpi.id, KpiReading.period == period)
    )
    if reading is None:
        db.session.add(
            KpiReading(
                task_force_id=kpi.task_force_id,
                kpi_id=kpi.id,
                period=period,
                value=value,
                note=note,
                entered_by_id=actor.id,
            )
        )
        return "added"
    reading.value = value
    reading.note = note
    reading.entered_by_id = actor.id
    return "replaced"


def record_reading(actor: User, kpi: Kpi, period: date, value: Decimal, note: str = "") -> None:
    """Enter the figure of one period; a second entry for the period replaces the first.

    :raise ValidationFailed: for a period in the future.
    """
    authorize(actor, "kpi.manage", kpi.task_force_id)
    if period > clock.today():
        raise ValidationFailed(_("A reading cannot be for a future period."), "period")
    how = put_reading(actor, kpi, period, value, note)
    audit.record(actor, f"reading_{how}", kpi, {str(period): [None, str(value)]}, summary=kpi.name)


# --- Excel import --------------------------------------------------------------------------

# The columns, by their Chinese heads; the English heads of older templates still read.
IMPORT_HEADERS = (("name", "指标名称"), ("period", "期间"), ("value", "数值"), ("note", "备注"))
OLD_HEADERS = {"kpi": "name", "period": "period", "value": "value", "note": "note", "指标": "name"}
# The first cell of the template's sample rows (a KPI of that name would still import).
SAMPLE_MARK = "示例"
# A person reads the first errors and fixes the file; thousands would only cost the page.
ERRORS_LISTED = 100


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
    samples: int = 0  # the template's sample rows, skipped
    errors: list[str] = field(default_factory=list)  # at most ERRORS_LISTED, then a count
    more_errors: int = 0  # bad rows beyond those listed

    @property
    def listing(self) -> bool:
        """Whether a further error is listed (else only counted)."""
        return len(self.errors) < ERRORS_LISTED

    def refuse(self, message: str) -> None:
        if self.listing:
            self.errors.append(message)
        else:
            self.more_errors += 1

    @property
    def failed(self) -> bool:
        return bool(self.errors)


# 2024-03, 2024/3, 2024.3, 2024年3月 (a month), with a day after them (that day).
_PERIOD = re.compile(
    r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?$"
)


def _period(value) -> date | None:
    """The period a cell names: its last day. A month (a date cell shown as a month, or
    text such as 2024-03, 2024/3, 2024年3月) means the month's last day; a day (a date
    cell, or 2024-03-31, 2024/3/31, 2024年3月31日) means itself."""
    if isinstance(value, Month):
        return _month_end(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _PERIOD.match(str(value or "").strip())
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        if day is None:
            return _month_end(date(int(year), int(month), 1))
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _month_end(day: date) -> date:
    from calendar import monthrange

    return date(day.year, day.month, monthrange(day.year, day.month)[1])


def number_in(cell) -> Decimal | None:
    """A number as its cell shows it: a cell formatted as a percentage (16.5%) holds 0.165
    and means 16.5; so does the text 16.5%."""
    if isinstance(cell, Percent):
        return Decimal(repr(cell.shown))
    if isinstance(cell, bool):
        return None
    text = str(cell if cell is not None else "").strip().replace(",", "")
    try:
        if text.endswith(("%", "％")):
            value = Decimal(text[:-1].strip())
        else:
            value = Decimal(repr(cell) if isinstance(cell, float) else text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _read_row(cells, kpis: dict[str, Kpi], today: date, note_limit: int):
    """One row's KPI, period, value and note, with its problems: functions that make
    their messages, since messages are made only for the rows listed (beyond those a bad
    row is only counted)."""
    name, period_cell, value_cell, note_cell = cells
    problems: list = []
    kpi = kpis.get(str(name or "").strip())
    if kpi is None:
        problems.append(lambda name=name: _("unknown KPI “%(name)s”", name=str(name or "")[:100]))
    period = _period(period_cell)
    if period is None:
        problems.append(lambda: _("the period is not a date (2024-03 or 2024-03-31)"))
    elif period > today:
        problems.append(lambda: _("the period is in the future"))
    value = number_in(value_cell)
    if value is None:
        problems.append(lambda: _("the value is not a number"))
    note = str(note_cell if note_cell is not None else "").strip()
    if len(note) > note_limit:
        problems.append(
            lambda: _(
                "the note has %(n)d characters, at most %(most)d", n=len(note), most=note_limit
            )
        )
    return kpi, period, value, note, problems


def _columns(header: list) -> dict[str, int] | str:
    """Where each column is, by its head; or the message naming the heads that are missing."""
    names = {label: key for key, label in IMPORT_HEADERS}
    columns: dict[str, int] = {}
    for index, head in enumerate(header):
        text = str(head or "").strip()
        key = names.get(text) or OLD_HEADERS.get(text.lower())
        if key and key not in columns:
            columns[key] = index
    missing = [label for key, label in IMPORT_HEADERS if key not in columns and key != "note"]
    if missing:
        return _("Row 1 must name the columns; missing: %(names)s.", names="、".join(missing))
    return columns


def _note_limit() -> int:
    from wtforms.validators import Length

    from app.kpis.forms import ReadingForm

    validators = ReadingForm.note.kwargs.get("validators", ())
    return next(v.max for v in validators if isinstance(v, Length))


def _check_rows(table, kpis: dict[str, Kpi], columns: dict[str, int], result: ImportResult):
    """The good rows as (kpi, period, value, note); bad ones go into ``result``."""
    today, note_limit = clock.today(), _note_limit()
    rows = []
    seen: dict[tuple[int, date], int] = {}
    for number, cells in table:
        picked = [
            cells[columns[key]] if key in columns and columns[key] < len(cells) else None
            for key, _label in IMPORT_HEADERS
        ]
        name = str(picked[0] or "").strip()
        if name.startswith(SAMPLE_MARK) and name not in kpis:
            result.samples += 1
            continue
        kpi, period, value, note, problems = _read_row(picked, kpis, today, note_limit)
        if kpi is not None and period is not None:
            key = (kpi.id, period)
            if key in seen:
                problems.append(
                    lambda first=seen[key]: _("the same KPI and period as row %(row)d", row=first)
                )
            seen[key] = number
        if not problems:
            rows.append((kpi, period, value, note))
        elif result.listing:
            text = "; ".join(problem() for problem in problems)
            result.refuse(_("Row %(row)d: %(problems)s.", row=number, problems=text))
        else:
            result.more_errors += 1
    return rows


def import_readings(
    actor: User, task_force_id: int, content: bytes, filename: str = "readings.xlsx"
) -> ImportResult:
    """Read KPI readings from an .xlsx sheet: KPI name, period, value, note, found by the
    heads of row 1 (指标名称, 期间, 数值, 备注; or KPI, Period, Value, Note).

    All or nothing: any bad row stops the whole import, and bad rows are reported with
    their row numbers (the first ``ERRORS_LISTED``, then how many more). A month means its
    last day; a percentage means the number shown (see ``_period`` and ``number_in``). The
    template's sample rows are skipped. The file is read within the limits every
    spreadsheet import shares (size, archive, rows, columns).
    """
    authorize(actor, "kpi.manage", task_force_id)
    result = ImportResult()
    try:
        table = read_rows(
            filename, content, SheetLimits.from_config(current_app.config), csv_allowed=False
        )
    except SheetError as error:
        result.errors.append(error.message)
        return result
    columns = _columns(table[0][1]) if table else _("The sheet has no readings.")
    if isinstance(columns, str):
        result.errors.append(columns)
        return result
    kpis = {
        k.name: k for k in db.session.scalars(select(Kpi).where(Kpi.task_force_id == task_force_id))
    }
    rows = _check_rows(table[1:], kpis, columns, result)
    if not result.errors and not rows:
        if result.samples:
            result.errors.append(_("The sheet holds only the template's sample row."))
        else:
            result.errors.append(_("The sheet has no readings."))
    if result.errors:
        return result
    for kpi, period, value, note in rows:
        how = put_reading(actor, kpi, period, value, note)
        if how == "added":
            result.added += 1
        else:
            result.replaced += 1
    audit.record(
        actor,
        "readings_imported",
        next(iter(kpis.values())),
        {"rows": [None, len(rows)]},
        summary=_("%(n)d readings imported", n=len(rows)),
        task_force_id=task_force_id,
    )
    return result


def import_template() -> bytes:
    """An .xlsx with the heads, two sample rows of a made-up KPI (skipped on import), and a
    sheet that says how periods and percentages are read."""
    import openpyxl
    from openpyxl.styles import Font

    # Last month: this month's period has not ended yet.
    month = (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "指标数据"
    sheet.append([label for _key, label in IMPORT_HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([f"{SAMPLE_MARK}：某虚构指标（万元）", month, 1000, "示例行，导入时跳过"])
    sheet["B2"].number_format = "yyyy-mm"
    sheet.append([f"{SAMPLE_MARK}：某虚构比率（%）", f"{month.year}年{month.month}月", 0.165, ""])
    sheet["C3"].number_format = "0.0%"
    sheet["D3"] = "显示为 16.5% 的单元格记为 16.5"
    for row in sheet.iter_rows(min_row=2, max_row=3):
        for cell in row:
            cell.font = Font(italic=True, color="FF808080")
    for column, width in zip("ABCD", (28, 14, 14, 36), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    for line in (
        ("列", "说明"),
        ("指标名称", "与系统中的指标名称完全一致"),
        (
            "期间",
            "填月份（2026-03、2026/3、2026年3月，或显示为月份的日期单元格）即该月最后一天；"
            "填具体日期（2026-03-31）即当天",
        ),
        ("数值", "数字；设为百分比格式的单元格按显示值读取：显示 16.5% 即记为 16.5"),
        ("备注", f"可留空，最多 {_note_limit()} 字"),
        ("示例", f"指标名称以“{SAMPLE_MARK}”开头的行是示例，导入时跳过"),
    ):
        notes.append(list(line))
    notes["A1"].font = notes["B1"].font = Font(bold=True)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading -------------------------------------------------------------------------------


def get_kpi(kpi_id) -> Kpi:
    return get_in_scope(db.session, Kpi, kpi_id)


def load_kpi(actor: User, kpi_id) -> Kpi:
    try:
        ident = int(kpi_id)
    except (TypeError, ValueError):
        raise NotFound("kpi not found") from None
    kpi = db.session.scalars(
        select(Kpi)
        .where(Kpi.id == ident)
        .options(selectinload(Kpi.readings), selectinload(Kpi.issues))
    ).one_or_none()
    if kpi is None:
        raise NotFound("kpi not found")
    authorize(actor, "kpi.view", kpi.task_force_id)
    return kpi


def list_kpis(actor: User, task_force_id: int, on: date | None = None) -> list[Standing]:
    """Every open KPI with where it stands: two queries, whatever the number of readings."""
    authorize(actor, "kpi.view", task_force_id)
    return standings(task_force_id, on)


def standings(task_force_id: int, on: date | None = None) -> list[Standing]:
    """``list_kpis`` without the permission check (the review pack)."""
    kpis = db.session.scalars(
        select(Kpi)
        .where(Kpi.task_force_id == task_force_id, Kpi.archived_at.is_(None))
        .options(selectinload(Kpi.readings))
        .order_by(Kpi.sort_order, Kpi.id)
    )
    return [standing(kpi, on) for kpi in kpis]


def overview(task_force_id: int, on: date | None = None) -> list[Standing]:
    """Every open KPI with its latest reading up to ``on``, in one query (the battle map)."""
    on = on or clock.today()
    latest = (
        select(KpiReading.id)
        .where(KpiReading.kpi_id == Kpi.id, KpiReading.period <= on)
        .order_by(KpiReading.period.desc())
        .limit(1)
        .correlate(Kpi)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Kpi, KpiReading)
        .outerjoin(KpiReading, KpiReading.id == latest)
        .where(Kpi.task_force_id == task_force_id, Kpi.archived_at.is_(None))
        .order_by(Kpi.sort_order, Kpi.id)
    ).all()
    return [Standing(kpi, on, reading) for kpi, reading in rows]
