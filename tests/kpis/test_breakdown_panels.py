"""A broken-down KPI (目标任务分解) outside its own pages: the battle map's panel of units
behind pace, the scorecards by org unit, and the quarterly review pack.

The fixture's figures, read on the frozen today (3 June 2024, so only 2024Q1 has ended):

KPI 财富AUM by quarter, tolerance 5 points   Q1 target   Q1 reading   attainment   light
  长春分行 (the world's unit)                   100         105          105.0%       green
  四平分行                                       50          40           80.0%       red
  通化分行                                       40          39           97.5%       yellow
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask_babel import force_locale

from app.core import hooks
from app.core.quarters import Quarter
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.kpis import review
from app.kpis.models import Kpi
from app.kpis.service import breakdown as plan
from app.people.models import User
from tests.factories import make_issue, make_org_unit
from tests.issues.conftest import TODAY
from tests.pdfcheck import needs_poppler

Q1 = date(2024, 3, 31)


def _kpi(world, name: str, kind: str = "quarter", start=date(2023, 12, 31)) -> Kpi:
    kpi = Kpi(
        task_force_id=world.task_force_id,
        name=name,
        unit="yi_yuan",
        direction="up",
        baseline=Decimal(862),
        baseline_on=start,
        target=Decimal(1000),
        target_on=date(2024, 12, 31),
    )
    db.session.add(kpi)
    db.session.flush()
    return kpi


def _break_down(leader: User, kpi: Kpi, unit_ids: list[int], kind: str = "quarter") -> None:
    plan.set_breakdown(
        leader, kpi, plan.BreakdownInput(kind, "sum", Decimal(5), unit_ids), kpi.version
    )


def _figures(leader: User, kpi: Kpi, figures: dict[tuple[int, date], tuple[int, int | None]]):
    """``{(unit id, period end): (target, reading or None)}`` through the services."""
    plan.save_targets(leader, kpi, {cell: Decimal(t) for cell, (t, _r) in figures.items()})
    readings = {
        cell: plan.ReadingValue(Decimal(r)) for cell, (_t, r) in figures.items() if r is not None
    }
    if readings:
        plan.save_readings(leader, kpi, readings)


@pytest.fixture
def units(app, world):
    with app.app_context(), unscoped():
        return {
            "长春分行": world.org_unit_id,
            "四平分行": make_org_unit("四平分行").id,
            "通化分行": make_org_unit("通化分行").id,
        }


@pytest.fixture
def aum(app, world, units):
    """The module's KPI, broken down and read for Q1; returns its id."""
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        kpi = _kpi(world, "财富AUM")
        _break_down(leader, kpi, list(units.values()))
        _figures(
            leader,
            kpi,
            {
                (units["长春分行"], Q1): (100, 105),
                (units["四平分行"], Q1): (50, 40),
                (units["通化分行"], Q1): (40, 39),
            },
        )
        db.session.commit()
        return kpi.id


def _panel(html: str) -> str | None:
    found = re.search(r'data-testid="targets-by-unit".*?</div></div>', html, re.S)
    return found.group(0) if found else None


def _behind(html: str) -> list[str]:
    """The units behind pace, as the panel lists them."""
    return re.findall(r'class="fw-semibold">([^<]+)</a>', _panel(html) or "")


# --- the battle map ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "member", "viewer"])
def test_the_battle_map_lists_the_units_behind_pace(aum, units, login, persona):
    html = login(persona).get("/").get_data(as_text=True)

    panel = _panel(html)
    assert panel is not None and "目标分解" in panel
    # The furthest behind first; the unit on pace is not listed.
    assert _behind(html) == ["四平分行", "通化分行"]
    assert "80.0%" in panel and "97.5%" in panel and "105.0%" not in panel
    assert panel.count("2024Q1") == 2
    assert 'class="light-dot light-red"' in panel and 'class="light-dot light-yellow"' in panel
    # Each unit leads to its figures of the KPI, the KPI to its matrix.
    assert f'href="/kpis/{aum}/units/{units["四平分行"]}"' in panel
    assert f'href="/kpis/{aum}/units/{units["通化分行"]}"' in panel
    assert f'href="/kpis/{aum}/units/{units["长春分行"]}"' not in panel
    assert panel.count(f'href="/kpis/{aum}/breakdown"') == 2


def test_frontline_staff_see_no_panel(aum, login):
    html = login("frontline").get("/").get_data(as_text=True)

    assert _panel(html) is None and "四平分行" not in html


