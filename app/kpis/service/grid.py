"""A broken-down KPI's targets and readings as one Excel grid (目标任务分解表).

The layout banks use: one sheet, row 1 the heads, the KPI's units as rows and its periods
as columns. Targets: 单位 | 基数 | 权重 (a weighted KPI only) | one column per period.
Readings: 单位 | one column per period, or for a ratio KPI two, "2026Q1 分子" and
"2026Q1 分母". A period's head is read as people write it (2026Q3, 2026年第三季度,
2026年9月, a date cell shown as a month…). A blank cell leaves the figure as it is.

All or nothing: any bad cell, row or head stops the import, and each is named (the first
``ERRORS_LISTED``, then how many more). Good files go through ``breakdown.save_targets``
and ``breakdown.save_readings``, which keep the history, audit and roll up.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import clock
from app.core.errors import NotFound
from app.core.permissions import authorize
from app.core.sheets import Month, SheetError, SheetLimits, append_row, put_cell, read_rows
from app.extensions import db
from app.kpis import pace
from app.kpis.models import MONTH, QUARTER, RATIO, SUM, WEIGHTED, Kpi, KpiUnitReading, KpiUnitTarget
from app.kpis.service import ERRORS_LISTED, breakdown, number_in
from app.people.models import User

TARGETS = "targets"
READINGS = "readings"
WHATS = (TARGETS, READINGS)

# The heads, as the bank writes them; a sheet is always in Chinese, whatever the reader's
# language (it goes round the branches).
UNIT_HEAD = "单位"
UNIT_HEADS = {"单位", "单位名称", "机构", "机构名称"}
BASELINE_HEAD = "基数"
WEIGHT_HEAD = "权重"
NUMERATOR = "分子"
DENOMINATOR = "分母"
# Columns people add for themselves; read past, never refused.
IGNORED_HEADS = {"序号", "备注", "说明"}
SHEET_TITLES = {TARGETS: "分解目标", READINGS: "完成情况"}

_CHINESE_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4}
# 2026Q3, 2026 Q3, 2026-Q3, 2026年Q3
_QUARTER = re.compile(r"^(\d{4})\s*[-/年]?\s*[Qq]\s*([1-4])$")
# 2026年三季度, 2026年第三季度, 2026年3季度, 2026年第3季
_QUARTER_ZH = re.compile(r"^(\d{4})\s*年\s*第?\s*([1-4一二三四])\s*季度?$")
# 2026-09, 2026/9, 2026.9, 2026年9月; with the month's last day after it (2026-09-30)
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?$")
# "2026Q1 分子", "2026Q1（分母）", "2026Q1-分子"
_PART = re.compile(rf"^(.*?)[\s·\-_（(]*({NUMERATOR}|{DENOMINATOR})[）)]?$")


# A problem's message, made only if it is listed (beyond ``ERRORS_LISTED`` it is counted).
Problem = Callable[[], str]


@dataclass
class GridResult:
    changed: int = 0  # figures changed (targets, baselines, weights or readings)
    errors: list[str] = field(default_factory=list)  # at most ERRORS_LISTED, then a count
    more_errors: int = 0

    def refuse(self, message: Problem) -> None:
        """Note a problem; its message is made only if it is listed."""
        if len(self.errors) < ERRORS_LISTED:
            self.errors.append(message())
        else:
            self.more_errors += 1

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- heads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    index: int
    key: str  # "unit", "baseline", "weight" or "period"
    period: pace.Period | None = None
    part: str | None = None  # NUMERATOR / DENOMINATOR for a ratio's readings

    @property
    def letter(self) -> str:
        return _column_letter(self.index)

    def label(self) -> str:
        """The column as a message names it: 2026Q2, 基数, 2026Q2 分子."""
        if self.key == "baseline":
            return _("baseline")
        if self.key == "weight":
            return _("weight")
        assert self.period is not None
        if self.part == NUMERATOR:
            return self.period.label + " " + _("numerator")
        if self.part == DENOMINATOR:
            return self.period.label + " " + _("denominator")
        return self.period.label


def _head_period(kind: str, head, plan: list[pace.Period]) -> pace.Period | None:
    """The plan's period a head names, or None."""
    by_label = {p.label: p for p in plan}
    if isinstance(head, Month):
        return by_label.get(pace.period_label(MONTH, head)) if kind == MONTH else None
    if isinstance(head, datetime):
        head = head.date()
    if isinstance(head, date):
        return _period_ending(kind, head, plan)
    text = str(head).strip()
    if kind == QUARTER:
        match = _QUARTER.match(text) or _QUARTER_ZH.match(text)
        if match is None:
            found = _month_text(text)  # the quarter's last day, written out
            return _period_ending(kind, found[0], plan) if found and found[1] else None
        year, number = match.groups()
        return by_label.get(f"{year}Q{_CHINESE_NUMBERS.get(number, number)}")
    found = _month_text(text)
    if found is None:
        return None
    day, with_day = found
    return _period_ending(kind, day, plan) if with_day else by_label.get(f"{day:%Y-%m}")


