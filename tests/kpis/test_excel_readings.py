"""Readings typed the Excel way: a month typed as a date means the month's last day, a cell
formatted as a percentage means the number it shows, the template's sample rows (a
made-up KPI) are never imported, and its Chinese heads (or the older English ones) say
which column is which."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from app.extensions import db
from app.kpis.models import Kpi, KpiReading
from tests.kpis.test_import_and_charts import _reading_count, _upload

HEADS = ["指标名称", "期间", "数值", "备注"]


def _book(rows, formats: dict[str, str] | None = None, heads=HEADS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(heads)
    for row in rows:
        sheet.append(list(row))
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _readings(look, world) -> dict[date, Decimal]:
    with look():
        return dict(
            db.session.execute(
                select(KpiReading.period, KpiReading.value).where(
                    KpiReading.kpi_id == world.ids["kpi"]
                )
            ).all()
        )


def test_a_month_typed_as_a_date_or_as_chinese_text_means_its_last_day(world, login, look):
    response = _upload(
        login("leader"),
        _book(
            [
                ("非存AUM", date(2024, 1, 1), 862, ""),  # Excel's "2024-01"
                ("非存AUM", "2024年2月", 870, ""),
                ("非存AUM", "2024/3", 880, ""),
                ("非存AUM", date(2024, 4, 15), 890, ""),  # a day is that day
                ("非存AUM", "2024年5月20日", 900, ""),
            ],
            {"B2": "yyyy-mm", "B5": "yyyy-mm-dd"},
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    readings = _readings(look, world)
    assert readings[date(2024, 1, 31)] == 862
    assert readings[date(2024, 2, 29)] == 870
    assert readings[date(2024, 3, 31)] == 880
    assert readings[date(2024, 4, 15)] == 890
    assert readings[date(2024, 5, 20)] == 900


def test_a_cell_formatted_as_a_percentage_holds_the_number_it_shows(world, login, look):
    response = _upload(
        login("leader"),
        _book(
            [
                ("非存AUM", "2024-01", 0.165, "显示为 16.5%"),
                ("非存AUM", "2024-02", 0.2, ""),
                ("非存AUM", "2024-03", "17.25%", "文字写的百分数"),
                ("非存AUM", "2024-04", 0.165, "普通数字"),
            ],
            {"C2": "0.0%", "C3": "0%"},
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    readings = _readings(look, world)
    assert readings[date(2024, 1, 31)] == Decimal("16.5")
    assert readings[date(2024, 2, 29)] == Decimal("20")
    assert readings[date(2024, 3, 31)] == Decimal("17.25")
    assert readings[date(2024, 4, 30)] == Decimal("0.165")


def test_the_template_has_chinese_heads_made_up_samples_and_says_how_cells_read(world, login, look):
    response = login("leader").get("/kpis/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADS
    samples = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    with look():
        names = set(db.session.scalars(select(Kpi.name)))
    assert samples and all(row[0].startswith("示例") and row[0] not in names for row in samples)
    assert "%" in sheet["C3"].number_format and sheet["C3"].value == 0.165
    assert isinstance(sheet["B2"].value, datetime) and "d" not in sheet["B2"].number_format
    notes = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "16.5%" in notes and "该月最后一天" in notes and "示例" in notes


def test_the_template_imports_its_filled_rows_and_skips_its_samples(world, login, look):
    client = login("leader")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/kpis/import/template.xlsx").data))
    sheet = book.worksheets[0]
    before = _reading_count(look)
    unfilled = io.BytesIO()
    book.save(unfilled)
    refused = _upload(client, unfilled.getvalue())
    assert refused.status_code == 400 and "只有模板的示例行" in refused.get_data(as_text=True)
    sheet.append(["非存AUM", date(2024, 2, 1), 0.9, "照示例填写"])
    sheet["B4"].number_format = "yyyy-mm"
    sheet["C4"].number_format = "0.0%"
    filled = io.BytesIO()
    book.save(filled)
    response = _upload(client, filled.getvalue())
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert _reading_count(look) == before + 1
    assert _readings(look, world)[date(2024, 2, 29)] == Decimal("90")
    assert "跳过模板示例行 2 行" in client.get("/kpis").get_data(as_text=True)


def test_columns_are_found_by_their_heads_in_chinese_or_english(world, login, look):
    reordered = _book([("2024-01", 862, "非存AUM")], heads=["期间", "数值", "指标名称"])
    assert _upload(login("leader"), reordered).status_code == 302
    assert _readings(look, world)[date(2024, 1, 31)] == 862
    english = _book([("非存AUM", "2024-02", 870, "")], heads=["KPI", "Period", "Value", "Note"])
    assert _upload(login("leader"), english).status_code == 302
    missing = _upload(login("leader"), _book([("非存AUM", 1)], heads=["指标名称", "数值"]))
    assert missing.status_code == 400
    assert "第 1 行须为列名，缺少：期间" in missing.get_data(as_text=True)


def test_a_note_longer_than_the_form_takes_is_refused_on_its_row(world, login, look):
    before = _reading_count(look)
    response = _upload(login("leader"), _book([("非存AUM", "2024-01", 1, "注" * 201)]))
    assert response.status_code == 400
    assert "第 2 行：备注有 201 字，最多 200 字" in response.get_data(as_text=True)
    assert _reading_count(look) == before
