"""Goal figures through the API: KPIs read, readings written one at a time and in
batches (all or nothing), units' readings of a broken-down KPI, as each role and token."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import AuditEvent
from app.extensions import db
from app.kpis import pace
from app.kpis.models import Kpi, KpiReading, KpiUnit, KpiUnitReading
from app.kpis.service.breakdown import ROLL_UP_NOTE
from app.people.models import OrgUnit
from tests.api.conftest import assert_reads_only, is_problem, misanswered
from tests.factories import PERSONAS

VIEWERS = {"admin", "leader", "exec_leader", "member", "temp_member", "viewer"}
MANAGERS = {"leader", "exec_leader"}


def _last_month_end():
    return clock.today().replace(day=1) - timedelta(days=1)


def _broken_down(look, world, aggregation="sum", unit="yi_yuan", task_force_id=None):
    """A KPI broken down by quarter over two org units: (kpi id, unit ids, a past period)."""
    with look():
        tf = task_force_id or world.task_force_id
        other = OrgUnit(name=f"四平分行{aggregation}{tf}", kind="branch")
        db.session.add(other)
        db.session.flush()
        start, end = clock.today() - timedelta(days=400), clock.today() + timedelta(days=200)
        kpi = Kpi(
            task_force_id=tf,
            name=f"分解指标{aggregation}",
            unit=unit,
            direction="up",
            baseline=Decimal("10"),
            baseline_on=start,
            target=Decimal("20"),
            target_on=end,
            breakdown="quarter",
            aggregation=aggregation,
        )
        db.session.add(kpi)
        db.session.flush()
        units = [world.org_unit_id, other.id]
        for order, unit_id in enumerate(units):
            db.session.add(
                KpiUnit(task_force_id=tf, kpi_id=kpi.id, org_unit_id=unit_id, sort_order=order)
            )
        db.session.commit()
        period = pace.periods("quarter", start, end)[0].end
        return kpi.id, units, period


def _count(look, model, kpi_id) -> int:
    with look():
        return db.session.scalar(select(func.count()).where(model.kpi_id == kpi_id))


def test_kpis_read_with_where_they_stand(api, world):
    token = api.token("viewer", scope="read")
    listed = api.get("/api/v1/kpis", token)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    (kpi,) = listed.get_json()["items"]
    assert kpi["name"] == "非存AUM" and kpi["actual"] == 900 and kpi["breakdown"] is None
    assert kpi["progress"] == pytest.approx((900 - 862) / (1000 - 862))
    read = api.get(f"/api/v1/kpis/{kpi['id']}", token)
    assert read.status_code == 200, read.get_data(as_text=True)
    body = read.get_json()
    assert [r["value"] for r in body["readings"]] == [900]
    assert body["units"] == [] and body["unit_readings"] == [] and body["periods"] == []
    assert read.headers["ETag"] == f'"{body["version"]}"'


def test_a_reading_sent_twice_replaces_the_first(api, world, look):
    token = api.token("leader")
    path = f"/api/v1/kpis/{world.ids['kpi']}/readings"
    period = _last_month_end().isoformat()
    first = api.post(path, token, json={"period": period, "value": 950.5, "note": "数仓"})
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["value"] == 950.5 and first.get_json()["period"] == period
    again = api.post(path, token, json={"period": period, "value": "951.25"})
    assert again.status_code == 200 and again.get_json()["value"] == 951.25
    assert again.get_json()["entered_by"]["id"] == world.users["leader"]
    assert _count(look, KpiReading, world.ids["kpi"]) == 2  # the world's, and this one
    future = (clock.today() + timedelta(days=40)).isoformat()
    refused = is_problem(api.post(path, token, json={"period": future, "value": 1}), 422)
    assert list(refused["errors"]) == ["period"]
    is_problem(api.post(path, token, json={"period": period, "value": "many"}), 422)
    with look():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.api_token_id.isnot(None))
        ).all()
        assert sorted(actions) == ["reading_added", "reading_replaced"]


def test_a_batch_saves_every_row_and_again_changes_nothing(api, world, look):
    kpi_id, units, period = _broken_down(look, world)
    month = _last_month_end().isoformat()
    rows = [
        {"kpi_id": world.ids["kpi"], "period": month, "value": 960, "note": "数仓"},
        {"kpi_id": kpi_id, "org_unit_id": units[0], "period": period.isoformat(), "value": 6},
        {"kpi_id": kpi_id, "org_unit_id": units[1], "period": period.isoformat(), "value": 5.5},
    ]
    token = api.token("exec_leader")
    saved = api.post("/api/v1/kpi-readings", token, json={"readings": rows})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json() == {"saved": 3, "unchanged": 0}
    body = api.get(f"/api/v1/kpis/{kpi_id}", token).get_json()
    assert [(r["org_unit_id"], r["value"]) for r in body["unit_readings"]] == [
        (units[0], 6),
        (units[1], 5.5),
    ]
    # Both units reported: the task force's figure of the period is their sum.
    assert [(r["value"], r["note"]) for r in body["readings"]] == [(11.5, ROLL_UP_NOTE)]
    assert period in [clock.today().fromisoformat(p) for p in body["periods"]]
    assert [u["org_unit"]["id"] for u in body["units"]] == units
    again = api.post("/api/v1/kpi-readings", token, json={"readings": rows})
    assert again.get_json() == {"saved": 0, "unchanged": 3}
    assert _count(look, KpiUnitReading, kpi_id) == 2
    assert _count(look, KpiReading, kpi_id) == 1


def test_a_batch_with_a_bad_row_saves_nothing_and_names_each_row(api, world, look):
    kpi_id, units, period = _broken_down(look, world)
    other_kpi, _units, _period = _broken_down(
        look, world, aggregation="weighted", task_force_id=world.other_task_force_id
    )
    month = _last_month_end().isoformat()
    future = (clock.today() + timedelta(days=40)).isoformat()
    rows = [
        {"kpi_id": world.ids["kpi"], "period": month, "value": 970},  # fine
        {"kpi_id": world.ids["kpi"], "period": month, "value": 971},  # twice
        {"kpi_id": other_kpi, "period": month, "value": 1},  # another task force's
        {"kpi_id": kpi_id, "org_unit_id": units[0], "period": period.isoformat(), "value": 1},
    ]
    token = api.token("leader")
    refused = is_problem(api.post("/api/v1/kpi-readings", token, json={"readings": rows}), 422)
    assert refused["errors"].keys() == {"readings.1.period", "readings.2.kpi_id"}
    assert refused["type"].endswith(":validation-failed")
    # Rows that pass the first look are written in turn; the service refuses the bad ones.
    rows = [
        rows[0],
        {"kpi_id": world.ids["kpi"], "period": future, "value": 2},
        {"kpi_id": kpi_id, "org_unit_id": units[0], "period": month, "value": 1},
        {"kpi_id": kpi_id, "org_unit_id": units[1], "period": period.isoformat()},
        rows[3],
    ]
    refused = is_problem(api.post("/api/v1/kpi-readings", token, json={"readings": rows}), 422)
    assert refused["errors"].keys() == {"readings.1.period", "readings.2", "readings.3.value"}
    assert "期间之内" in refused["errors"]["readings.2"][0]  # outside the KPI's periods
    # Shapes refused by row and field before anything is looked up.
    shapes = [
        {"kpi_id": "x", "period": month, "value": 1},
        {"period": "2024-13-01", "value": 1},
        {"kpi_id": kpi_id, "period": month, "value": 1e15, "note": "长" * 201, "unit": 1},
    ]
    refused = is_problem(api.post("/api/v1/kpi-readings", token, json={"readings": shapes}), 422)
    assert refused["errors"].keys() == {
        "readings.0.kpi_id",
        "readings.1.kpi_id",
        "readings.1.period",
        "readings.2.value",
        "readings.2.note",
        "readings.2.unit",
    }
    is_problem(api.post("/api/v1/kpi-readings", token, json={"readings": []}), 422)
    assert _count(look, KpiReading, world.ids["kpi"]) == 1
    assert _count(look, KpiUnitReading, kpi_id) == 0
    with look():
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.api_token_id.isnot(None))) == 0
        )


def test_a_ratio_unit_takes_its_numerator_and_denominator(api, world, look):
    kpi_id, units, period = _broken_down(look, world, aggregation="ratio", unit="percent")
    token = api.token("leader")
    path = f"/api/v1/kpis/{kpi_id}/unit-readings"
    body = {"org_unit_id": units[0], "period": period.isoformat(), "numerator": 15}
    refused = is_problem(api.post(path, token, json=body), 422)
    assert "分母" in refused["detail"] and "errors" not in refused  # no field to name
    saved = api.post(path, token, json={**body, "denominator": 60})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    got = saved.get_json()
    assert (got["value"], got["numerator"], got["denominator"]) == (25, 15, 60)
    outside = {"org_unit_id": world.users["member"] + 10_000, "period": period.isoformat()}
    is_problem(api.post(path, token, json={**outside, "numerator": 1, "denominator": 2}), 422)
    plain = f"/api/v1/kpis/{world.ids['kpi']}/unit-readings"
    not_broken = {"org_unit_id": units[0], "period": period.isoformat(), "value": 1}
    is_problem(api.post(plain, token, json=not_broken), 422)


def test_another_task_force_kpi_is_not_found(api, world, look):
    kpi_id, units, period = _broken_down(look, world, task_force_id=world.other_task_force_id)
    token = api.token("leader")
    month = _last_month_end().isoformat()
    is_problem(api.get(f"/api/v1/kpis/{kpi_id}", token), 404)
    is_problem(
        api.post(f"/api/v1/kpis/{kpi_id}/readings", token, json={"period": month, "value": 1}), 404
    )
    unit = {"org_unit_id": units[0], "period": period.isoformat(), "value": 1}
    is_problem(api.post(f"/api/v1/kpis/{kpi_id}/unit-readings", token, json=unit), 404)


def cases(w):
    kpi = f"/api/v1/kpis/{w.ids['kpi']}"
    month = _last_month_end().isoformat()
    row = {"kpi_id": w.ids["kpi"], "period": month, "value": 990}
    return [
        ("GET", "/api/v1/kpis", None, VIEWERS, 200),
        ("GET", kpi, None, VIEWERS, 200),
        ("POST", f"{kpi}/readings", {"period": month, "value": 980}, MANAGERS, 200),
        ("POST", "/api/v1/kpi-readings", {"readings": [row]}, MANAGERS, 200),
    ]


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_kpi_endpoint_answers_as_the_table_says(api, world, persona):
    assert misanswered(api, world, persona, cases(world)) == []


def test_a_read_token_never_writes_a_reading(api, world):
    assert_reads_only(api, cases(world))