def test_the_panel_reads_in_english(aum, app, world, login):
    with app.app_context(), unscoped():
        db.session.get(User, world.users["leader"]).locale = "en"
        db.session.commit()

    panel = _panel(login("leader").get("/").get_data(as_text=True))

    assert "Targets by unit" in panel and "attained 80.0%" in panel


def test_no_panel_without_a_broken_down_kpi(app, world, login, make_kpi):
    with app.app_context(), unscoped():
        make_kpi("理财AUM", 100, 200)  # a KPI of the task force's only

    html = login("leader").get("/").get_data(as_text=True)

    assert 'data-testid="goal-figures"' in html
    assert _panel(html) is None


def test_all_units_on_pace(app, world, units, login):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        kpi = _kpi(world, "财富AUM")
        _break_down(leader, kpi, [units["长春分行"], units["四平分行"]])
        # 四平分行 has not reported: neither on pace nor behind.
        _figures(
            leader, kpi, {(units["长春分行"], Q1): (100, 100), (units["四平分行"], Q1): (50, None)}
        )
        db.session.commit()

    panel = _panel(login("viewer").get("/").get_data(as_text=True))

    assert panel is not None
    assert "各单位均按计划推进" in panel and 'data-testid="units-behind"' not in panel


def test_the_kept_battle_map_shows_a_new_reading(aum, app, world, units, login):
    """The page's body is kept per data version: a unit's reading renews it."""
    client = login("leader")
    assert "长春分行" not in _behind(client.get("/").get_data(as_text=True))

    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        kpi = db.session.get(Kpi, aum)
        plan.save_readings(leader, kpi, {(units["长春分行"], Q1): plan.ReadingValue(Decimal(60))})
        db.session.commit()

    assert _behind(client.get("/").get_data(as_text=True))[0] == "长春分行"


def _grow(app, world, label: str, n_units: int, months: int) -> None:
    """A monthly KPI over ``n_units`` new units, each read for ``months`` months (some
    behind, some not)."""
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        ids = [make_org_unit(f"{label}支行{i}").id for i in range(n_units)]
        kpi = _kpi(world, f"{label}AUM", start=date(2023, 6, 30))
        _break_down(leader, kpi, ids, kind="month")
        ends = [p.end for p in plan.plan_periods(kpi) if p.end <= TODAY][:months]
        figures = {
            (unit_id, end): (100, 100 - (i % 3) * 5 + m)
            for i, unit_id in enumerate(ids)
            for m, end in enumerate(ends)
        }
        _figures(leader, kpi, figures)
        db.session.commit()


def _count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return int(response.headers["X-Query-Count"])


@pytest.mark.parametrize("url", ["/", "/scorecards?by=unit"])
def test_the_pages_cost_as_many_queries_for_many_units_and_periods(app, world, login, url):
    # Read once, then a change like each growth below (a unit, a goal figure; no item)
    # but broken down by no unit: all three readings are first views after such a change.
    _count(login("leader"), url)
    with app.app_context(), task_force_scope(world.task_force_id):
        make_org_unit("初始支行")
        _kpi(world, "预热")
        db.session.commit()
    before = _count(login("leader"), url)

    _grow(app, world, "甲", n_units=2, months=2)
    few = _count(login("leader"), url)
    _grow(app, world, "乙", n_units=12, months=11)
    many = _count(login("leader"), url)

    assert many == few
    # The matrices: four queries, whatever the KPIs, units and periods; on the battle map
    # none at all while no KPI is broken down.
    assert few - before == (4 if url == "/" else 3)


# --- the scorecards by org unit ------------------------------------------------------------


def _score_row(html: str, unit_id: int) -> str:
    found = re.search(rf'<tr data-testid="score-{unit_id}">(.*?)</tr>', html, re.S)
    assert found, unit_id
    return found.group(1)


def _goal_cell(html: str, unit_id: int) -> str:
    found = re.search(r'data-testid="goal-attainment">(.*?)</td>', _score_row(html, unit_id), re.S)
    assert found, unit_id
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_the_scorecards_by_unit_show_each_units_attainment(app, world, aum, units, login):
    with app.app_context(), unscoped():
        from app.issues.models import Category

        jilin = make_org_unit("吉林分行").id  # items, but no goal figure
        make_issue(db.session.get(Category, world.category_id), "吉林分行的问题", org_unit_id=jilin)

    html = login("leader").get("/scorecards?by=unit").get_data(as_text=True)

    assert "目标完成" in html
    assert _goal_cell(html, units["长春分行"]) == "105.0% (1/1 达标)"
    assert _goal_cell(html, units["四平分行"]) == "80.0% (0/1 达标)"
    assert _goal_cell(html, units["通化分行"]) == "97.5% (0/1 达标)"
    assert _goal_cell(html, jilin) == "—"
    row = _score_row(html, units["四平分行"])
    assert f'href="/kpis/units/{units["四平分行"]}"' in row
    assert 'class="light-dot light-red"' in row
    assert 'href="/kpis/units/' not in _score_row(html, jilin)


