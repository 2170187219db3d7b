"""Targets broken down by org unit and period (目标任务分解): periods, roll-ups, pace lights
at chosen dates, targets with their history, readings, the pages per role, query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.core import clock
from app.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from app.core.models import AuditEvent
from app.core.scope import unscoped
from app.extensions import db
from app.kpis import pace
from app.kpis.models import Kpi, KpiReading, KpiTargetChange, KpiUnitReading, KpiUnitTarget
from app.kpis.service import breakdown
from app.people.models import OrgUnit
from tests.kpis.conftest import TODAY, days  # noqa: F401  (TODAY: 2024-06-03)

Q1, Q2, Q3, Q4 = date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31)
D = Decimal


# --- the arithmetic ------------------------------------------------------------------------


def test_periods_run_from_the_baseline_to_the_target_by_quarter_or_month():
    quarters = pace.periods("quarter", date(2023, 12, 31), date(2024, 12, 31))
    assert [(p.end, p.label) for p in quarters] == [
        (Q1, "2024Q1"),
        (Q2, "2024Q2"),
        (Q3, "2024Q3"),
        (Q4, "2024Q4"),
    ]
    # A target's day that is no period's end closes the last period itself.
    odd = pace.periods("quarter", date(2024, 2, 1), date(2024, 8, 15))
    assert [(p.end, p.label) for p in odd] == [
        (Q1, "2024Q1"),
        (Q2, "2024Q2"),
        (date(2024, 8, 15), "2024Q3"),
    ]
    months = pace.periods("month", date(2024, 1, 1), date(2024, 4, 30))
    assert [p.label for p in months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert months[1].end == date(2024, 2, 29)
    assert pace.periods(None, date(2024, 1, 1), date(2024, 4, 30)) == []
    assert pace.periods("quarter", None, date(2024, 4, 30)) == []


def test_a_sum_adds_and_a_ratio_is_recomputed_not_averaged():
    rows = [(D(100), None, None, None), (D(250.5), None, None, None)]
    assert pace.roll_up("sum", rows, percent=False) == D("350.5")
    # 10 of 100 and 90 of 300: together 100 of 400 = 25 %, not the mean of 10 % and 30 %.
    ratio = [(D(10), None, D(10), D(100)), (D(30), None, D(90), D(300))]
    assert pace.roll_up("ratio", ratio, percent=True) == D("25")
    weighted = [(D(10), D(1), None, None), (D(30), D(3), None, None)]
    assert pace.roll_up("weighted", weighted, percent=True) == D("25")
    assert pace.roll_up("sum", [], percent=False) is None
    assert pace.roll_up("ratio", [(D(1), None, D(1), D(0))], percent=True) is None


@pytest.mark.parametrize(
    "actual, target, direction, light",
    [
        (100, 100, "up", "green"),
        (120, 100, "up", "green"),
        (98, 100, "up", "yellow"),  # 98 % reached: within 2 points
        (97.9, 100, "up", "red"),
        (20, 20, "down", "green"),
        (20.4, 20, "down", "yellow"),  # 98.0 % of the way for lower-is-better
        (21, 20, "down", "red"),
    ],
)
def test_the_light_follows_attainment_and_the_tolerance(actual, target, direction, light):
    assert pace.light(D(str(actual)), D(str(target)), direction, D(2)) == light


# --- services ------------------------------------------------------------------------------


@pytest.fixture
def units(world, scoped):
    """Three branches besides the world's own."""
    made = [
        OrgUnit(name=name, kind="branch") for name in ("长春分行测", "吉林分行测", "四平分行测")
    ]
    db.session.add_all(made)
    db.session.commit()
    return [u.id for u in made]


@pytest.fixture
def aum(make_kpi, person, units, scoped):
    """非存AUM of 600 → 700 over 2024, broken down by quarter over three branches."""
    kpi = make_kpi("非存AUM（分解）", 600, 700)
    kpi.baseline_on, kpi.target_on = date(2023, 12, 31), Q4
    db.session.commit()
    breakdown.set_breakdown(
        person("leader"), kpi, breakdown.BreakdownInput("quarter", "sum", D(2), units), kpi.version
    )
    db.session.commit()
    return kpi


