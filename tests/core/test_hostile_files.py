"""The hostile-file corpus: every import meets files built to cost it memory or time, and
each import stays within a budget measured in the test process (peak Python allocation
by tracemalloc, CPU time by the process clock), whatever the file claims.

The files are made by ``tests/hostile.py``; none is kept on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core.scope import task_force_scope
from app.extensions import db
from app.kpis import service as kpis
from app.mindmap import imports as maps
from app.mindmap import spreadsheets
from app.people.models import User
from tests import hostile

# What one import may cost. A legitimate 20,000-row sheet peaks near 15 MB. The CPU
# budget is not a speed target (speed is measured by ``make bench``, never asserted): it
# is far above what the corpus costs on a slow, busy machine under tracemalloc (about
# 4-12 s) and far below what a path that grows with the square of a file would cost
# (hours), so it fails on such a path and never on the machine.
PEAK_MB = 48
CPU_SECONDS = 60

ISSUE_HEAD = ["编号", "问题标题", "分类", "负责人", "截止日期", "优先级", "重大问题", "问题描述"]
ISSUE_ROW = ["", "恶意文件中的问题", "客户端", "", "", "", "", ""]
KPI_HEAD = ["KPI", "Period", "Value", "Note"]
KPI_ROW = ["非存AUM", "2024-02", 870, ""]
BAD_KPI_ROW = ["不存在的指标", "2024-02", 1, ""]


@dataclass
class Case:
    importer: str  # "issues", "kpis" or "map"
    filename: str
    make: object  # () -> bytes
    outcome: str  # "imported", or a fragment of the refusal (English)


CORPUS = {
    # The problem list's import.
    "issues: 16,384 declared columns": Case(
        "issues", "wide.xlsx", lambda: hostile.wide_dimension(ISSUE_HEAD, ISSUE_ROW), "imported"
    ),
    "issues: a million rows apart": Case(
        "issues", "gap.xlsx", lambda: hostile.row_gap(ISSUE_HEAD, ISSUE_ROW), "imported"
    ),
    "issues: 200,000 cells in a row": Case(
        "issues", "row.xlsx", lambda: hostile.wide_row(ISSUE_HEAD, ISSUE_ROW), "imported"
    ),
    "issues: 200,000 rows": Case(
        "issues",
        "long.xlsx",
        lambda: hostile.many_rows(ISSUE_HEAD, ISSUE_ROW, 200_000),
        "unpacks to too much data",
    ),
    "issues: 100,000 rows within the archive limit": Case(
        "issues",
        "long.xlsx",
        lambda: hostile.many_rows(ISSUE_HEAD, ["", "x", "y", "", "", "", "", ""], 100_000),
        "more than 20000 rows",
    ),
    "issues: a CSV line of 300,000 columns": Case(
        "issues",
        "wide.csv",
        lambda: ",".join(ISSUE_HEAD).encode() + b"\n" + b"ab," * 300_000 + b"\n",
        "more than 1000 columns",
    ),
    # The KPI readings' import.
    "kpis: 16,384 declared columns": Case(
        "kpis",
        "wide.xlsx",
        lambda: hostile.wide_dimension(KPI_HEAD, KPI_ROW, ["非存AUM", "2024-03", 880, ""]),
        "imported",
    ),
    "kpis: a million rows apart": Case(
        "kpis", "gap.xlsx", lambda: hostile.row_gap(KPI_HEAD, KPI_ROW), "imported"
    ),
    "kpis: 20,000 bad rows": Case(
        "kpis",
        "bad.xlsx",
        lambda: hostile.many_rows(KPI_HEAD, BAD_KPI_ROW, 20_000),
        "Row 2: unknown KPI",
    ),
    "kpis: 200,000 bad rows": Case(
        "kpis",
        "bad.xlsx",
        lambda: hostile.many_rows(KPI_HEAD, BAD_KPI_ROW, 200_000),
        "unpacks to too much data",
    ),
    # The mind map's import, every format.
    "map: XMind Zen 3,000 deep": Case(
        "map", "deep.xmind", hostile.deep_xmind_zen, "nested deeper than 12 levels"
    ),
    "map: XMind 8 3,000 deep": Case(
        "map", "deep8.xmind", hostile.deep_xmind8, "nested deeper than 12 levels"
    ),
    "map: FreeMind 3,000 deep": Case(
        "map", "deep.mm", hostile.deep_freemind, "nested deeper than 12 levels"
    ),
    "map: OPML 3,000 deep": Case(
        "map", "deep.opml", hostile.deep_opml, "nested deeper than 12 levels"
    ),
    "map: Markdown 3,000 deep": Case(
        "map", "deep.md", hostile.deep_markdown, "nested deeper than 12 levels"
    ),
    "map: a FreeMind note 3,000 deep": Case(
        "map", "note.mm", hostile.deep_freemind_note, "imported"
    ),
    "map: a Markdown note of 4 MB": Case(
        "map", "note.md", hostile.long_markdown_note, "longer than 20000 characters"
    ),
    "map: Markdown lines of 1 MB of spaces": Case(
        "map", "lines.md", hostile.long_markdown_lines, "imported"
    ),
    "map: 2.5 million Markdown topics": Case(
        "map", "many.md", lambda: b"# x\n" + b"- a\n" * 2_500_000, "more than 20000 topics"
    ),
    "map: XMind Zen of a million empty topics": Case(
        "map",
        "many.xmind",
        lambda: hostile._archive({"content.json": "[" + "{}," * 1_000_000 + "{}]"}),
        "more than 20000 topics",
    ),
}


def _run(case: Case, data: bytes, world):
    """The import as the view calls it; the message a person would read, or "imported"."""
    leader = db.session.get(User, world.users["leader"])
    tf = world.task_force_id
    if case.importer == "issues":
        result = spreadsheets.import_sheet(leader, tf, case.filename, data)
        if result.file_error:
            return result.file_error
        return "imported" if result.ok else f"{len(result.problems)} problems"
    if case.importer == "kpis":
        result = kpis.import_readings(leader, tf, data, case.filename)
        return "; ".join(result.errors) if result.failed else "imported"
    try:
        maps.preview_import(leader, tf, case.filename, data)
    except Exception as error:  # noqa: BLE001  (the refusal is the outcome under test)
        return getattr(error, "message", repr(error))
    return "imported"


@pytest.mark.parametrize("name", CORPUS)
def test_a_hostile_file_costs_its_import_little(app, world, name):
    case = CORPUS[name]
    data = case.make()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with task_force_scope(world.task_force_id):
            cost = hostile.measure(lambda: _run(case, data, world))
        db.session.rollback()
    assert case.outcome in cost.result, cost.result[:300]
    assert cost.peak_mb < PEAK_MB, f"{name}: {cost.peak_mb:.0f} MB"
    assert cost.cpu_seconds < CPU_SECONDS, f"{name}: {cost.cpu_seconds:.1f} s"
    print(f"{name}: {len(data) // 1024} KB, {cost.peak_mb:.1f} MB, {cost.cpu_seconds:.2f} s")


def test_a_legitimate_sheet_of_20000_rows_fits_the_same_budget(app, world):
    """The budget is not so tight that the largest allowed sheet fails it."""
    data = hostile.many_rows(
        ISSUE_HEAD, ["", "正常问题", "不存在的分类", "", "", "", "", ""], 20_000
    )
    case = Case("issues", "full.xlsx", lambda: data, "20000 problems")
    with app.test_request_context(), task_force_scope(world.task_force_id):
        cost = hostile.measure(lambda: _run(case, data, world))
    assert cost.result == "20000 problems"
    assert cost.peak_mb < PEAK_MB, f"{cost.peak_mb:.0f} MB"
