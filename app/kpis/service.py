"""Goal figures: KPIs, their readings (by hand or from Excel), progress, growth, charts.

Leaders (``kpi.manage``) define KPIs and enter readings; everyone on the task force
reads them. Services check the table, write the audit event and flush; the caller's
boundary commits (``core.unit``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
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
from app.core.sheets import SheetError, SheetLimits, read_rows, unneutralise
from app.extensions import db
from app.issues.models import Issue
from app.issues.service import issues_of
from app.kpis.models import DIRECTIONS, DOWN, UNITS, Kpi, KpiReading, kpi_pilot
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


def update_kpi(actor: User, kpi: Kpi, data: KpiInput, version: int | None) -> dict:
    authorize(actor, "kpi.manage", kpi.task_force_id)
    check_version(kpi, version)
    issues = _check(kpi.task_force_id, data, kpi)
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


def _put_reading(actor: User, kpi: Kpi, period: date, value: Decimal, note: str) -> str:
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
    how = _put_reading(actor, kpi, period, value, note)
    audit.record(actor, f"reading_{how}", kpi, {str(period): [None, str(value)]}, summary=kpi.name)


# --- Excel import --------------------------------------------------------------------------

IMPORT_HEADERS = ("KPI", "Period", "Value", "Note")
# A person reads the first errors and fixes the file; thousands would only cost the page.
ERRORS_LISTED = 100


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
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


_PERIOD = re.compile(r"^(\d{4})([-/])(\d{1,2})(?:\2(\d{1,2}))?$")


def _period(value) -> date | None:
    """A day from a cell: a date, or text such as 2024-03-31, 2024/3/31, 2024-03."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _PERIOD.match(str(value or "").strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(3)), int(match.group(4) or 1))
    except ValueError:
        return None


def _month_end(day: date) -> date:
    from calendar import monthrange

    return day.replace(day=monthrange(day.year, day.month)[1])


def _read_row(cells, kpis: dict[str, Kpi], today: date):
    """One row's KPI, period and value, with its problems: functions that make their
    messages, since messages are made only for the rows listed (beyond those a bad row is
    only counted)."""
    name, period_cell, value_cell = cells[:3]
    problems: list = []
    kpi = kpis.get(unneutralise(str(name or "").strip()))
    if kpi is None:
        problems.append(lambda name=name: _("unknown KPI “%(name)s”", name=str(name or "")[:100]))
    period = _period(period_cell)
    if period is None:
        problems.append(lambda: _("the period is not a date (2024-03 or 2024-03-31)"))
    else:
        if isinstance(period_cell, str) and len(period_cell.strip()) <= 7:
            period = _month_end(period)
        if period > today:
            problems.append(lambda: _("the period is in the future"))
    try:
        value = Decimal(str(value_cell).strip().replace(",", ""))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        value = None
        problems.append(lambda: _("the value is not a number"))
    return kpi, period, value, problems


def import_readings(
    actor: User, task_force_id: int, content: bytes, filename: str = "readings.xlsx"
) -> ImportResult:
    """Read KPI readings from an .xlsx sheet: KPI name, period, value, note.

    All or nothing: any bad row stops the whole import, and bad rows are reported with
    their row numbers (the first ``ERRORS_LISTED``, then how many more). A period given
    as a month ("2024-03") means its last day. The file is read within the limits every
    spreadsheet import shares (size, archive, rows; only the first four columns).
    """
    authorize(actor, "kpi.manage", task_force_id)
    result = ImportResult()
    limits = SheetLimits.from_config(current_app.config, max_columns=len(IMPORT_HEADERS))
    try:
        table = read_rows(filename, content, limits, csv_allowed=False)
    except SheetError as error:
        result.errors.append(error.message)
        return result
    kpis = {
        k.name: k for k in db.session.scalars(select(Kpi).where(Kpi.task_force_id == task_force_id))
    }
    today = clock.today()
    rows = []
    seen: dict[tuple[int, date], int] = {}
    for number, cells in table:
        if number == 1:
            continue  # the headings
        note = cells[3]
        kpi, period, value, problems = _read_row(cells, kpis, today)
        if kpi is not None and period is not None:
            key = (kpi.id, period)
            if key in seen:
                problems.append(
                    lambda first=seen[key]: _("the same KPI and period as row %(row)d", row=first)
                )
            seen[key] = number
        if problems:
            if result.listing:
                text = "; ".join(problem() for problem in problems)
                result.refuse(_("Row %(row)d: %(problems)s.", row=number, problems=text))
            else:
                result.more_errors += 1
            continue
        rows.append((kpi, period, value, unneutralise(str(note or "").strip())[:200]))
    if not result.errors and not rows:
        result.errors.append(_("The sheet has no readings."))
    if result.errors:
        return result
    for kpi, period, value, note in rows:
        how = _put_reading(actor, kpi, period, value, note)
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
    """An .xlsx with the headers and one example row, for people to fill in."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "KPI"
    sheet.append(list(IMPORT_HEADERS))
    sheet.append(["非存AUM", "2024-12", 1000, "年末"])
    for column, width in zip("ABCD", (24, 12, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
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