def _targets(a, b, c, units):
    """Each branch's quarter targets on a straight path."""
    plan = {}
    for unit_id, (start, end) in zip(units, (a, b, c), strict=True):
        for n, period in enumerate((Q1, Q2, Q3, Q4), 1):
            plan[(unit_id, period)] = D(start) + (D(end) - D(start)) * n / 4
    return plan


def test_the_units_targets_are_set_and_checked_against_the_task_forces(aum, person, units):
    leader = person("leader")
    changed = breakdown.save_targets(
        leader,
        aum,
        _targets((300, 360), (200, 220), (100, 110), units),
        baselines={units[0]: D(300), units[1]: D(200), units[2]: D(100)},
    )
    db.session.commit()
    assert changed == 12 + 3
    matrix = breakdown.matrix(aum)
    assert [p.label for p in matrix.periods] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert matrix.target_sum == D(690)
    assert matrix.target_differs  # 690 against the task force's 700
    breakdown.save_targets(leader, aum, {(units[0], Q4): D(370)})
    db.session.commit()
    assert not breakdown.matrix(aum).target_differs


def test_every_change_of_a_target_is_kept_and_audited(aum, person, units):
    breakdown.save_targets(person("leader"), aum, {(units[0], Q3): D(120)})
    db.session.commit()
    breakdown.save_targets(
        person("exec_leader"), aum, {(units[0], Q3): D(135)}, was={(units[0], Q3): D(120)}
    )
    db.session.commit()
    history = breakdown.target_history(aum)
    latest = history[0].changes[0]
    assert (latest.old, latest.new, latest.changed_by.username) == (D(120), D(135), "exec_leader")
    assert [c.new for save in history for c in save.changes] == [D(135), D(120)]
    event_ = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "kpi", AuditEvent.action == "targets_set")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event_.changes == {"长春分行测 2024Q3": ["120", "135"]}
    # Someone who opened the grid before that change is refused, and nothing changes.
    with pytest.raises(StaleEdit, match="长春分行测 2024Q3"):
        breakdown.save_targets(
            person("leader"), aum, {(units[0], Q3): D(140)}, was={(units[0], Q3): D(120)}
        )
    db.session.rollback()
    assert db.session.scalar(select(KpiUnitTarget.value)) == D(135)
    # Clearing a target keeps it in the history too.
    breakdown.save_targets(person("leader"), aum, {(units[0], Q3): None})
    db.session.commit()
    assert db.session.scalar(select(KpiUnitTarget.id)) is None
    assert db.session.scalars(select(KpiTargetChange.new)).all() == [D(120), D(135), None]


def test_only_the_leaders_set_targets_and_readings(aum, person, units):
    for persona in ("member", "viewer", "temp_member"):
        with pytest.raises(PermissionDenied):
            breakdown.save_targets(person(persona), aum, {(units[0], Q1): D(1)})
        with pytest.raises(PermissionDenied):
            breakdown.save_readings(
                person(persona), aum, {(units[0], Q1): breakdown.ReadingValue(D(1))}
            )
    breakdown.save_targets(person("exec_leader"), aum, {(units[0], Q1): D(1)})


def test_a_breakdown_needs_its_days_and_units_and_keeps_what_was_entered(
    make_kpi, aum, person, units
):
    leader = person("leader")
    bare = make_kpi("无日期指标", 1, 2)
    with pytest.raises(ValidationFailed) as error:
        breakdown.set_breakdown(
            leader, bare, breakdown.BreakdownInput("quarter", "sum", D(5), units), None
        )
    assert error.value.field == "kind"
    with pytest.raises(ValidationFailed) as error:
        breakdown.set_breakdown(leader, aum, breakdown.BreakdownInput("quarter", "sum", D(5)), None)
    assert error.value.field == "unit_ids"
    breakdown.save_targets(leader, aum, {(units[2], Q1): D(100)})
    db.session.commit()
    with pytest.raises(ValidationFailed, match="四平分行测"):
        breakdown.set_breakdown(
            leader, aum, breakdown.BreakdownInput("quarter", "sum", D(5), units[:2]), None
        )
    with pytest.raises(ValidationFailed):
        breakdown.set_breakdown(
            leader, aum, breakdown.BreakdownInput("month", "sum", D(5), units), None
        )
    with pytest.raises(ValidationFailed) as error:  # a ratio of a figure in 亿元
        breakdown.set_breakdown(
            leader, aum, breakdown.BreakdownInput("quarter", "ratio", D(5), units), None
        )
    assert error.value.field == "aggregation"
    with pytest.raises(PermissionDenied):
        breakdown.set_breakdown(
            person("member"), aum, breakdown.BreakdownInput("quarter", "sum", D(5), units), None
        )


