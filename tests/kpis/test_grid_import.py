"""A broken-down KPI's targets and readings as one Excel grid: units as rows, periods as
columns, Chinese heads; all or nothing, each bad cell named; a template filled with the
current figures that goes back in unchanged."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.kpis.models import (
    MONTH,
    QUARTER,
    RATIO,
    SUM,
    WEIGHTED,
    Kpi,
    KpiReading,
    KpiTargetChange,
    KpiUnit,
    KpiUnitReading,
    KpiUnitTarget,
)
from app.kpis.service import breakdown
from app.people.models import OrgUnit, User
from tests.conftest import in_app

# The fixed day of tests/issues/conftest.py is 2024-06-03: 2024Q1 has ended, 2024Q2 not.
Q1, Q2, Q3, Q4 = date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31)
UNITS = ("长春分行", "沈阳分行", "大连分行")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Grid:
    kpi_id: int
    units: dict[str, int]  # name -> org unit id

    def import_url(self, what: str) -> str:
        return f"/kpis/{self.kpi_id}/breakdown/import/{what}"

    def template_url(self, what: str) -> str:
        return f"/kpis/{self.kpi_id}/breakdown/template/{what}.xlsx"


@pytest.fixture
def grid_kpi(app, world):
    """``grid_kpi(aggregation=SUM, kind=QUARTER)``: a KPI from 2023-12-31 to 2024-12-31,
    broken down over 长春分行, 沈阳分行 and 大连分行."""
    made: dict[str, int] = {}

    def build(aggregation: str = SUM, kind: str = QUARTER) -> Grid:
        with in_app(app):
            if not made:
                made[UNITS[0]] = world.org_unit_id
                for name in UNITS[1:]:
                    unit = OrgUnit(name=name, kind="branch")
                    db.session.add(unit)
                    db.session.flush()
                    made[name] = unit.id
            kpi = Kpi(
                task_force_id=world.task_force_id,
                name=f"分解指标 {aggregation} {kind}",
                unit="percent" if aggregation == RATIO else "yi_yuan",
                direction="up",
                baseline=Decimal(100),
                baseline_on=date(2023, 12, 31),
                target=Decimal(200),
                target_on=date(2024, 12, 31),
            )
            db.session.add(kpi)
            db.session.flush()
            leader = db.session.get(User, world.users["leader"])
            breakdown.set_breakdown(
                leader,
                kpi,
                breakdown.BreakdownInput(kind, aggregation, Decimal(5), list(made.values())),
                kpi.version,
            )
            db.session.commit()
            return Grid(kpi.id, dict(made))

    return build


def _book(rows, formats: dict[str, str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, url: str, content: bytes, name: str = "grid.xlsx"):
    return client.post(
        url, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )


def _targets(grid: Grid) -> dict[tuple[str, date], Decimal]:
    names = {uid: name for name, uid in grid.units.items()}
    rows = db.session.execute(
        select(KpiUnitTarget.org_unit_id, KpiUnitTarget.period, KpiUnitTarget.value).where(
            KpiUnitTarget.kpi_id == grid.kpi_id
        )
    )
    return {(names[uid], period): value for uid, period, value in rows}


def _unit_readings(grid: Grid) -> dict[tuple[str, date], KpiUnitReading]:
    names = {uid: name for name, uid in grid.units.items()}
    rows = db.session.scalars(select(KpiUnitReading).where(KpiUnitReading.kpi_id == grid.kpi_id))
    return {(names[r.org_unit_id], r.period): r for r in rows}


def _units(grid: Grid) -> dict[str, KpiUnit]:
    names = {uid: name for name, uid in grid.units.items()}
    rows = db.session.scalars(select(KpiUnit).where(KpiUnit.kpi_id == grid.kpi_id))
    return {names[u.org_unit_id]: u for u in rows}


def _count(model, grid: Grid) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.kpi_id == grid.kpi_id))


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- targets -------------------------------------------------------------------------------


def test_targets_import_sets_each_units_targets_baselines_and_their_history(grid_kpi, login, look):
    grid = grid_kpi()
    client = login("leader")
    response = _upload(
        client,
        grid.import_url("targets"),
        _book(
            [
                ("单位", "基数", "2024Q1", "2024Q2", "2024Q3", "2024Q4"),
                ("长春分行", 40, 45, 50, 55, 60),
                (" 沈阳分行 ", "30.5", "1,032.25", None, 40, 45),  # a blank leaves it
                ("大连分行", None, 20, 25, 28, 30),
            ]
        ),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    assert response.headers["Location"].endswith(f"/kpis/{grid.kpi_id}/breakdown")
    with look():
        targets = _targets(grid)
        assert targets[("长春分行", Q1)] == 45
        assert targets[("长春分行", Q4)] == 60
        assert targets[("沈阳分行", Q1)] == Decimal("1032.25")
        assert ("沈阳分行", Q2) not in targets
        assert targets[("大连分行", Q3)] == 28
        assert len(targets) == 11
        units = _units(grid)
        assert units["长春分行"].baseline == 40
        assert units["沈阳分行"].baseline == Decimal("30.5")
        assert units["大连分行"].baseline is None
        assert _count(KpiTargetChange, grid) == 11

    # A second file changes one target and leaves the rest: one more version in the history.
    response = _upload(
        client,
        grid.import_url("targets"),
        _book([("单位", "2024Q2"), ("长春分行", 52), ("大连分行", 25)]),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        assert _targets(grid)[("长春分行", Q2)] == 52
        assert _targets(grid)[("长春分行", Q1)] == 45
        assert _count(KpiTargetChange, grid) == 12
        change = db.session.scalars(
            select(KpiTargetChange)
            .where(KpiTargetChange.kpi_id == grid.kpi_id)
            .order_by(KpiTargetChange.id.desc())
        ).first()
        assert (change.period, change.old, change.new) == (Q2, 50, 52)
    page = _page(client.get(f"/kpis/{grid.kpi_id}"))
    assert "1" in page  # the flash message counts the one figure changed
    assert "已导入：更新 1 个数字。" in page


def test_a_weighted_kpi_takes_each_units_weight_and_a_sum_kpi_refuses_the_column(
    grid_kpi, login, look
):
    weighted, summed = grid_kpi(WEIGHTED), grid_kpi(SUM, MONTH)
    client = login("leader")
    response = _upload(
        client,
        weighted.import_url("targets"),
        _book([("单位", "权重", "2024Q4"), ("长春分行", 0.5, 90), ("沈阳分行", 2, 80)]),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        assert _units(weighted)["长春分行"].weight == Decimal("0.5")
        assert _units(weighted)["沈阳分行"].weight == 2
        assert _targets(weighted)[("沈阳分行", Q4)] == 80

    response = _upload(
        client,
        summed.import_url("targets"),
        _book([("单位", "权重", "2024-12"), ("长春分行", 1, 90)]),
    )
    assert response.status_code == 400
    assert "B 列“权重”：该指标不按权重汇总，请删去此列。" in _page(response)
    with look():
        assert _targets(summed) == {}
        assert _units(summed)["长春分行"].weight is None


# --- readings ------------------------------------------------------------------------------


def test_readings_of_every_unit_roll_up_into_the_task_forces_reading(grid_kpi, login, look):
    grid = grid_kpi()
    client = login("leader")
    response = _upload(
        client,
        grid.import_url("readings"),
        _book([("单位", "2024Q1"), ("长春分行", 41), ("沈阳分行", 32.5)]),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        assert _unit_readings(grid)[("沈阳分行", Q1)].value == Decimal("32.5")
        # Not every unit has reported: no task-force reading yet.
        assert _count(KpiReading, grid) == 0

    response = _upload(
        client, grid.import_url("readings"), _book([("单位", "2024Q1"), ("大连分行", 20)])
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        reading = db.session.scalars(
            select(KpiReading).where(KpiReading.kpi_id == grid.kpi_id)
        ).one()
        assert (reading.period, reading.value) == (Q1, Decimal("93.5"))
        assert reading.note == breakdown.ROLL_UP_NOTE


def test_a_ratio_kpi_reads_numerators_and_denominators_and_recomputes_the_rate(
    grid_kpi, login, look
):
    grid = grid_kpi(RATIO)
    response = _upload(
        login("leader"),
        grid.import_url("readings"),
        _book(
            [
                ("单位", "2024Q1 分子", "2024Q1 分母"),
                ("长春分行", 30, 200),
                ("沈阳分行", 10, 100),
                ("大连分行", 80, 300),
            ]
        ),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        readings = _unit_readings(grid)
        assert readings[("长春分行", Q1)].value == 15
        assert (readings[("沈阳分行", Q1)].numerator, readings[("沈阳分行", Q1)].denominator) == (
            10,
            100,
        )
        total = db.session.scalar(select(KpiReading.value).where(KpiReading.kpi_id == grid.kpi_id))
        assert total == 20  # 120 ÷ 600, never the average of 15, 10 and 26.67


# --- heads ---------------------------------------------------------------------------------


def test_quarter_heads_are_read_as_people_write_them(grid_kpi, login, look):
    grid = grid_kpi()
    response = _upload(
        login("leader"),
        grid.import_url("targets"),
        _book(
            [
                (
                    "序号",
                    "单位",
                    "2024 Q1",
                    "2024年二季度",
                    "2024年第三季度",
                    "2024年4季度",
                    "备注",
                ),
                (1, "长春分行", 1, 2, 3, 4, "序号与备注列导入时略过"),
            ]
        ),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        assert _targets(grid) == {
            ("长春分行", Q1): 1,
            ("长春分行", Q2): 2,
            ("长春分行", Q3): 3,
            ("长春分行", Q4): 4,
        }


def test_month_heads_are_read_as_text_as_a_month_cell_or_as_the_months_last_day(
    grid_kpi, login, look
):
    grid = grid_kpi(SUM, MONTH)
    response = _upload(
        login("leader"),
        grid.import_url("targets"),
        _book(
            [
                (
                    "单位",
                    "2024-01",
                    "2024/2",
                    "2024年3月",
                    date(2024, 4, 1),  # shown as a month
                    date(2024, 5, 31),  # the month's last day
                ),
                ("沈阳分行", 1, 2, 3, 4, 5),
            ],
            {"E1": "yyyy-mm", "F1": "yyyy-mm-dd"},
        ),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    with look():
        assert _targets(grid) == {
            ("沈阳分行", date(2024, 1, 31)): 1,
            ("沈阳分行", date(2024, 2, 29)): 2,
            ("沈阳分行", date(2024, 3, 31)): 3,
            ("沈阳分行", date(2024, 4, 30)): 4,
            ("沈阳分行", date(2024, 5, 31)): 5,
        }


# --- refusals ------------------------------------------------------------------------------


def test_a_bad_cell_is_named_by_its_place_unit_and_period_and_nothing_is_saved(
    grid_kpi, login, look
):
    grid = grid_kpi()
    response = _upload(
        login("leader"),
        grid.import_url("targets"),
        _book(
            [
                ("单位", "基数", "2024Q1", "2024Q2"),
                ("沈阳分行", 10, 11, 12),
                ("大连分行", 10, 11, 12),
                ("长春分行", "很多", 11, "十二"),
                ("长春支行", 1, 2, 3),
                ("大连分行", 1, 2, 3),
            ]
        ),
    )
    assert response.status_code == 400
    page = _page(response)
    assert "D4（长春分行 · 2024Q2）：不是数字" in page
    assert "B4（长春分行 · 基数）：不是数字" in page
    assert "第 5 行：“长春支行”不是该指标的分解单位" in page
    assert "第 6 行：“大连分行”已在第 3 行出现" in page
    with look():
        assert _count(KpiUnitTarget, grid) == 0
        assert _count(KpiTargetChange, grid) == 0
        assert all(u.baseline is None for u in _units(grid).values())


def test_unknown_period_heads_and_a_missing_unit_column_are_named(grid_kpi, login, look):
    grid = grid_kpi()
    client = login("leader")
    response = _upload(
        client,
        grid.import_url("targets"),
        _book([("单位", "2024Q1", "2025Q1", "目标", "2024Q1"), ("长春分行", 1, 2, 3, 4)]),
    )
    assert response.status_code == 400
    page = _page(response)
    assert "C 列“2025Q1”：不是该指标的期间（期间为 2024Q1 至 2024Q4）" in page
    assert "D 列“目标”：不是该指标的期间" in page
    assert "E 列“2024Q1”：与 B 列重复" in page

    response = _upload(
        client, grid.import_url("targets"), _book([("机构名", "2024Q1"), ("长春分行", 1)])
    )
    assert response.status_code == 400
    assert "第 1 行须为表头，缺少“单位”列" in _page(response)
    with look():
        assert _count(KpiUnitTarget, grid) == 0


def test_a_reading_for_a_period_not_ended_or_half_a_ratio_is_refused(grid_kpi, login, look):
    summed, ratio = grid_kpi(), grid_kpi(RATIO)
    client = login("leader")
    response = _upload(
        client,
        summed.import_url("readings"),
        _book([("单位", "2024Q1", "2024Q2"), ("长春分行", 10, 12)]),
    )
    assert response.status_code == 400
    assert "C2（长春分行 · 2024Q2）：该期尚未结束" in _page(response)

    response = _upload(
        client,
        ratio.import_url("readings"),
        _book(
            [
                ("单位", "2024Q1 分子", "2024Q1 分母"),
                ("长春分行", 30, None),
                ("沈阳分行", None, 100),
                ("大连分行", 5, 0),
            ]
        ),
    )
    assert response.status_code == 400
    page = _page(response)
    assert "B2（长春分行 · 2024Q1 分子）：有分子而无分母" in page
    assert "C3（沈阳分行 · 2024Q1 分母）：有分母而无分子" in page
    assert "C4（大连分行 · 2024Q1 分母）：分母须大于零" in page

    response = _upload(
        client, ratio.import_url("readings"), _book([("单位", "2024Q1"), ("长春分行", 15)])
    )
    assert response.status_code == 400
    assert "“2024Q1 分子”" in _page(response)
    with look():
        assert _count(KpiUnitReading, summed) == 0
        assert _count(KpiUnitReading, ratio) == 0


def test_at_most_a_hundred_problems_are_listed_then_counted(grid_kpi, login):
    grid = grid_kpi()
    rows = [("单位", "2024Q1")] + [(f"不存在的支行{n}", 1) for n in range(130)]
    response = _upload(login("leader"), grid.import_url("targets"), _book(rows))
    assert response.status_code == 400
    page = _page(response)
    assert page.count("不是该指标的分解单位") == 100
    assert "另有 30 处问题未列出" in page


def test_a_kpi_not_broken_down_says_so_and_links_back(world, login):
    client = login("leader")
    response = client.get(f"/kpis/{world.ids['kpi']}/breakdown/import/targets")
    assert response.status_code == 200
    page = _page(response)
    assert "该指标尚未按单位和期间分解" in page
    assert f'href="/kpis/{world.ids["kpi"]}"' in page
    response = client.get(f"/kpis/{world.ids['kpi']}/breakdown/template/targets.xlsx")
    assert response.status_code == 302


# --- the template --------------------------------------------------------------------------


def test_the_template_holds_the_current_figures_and_goes_back_in_unchanged(grid_kpi, login, look):
    grid = grid_kpi(WEIGHTED)
    client = login("leader")
    response = _upload(
        client,
        grid.import_url("targets"),
        _book(
            [
                ("单位", "基数", "权重", "2024Q1", "2024Q2", "2024Q3", "2024Q4"),
                ("长春分行", 40, 1.5, 45, 50.25, 55, 60),
                ("沈阳分行", 30, 1, 31, None, 40, 45),
            ]
        ),
    )
    assert response.status_code == 302, _page(response)[-2000:]
    response = client.get(grid.template_url("targets"))
    assert response.status_code == 200
    assert response.mimetype == XLSX_TYPE
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kpi-{grid.kpi_id}-unit-targets-2024-06-03.xlsx"; '
        "filename*=UTF-8''" + quote("分解指标 weighted quarter分解目标-2024-06-03.xlsx", safe="")
    )
    content = response.data
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["单位", "基数", "权重", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert rows[1] == ["长春分行", 40, 1.5, 45, 50.25, 55, 60]
    assert rows[2] == ["沈阳分行", 30, 1, 31, None, 40, 45]
    assert rows[3] == ["大连分行", None, None, None, None, None, None]
    assert sheet["A1"].font.bold and sheet["D1"].font.bold
    assert sheet.freeze_panes == "B2"
    assert not any(
        isinstance(c.value, str) and c.value.startswith("=") for row in sheet for c in row
    )
    notes = book["说明"]
    text = "\n".join(str(c.value) for row in notes for c in row if c.value)
    assert "空白单元格表示保持系统中的现值不变" in text
    assert "2024年第一季度" in text

    with look():
        changes = _count(KpiTargetChange, grid)
    response = _upload(client, grid.import_url("targets"), content)
    assert response.status_code == 302, _page(response)[-2000:]
    assert "已导入：更新 0 个数字。" in _page(client.get(f"/kpis/{grid.kpi_id}"))
    with look():
        assert _count(KpiTargetChange, grid) == changes


def test_the_ratio_readings_template_goes_back_in_unchanged(grid_kpi, login, look):
    grid = grid_kpi(RATIO)
    client = login("leader")
    _upload(
        client,
        grid.import_url("readings"),
        _book([("单位", "2024Q1 分子", "2024Q1 分母"), ("长春分行", 30, 200)]),
    )
    content = client.get(grid.template_url("readings")).data
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["单位", "2024Q1 分子", "2024Q1 分母", "2024Q2 分子", "2024Q2 分母"]
    assert rows[1][:3] == ["长春分行", 30, 200]
    response = _upload(client, grid.import_url("readings"), content)
    assert response.status_code == 302, _page(response)[-2000:]
    assert "已导入：更新 0 个数字。" in _page(client.get(f"/kpis/{grid.kpi_id}"))


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_those_who_manage_kpis_import_or_download_the_grid(grid_kpi, login, look, persona):
    grid = grid_kpi()
    client = login(persona)
    for what in ("targets", "readings"):
        assert client.get(grid.import_url(what)).status_code == 403
        assert client.get(grid.template_url(what)).status_code == 403
        content = _book([("单位", "2024Q1"), ("长春分行", 1)])
        assert _upload(client, grid.import_url(what), content).status_code == 403
    with look():
        assert _count(KpiUnitTarget, grid) == 0


def test_an_unknown_grid_is_not_found(grid_kpi, login):
    grid = grid_kpi()
    client = login("leader")
    assert client.get(grid.import_url("plans")).status_code == 404
    assert client.get(grid.template_url("plans")).status_code == 404


def test_the_page_speaks_english_to_an_english_reader(grid_kpi, login):
    grid = grid_kpi()
    client = login("leader")
    client.post("/locale", data={"locale": "en"})
    page = _page(client.get(grid.import_url("readings")))
    assert "Import unit readings" in page
    assert "A blank cell leaves the figure as it is." in page
    response = _upload(
        client, grid.import_url("targets"), _book([("单位", "2024Q1"), ("长春分行", "many")])
    )
    assert "B2 (长春分行 · 2024Q1): not a number" in _page(response)
