"""Spreadsheets in and out, for every feature: bounded reading of uploads, safe cells.

Reading. An uploaded workbook is read row by row and cell by cell, within explicit
bounds: the first sheet only, the first ``max_columns`` columns, at most ``max_rows``
rows with something in them. The dimension a file declares is ignored (a 1.6 KB file
may claim 16,384 columns and a million rows), missing rows cost nothing, and reading
stops as soon as the row limit is passed. openpyxl decodes each cell (shared strings,
dates, booleans); the loop around it is ours, because openpyxl's own row iterator builds
every padded row, and every cell of a row, before anyone can look at its size.

Number formats. A cell keeps its value as typed, its format says how it is shown: a cell
showing 16.5% holds 0.165, one showing 2026年3月 holds the first of March. The reader
knows the formats of the file's cell styles (and the Chinese ones Excel leaves undefined)
and hands such cells on as ``Percent`` and ``Month``, so an import can read them as shown.

Writing. Text typed by people must never run as a formula on a colleague's machine. In
a workbook such text is a text cell with the quote-prefix style (``formula_like``; Excel
shows it as typed and never evaluates it, and reading it back gives the text itself); a
CSV has no styles, so ``neutralise`` puts an apostrophe before it, and reading a CSV takes
it off again. A cell holds at most ``EXCEL_CELL_LIMIT`` characters: longer text is cut
with a note (``fit_cell``), never written into a file Excel calls broken.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

# --- writing ----------------------------------------------------------------------------------

# What makes a spreadsheet read a cell as a formula (or run one after an edit).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# Excel refuses a workbook with a longer cell (its count is of UTF-16 units).
EXCEL_CELL_LIMIT = 32767


def formula_like(value) -> bool:
    """Whether a spreadsheet would run ``value`` as a formula (or after an edit of it)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value):
    """``value`` as a CSV field: text that a spreadsheet would run is written as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def fit_cell(text: str) -> str:
    """``text`` as one workbook cell: over Excel's limit it is cut, and says so."""
    if len(text) <= EXCEL_CELL_LIMIT // 2:  # no text this short can be over
        return text
    encoded = text.encode("utf-16-le")
    if len(encoded) <= EXCEL_CELL_LIMIT * 2:
        return text
    note = _("… (cut here: the full text is in the system)")
    kept = encoded[: (EXCEL_CELL_LIMIT - len(note.encode("utf-16-le")) // 2) * 2]
    return kept.decode("utf-16-le", errors="ignore") + note


def put_cell(cell, value) -> None:
    """Write ``value`` into an openpyxl ``cell``: text is cut to fit, and text a spreadsheet
    would run is kept text with the quote-prefix style (openpyxl would make it a formula)."""
    if isinstance(value, str):
        value = fit_cell(value)
        cell.value = value
        if formula_like(value):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value


def append_row(sheet, values) -> None:
    """Append ``values`` to an openpyxl ``sheet`` as a new row, each cell as ``put_cell``
    writes it."""
    values = [fit_cell(v) if isinstance(v, str) else v for v in values]
    sheet.append(values)
    number = sheet.max_row
    for column, value in enumerate(values, start=1):
        if formula_like(value):
            put_cell(sheet.cell(row=number, column=column), value)


def unneutralise(text: str) -> str:
    """The text ``neutralise`` was given (reading a CSV reads what was written)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def size_text(n: int) -> str:
    """A byte count for people: ``10 MB``, ``512 KB``."""
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


# --- reading ----------------------------------------------------------------------------------


class SheetError(ValueError):
    """An upload that is refused as a whole; ``message`` says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetLimits:
    max_bytes: int = 10 * 1024 * 1024  # the upload itself
    max_entries: int = 1000  # files in the .xlsx archive
    max_uncompressed: int = 20 * 1024 * 1024  # the archive unpacked
    max_rows: int = 20000  # rows with something in them, below the header
    max_columns: int = 50  # columns read; cells further right are skipped unread
    max_cell_parts: int = 1000  # XML elements inside one cell (rich text runs)

    @classmethod
    def from_config(cls, config, max_columns: int | None = None) -> SheetLimits:
        """The limits every spreadsheet import shares (see config.py)."""
        return cls(
            max_bytes=config["MINDMAP_MAX_UPLOAD_BYTES"],
            max_entries=config["MINDMAP_ZIP_MAX_ENTRIES"],
            max_uncompressed=config["MINDMAP_ZIP_MAX_BYTES"],
            max_rows=config["SPREADSHEET_MAX_ROWS"],
            max_columns=max_columns or config["SPREADSHEET_MAX_COLUMNS"],
        )


Row = tuple[int, list]  # (row number in the file, cell values of the first columns)


class Percent(float):
    """A number its cell shows as a percentage: 0.165 shown as 16.5%."""

    @property
    def shown(self) -> float:
        """The number as the cell shows it (16.5 for 0.165), without float noise."""
        return float(f"{float(self) * 100:.10g}")


class Month(date):
    """A date its cell shows as a month only (2026年3月, 2026-03, Mar-26): the first day of
    that month, standing for the month."""


def read_rows(filename: str, data: bytes, limits: SheetLimits, csv_allowed: bool = True):
    """The header and the rows of the first sheet (or of the CSV) that have something in
    them, each with its row number in the file, as ``[(number, values), …]``.

    Reading stops at the first row beyond ``limits.max_rows`` below the header.
    :raise SheetError: for a file too large, of the wrong type, damaged, or too long.
    """
    if len(data) > limits.max_bytes:
        raise SheetError(_("The file is larger than %(size)s.", size=size_text(limits.max_bytes)))
    lower = (filename or "").lower()
    if lower.endswith(".xlsx"):
        source = _xlsx_rows(data, limits)
    elif csv_allowed and lower.endswith(".csv"):
        source = _csv_rows(data, limits)
    elif csv_allowed:
        raise SheetError(_("Upload an .xlsx or .csv file."))
    else:
        raise SheetError(_("Upload an .xlsx file."))
    rows: list[Row] = []
    try:
        for row in source:
            if len(rows) > limits.max_rows:  # the header and max_rows rows are in
                raise SheetError(_("The sheet has more than %(n)d rows.", n=limits.max_rows))
            rows.append(row)
    finally:
        source.close()
    return rows


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_rows(data: bytes, limits: SheetLimits) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise SheetError(_("The CSV file is neither UTF-8 nor GB18030 text.")) from None
    reader = csv.reader(_bounded_lines(text, limits))
    try:
        for number, record in enumerate(reader, start=1):
            values = record[: limits.max_columns]
            if not all(_blank(v) for v in values):
                # A CSV's apostrophe guard is ours to take off (a workbook's is a style).
                yield number, [unneutralise(v) for v in values]
    except csv.Error:
        raise SheetError(_("The file is damaged: it is not readable CSV.")) from None


def _bounded_lines(text: str, limits: SheetLimits) -> Iterator[str]:
    """The lines of ``text``; a line with thousands of commas is refused before the CSV
    reader makes a field of each."""
    most = max(limits.max_columns, 1000)
    for line in io.StringIO(text, newline=""):
        if line.count(",") > most:
            raise SheetError(_("A line of the file has more than %(n)d columns.", n=most))
        yield line


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL = _MAIN + "row", _MAIN + "c"
_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
# Formats Excel leaves undefined in the file, their meaning coming with the reader's
# locale: the Chinese (zh-CN) dates. openpyxl knows only the international ones.
_LOCALE_DATES = {
    **dict.fromkeys((27, 36, 50, 52, 57), "yyyy年m月"),
    **dict.fromkeys((28, 29, 51, 53, 54, 58), "m月d日"),
    30: "m-d-yy",
    31: "yyyy年m月d日",
}
# What a format shows, without its literal text ("…", \x) and its [colour] or [locale].
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def _damaged() -> SheetError:
    return SheetError(_("The file is damaged: it is not a readable Excel workbook."))


def _check_archive(data: bytes, limits: SheetLimits) -> None:
    """Entry count and unpacked size from the central directory, before anything is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _damaged() from None
    if len(infos) > limits.max_entries:
        raise SheetError(
            _("The archive holds too many files (%(n)d); it is refused.", n=len(infos))
        )
    if sum(info.file_size for info in infos) > limits.max_uncompressed:
        raise SheetError(_("The archive unpacks to too much data; it is refused."))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _xlsx_rows(data: bytes, limits: SheetLimits) -> Iterator[Row]:
    if not data.startswith(b"PK"):
        raise _damaged()
    _check_archive(data, limits)
    # openpyxl is imported where it is used: a web worker that never reads an upload
    # does not carry it. Its reader is driven step by step: ``load_workbook`` would
    # also walk every sheet that lacks a <dimension> to size it, keeping every row.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise _damaged() from None
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        path = next(
            (
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if "chartsheet" not in rel.Type and rel.target in reader.valid_files
            ),
            None,
        )
        if path is None:
            raise _damaged()
        book = reader.wb
        dates, shown = _cell_formats(book)
        decoder = WorkSheetParser(
            None,
            reader.shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats | dates,
            timedelta_formats=book._timedelta_formats,
        )
        with reader.archive.open(path) as source:
            yield from _sheet_rows(source, decoder, limits, shown)
    except SheetError:
        raise
    except Exception:  # a part, a cell or an element openpyxl cannot decode
        raise _damaged() from None
    finally:
        reader.archive.close()


def _cell_formats(book) -> tuple[set[int], dict[int, type]]:
    """The cell styles (by index) that show a date only the locale defines, and those that
    show a number as a percentage (``Percent``) or a date as a month (``Month``)."""
    from openpyxl.styles.numbers import builtin_format_code

    dates: set[int] = set()
    shown: dict[int, type] = {}
    for index, style in enumerate(book._cell_styles):
        number = style.numFmtId
        if number in _LOCALE_DATES:
            dates.add(index)
            code = _LOCALE_DATES[number]
        elif number >= 164:
            custom = number - 164
            code = book._number_formats[custom] if custom < len(book._number_formats) else ""
        else:
            code = builtin_format_code(number) or ""
        visible = _LITERALS.sub("", code.split(";")[0]).lower()
        if "%" in visible:
            shown[index] = Percent
        elif (index in dates or index in book._date_formats) and _month_only(visible):
            shown[index] = Month
    return dates, shown


def _month_only(visible: str) -> bool:
    return "m" in visible and not any(part in visible for part in ("d", "h", "s"))


def _shown_as(value, kind: type | None):
    """``value`` marked as its cell shows it (see ``Percent`` and ``Month``)."""
    if kind is Percent and type(value) in (int, float):
        return Percent(value)
    if kind is Month and isinstance(value, date):
        return Month(value.year, value.month, 1)
    return value


def _sheet_rows(source, decoder, limits: SheetLimits, shown: dict[int, type]) -> Iterator[Row]:
    """Rows of one worksheet's XML, streamed: each element is dropped once read, cells
    right of ``max_columns`` are skipped undecoded, and absent rows are never made."""
    from defusedxml.ElementTree import iterparse

    width = limits.max_columns
    parents: list = []  # the open elements, innermost last
    in_cell = False
    parts = 0
    number = 0
    column = 0
    values: list | None = None
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = element.tag
        if event == "start":
            if in_cell:
                parts += 1
                if parts > limits.max_cell_parts:
                    raise _damaged()
            elif tag == _CELL:
                in_cell, parts = True, 0
            elif tag == _ROW:
                mark = element.get("r")
                number = int(mark) if mark and mark.isdigit() else number + 1
                column, values = 0, None
            parents.append(element)
            continue
        parents.pop()
        if tag == _CELL:
            in_cell = False
            reference = element.get("r")
            if reference:
                match = _REFERENCE.match(reference)
                if match is None:
                    raise _damaged()
                column = _column_number(match.group(1))
            else:
                column += 1
            if column <= width:
                value = decoder.parse_cell(element)["value"]
                style = element.get("s")
                if shown and style and style.isdigit():
                    value = _shown_as(value, shown.get(int(style)))
                if isinstance(value, str):
                    # Excel keeps a typed apostrophe as a style, never in the text: one in
                    # the text is the guard this site's older exports wrote.
                    value = unneutralise(value)
                if not _blank(value):
                    if values is None:
                        values = [None] * width
                    values[column - 1] = value
        elif tag == _ROW and values is not None:
            yield number, values
        elif in_cell:
            continue  # a cell's own parts are read with the cell
        element.clear()
        if parents:  # forget it: a cleared child still costs its parent a slot
            parents[-1].remove(element)
