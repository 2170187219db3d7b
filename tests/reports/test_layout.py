"""The printed tables read straight: in every table of the pack (and of the bulletin,
tests/reports/test_bulletin.py), a column of numbers is right-aligned in its head too,
and a head over text is not."""

from __future__ import annotations

from html.parser import HTMLParser

from app.core.scope import task_force_scope
from app.reports import service
from tests.reports.conftest import Q2


class _Tables(HTMLParser):
    """Each table's head cells and body rows as the classes of their cells."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._open: list[dict] = []
        self._section = None

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        spans = dict(attrs).get("colspan")
        if tag == "table":
            self._open.append({"head": [], "rows": [], "spans": False, "classes": classes})
        elif not self._open:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self._open[-1]["rows"].append([])
        elif tag == "th" and self._section == "thead":
            self._open[-1]["head"].append("num" in classes)
        elif tag == "td" and self._section == "tbody" and self._open[-1]["rows"]:
            self._open[-1]["rows"][-1].append("num" in classes)
        if spans and self._open:
            self._open[-1]["spans"] = True

    def handle_endtag(self, tag):
        if tag == "table" and self._open:
            self.tables.append(self._open.pop())
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = None


def misaligned(html: str) -> list[str]:
    """The columns whose head and numbers disagree, as "table N column M"."""
    parser = _Tables()
    parser.feed(html)
    found = []
    for n, table in enumerate(parser.tables, start=1):
        rows = [row for row in table["rows"] if len(row) == len(table["head"])]
        if not table["head"] or not rows or table["spans"]:
            continue
        for column, head in enumerate(table["head"]):
            numbers = all(row[column] for row in rows)
            if numbers != head:
                found.append(f"table {n} column {column + 1}")
    return found


def test_the_packs_number_columns_are_aligned_under_their_heads(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id), ctx.test_request_context():
        html = service.pack_html(world.task_force_id, Q2)
    assert html.count("<table") >= 8  # the check reads the pack's tables, not none
    assert misaligned(html) == []


def test_the_check_finds_a_head_that_disagrees():
    html = (
        "<table><thead><tr><th>名称</th><th>数量</th></tr></thead>"
        "<tbody><tr><td>甲</td><td class='num'>3</td></tr></tbody></table>"
    )
    assert misaligned(html) == ["table 1 column 2"]