def test_readings_roll_up_into_the_task_forces_figure_once_every_unit_reports(aum, person, units):
    leader = person("leader")
    breakdown.save_readings(
        leader,
        aum,
        {
            (units[0], Q1): breakdown.ReadingValue(D(315)),
            (units[1], Q1): breakdown.ReadingValue(D(204)),
        },
    )
    db.session.commit()
    assert db.session.scalar(select(KpiReading).where(KpiReading.kpi_id == aum.id)) is None
    assert breakdown.matrix(aum).totals[0].reported == 2
    breakdown.save_readings(leader, aum, {(units[2], Q1): breakdown.ReadingValue(D(101.5))})
    db.session.commit()
    rolled = db.session.scalar(select(KpiReading).where(KpiReading.kpi_id == aum.id))
    assert (rolled.period, rolled.value, rolled.note) == (Q1, D("620.5"), breakdown.ROLL_UP_NOTE)
    assert breakdown.matrix(aum).totals[0].actual == D("620.5")
    # A unit's reading taken back: the roll-up no longer holds.
    breakdown.save_readings(leader, aum, {(units[2], Q1): None})
    db.session.commit()
    assert db.session.scalar(select(KpiReading).where(KpiReading.kpi_id == aum.id)) is None
    # A period that has not ended is not read.
    with pytest.raises(ValidationFailed, match="2024Q2"):
        breakdown.save_readings(leader, aum, {(units[0], Q2): breakdown.ReadingValue(D(1))})


def test_a_rate_is_recomputed_from_the_units_numerators_and_denominators(make_kpi, person, units):
    leader = person("leader")
    rate = make_kpi("理财客户渗透率", 20, 30, unit="percent")
    rate.baseline_on, rate.target_on = date(2023, 12, 31), Q4
    db.session.commit()
    breakdown.set_breakdown(
        leader, rate, breakdown.BreakdownInput("quarter", "ratio", D(2), units[:2]), None
    )
    breakdown.save_readings(
        leader,
        rate,
        {
            (units[0], Q1): breakdown.ReadingValue(D(0), D(30), D(100)),
            (units[1], Q1): breakdown.ReadingValue(D(0), D(30), D(200)),
        },
    )
    db.session.commit()
    values = dict(
        db.session.execute(
            select(KpiUnitReading.org_unit_id, KpiUnitReading.value).where(
                KpiUnitReading.kpi_id == rate.id
            )
        ).all()
    )
    assert values == {units[0]: D(30), units[1]: D(15)}
    rolled = db.session.scalar(select(KpiReading.value).where(KpiReading.kpi_id == rate.id))
    assert rolled == D(20)  # 60 of 300, not the mean 22.5
    with pytest.raises(ValidationFailed, match="分母"):
        breakdown.save_readings(
            leader, rate, {(units[0], Q1): breakdown.ReadingValue(D(0), D(30), None)}
        )