def _month_text(text: str) -> tuple[date, bool] | None:
    """A month written as text (its first day), or a day (that day); and whether a day was
    written."""
    match = _MONTH.match(text)
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day or 1)), day is not None
    except ValueError:
        return None


def _period_ending(kind: str, day: date, plan: list[pace.Period]) -> pace.Period | None:
    """The period whose last day ``day`` is (a date cell under a period's head)."""
    for period in plan:
        if period.end == day:
            return period
    if pace.period_end(kind, day) == day:
        label = pace.period_label(kind, day)
        return next((p for p in plan if p.label == label), None)
    return None


def _head_text(head) -> str:
    if isinstance(head, Month):
        return f"{head:%Y-%m}"
    if isinstance(head, date):  # a datetime too
        return f"{head:%Y-%m-%d}"
    return str(head).strip()[:60]


def _column_of(kpi: Kpi, what: str, plan, index: int, head) -> Column | Problem | None:
    """What the column under ``head`` holds, or the problem with its head; None for a
    column people keep for themselves (序号, 备注)."""
    letter, shown = _column_letter(index), _head_text(head)
    text, part = shown, None
    if isinstance(head, str):
        match = _PART.match(shown)
        if match and match.group(1):
            text, part = match.group(1).strip(), match.group(2)
        if part is None and text in UNIT_HEADS:
            return Column(index, "unit")
        if part is None and text in IGNORED_HEADS:
            return None
        if part is None and text == BASELINE_HEAD:
            if what == TARGETS:
                return Column(index, "baseline")
            return lambda: _(
                "Column %(column)s “%(head)s”: baselines are imported with the targets.",
                column=letter,
                head=shown,
            )
        if part is None and text == WEIGHT_HEAD:
            if what == TARGETS and kpi.aggregation == WEIGHTED:
                return Column(index, "weight")
            return lambda: _(
                "Column %(column)s “%(head)s”: this KPI is not rolled up by weight; "
                "take the column out.",
                column=letter,
                head=shown,
            )
    period = _head_period(kpi.breakdown, text if isinstance(head, str) else head, plan)
    if period is None:
        return lambda: _(
            "Column %(column)s “%(head)s”: not a period of this KPI "
            "(its periods run from %(first)s to %(last)s).",
            column=letter,
            head=shown,
            first=plan[0].label,
            last=plan[-1].label,
        )
    ratio = what == READINGS and kpi.aggregation == RATIO
    if ratio and part is None:
        return lambda: _(
            "Column %(column)s “%(head)s”: a ratio KPI's reading is given as two "
            "columns, “%(numerator)s” and “%(denominator)s”.",
            column=letter,
            head=shown,
            numerator=f"{period.label} {NUMERATOR}",
            denominator=f"{period.label} {DENOMINATOR}",
        )
    if part is not None and not ratio:
        return lambda: _(
            "Column %(column)s “%(head)s”: numerators and denominators are for "
            "the readings of a ratio KPI only.",
            column=letter,
            head=shown,
        )
    return Column(index, "period", period, part)


def _columns(kpi: Kpi, what: str, heads: list, rows, result: GridResult) -> list[Column] | None:
    """The columns by their heads; problems with a head go into ``result``. None without
    a 单位 column (nothing else can be read)."""
    plan = breakdown.plan_periods(kpi)
    columns: list[Column] = []
    seen: dict[tuple, Column] = {}
    for index, head in enumerate(heads):
        letter = _column_letter(index)
        if _blank(head):
            if any(index < len(cells) and cells[index] is not None for _n, cells in rows):
                result.refuse(
                    lambda letter=letter: _(
                        "Column %(column)s holds figures but has no head.", column=letter
                    )
                )
            continue
        column = _column_of(kpi, what, plan, index, head)
        if column is None:
            continue
        if not isinstance(column, Column):
            result.refuse(column)
            continue
        key = (column.key, column.period, column.part)
        if key in seen:
            result.refuse(
                lambda letter=letter, shown=_head_text(head), first=seen[key].letter: _(
                    "Column %(column)s “%(head)s”: the same as column %(other)s.",
                    column=letter,
                    head=shown,
                    other=first,
                )
            )
            continue
        seen[key] = column
        columns.append(column)
    if ("unit", None, None) not in seen:
        result.refuse(
            lambda: _(
                "Row 1 must hold the heads; the column “%(head)s” is missing.", head=UNIT_HEAD
            )
        )
        return None
    _check_pairs(seen, result)
    return columns


