"""Readings from Excel (all or nothing, errors by row), and the charts as SVG."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import defusedxml.ElementTree as SafeTree
import openpyxl
import pytest
from sqlalchemy import func, select

from app.core.scope import unscoped
from app.extensions import db
from app.kpis.charts import kpi_chart
from app.kpis.models import Kpi, KpiReading
from tests import hostile
from tests.pdfcheck import needs_poppler, pdf_text

SVG = "{http://www.w3.org/2000/svg}"


def _workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["KPI", "Period", "Value", "Note"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, content: bytes, name="readings.xlsx"):
    return client.post(
        "/kpis/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _reading_count(look) -> int:
    with look():
        return db.session.scalar(select(func.count(KpiReading.id)))


def test_readings_import_from_excel_and_a_month_means_its_last_day(world, login, look):
    client = login("leader")
    response = _upload(
        client,
        _workbook(
            [
                ("非存AUM", "2024-01", 862, "年初"),
                ("非存AUM", date(2024, 2, 29), "875.5", ""),
                ("非存AUM", "2024/03", "1,002", None),
            ]
        ),
    )
    assert response.status_code == 302
    with look():
        rows = db.session.execute(
            select(KpiReading.period, KpiReading.value)
            .where(KpiReading.kpi_id == world.ids["kpi"])
            .order_by(KpiReading.period)
        ).all()
    assert (date(2024, 1, 31), Decimal("862")) in rows
    assert (date(2024, 2, 29), Decimal("875.5")) in rows
    assert (date(2024, 3, 31), Decimal("1002")) in rows


def test_a_bad_row_imports_nothing_and_every_bad_row_is_named(world, login, look):
    client = login("leader")
    before = _reading_count(look)
    response = _upload(
        client,
        _workbook(
            [
                ("非存AUM", "2024-01", 862, ""),
                ("不存在的指标", "2024-02", 1, ""),
                ("非存AUM", "下个月", "很多", ""),
                ("非存AUM", "2024-01", 870, ""),
                ("非存AUM", "2099-01", 1, ""),
            ]
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for row in ("3", "4", "5", "6"):
        assert f"第 {row} 行：" in page, row
    assert "第 2 行：" not in page
    assert "未知指标“不存在的指标”" in page
    assert "与第 2 行的指标和期间重复" in page
    assert _reading_count(look) == before


def test_a_file_that_is_not_a_workbook_is_refused(world, login, look):
    response = _upload(login("leader"), b"KPI,Period\n", name="readings.csv")
    assert response.status_code == 400
    assert _reading_count(look) == 1


def test_the_template_downloads_and_reads_back(world, login):
    response = login("exec_leader").get("/kpis/import/template.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["指标名称", "期间", "数值", "备注"]


def test_only_the_leaders_import(world, login):
    assert login("member").get("/kpis/import").status_code == 403
    assert login("member").get("/kpis/import/template.xlsx").status_code == 403


def _kpi(ctx, world):
    return db.session.get(Kpi, world.ids["kpi"])


def test_the_chart_is_valid_svg_with_trend_and_target_and_runs_nothing(ctx, world):
    kpi = _kpi(ctx, world)
    for month, value in ((2, 905), (3, 931)):
        db.session.add(
            KpiReading(
                task_force_id=kpi.task_force_id,
                kpi_id=kpi.id,
                period=date(2024, month, 28),
                value=Decimal(value),
            )
        )
    db.session.commit()
    db.session.refresh(kpi)
    svg = kpi_chart(kpi)
    root = SafeTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert list(root.iter(f"{SVG}script")) == []
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Target" in text or "目标" in text
    assert b'href="http' not in svg and b'xlink:href="http' not in svg
    # The actual series and the target line are both drawn.
    assert len([p for p in root.iter(f"{SVG}path") if "line" in (p.get("class") or "")]) >= 2
    assert kpi_chart(kpi) == svg  # the same figures give the same bytes


def test_a_kpi_without_readings_still_charts(ctx, world):
    kpi = Kpi(task_force_id=world.task_force_id, name="新指标", baseline=1, target=2)
    db.session.add(kpi)
    db.session.commit()
    root = SafeTree.fromstring(kpi_chart(kpi, small=True))
    assert root.tag == f"{SVG}svg"


def test_the_chart_route_serves_an_image_with_its_own_policy(world, login):
    response = login("viewer").get(f"/kpis/{world.ids['kpi']}/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    SafeTree.fromstring(response.data)
    page = login("viewer").get(f"/kpis/{world.ids['kpi']}").get_data(as_text=True)
    assert f'src="/kpis/{world.ids["kpi"]}/chart.svg"' in page
    battle_map = login("viewer").get("/").get_data(as_text=True)
    assert f'src="/kpis/{world.ids["kpi"]}/chart.svg?size=small"' in battle_map


def _grow(app, world, n: int) -> None:
    with app.app_context():
        from app.core.scope import unscoped

        with unscoped():
            for i in range(n):
                kpi = Kpi(task_force_id=world.task_force_id, name=f"指标{i}", baseline=0, target=10)
                db.session.add(kpi)
                db.session.flush()
                db.session.add_all(
                    KpiReading(
                        task_force_id=world.task_force_id,
                        kpi_id=kpi_id,
                        period=date(2023, 1 + m, 1),
                        value=m,
                    )
                    for kpi_id in (kpi.id, world.ids["kpi"])
                    for m in range(i, i + 1)
                )
            db.session.commit()
        db.session.remove()


PAGES = ["/kpis", "/kpis/{kpi}", "/kpis/{kpi}/edit", "/kpis/{kpi}/chart.svg", "/"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_issue_as_many_queries_for_many_kpis_as_for_few(app, world, login, page):
    url = page.format(kpi=world.ids["kpi"])

    def count() -> int:
        response = login("leader").get(url)
        assert response.status_code == 200
        return int(response.headers["X-Query-Count"])

    # Read once, then a change like the growth below (a goal figure, no item): both
    # readings are first views after such a change, which move what the battle map
    # keeps as items change by its journal.
    count()
    with app.app_context(), unscoped():
        db.session.add(Kpi(task_force_id=world.task_force_id, name="预热", baseline=0, target=1))
        db.session.commit()
    before = count()
    _grow(app, world, 11)
    assert count() == before <= 12


@needs_poppler
def test_the_same_chart_goes_into_a_pdf(app, world):
    from app.core.pdf import render_pdf
    from app.core.scope import task_force_scope
    from app.kpis import service
    from app.kpis.charts import chart_data_uri

    with app.test_request_context(), task_force_scope(world.task_force_id):
        rows = service.overview(world.task_force_id)
        data = render_pdf(
            "kpis/pdf_figures.html",
            rows=rows,
            charts={s.kpi.id: chart_data_uri(s.kpi) for s in rows},
        )
    text = pdf_text(data)
    assert "非存AUM" in text
    assert "2024-05" in text  # the chart's month label, drawn as vector text


# --- files that would cost too much ------------------------------------------------------

KPI_HEAD = ["KPI", "Period", "Value", "Note"]


def test_a_workbook_declaring_16384_columns_imports_within_a_small_budget(world, login, look):
    client = login("leader")
    data = hostile.wide_dimension(
        KPI_HEAD, ["非存AUM", "2024-02", 870, "二月"], ["非存AUM", "2024-03", 880, "三月"]
    )
    cost = hostile.measure(lambda: _upload(client, data))
    assert cost.result.status_code == 302, cost.result.get_data(as_text=True)[-2000:]
    assert cost.peak_mb < 20, f"{cost.peak_mb:.0f} MB"
    assert _reading_count(look) == 3


def test_readings_stop_at_the_row_limit(app, world, login, look):
    app.config["SPREADSHEET_MAX_ROWS"] = 50
    try:
        data = hostile.many_rows(KPI_HEAD, ["未知指标", "2024-02", 1, ""], 20_000)
        cost = hostile.measure(lambda: _upload(login("leader"), data))
    finally:
        app.config["SPREADSHEET_MAX_ROWS"] = 20000
    assert cost.result.status_code == 400
    assert "表格超过 50 行。" in cost.result.get_data(as_text=True)
    assert cost.peak_mb < 10, f"{cost.peak_mb:.1f} MB"
    assert _reading_count(look) == 1


def test_a_file_larger_than_the_limit_is_refused(app, world, login, look):
    app.config["MINDMAP_MAX_UPLOAD_BYTES"] = 4096
    try:
        data = _workbook([("非存AUM", "2024-02", 870, "很长的说明" * 2000)])
        response = _upload(login("leader"), data)
    finally:
        app.config["MINDMAP_MAX_UPLOAD_BYTES"] = 10 * 1024 * 1024
    assert response.status_code == 400
    assert "文件超过 4 KB" in response.get_data(as_text=True)
    assert _reading_count(look) == 1


def test_at_most_100_errors_are_listed_and_a_line_says_how_many_more(world, login, look):
    data = _workbook([("不存在的指标", "2024-02", 1, "")] * 250)
    response = _upload(login("leader"), data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = page.split('data-testid="import-errors"')[1].split("</div>")[0]
    assert errors.count("<li>") == 101
    assert "第 101 行：" in errors and "第 102 行：" not in errors
    assert "另有 150 行有误，未列出。" in errors
    assert len(page) < 100_000
    assert _reading_count(look) == 1