def test_pace_lights_and_ranking_read_as_of_the_chosen_day(aum, person, units):
    leader = person("leader")
    breakdown.save_targets(
        leader,
        aum,
        _targets((300, 380), (200, 220), (100, 100), units),
        baselines={units[0]: D(300), units[1]: D(200), units[2]: D(100)},
    )
    breakdown.save_readings(
        leader,
        aum,
        {
            (units[0], Q1): breakdown.ReadingValue(D(330)),  # target 320: ahead
            (units[1], Q1): breakdown.ReadingValue(D(200)),  # target 205: 97.6 %, red
            (units[2], Q1): breakdown.ReadingValue(D(99)),  # target 100: 99 %, yellow
        },
    )
    db.session.commit()
    before = breakdown.matrix(aum, date(2024, 3, 30))
    assert [r.light for r in before.rows] == [None, None, None]
    assert before.behind == []
    after = breakdown.matrix(aum, date(2024, 4, 15))
    assert [r.light for r in after.rows] == ["green", "red", "yellow"]
    assert [r.name for r in after.ranking] == ["长春分行测", "四平分行测", "吉林分行测"]
    assert [r.name for r in after.behind] == ["吉林分行测", "四平分行测"]
    first = after.rows[0]
    assert first.attainment == pytest.approx(330 / 320)
    assert first.progress == pytest.approx(30 / 80)
    assert first.planned == pytest.approx(20 / 80)
    assert first.growth == pytest.approx(0.1)
    assert first.rank == 1
    # By July the second quarter has ended and nobody has reported it.
    july = breakdown.matrix(aum, date(2024, 7, 2))
    assert all(r.missing and r.missing.label == "2024Q2" for r in july.rows)
    clock.set_today(date(2024, 7, 2))
    try:
        behind = breakdown.behind_pace(aum.task_force_id)
    finally:
        clock.set_today(TODAY)
    assert [(m.kpi.id, r.name) for m, r in behind] == [
        (aum.id, "吉林分行测"),
        (aum.id, "四平分行测"),
    ]
    results = breakdown.results_by_unit(aum.task_force_id, date(2024, 4, 15))
    assert (results[units[1]].red, results[units[1]].light) == (1, "red")
    assert results[units[0]].light == "green"


def test_growth_against_the_same_period_a_year_before(make_kpi, person, units):
    leader = person("leader")
    kpi = make_kpi("代销保险", 10, 30)
    kpi.baseline_on, kpi.target_on = date(2022, 12, 31), Q4
    db.session.commit()
    breakdown.set_breakdown(
        leader, kpi, breakdown.BreakdownInput("quarter", "sum", D(5), units[:1]), None
    )
    breakdown.save_readings(
        leader,
        kpi,
        {
            (units[0], date(2023, 3, 31)): breakdown.ReadingValue(D(10)),
            (units[0], Q1): breakdown.ReadingValue(D(15)),
        },
    )
    db.session.commit()
    row = breakdown.matrix(kpi).rows[0]
    assert row.latest.period.label == "2024Q1"
    assert row.year_on_year == pytest.approx(0.5)


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def page_kpi(app, world):
    """A KPI broken down over the world's unit and two more, with figures, by id."""
    with app.app_context():
        from app.core.scope import task_force_scope

        with task_force_scope(world.task_force_id):
            from app.people.models import User

            leader = db.session.get(User, world.users["leader"])
            kpi = Kpi(
                task_force_id=world.task_force_id,
                name="非存AUM（页面）",
                unit="yi_yuan",
                direction="up",
                baseline=D(600),
                baseline_on=date(2023, 12, 31),
                target=D(700),
                target_on=Q4,
            )
            extra = [OrgUnit(name=n, kind="branch") for n in ("通化分行页", "延边分行页")]
            db.session.add_all([kpi, *extra])
            db.session.flush()
            unit_ids = [world.org_unit_id, *(u.id for u in extra)]
            breakdown.set_breakdown(
                leader, kpi, breakdown.BreakdownInput("quarter", "sum", D(2), unit_ids), None
            )
            breakdown.save_targets(
                leader, kpi, _targets((300, 360), (200, 240), (100, 100), unit_ids)
            )
            breakdown.save_readings(
                leader,
                kpi,
                {
                    (unit_ids[0], Q1): breakdown.ReadingValue(D(318)),
                    (unit_ids[1], Q1): breakdown.ReadingValue(D(200)),
                    (unit_ids[2], Q1): breakdown.ReadingValue(D(100)),
                },
            )
            db.session.commit()
            return kpi.id, unit_ids