def _check_pairs(seen: dict[tuple, Column], result: GridResult) -> None:
    """A ratio's numerator column has its denominator's, and the other way round."""
    for (key, period, part), column in seen.items():
        if key != "period" or part is None:
            continue
        other = DENOMINATOR if part == NUMERATOR else NUMERATOR
        if (key, period, other) not in seen:
            result.refuse(
                lambda column=column, period=period, other=other: _(
                    "Column %(column)s “%(head)s”: the column “%(missing)s” is missing.",
                    column=column.letter,
                    head=f"{period.label} {column.part}",
                    missing=f"{period.label} {other}",
                )
            )


# --- rows ----------------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unit_names(kpi: Kpi) -> tuple[dict[str, int], set[str]]:
    """The KPI's units by name, and the names two of its units share."""
    names: dict[str, int] = {}
    shared: set[str] = set()
    for unit in breakdown.kpi_units(kpi):
        name = unit.org_unit.name.strip()
        if name in names:
            shared.add(name)
        names[name] = unit.org_unit_id
    return names, shared


@dataclass
class _Figures:
    targets: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    readings: dict = field(default_factory=dict)
    # A ratio's cells by (unit, period end): {NUMERATOR: (column, row, value), …}
    parts: dict = field(default_factory=dict)


def _row_unit(number: int, raw, names, shared, first_row, result: GridResult) -> int | None:
    """The unit a row is about, or None (its problem in ``result``)."""
    name = "" if _blank(raw) else str(raw).strip()
    if not name:
        result.refuse(lambda: _("Row %(row)d: no unit named.", row=number))
        return None
    unit_id = names.get(name)
    if unit_id is None:
        result.refuse(
            lambda: _(
                "Row %(row)d: “%(name)s” is not one of the units this KPI is broken down to.",
                row=number,
                name=name[:100],
            )
        )
        return None
    if name in shared:
        result.refuse(
            lambda: _(
                "Row %(row)d: two units of this KPI are named “%(name)s”; "
                "enter their figures on the page.",
                row=number,
                name=name,
            )
        )
        return None
    if unit_id in first_row:
        result.refuse(
            lambda first=first_row[unit_id]: _(
                "Row %(row)d: “%(name)s” is listed already in row %(first)d.",
                row=number,
                name=name,
                first=first,
            )
        )
        return None
    first_row[unit_id] = number
    return unit_id


def _cell_problem(result: GridResult, column: Column, number: int, unit: str, problem) -> None:
    result.refuse(
        lambda: _(
            "%(cell)s (%(unit)s · %(column)s): %(problem)s",
            cell=f"{column.letter}{number}",
            unit=unit,
            column=column.label(),
            problem=problem(),
        )
    )


def _read_cell(
    kpi, what, column: Column, number: int, unit_id: int, value, figures
) -> Problem | None:
    """Put one cell's figure into ``figures``; or return its problem."""
    if column.key == "baseline":
        figures.baselines[unit_id] = value
    elif column.key == "weight":
        if value <= 0:
            return lambda: _("a weight is above zero")
        figures.weights[unit_id] = value
    elif what == TARGETS:
        if value < 0 and kpi.aggregation == SUM:
            return lambda: _("a target cannot be below zero")
        figures.targets[(unit_id, column.period.end)] = value
    elif column.period.end > clock.today():
        return lambda: _("the period has not ended yet")
    elif column.part is None:
        figures.readings[(unit_id, column.period.end)] = breakdown.ReadingValue(value)
    else:
        cell = (unit_id, column.period.end)
        figures.parts.setdefault(cell, {})[column.part] = (column, number, value)
    return None


def _read_rows(kpi: Kpi, what: str, columns: list[Column], rows, result: GridResult) -> _Figures:
    names, shared = _unit_names(kpi)
    unit_column = next(c for c in columns if c.key == "unit")
    figures = _Figures()
    first_row: dict[int, int] = {}
    for number, cells in rows:
        width = len(cells)
        raw = cells[unit_column.index] if unit_column.index < width else None
        unit_id = _row_unit(number, raw, names, shared, first_row, result)
        if unit_id is None:
            continue
        name = str(raw).strip()
        for column in columns:
            given = cells[column.index] if column.index < width else None
            if column.key == "unit" or _blank(given):
                continue  # a blank cell leaves the figure as it is
            value = number_in(given)
            problem = (
                (lambda: _("not a number"))
                if value is None
                else _read_cell(kpi, what, column, number, unit_id, value, figures)
            )
            if problem is not None:
                _cell_problem(result, column, number, name, problem)
    names_by_id = {unit_id: name for name, unit_id in names.items()}
    for (unit_id, end), given in figures.parts.items():
        _ratio_reading(kpi, unit_id, end, given, names_by_id[unit_id], figures, result)
    return figures


