"""Cells read as they are shown and written as they were typed: a percentage is the
number shown, a date shown as a month stands for the month, people's formula-like text is
a quote-prefixed text cell (no apostrophe) and a cell never exceeds Excel's limit."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from app.core.sheets import (
    EXCEL_CELL_LIMIT,
    Month,
    Percent,
    SheetLimits,
    fit_cell,
    read_rows,
)
from app.mindmap import xlsx


def _book(rows, formats: dict[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, number_format in formats.items():
        sheet[ref].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _values(data: bytes, name: str = "t.xlsx") -> list[list]:
    return [values[:4] for _n, values in read_rows(name, data, SheetLimits(max_columns=4))]


def test_a_cell_shown_as_a_percentage_reads_as_the_number_shown(app):
    data = _book(
        [["head"], [0.165], [0.5], [0.165], [12]],
        {"A2": "0.0%", "A3": "0%", "A4": "0.000", "A5": '0.0"%"'},
    )
    with app.app_context():
        cells = [row[0] for row in _values(data)[1:]]
    assert isinstance(cells[0], Percent) and cells[0].shown == 16.5
    assert isinstance(cells[1], Percent) and cells[1].shown == 50
    assert not isinstance(cells[2], Percent)  # a plain number stays one
    assert not isinstance(cells[3], Percent)  # a quoted % is text beside the number


def test_a_date_shown_as_a_month_stands_for_the_month(app):
    data = _book(
        [["head"], [date(2026, 3, 1)], [date(2026, 3, 15)], [date(2026, 4, 1)]],
        {"A2": "yyyy-mm", "A3": "yyyy-mm-dd", "A4": 'yyyy"年"m"月"'},
    )
    with app.app_context():
        cells = [row[0] for row in _values(data)[1:]]
    assert cells[0] == Month(2026, 3, 1) and isinstance(cells[0], Month)
    assert cells[1] == datetime(2026, 3, 15) and not isinstance(cells[1], Month)  # noqa: DTZ001
    assert isinstance(cells[2], Month) and cells[2] == date(2026, 4, 1)


def test_a_chinese_date_format_the_file_leaves_undefined_reads_as_a_date(app):
    """Excel in Chinese writes 2026年3月 as format 57 and 3月15日 as 58 without defining
    them: the serial number must not come through as a number."""
    data = _book([["head"], [date(2026, 3, 1)], [date(2026, 3, 15)]], {})
    data = _restyle(data, {"A2": 57, "A3": 58})
    with app.app_context():
        cells = [row[0] for row in _values(data)[1:]]
    assert isinstance(cells[0], Month) and cells[0] == date(2026, 3, 1)
    assert cells[1] == datetime(2026, 3, 15)  # noqa: DTZ001


def _restyle(data: bytes, number_formats: dict[str, int]) -> bytes:
    """The workbook with the cells ``number_formats`` names given those built-in ids."""
    source = zipfile.ZipFile(io.BytesIO(data))
    styles = source.read("xl/styles.xml").decode()
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    added = []
    for ref, number in number_formats.items():
        index = len(re.findall(r"<xf ", xfs.group(1))) + len(added)
        added.append(f'<xf numFmtId="{number}" fontId="0" fillId="0" borderId="0" xfId="0"/>')
        sheet = re.sub(rf'<c r="{ref}"( s="\d+")?', f'<c r="{ref}" s="{index}"', sheet)
    styles = styles.replace("</cellXfs>", "".join(added) + "</cellXfs>")
    styles = re.sub(r'<cellXfs count="\d+"', f'<cellXfs count="{index + 1}"', styles)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                body = styles.encode()
            elif item.filename == "xl/worksheets/sheet1.xml":
                body = sheet.encode()
            target.writestr(item, body)
    return out.getvalue()


def test_the_apostrophe_guard_comes_off_in_a_csv_and_in_an_older_workbook(app):
    with app.app_context():
        csv_rows = _values(b"a,b\n'=1+1,'plain\n", "t.csv")
        # Excel keeps a typed apostrophe as a style: one in a workbook's text is the guard
        # this site's exports wrote before they used the style, and comes off the same way.
        book_rows = _values(_book([["a", "b"], ["'=1+1", "'plain"]], {}))
    assert csv_rows[1][:2] == ["=1+1", "'plain"]
    assert book_rows[1][:2] == ["=1+1", "'plain"]


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\tx"])
def test_our_writer_keeps_formula_like_text_as_quote_prefixed_text(text):
    sheet = xlsx.Sheet("表")
    sheet.append(["标题", text], {0: xlsx.BOLD, 1: xlsx.BOLD})
    sheet.append([text, "普通", 3])
    book = load_workbook(io.BytesIO(xlsx.workbook([sheet])))
    cells = book.active
    for ref in ("B1", "A2"):
        assert cells[ref].value == text and cells[ref].data_type == "s"
        assert cells[ref].quotePrefix, ref
    assert cells["B1"].font.b  # the header keeps its bold with the prefix
    assert not cells["A1"].quotePrefix and not cells["B2"].quotePrefix
    styles = zipfile.ZipFile(io.BytesIO(xlsx.workbook([sheet]))).read("xl/styles.xml")
    assert b'quotePrefix="1"' in styles


def test_a_cell_is_cut_to_excels_limit_with_a_note(app):
    with app.app_context():
        assert fit_cell("短") == "短"
        exact = "字" * EXCEL_CELL_LIMIT
        assert fit_cell(exact) == exact
        cut = fit_cell("𠀀" * 20000)  # 40,000 UTF-16 units
    assert len(cut.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    assert cut.startswith("𠀀") and cut.endswith("……（已截断，全文见系统）")
    assert "\ufffd" not in cut  # no surrogate cut in half