def test_the_breakdown_page_shows_lights_ranking_and_links_as_every_role(login, page_kpi):
    kpi_id, unit_ids = page_kpi
    for persona in ("leader", "exec_leader", "member", "viewer", "temp_member"):
        page = login(persona).get(f"/kpis/{kpi_id}/breakdown")
        assert page.status_code == 200, persona
        html = page.get_data(as_text=True)
        assert 'data-testid="breakdown-matrix"' in html
        assert "通化分行页" in html and "2024Q1" in html
        assert f"/kpis/{kpi_id}/units/{unit_ids[1]}" in html  # every number links
        assert "light-red" in html  # 通化: 200 of 210
        managing = persona in ("leader", "exec_leader")
        assert (f"/kpis/{kpi_id}/breakdown/targets" in html) == managing, persona
        assert ("breakdown/setup" in html) == managing, persona
    assert login("frontline").get(f"/kpis/{kpi_id}/breakdown").status_code == 403
    listed = login("viewer").get("/kpis").get_data(as_text=True)
    assert f"/kpis/{kpi_id}/breakdown" in listed and "1 个单位落后进度" in listed
    unit_page = login("viewer").get(f"/kpis/{kpi_id}/units/{unit_ids[1]}")
    assert unit_page.status_code == 200
    assert "通化分行页" in unit_page.get_data(as_text=True)
    chart = login("viewer").get(f"/kpis/{kpi_id}/units/{unit_ids[1]}/chart.svg")
    assert chart.mimetype == "image/svg+xml" and b"<script" not in chart.data
    carried = login("member").get(f"/kpis/units/{unit_ids[1]}").get_data(as_text=True)
    assert "非存AUM（页面）" in carried
    assert login("member").get(f"/kpis/{kpi_id}/units/999999").status_code == 404


def test_another_task_forces_breakdown_is_not_found(login, page_kpi):
    kpi_id, unit_ids = page_kpi
    client = login("stranger")  # a member of the second task force only
    assert client.get(f"/kpis/{kpi_id}/breakdown").status_code == 404
    assert client.get(f"/kpis/{kpi_id}/units/{unit_ids[0]}").status_code == 404
    assert client.get(f"/kpis/{kpi_id}/breakdown/readings").status_code in (403, 404)
    carried = client.get(f"/kpis/units/{unit_ids[1]}").get_data(as_text=True)
    assert "非存AUM（页面）" not in carried


def _grid_form(client, url):
    import re

    html = client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', html))
    return fields


def test_the_target_grid_saves_reports_bad_cells_and_refuses_a_stale_save(app, login, page_kpi):
    kpi_id, unit_ids = page_kpi
    url = f"/kpis/{kpi_id}/breakdown/targets"
    client = login("leader")
    form = _grid_form(client, url)
    key = f"t-{unit_ids[1]}-{Q3.isoformat()}"
    assert form[key] == "230" and form["was-" + key] == "230"
    bad = dict(form, **{key: "两百", f"t-{unit_ids[0]}-{Q4.isoformat()}": "380"})
    refused = client.post(url, data=bad)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "两百" in html and 'value="380"' in html  # what was typed stays
    with app.app_context(), unscoped():
        assert db.session.scalar(
            select(KpiUnitTarget.value).where(
                KpiUnitTarget.org_unit_id == unit_ids[0], KpiUnitTarget.period == Q4
            )
        ) == D(360)
    other = login("exec_leader")
    assert other.post(url, data=dict(form, **{key: "235"})).status_code == 302
    stale = client.post(url, data=dict(form, **{key: "240"}))
    assert stale.status_code == 409
    assert "通化分行页 2024Q3" in stale.get_data(as_text=True)
    saved = client.post(url, data=dict(_grid_form(client, url), **{key: "240"}))
    assert saved.status_code == 302
    with app.app_context(), unscoped():
        values = db.session.scalars(
            select(KpiTargetChange.new)
            .where(KpiTargetChange.org_unit_id == unit_ids[1], KpiTargetChange.period == Q3)
            .order_by(KpiTargetChange.id)
        ).all()
    assert values == [D(230), D(235), D(240)]
    assert login("member").post(url, data=form).status_code == 403


def test_the_readings_grid_takes_ended_periods_only(app, login, page_kpi):
    kpi_id, unit_ids = page_kpi
    url = f"/kpis/{kpi_id}/breakdown/readings"
    client = login("exec_leader")
    form = _grid_form(client, url)
    assert f"r-{unit_ids[0]}-{Q2.isoformat()}" not in form  # 2024Q2 ends after today
    key = f"r-{unit_ids[1]}-{Q1.isoformat()}"
    assert client.post(url, data=dict(form, **{key: "212"})).status_code == 302
    with app.app_context(), unscoped():
        rolled = db.session.scalar(
            select(KpiReading.value).where(KpiReading.kpi_id == kpi_id, KpiReading.period == Q1)
        )
    assert rolled == D(630)