def _ratio_reading(kpi, unit_id, end, given, unit: str, figures, result) -> None:
    """A ratio's reading from its two cells, or the problem with them."""
    numerator, denominator = given.get(NUMERATOR), given.get(DENOMINATOR)
    column, number, _v = numerator or denominator
    if denominator is None:
        _cell_problem(result, column, number, unit, lambda: _("a numerator needs its denominator"))
    elif numerator is None:
        _cell_problem(result, column, number, unit, lambda: _("a denominator needs its numerator"))
    elif denominator[2] <= 0:
        _cell_problem(
            result, denominator[0], number, unit, lambda: _("the denominator must be above zero")
        )
    else:
        figures.readings[(unit_id, end)] = breakdown.ReadingValue(
            pace.ratio_value(numerator[2], denominator[2], kpi.unit == "percent"),
            numerator[2],
            denominator[2],
        )


# --- import --------------------------------------------------------------------------------


def _check_what(what: str) -> None:
    if what not in WHATS:
        raise NotFound(f"unknown grid {what!r}")


def _limits(kpi: Kpi) -> SheetLimits:
    """The limits every spreadsheet import shares, wide enough for every period's columns
    (two per period for a ratio, and the unit, baseline and weight before them)."""
    config = current_app.config
    wanted = 3 + 2 * len(breakdown.plan_periods(kpi)) + len(IGNORED_HEADS)
    return SheetLimits.from_config(config, max(config["SPREADSHEET_MAX_COLUMNS"], wanted))


def import_grid(
    actor: User, kpi: Kpi, what: str, content: bytes, filename: str = "grid.xlsx"
) -> GridResult:
    """Read the units' targets (``what="targets"``) or readings (``"readings"``) of a
    broken-down KPI from an .xlsx grid, and save them if every cell reads.

    :raise PermissionDenied: without ``kpi.manage`` on the KPI's task force.
    :raise NotFound: for an unknown ``what``.
    :raise ValidationFailed: should ``breakdown.save_targets`` or ``save_readings`` refuse
        what the cells passed (they are checked here first, cell by cell).
    """
    authorize(actor, "kpi.manage", kpi.task_force_id)
    _check_what(what)
    result = GridResult()
    if not kpi.breakdown:
        result.errors.append(_("This KPI is not broken down by unit and period yet."))
        return result
    try:
        table = read_rows(filename, content, _limits(kpi), csv_allowed=False)
    except SheetError as error:
        result.errors.append(error.message)
        return result
    if not table:
        result.errors.append(_("The sheet is empty."))
        return result
    heads, rows = table[0][1], table[1:]
    columns = _columns(kpi, what, heads, rows, result)
    if columns is None:
        return result
    if not rows:
        result.refuse(lambda: _("The sheet lists no units below its heads."))
        return result
    figures = _read_rows(kpi, what, columns, rows, result)
    if result.failed:
        return result
    if what == TARGETS:
        result.changed = breakdown.save_targets(
            actor,
            kpi,
            figures.targets,
            baselines=figures.baselines,
            weights=figures.weights,
            how="imported",
        )
    else:
        result.changed = breakdown.save_readings(actor, kpi, figures.readings, how="imported")
    return result


# --- template ------------------------------------------------------------------------------


