"""Progress to target and growth versus baseline, at chosen dates, both directions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.core.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.kpis import service
from app.kpis.models import KpiReading
from tests.kpis.conftest import days

pytestmark = pytest.mark.usefixtures("scoped")

AUM = {date(2024, 1, 31): 862, date(2024, 3, 31): 905, date(2024, 5, 31): 931}


def test_progress_and_growth_read_the_latest_reading_up_to_the_day(make_kpi):
    kpi = make_kpi("非存AUM（测）", 862, 1000, AUM)
    before = service.standing(kpi, date(2024, 1, 30))
    assert before.reading is None and before.progress is None and before.growth is None
    january = service.standing(kpi, date(2024, 2, 29))
    assert january.actual == 862 and january.progress == 0 and january.growth == 0
    march = service.standing(kpi, date(2024, 4, 30))
    assert march.actual == 905
    assert march.progress == pytest.approx(43 / 138)
    assert march.growth == pytest.approx(43 / 862)
    assert march.improved is True
    today = service.standing(kpi)  # the frozen today: 2024-06-03
    assert today.actual == 931 and today.progress == pytest.approx(0.5)


def test_down_is_good_counts_a_fall_as_progress(make_kpi):
    kpi = make_kpi(
        "高成本存款占比",
        30,
        20,
        {date(2024, 2, 29): 25, date(2024, 4, 30): 33},
        direction="down",
        unit="percent",
    )
    february = service.standing(kpi, date(2024, 3, 1))
    assert february.progress == pytest.approx(0.5)
    assert february.growth == pytest.approx(-5 / 30)  # it fell by a sixth …
    assert february.improved is True  # … which is the good way
    april = service.standing(kpi, date(2024, 5, 1))
    assert april.progress == pytest.approx(-0.3)  # went backwards
    assert april.improved is False


def test_the_source_cases_year_reaches_the_goal(make_kpi):
    kpi = make_kpi("非存AUM（年）", 862, 1000, {date(2024, 1, 31): 862, date(2024, 5, 31): 1000})
    assert service.standing(kpi).progress == 1
    assert service.standing(kpi).growth == pytest.approx(0.16, abs=0.001)


def test_a_reading_replaces_the_same_periods_and_refuses_the_future(make_kpi, person):
    kpi = make_kpi("代销理财销量", 100, 250)
    service.record_reading(person("leader"), kpi, days(-3), Decimal("150"))
    service.record_reading(person("exec_leader"), kpi, days(-3), Decimal("160"), "更正")
    readings = db.session.query(KpiReading).filter_by(kpi_id=kpi.id).all()
    assert [(r.value, r.note) for r in readings] == [(Decimal("160"), "更正")]
    with pytest.raises(ValidationFailed):
        service.record_reading(person("leader"), kpi, days(1), Decimal("1"))
    with pytest.raises(PermissionDenied):
        service.record_reading(person("member"), kpi, days(-1), Decimal("1"))


@pytest.mark.parametrize(
    "direction, baseline, target, field",
    [("up", 100, 90, "target"), ("down", 10, 12, "target"), ("up", 5, 5, "target")],
)
def test_a_target_must_lie_the_good_way_from_the_baseline(
    world, person, direction, baseline, target, field
):
    data = service.KpiInput(
        name="某指标",
        unit="count",
        direction=direction,
        baseline=Decimal(baseline),
        target=Decimal(target),
    )
    with pytest.raises(ValidationFailed) as error:
        service.create_kpi(person("leader"), world.task_force_id, data)
    assert error.value.field == field


def test_the_battle_maps_overview_takes_the_latest_reading(world, make_kpi):
    make_kpi("非存AUM（总览）", 862, 1000, AUM)
    rows = {s.kpi.name: s for s in service.overview(world.task_force_id)}
    assert rows["非存AUM（总览）"].actual == 931
    assert rows["非存AUM（总览）"].progress == pytest.approx(0.5)
    assert service.overview(world.task_force_id, date(2024, 4, 1))[-1].actual == 905