def test_the_setup_page_breaks_a_figure_down(app, login, page_kpi, world):
    kpi_id, unit_ids = page_kpi
    client = login("leader")
    page = client.get(f"/kpis/{kpi_id}/breakdown/setup")
    assert page.status_code == 200
    import re

    version = re.search(r'name="version"[^>]*value="(\d+)"', page.get_data(as_text=True))
    response = client.post(
        f"/kpis/{kpi_id}/breakdown/setup",
        data={
            "version": version.group(1),
            "kind": "quarter",
            "aggregation": "sum",
            "tolerance": "3",
            "unit_ids": [str(u) for u in unit_ids[:2]],
        },
    )
    assert response.status_code == 400  # 延边 has targets: it stays
    assert "延边分行页" in response.get_data(as_text=True)
    response = client.post(
        f"/kpis/{kpi_id}/breakdown/setup",
        data={
            "version": version.group(1),
            "kind": "quarter",
            "aggregation": "sum",
            "tolerance": "3",
            "unit_ids": [str(u) for u in unit_ids],
        },
    )
    assert response.status_code == 302
    with app.app_context(), unscoped():
        assert db.session.get(Kpi, kpi_id).tolerance == D(3)


def _count_queries(client, url) -> int:
    engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_breakdown_page_costs_the_same_queries_for_more_units_and_periods(
    app, login, page_kpi, world
):
    kpi_id, unit_ids = page_kpi
    client = login("viewer")
    # Each request in an application context of its own, as when served: requests that
    # share one share its ``g`` and session, and the later one finds its reader loaded.
    with app.app_context():
        small = _count_queries(client, f"/kpis/{kpi_id}/breakdown")
    with app.app_context():
        from app.core.scope import task_force_scope
        from app.people.models import User

        with task_force_scope(world.task_force_id):
            leader = db.session.get(User, world.users["leader"])
            many = [OrgUnit(name=f"支行{n}", kind="sub_branch") for n in range(8)]
            db.session.add_all(many)
            db.session.flush()
            wide = Kpi(
                task_force_id=world.task_force_id,
                name="月度分解",
                unit="yi_yuan",
                direction="up",
                baseline=D(1),
                baseline_on=date(2023, 12, 31),
                target=D(2),
                target_on=Q4,
            )
            db.session.add(wide)
            db.session.flush()
            ids = [u.id for u in many]
            breakdown.set_breakdown(
                leader, wide, breakdown.BreakdownInput("month", "sum", D(2), ids), None
            )
            months = breakdown.plan_periods(wide)
            breakdown.save_targets(leader, wide, {(u, p.end): D(1) for u in ids for p in months})
            breakdown.save_readings(
                leader,
                wide,
                {(u, p.end): breakdown.ReadingValue(D(1)) for u in ids for p in months[:5]},
            )
            wide_id = wide.id
            db.session.commit()
    with app.app_context():
        large = _count_queries(client, f"/kpis/{wide_id}/breakdown")
    assert large == small


def test_new_days_may_not_leave_entered_targets_outside_the_periods(aum, person, units):
    from app.kpis import service

    leader = person("leader")
    breakdown.save_targets(leader, aum, {(units[0], Q4): D(360)})
    db.session.commit()

    def moved(baseline_on, target_on):
        return service.KpiInput(
            name=aum.name,
            unit=aum.unit,
            direction=aum.direction,
            baseline=aum.baseline,
            target=aum.target,
            baseline_on=baseline_on,
            target_on=target_on,
        )

    with pytest.raises(ValidationFailed, match="2024Q4") as error:
        service.update_kpi(leader, aum, moved(date(2023, 12, 31), Q3), aum.version)
    assert error.value.field == "target_on"
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        service.update_kpi(leader, aum, moved(date(2023, 12, 31), None), aum.version)
    db.session.rollback()
    # A year that reaches further keeps every period entered, and gains its own.
    service.update_kpi(leader, aum, moved(date(2023, 12, 31), date(2025, 3, 31)), aum.version)
    db.session.commit()
    assert [p.label for p in breakdown.plan_periods(aum)][-2:] == ["2024Q4", "2025Q1"]
