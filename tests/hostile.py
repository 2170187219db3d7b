"""Hostile upload files, made by the tests (a few KB each, nothing on disk), and the
budget an import of one may spend, measured in the test process.

Each file is small but costs a careless reader a lot: a workbook that declares 16,384
columns, rows a million apart, a row of 200,000 cells, 200,000 bad rows; maps nested
3,000 deep in every format; a Markdown note of 4 MB. ``within_budget`` runs an import
and measures its peak Python allocation (tracemalloc) and the CPU time it took
(``time.process_time``, which other processes on the machine do not inflate).
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass
class Cost:
    peak_bytes: int
    cpu_seconds: float
    result: object

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / (1024 * 1024)


def measure(run: Callable[[], object]) -> Cost:
    """Run ``run`` once; its peak allocation above what was held before, and its CPU time."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _peak = tracemalloc.get_traced_memory()
        started = time.process_time()
        result = run()
        cpu = time.process_time() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Cost(peak - before, cpu, result)


# --- workbooks --------------------------------------------------------------------------------


def _workbook_with(sheet_xml: str) -> bytes:
    """A valid workbook whose first sheet's XML is ``sheet_xml`` (stored deflated)."""
    book = Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            archive.writestr(info.filename, data)
    return out.getvalue()


def _cell(ref: str, text) -> str:
    if isinstance(text, int | float):
        return f'<c r="{ref}"><v>{text}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _row(number: int, values) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    cells = "".join(_cell(f"{letters[i]}{number}", v) for i, v in enumerate(values) if v != "")
    return f'<row r="{number}">{cells}</row>'


def _sheet(rows: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def wide_dimension(header, row, last=None, last_row: int = 5000) -> bytes:
    """A row, and ``last`` (or the row again) far below, in a sheet that declares
    A1:XFD<last_row>: 16,384 columns."""
    rows = _row(1, header) + _row(2, row) + _row(last_row, last or row)
    return _workbook_with(_sheet(rows, f"A1:XFD{last_row}"))


def row_gap(header, row, gap: int = 1_000_000) -> bytes:
    """The header, then one row a million rows below it."""
    return _workbook_with(_sheet(_row(1, header) + _row(gap, row)))


def wide_row(header, row, cells: int = 200_000) -> bytes:
    """One row carries ``cells`` cells beyond the columns anyone reads."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    own = "".join(_cell(f"{letters[i]}2", v) for i, v in enumerate(row) if v != "")
    # The first far cell names its place; the others follow it, one column each.
    padding = '<c r="BA2" t="inlineStr"><is><t>x</t></is></c>'
    padding += '<c t="inlineStr"><is><t>x</t></is></c>' * cells
    rows = _row(1, header) + f'<row r="2">{own}{padding}</row>'
    return _workbook_with(_sheet(rows))


def many_rows(header, row, count: int) -> bytes:
    """``count`` copies of ``row`` below the header."""
    rows = _row(1, header) + "".join(_row(n, row) for n in range(2, count + 2))
    return _workbook_with(_sheet(rows))


# --- mind maps --------------------------------------------------------------------------------


# ``depth`` counts the levels of each map, its central topic being the first.


def deep_markdown(depth: int = 3000) -> bytes:
    lines = ["# 中心"] + [f"{' ' * level}- 第{level}层" for level in range(depth - 1)]
    return ("\n".join(lines) + "\n").encode()


def deep_opml(depth: int = 3000) -> bytes:
    opening = "".join(f'<outline text="第{n}层">' for n in range(depth))
    closing = "</outline>" * depth
    return (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>中心</title>'
        f"</head><body>{opening}{closing}</body></opml>"
    ).encode()


def deep_freemind(depth: int = 3000) -> bytes:
    opening = "".join(f'<node TEXT="第{n}层">' for n in range(depth))
    return f'<map version="1.0.1">{opening}{"</node>" * depth}</map>'.encode()


def deep_freemind_note(depth: int = 3000) -> bytes:
    """A shallow map whose one note is HTML nested ``depth`` deep."""
    html = "<div>" * depth + "深" + "</div>" * depth
    return (
        '<map version="1.0.1"><node TEXT="中心"><node TEXT="客户端">'
        f'<richcontent TYPE="NOTE"><html><body>{html}</body></html></richcontent>'
        "</node></node></map>"
    ).encode()


def _archive(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def deep_xmind_zen(depth: int = 3000) -> bytes:
    """content.json with topics nested ``depth`` deep (by hand: json.dumps would recurse)."""
    inner = depth - 2  # below the centre and above the leaf
    opening = "".join(f'{{"title": "第{n}层", "children": {{"attached": [' for n in range(inner))
    text = f'[{{"rootTopic": {{"title": "中心", "children": {{"attached": [{opening}'
    text += '{"title": "叶"}' + "]}}" * inner + "]}}}]"
    return _archive({"content.json": text})


def deep_xmind8(depth: int = 3000) -> bytes:
    ns = "urn:xmind:xmap:xmlns:content:2.0"
    opening = "".join(
        f'<topic><title>第{n}层</title><children><topics type="attached">' for n in range(depth - 2)
    )
    closing = "</topics></children></topic>" * (depth - 2)
    xml = (
        f'<xmap-content xmlns="{ns}"><sheet><topic><title>中心</title>'
        f'<children><topics type="attached">{opening}<topic><title>叶</title></topic>'
        f"{closing}</topics></children></topic></sheet></xmap-content>"
    )
    return _archive({"content.xml": xml})


def long_markdown_note(size: int = 4 * 1024 * 1024) -> bytes:
    """One topic whose note is ``size`` bytes of short lines (quadratic to join naively)."""
    line = "说明文字。\n"
    return ("# 中心\n\n## 客户端\n\n" + line * (size // len(line.encode()))).encode()


def long_markdown_lines(size: int = 4 * 1024 * 1024) -> bytes:
    """Headings and bullets whose text is a long run of spaces (slow for some regexes)."""
    run = " " * (size // 4)
    return f"# 中心\n\n## 客户{run}端\n\n- 问题{run}x — 状态{run}!\n".encode()
