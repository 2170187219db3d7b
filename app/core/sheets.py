"""Spreadsheets in and out, for every feature: bounded reading of uploads, safe cells.

Reading. An uploaded workbook is read row by row and cell by cell, within explicit
bounds: the first sheet only, the first ``max_columns`` columns, at most ``max_rows``
rows with something in them. The dimension a file declares is ignored (a 1.6 KB file
may claim 16,384 columns and a million rows), missing rows cost nothing, and reading
stops as soon as the row limit is passed. openpyxl decodes each cell (shared strings,
dates, booleans); the loop around it is ours, because openpyxl's own row iterator builds
every padded row, and every cell of a row, before anyone can look at its size.

Writing. Text typed by people must never run as a formula on a colleague's machine:
every workbook and CSV the app writes passes user-derived cells through ``neutralise``,
which puts an apostrophe before text a spreadsheet would run; imports take it off again
with ``unneutralise``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

# --- writing ----------------------------------------------------------------------------------

# What makes a spreadsheet read a cell as a formula (or run one after an edit).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """``value`` as a cell: text that a spreadsheet would run is written as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """The text ``neutralise`` was given (an import of an export reads what was written)."""
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
                yield number, values
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
        decoder = WorkSheetParser(
            None,
            reader.shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        with reader.archive.open(path) as source:
            yield from _sheet_rows(source, decoder, limits)
    except SheetError:
        raise
    except Exception:  # a part, a cell or an element openpyxl cannot decode
        raise _damaged() from None
    finally:
        reader.archive.close()


def _sheet_rows(source, decoder, limits: SheetLimits) -> Iterator[Row]:
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
