"""The issue list as PDF, fast at any length.

A table of 10,000 rows costs WeasyPrint a minute and a gigabyte. Here each row is one
line (or a few, for a long title) in the monospaced cut of Noto Sans CJK, with the
columns aligned by padding (a Chinese character is two columns wide, a Latin one one),
and the pages are cut here rather than by WeasyPrint: every row has a known height, so
each page is known in advance with its number, "第 n 页 / 共 m 页". A page's rows are one
paragraph of preformatted lines (WeasyPrint's cost and memory go as much by element as
by line: an element per row took half again the time and three times the layout
memory). Runs of pages are rendered by processes of their own (app/reports/parts.py) and
joined; their HTML is made one run at a time, as a process is free for it.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from app.core.pdf import pdf_html
from app.reports import parts

# Layout, in points: A4 with the base template's margins (22 mm top, 18 mm bottom).
LINE = 11.0  # line height of a row line
RULE = 0.0  # no rule under rows: drawing one per row costs a tenth of the time
BODY = 841.89 - (22 + 18) * 72 / 25.4  # 728.5 pt
SAFETY = 24.0  # never fill a page to the last point
FIRST_PAGE_HEADING = 96.0  # the title and the filter line on page one
TITLE_LINES = 3  # a longer title is cut
# Each part costs a fixed share (font copies and subsetting, some 0.3 s and 90 MB while it
# writes, and its own font subsets in the joined file): as few parts as there are
# workers, but no part over PAGES_PER_PART pages (about 7,500 rows, some 220 MB in its
# process at most); a list under PARALLEL_FROM pages is rendered here in one go.
PAGES_PER_PART = 120
PARALLEL_FROM = 16


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # in half-width columns


def columns() -> list[Column]:
    return [
        Column("code", _("Code"), 9),
        Column("title", _("Title"), 46),
        Column("category", _("Category"), 14),
        Column("owner", _("Owner"), 10),
        Column("status", _("Status"), 12),
        Column("priority", _("Priority"), 8),
        Column("deadline", _("Deadline"), 10),
        Column("light", _("Light"), 6),
    ]


GAP = "  "


@functools.cache
def _char_width(ch: str) -> int:
    # Wide, full-width and ambiguous characters take two columns in the CJK mono font.
    return 2 if unicodedata.east_asian_width(ch) in "WFA" else 1


def text_width(text: str) -> int:
    return len(text) if text.isascii() else sum(map(_char_width, text))


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns (with … when cut) and padded with spaces."""
    if text_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = _char_width(ch)
            if used + w > width - 2:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
    return text + " " * (width - text_width(text))


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """``text`` over at most ``max_lines`` lines of ``width`` columns, each padded."""
    text = " ".join(text.split())
    if text_width(text) <= width:
        return [fit(text, width)]
    lines, current, used = [], [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width:
            lines.append("".join(current))
            current, used = [], 0
            if ch == " ":
                continue
        current.append(ch)
        used += w
    lines.append("".join(current))
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [lines[max_lines - 1] + "…"]
    return [fit(line, width) for line in lines]


def format_row(cols: list[Column], values: dict[str, str]) -> str:
    """One row as text lines: the title wraps, the other cells are cut."""
    title_col = next(c for c in cols if c.key == "title")
    title_lines = wrap(values.get("title", ""), title_col.width, TITLE_LINES)
    lines = []
    for index, title_line in enumerate(title_lines):
        cells = []
        for col in cols:
            if col.key == "title":
                cells.append(title_line)
            elif index == 0:
                cells.append(fit(values.get(col.key, ""), col.width))
            else:
                cells.append(" " * col.width)
        lines.append(GAP.join(cells).rstrip())
    return "\n".join(lines)


def paginate(rows: list[str]) -> list[list[str]]:
    """Rows (text, maybe several lines) cut into pages by their known heights."""
    pages: list[list[str]] = []
    page: list[str] = []
    room = BODY - SAFETY - FIRST_PAGE_HEADING - (LINE + RULE)
    for row in rows:
        height = LINE * (row.count("\n") + 1) + RULE
        if page and height > room:
            pages.append(page)
            page, room = [], BODY - SAFETY - (LINE + RULE)
        page.append(row)
        room -= height
    pages.append(page)
    return pages


def page_label(number: int, total: int) -> str:
    return _("Page %(page)s of %(pages)s", page=number, pages=total)


def part_sizes(total: int, workers: int) -> list[int]:
    """How many of ``total`` pages each part takes, in order.

    Parts are laid out side by side but written one at a time (app/reports/parts.py),
    and writing takes about as long as laying out. So the first ``workers`` parts grow,
    each twice the one before: a part's layout ends about when the one before it has
    been written, and no process waits. Pages beyond them go in even parts.
    """
    if total < PARALLEL_FROM:
        return [total]
    shares = [2**i for i in range(max(workers, 1))]
    unit = min(total / sum(shares), PAGES_PER_PART / shares[-1])
    bounds, share = [], 0
    for weight in shares:
        share += weight
        bounds.append(min(total, max(len(bounds) + 1, round(unit * share))))
    sizes = [b - a for a, b in zip([0, *bounds], bounds, strict=False) if b > a]
    rest = total - sum(sizes)
    if rest:
        count = math.ceil(rest / PAGES_PER_PART)
        sizes += [rest // count + (1 if i < rest % count else 0) for i in range(count)]
    return sizes


def issue_list_pdf(
    title: str, subtitle: str, rows: list[dict[str, str]], workers: int = parts.WORKERS
) -> bytes:
    """The list as PDF: ``rows`` are dicts of the columns' keys to printed values."""
    cols = columns()
    header = GAP.join(fit(c.label, c.width) for c in cols).rstrip()
    pages = paginate([format_row(cols, values) for values in rows])
    total = len(pages)
    base_url = current_app.static_folder

    def part_htmls():  # one part's HTML at a time, as the workers take them
        start = 0
        for size in part_sizes(total, workers):
            sheets = [
                {
                    "number": start + offset + 1,
                    "label": page_label(start + offset + 1, total),
                    "rows": page_rows,
                }
                for offset, page_rows in enumerate(pages[start : start + size])
            ]
            start += size
            yield pdf_html(
                "reports/issue_list.html",
                title=title,
                subtitle=subtitle,
                header=header,
                sheets=sheets,
                count=len(rows),
                page_label=True,
            )

    return parts.join(parts.render_parts(part_htmls(), base_url, workers), title)