def test_the_scorecards_sort_by_attainment(aum, units, login):
    html = login("leader").get("/scorecards?by=unit&sort=-attainment").get_data(as_text=True)

    order = [int(k) for k in re.findall(r'data-testid="score-(\d+)"', html)]
    assert order[:3] == [units["长春分行"], units["通化分行"], units["四平分行"]]


def test_the_scorecards_read_the_goals_at_the_periods_end(aum, units, login):
    """Before Q1 ended nothing was read: the unit carries the figure, not yet attained."""
    html = (
        login("leader")
        .get("/scorecards?by=unit&start=2024-01-01&end=2024-03-30")
        .get_data(as_text=True)
    )

    assert _goal_cell(html, units["四平分行"]) == "— (0/1 达标)"


def test_the_member_scorecards_have_no_goal_column(aum, login):
    html = login("leader").get("/scorecards").get_data(as_text=True)

    assert "目标完成" not in html and 'data-testid="goal-attainment"' not in html


def test_a_unit_on_two_figures_shows_its_mean_and_its_worst_light(app, world, aum, units):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        kpi = _kpi(world, "代发客户数")
        _break_down(leader, kpi, [units["四平分行"]])
        _figures(leader, kpi, {(units["四平分行"], Q1): (100, 110)})
        db.session.commit()

        results = {r.org_unit_id: r for r in hooks.UNIT_RESULTS.collect(world.task_force_id, TODAY)}

    siping = results[units["四平分行"]]
    assert (siping.carried, siping.on_pace, siping.slightly_behind, siping.behind) == (2, 1, 0, 1)
    assert siping.attainment == pytest.approx((0.8 + 1.1) / 2)
    assert siping.light == "red" and siping.endpoint == "kpis.unit_kpis"
    assert results[units["通化分行"]].light == "yellow"


# --- the quarterly review pack -------------------------------------------------------------


def _section_html(app, world, quarter: Quarter) -> str:
    from flask import render_template

    with app.test_request_context(), force_locale("zh_CN"):
        with task_force_scope(world.task_force_id):
            ctx = review.build(world.task_force_id, quarter)
        return render_template("kpis/_review.html", ctx=ctx)


def test_the_review_pack_lists_the_units_behind_pace(app, world, aum):
    html = _section_html(app, world, Quarter(2024, 2))
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

    assert "落后进度的单位" in text
    table = text[text.index("落后进度的单位") :]
    # unit, KPI, period, reading, target, attainment, the light in words (no dot in print)
    assert "四平分行 财富AUM 2024Q1 40 亿元 50 80.0%" in table
    assert "通化分行 财富AUM 2024Q1 39 亿元 40 97.5%" in table
    assert table.index("四平分行") < table.index("通化分行")
    assert "长春分行" not in table
    assert "light-dot" not in html


def test_the_review_pack_says_when_every_unit_is_on_pace(app, world, aum, units):
    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        kpi = db.session.get(Kpi, aum)
        plan.save_readings(
            leader,
            kpi,
            {
                (units["四平分行"], Q1): plan.ReadingValue(Decimal(50)),
                (units["通化分行"], Q1): plan.ReadingValue(Decimal(41)),
            },
        )
        db.session.commit()

    html = _section_html(app, world, Quarter(2024, 2))

    assert "落后进度的单位" in html and "各单位均按计划推进" in html
    assert "四平分行" not in html


def test_the_review_pack_has_no_table_without_a_broken_down_kpi(app, world, make_kpi):
    with app.app_context(), unscoped():
        make_kpi("理财AUM", 100, 200)

    html = _section_html(app, world, Quarter(2024, 2))

    assert "理财AUM" in html and "落后进度的单位" not in html


@needs_poppler
def test_the_printed_pack_lists_the_unit_behind_pace(app, world, aum):
    from app.reports import service
    from app.reports.models import DONE
    from tests.pdfcheck import pdf_text

    with app.app_context(), task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        pack = service.generate_pack(
            leader, world.task_force_id, Quarter(2024, 2), checkpoint=db.session.commit
        )
        assert pack.status == DONE, pack.error
        flat = pdf_text(pack.content).replace(" ", "")

    assert "落后进度的单位" in flat
    assert "四平分行" in flat and "80.0%" in flat
