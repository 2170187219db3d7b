"""The problem list's spreadsheets keep people's files whole: a sheet filled and uploaded
twice updates instead of copying, an import holds to the form's lengths, and an export
never writes a cell Excel cannot open."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.core.scope import unscoped
from app.core.sheets import EXCEL_CELL_LIMIT
from app.extensions import db
from app.issues.models import Issue
from tests import factories
from tests.mindmap.test_spreadsheets import HEAD, post_sheet


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(look) -> int:
    with look():
        return db.session.scalar(select(func.count(Issue.id)))


def _problems(response) -> str:
    assert response.status_code == 400, response.text[:2000]
    return response.text.split('data-testid="import-problems"')[1]


def test_the_same_filled_sheet_uploaded_twice_updates_instead_of_copying(login, world, look):
    client = login("leader")
    sheet = _xlsx(
        [
            HEAD,
            ["", "代发资金留存率低", "客户端", "member", "2024-09-30", "高", "否", "第一版"],
            ["", "手机银行转化率低", "客户端", "", "", "中", "否", ""],
        ]
    )
    assert post_sheet(client, "filled.xlsx", sheet).status_code == 302
    before = _count(look)
    again = post_sheet(client, "filled.xlsx", sheet)
    assert again.status_code == 302, again.text[:2000]
    assert _count(look) == before
    flashed = client.get("/issues").text
    assert "新增问题 0 个，更新 0 个，未变 2 个" in flashed
    assert "2 行未填编号，已按分类和标题对应到已有事项" in flashed
    # Changed in the sheet, the rows update their items.
    changed = _xlsx(
        [HEAD, ["", "代发资金留存率低", "客户端", "member", "2024-10-31", "高", "是", "第二版"]]
    )
    assert post_sheet(client, "filled.xlsx", changed).status_code == 302
    assert _count(look) == before
    with look():
        item = db.session.scalar(select(Issue).where(Issue.title == "代发资金留存率低"))
        assert item.description == "第二版" and item.major


def test_a_title_two_items_share_asks_for_the_code(app, login, world, look):
    with app.app_context(), unscoped():
        category = db.session.get(factories.Category, world.category_id)
        factories.make_issue(category, "重名的问题")
        factories.make_issue(category, "重名的问题")
    client = login("leader")
    before = _count(look)
    response = post_sheet(
        client, "list.xlsx", _xlsx([HEAD, ["", "重名的问题", "客户端", "", "", "", "", "新描述"]])
    )
    problems = _problems(response)
    assert "<td>2</td><td>编号</td>" in problems and "同名事项" in problems
    assert _count(look) == before


def test_an_import_holds_to_the_lengths_of_the_item_form(login, world, look):
    client = login("leader")
    before = _count(look)
    response = post_sheet(
        client,
        "list.xlsx",
        _xlsx(
            [
                HEAD + ["解决方案"],
                ["", "长" * 201, "客户端", "", "", "", "", "", ""],
                ["", "短标题", "客户端", "", "", "", "", "述" * 20001, "案" * 20000],
            ]
        ),
    )
    problems = _problems(response)
    assert "<td>2</td><td>问题标题</td><td>最多 200 字，此格有 201 字。</td>" in problems
    assert "<td>3</td><td>问题描述</td><td>最多 20000 字，此格有 20001 字。</td>" in problems
    assert "解决方案" not in problems.split("</thead>")[1]  # 20,000 is allowed
    assert _count(look) == before


def test_a_cell_over_excels_limit_is_cut_with_a_note_and_the_csv_keeps_it_whole(app, login, world):
    long_text = "进展说明" * 10_000 + "😀" * 10  # 40,010 characters, 40,020 UTF-16 units
    with app.app_context(), unscoped():
        db.session.get(Issue, world.issue_id).description = long_text
        db.session.commit()
    client = login("leader")
    book = load_workbook(io.BytesIO(client.get("/issues/export.xlsx").data))
    sheet = book.worksheets[0]
    cell = next(row[11] for row in sheet.iter_rows(min_row=2) if row[11].value)
    assert len(cell.value.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    assert cell.value.startswith("进展说明进展说明")
    assert cell.value.endswith("……（已截断，全文见系统）")
    text = client.get("/issues/export.csv").data.decode("utf-8-sig")
    assert long_text in [row[11] for row in csv.reader(io.StringIO(text))]
