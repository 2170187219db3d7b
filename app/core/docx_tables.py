"""HTML tables as Word tables, for ``app.core.docx``.

Style "Table Grid"; the header rows (``thead``, or leading rows of ``th`` only) repeat on
every page and are bold; ``colspan`` and ``rowspan`` merge cells; column widths come from
``<col>`` (``style="width: 12%"``, ``class="w-70"``, a ``width``) and the rest are shared
by the length of the columns' text, in all the text width. A table of class ``figures``
(cards of ``.value`` and ``.label``) reads as shaded cells of equal width parted by
white rules.

Rows are written as XML once each, never through ``table.cell(r, c)`` (which walks the
table every time), so a long table costs time in proportion to its cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu
from docx.table import _Cell

TWIPS_PER_EMU = 1 / 635
CELL_PADDING = 2 * 108  # twips: Word's default left and right cell margins
HEADER_SHADE, FIGURE_SHADE, RULE_COLOUR = "EEF1F5", "F3F5F9", "B8C0CC"
MEASURED_ROWS = 200  # the rows whose text shares out the free width
_WIDTH = re.compile(r"width\s*:\s*([\d.]+)\s*(%|mm|cm|pt|px)?", re.I)
_MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "pt": 25.4 / 72, "px": 25.4 / 96, "": 25.4 / 96}


def add_table(flow, element, fmt, para) -> None:
    """Write ``element`` (a ``<table>``) into ``flow``'s container."""
    rows = _rows(element)
    for caption in element.iterchildren("caption"):
        flow.blocks(caption, fmt, replace(para, style="Caption"))
    if not rows:
        return
    layout, columns = _layout(rows)
    columns = max(columns, len(_declared_widths(element)))
    total = int(flow.width * TWIPS_PER_EMU)
    figures = "figures" in (element.get("class") or "").split()
    if figures:  # cards side by side share the width evenly
        widths = [total // columns] * (columns - 1) + [total - total // columns * (columns - 1)]
    else:
        widths = _column_widths(element, layout, columns, total)
    flow.before_table()
    table = flow.container.add_table(rows=0, cols=columns)
    table.style = flow.writer.document.styles["Table Grid"]
    table.autofit = False
    tbl = table._tbl
    for grid_col, width in zip(tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_col.w = width * 635
    tbl_w = tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:w"), str(sum(widths)))
    tbl_w.set(qn("w:type"), "dxa")
    _borders(tbl.tblPr, "FFFFFF" if figures else RULE_COLOUR, 36 if figures else 4)
    for (_tr, header), slots in zip(rows, layout, strict=True):
        _write_row(flow, table, header, slots, widths, fmt, para, figures)


def _rows(element) -> list[tuple[object, bool]]:
    """(tr, is a header row) in reading order: thead, body rows, tfoot."""
    head, body, foot = [], [], []
    for child in element:
        if child.tag == "tr":
            body.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows = [tr for tr in child if tr.tag == "tr"]
            {"thead": head, "tbody": body, "tfoot": foot}[child.tag].extend(rows)
    rows = [(tr, True) for tr in head]
    if not head:
        leading = 0
        for tr in body:
            cells = _cells(tr)
            if not cells or any(cell.tag != "th" for cell in cells):
                break
            leading += 1
        rows = [(tr, True) for tr in body[:leading]]
        body = body[leading:]
    return rows + [(tr, False) for tr in body + foot]


def _cells(tr) -> list:
    return [cell for cell in tr if cell.tag in ("td", "th") and cell.get("data-docx") != "skip"]


def _span(cell, name: str) -> int:
    value = (cell.get(name) or "1").strip()
    return max(1, min(int(value), 63)) if value.isdigit() else 1


@dataclass(frozen=True)
class _Slot:
    """A place in a row: a cell from ``column`` on, or (``cell`` None) the part of a
    ``rowspan`` cell from a row above."""

    column: int
    cell: object
    colspan: int
    rowspan: int = 1


def _layout(rows) -> tuple[list[list[_Slot]], int]:
    """Each row's slots in column order, and the column count."""
    below: dict[int, tuple[int, int]] = {}  # column -> (rows still covered, colspan)
    layout, columns = [], 1
    for tr, _header in rows:
        slots, column, covered = [], 0, dict(below)
        for cell in _cells(tr):
            while column in covered:
                colspan = covered.pop(column)[1]
                slots.append(_Slot(column, None, colspan))
                column += colspan
            slot = _Slot(column, cell, _span(cell, "colspan"), _span(cell, "rowspan"))
            slots.append(slot)
            column += slot.colspan
        slots += [_Slot(c, None, colspan) for c, (_n, colspan) in covered.items()]
        slots.sort(key=lambda slot: slot.column)
        columns = max(columns, *(slot.column + slot.colspan for slot in slots))
        below = {c: (n - 1, colspan) for c, (n, colspan) in below.items() if n > 1}
        for slot in slots:
            if slot.cell is not None and slot.rowspan > 1:
                below[slot.column] = (slot.rowspan - 1, slot.colspan)
        layout.append(slots)
    return layout, columns


def _declared_widths(element) -> list[float | None]:
    """The share of the width each ``<col>`` asks for (None where it says nothing)."""
    shares = []
    for col in element.iter("col"):
        share = None
        width = _WIDTH.search(col.get("style") or "")
        classes = re.findall(r"\bw-(\d+)\b", col.get("class") or "")
        if width:
            value, unit = float(width.group(1)), (width.group(2) or "").lower()
            share = value / 100 if unit == "%" else value * _MM_PER_UNIT[unit] / 178
        elif classes:
            share = int(classes[0]) / 100
        elif (col.get("width") or "").rstrip("%").replace(".", "", 1).isdigit():
            raw = col.get("width")
            share = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 672)
        shares.extend([share] * _span(col, "span"))
    return shares


def _text_weight(cell) -> int:
    """A column's claim on the free width: its text's length, CJK counting double."""
    text = " ".join("".join(cell.itertext()).split())
    length = sum(2 if ord(char) > 0x2E7F else 1 for char in text[:60])
    return min(max(length, 4), 40)


def _column_widths(element, layout, columns: int, total: int) -> list[int]:
    declared = (_declared_widths(element) + [None] * columns)[:columns]
    free = [index for index, share in enumerate(declared) if share is None]
    asked = sum(share for share in declared if share is not None)
    room = max(1.0 - asked, 0.05 * len(free))
    scale = (1.0 - room) / asked if asked and free else (1.0 / asked if asked else 1.0)
    shares = [share * scale if share is not None else 0.0 for share in declared]
    if free:
        weights = dict.fromkeys(free, 4)
        for placed in layout[:MEASURED_ROWS]:
            for slot in placed:
                if slot.cell is not None and slot.colspan == 1 and slot.column in weights:
                    weights[slot.column] = max(weights[slot.column], _text_weight(slot.cell))
        claimed = sum(weights.values())
        for index in free:
            shares[index] = room * weights[index] / claimed
    widths = [max(int(total * share), 280) for share in shares]
    widths[-1] += total - sum(widths)  # the rounding goes to the last column
    return widths


def _borders(tbl_pr, colour: str, size: int) -> None:
    """Rules written out as well as in the style: LibreOffice and WPS draw them then."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        attrs = {qn("w:val"): "single", qn("w:sz"): str(size), qn("w:color"): colour}
        borders.append(OxmlElement(f"w:{side}", attrs))
    tbl_pr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


def _write_row(flow, table, header: bool, slots, widths, fmt, para, figures) -> None:
    row = OxmlElement("w:tr")
    properties = OxmlElement("w:trPr")
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))
    row.append(properties)
    table._tbl.append(row)
    by_column = {slot.column: slot for slot in slots}
    column = 0
    while column < len(widths):
        slot = by_column.get(column) or _Slot(column, None, 1, 0)  # rowspan 0: a filler
        colspan = min(slot.colspan, len(widths) - column)
        width = sum(widths[column : column + colspan])
        cell = slot.cell
        if cell is None:
            tc = _new_tc(width, colspan, None)
            if slot.rowspan:
                _merge(tc, "continue")
            tc.append(OxmlElement("w:p"))
        else:
            shade = HEADER_SHADE if cell.tag == "th" else (FIGURE_SHADE if figures else None)
            tc = _new_tc(width, colspan, shade)
            if slot.rowspan > 1:
                _merge(tc, "restart")
        row.append(tc)
        if cell is not None:
            _fill(flow, table, tc, cell, header, fmt, para, width)
        column += colspan


def _new_tc(width: int, colspan: int, shade: str | None):
    tc = OxmlElement("w:tc")
    properties = OxmlElement("w:tcPr")
    properties.append(OxmlElement("w:tcW", {qn("w:w"): str(width), qn("w:type"): "dxa"}))
    if colspan > 1:
        properties.append(OxmlElement("w:gridSpan", {qn("w:val"): str(colspan)}))
    if shade:
        shading = {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): shade}
        properties.append(OxmlElement("w:shd", shading))
    tc.append(properties)
    return tc


def _merge(tc, kind: str) -> None:
    """Mark a cell of a ``rowspan`` (vMerge goes before the shading in tcPr)."""
    merge = OxmlElement("w:vMerge", {qn("w:val"): kind})
    properties = tc.tcPr
    shading = properties.find(qn("w:shd"))
    if shading is not None:
        shading.addprevious(merge)
    else:
        properties.append(merge)


def _fill(flow, table, tc, cell, header: bool, fmt, para, width: int) -> None:
    """The cell's content, blocks and all, as paragraphs of the cell."""
    cell_fmt = fmt.of(cell)
    if header:
        cell_fmt = replace(cell_fmt, bold=True)
    para = replace(para, style="Table Text", align=None).of(cell)
    flow.child(_Cell(tc, table), Emu(max(width - CELL_PADDING, 400) * 635)).blocks(
        cell, cell_fmt, para
    )
    if tc.find(qn("w:p")) is None or tc[-1].tag != qn("w:p"):
        tc.append(OxmlElement("w:p"))