def _number(value: Decimal | None):
    """A figure as a spreadsheet number (a whole number as an integer)."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def grid_template(actor: User, kpi: Kpi, what: str) -> bytes:
    """The grid of ``kpi``'s units and periods, filled with the current figures, to edit
    and upload again; a second sheet, 说明, says how it is read.

    :raise NotFound: for an unknown ``what``.
    """
    authorize(actor, "kpi.manage", kpi.task_force_id)
    _check_what(what)
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    plan = breakdown.plan_periods(kpi)
    units = breakdown.kpi_units(kpi)
    ratio = what == READINGS and kpi.aggregation == RATIO
    weighted = what == TARGETS and kpi.aggregation == WEIGHTED
    heads: list[str] = [UNIT_HEAD]
    if what == TARGETS:
        heads.append(BASELINE_HEAD)
        if weighted:
            heads.append(WEIGHT_HEAD)
    for period in plan:
        if ratio:
            heads += [f"{period.label} {NUMERATOR}", f"{period.label} {DENOMINATOR}"]
        else:
            heads.append(period.label)

    model = KpiUnitTarget if what == TARGETS else KpiUnitReading
    current = {
        (row.org_unit_id, row.period): row
        for row in db.session.scalars(select(model).where(model.kpi_id == kpi.id))
    }
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLES[what]
    append_row(sheet, heads)
    for unit in units:
        values: list = [unit.org_unit.name]
        if what == TARGETS:
            values.append(_number(unit.baseline))
            if weighted:
                values.append(_number(unit.weight))
        for period in plan:
            row = current.get((unit.org_unit_id, period.end))
            if ratio:
                values += [
                    _number(row.numerator) if row else None,
                    _number(row.denominator) if row else None,
                ]
            else:
                values.append(_number(row.value) if row else None)
        append_row(sheet, values)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFEFEFEF")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "B2"
    longest = max((len(u.org_unit.name) for u in units), default=4)
    sheet.column_dimensions["A"].width = min(max(12, longest * 2 + 2), 40)
    for index in range(1, len(heads)):
        sheet.column_dimensions[_column_letter(index)].width = 16 if ratio else 12

    notes = book.create_sheet("说明")
    for line in _notes(kpi, what, plan, ratio, weighted):
        append_row(notes, list(line))
    for cell in notes[1]:
        cell.font = bold
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    put_cell(notes.cell(row=notes.max_row + 2, column=1), "指标")
    put_cell(notes.cell(row=notes.max_row, column=2), kpi.name)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes(kpi: Kpi, what: str, plan, ratio: bool, weighted: bool) -> list[tuple[str, str]]:
    """The 说明 sheet: what each column means and how the sheet is read (in Chinese: the
    sheet goes round the branches as it is)."""
    first, last = (plan[0].label, plan[-1].label) if plan else ("", "")
    kind = "季度" if kpi.breakdown == QUARTER else "月份"
    sample = plan[0].end if plan else clock.today()
    year, month = sample.year, sample.month
    if kpi.breakdown == QUARTER:
        n = (month - 1) // 3 + 1
        spoken = "一二三四"[n - 1]
        ways = "、".join(
            (f"{year}Q{n}", f"{year} Q{n}", f"{year}年{spoken}季度", f"{year}年第{spoken}季度")
            + (f"{year}年{n}季度",)
        )
    else:
        ways = (
            f"{year}-{month:02d}、{year}/{month}、{year}年{month}月，"
            "或显示为月份的日期单元格、该月最后一天的日期单元格"
        )
    lines = [
        ("列", "说明"),
        ("单位", "该指标的分解单位，名称须与系统中的机构名称一致；每个单位一行，不可重复"),
    ]
    if what == TARGETS:
        lines.append(("基数", "该单位的起点数（基期数），用于计算进度；可留空"))
        if weighted:
            lines.append(("权重", "该单位在加权汇总中的权重，须大于零"))
        lines.append(
            (
                f"{first} … {last}",
                f"每列一个{kind}，填该单位到该期末应达到的目标数（期末时点数或年初至期末累计数，"
                "与指标口径一致）",
            )
        )
    else:
        if ratio:
            lines.append(
                (
                    f"{first} 分子 …",
                    "比率指标每期两列：分子与分母，系统按 Σ分子 ÷ Σ分母 重新计算全组比率，"
                    "不取各单位比率的平均；分子、分母须同时填写，分母须大于零",
                )
            )
        else:
            lines.append((f"{first} … {last}", f"每列一个{kind}，填该单位该期末的实际完成数"))
        lines.append(("期间", "只能填写已结束的期间；尚未结束的期间请留空"))
        lines.append(("汇总", "所有单位均已填报某期后，系统自动汇总出全组该期的完成值"))
    lines += [
        ("表头写法", f"期间表头可写作：{ways}；该指标的期间为 {first} 至 {last}"),
        (
            "数字",
            "填数字；千分位逗号可用；设为百分比格式的单元格按显示值读取：显示 16.5% 即记为 16.5",
        ),
        ("留空", "空白单元格表示保持系统中的现值不变（不会清空）；要删除数字请在系统页面操作"),
        ("其他列", "“序号”“备注”“说明”列导入时忽略；其他无法识别的表头会被指出"),
        ("导入规则", "整表导入：只要有一处错误，全部不导入，并逐格列出错误位置"),
    ]
    return lines
