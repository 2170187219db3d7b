"""Rollout (复制推广): coverage, its history, lights, the matrix, and the other pages'
hooks (my items, the item page, meeting agendas, the calendar)."""

from __future__ import annotations

import pytest

from app.core import hooks
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import Issue
from app.people.models import User
from app.pilots import service
from app.pilots.models import DONE, IN_PROGRESS, NOT_APPLICABLE, NOT_STARTED, REVIEWING, ROLLING_OUT
from tests.pilots.conftest import days

pytestmark = pytest.mark.usefixtures("scoped")


@pytest.mark.parametrize(
    "statuses, done, applicable, percent",
    [
        ([DONE, DONE, IN_PROGRESS, NOT_STARTED], 2, 4, 50),
        ([DONE, NOT_APPLICABLE, NOT_STARTED], 1, 2, 50),
        ([DONE, NOT_APPLICABLE], 1, 1, 100),
        ([NOT_APPLICABLE, NOT_APPLICABLE], 0, 0, None),
        ([], 0, 0, None),
    ],
)
def test_coverage_is_done_over_applicable(statuses, done, applicable, percent):
    coverage = service.coverage_of(statuses)
    assert (coverage.done, coverage.applicable, coverage.percent) == (done, applicable, percent)


def test_coverage_in_sql_matches_the_rule(world, make_pilot, make_unit, add_rollout):
    pilot = make_pilot(status=ROLLING_OUT, decision="roll_out")
    for name, status in [("甲", DONE), ("乙", NOT_APPLICABLE), ("丙", IN_PROGRESS)]:
        add_rollout(pilot, make_unit(name), status=status)
    coverage = service.coverage_by_pilot(world.task_force_id)[pilot.id]
    assert (coverage.done, coverage.applicable, coverage.percent) == (1, 2, 50)


def test_coverage_over_time_replays_the_status_changes(make_pilot, make_unit, add_rollout, person):
    pilot = make_pilot(status=ROLLING_OUT, decision="roll_out")
    a = add_rollout(pilot, make_unit("甲"), on=days(-20))
    b = add_rollout(pilot, make_unit("乙"), on=days(-20))
    add_rollout(pilot, make_unit("丙"), on=days(-20))
    db.session.refresh(pilot)
    # Changes made through the service are dated by the clock.
    service.update_rollout(person("leader"), a, service.RolloutInput(status=DONE))
    service.update_rollout(person("leader"), b, service.RolloutInput(status=NOT_APPLICABLE))
    history = service.coverage_history(pilot)
    assert [(day, c.done, c.applicable) for day, c in history] == [
        (days(-20), 0, 3),
        (days(0), 1, 2),
    ]


def test_a_late_rollout_task_turns_the_pilot_red_and_a_near_one_yellow(
    world, make_pilot, make_unit, add_rollout
):
    rules = LightRules.current()
    red = make_pilot(status=ROLLING_OUT, decision="roll_out", name="红")
    add_rollout(red, make_unit("甲"), planned_on=days(-1))
    add_rollout(red, make_unit("乙"), status=DONE, planned_on=days(-30))
    yellow = make_pilot(status=ROLLING_OUT, decision="roll_out", name="黄")
    add_rollout(yellow, make_unit("丙"), planned_on=days(rules.due_soon_days))
    green = make_pilot(status=ROLLING_OUT, decision="roll_out", name="绿")
    add_rollout(green, make_unit("丁"), planned_on=days(rules.due_soon_days + 1))
    finished_late = make_pilot(status=ROLLING_OUT, decision="roll_out", name="已完成")
    add_rollout(finished_late, make_unit("戊"), status=DONE, planned_on=days(-5))
    overdue_run = make_pilot(status="running", name="超期", planned_end=days(-2))
    listed = service.list_pilots(db.session.get(User, world.users["viewer"]), world.task_force_id)
    rows = {row.pilot.name: row.light for row in listed if row.pilot.id != world.ids["pilot"]}
    assert rows == {"红": "red", "黄": "yellow", "绿": "green", "已完成": "green", "超期": "red"}
    # The rule for one loaded pilot agrees with the SQL one.
    for pilot in (red, yellow, green, finished_late, overdue_run):
        db.session.refresh(pilot)
        assert service.light_of(pilot, rules) == rows[pilot.name]


def test_the_matrix_colours_pilot_sites_and_rollout_states(
    world, make_pilot, make_unit, add_rollout, person
):
    site = make_unit("长春分行私人银行中心", kind="sub_branch")
    pilot = make_pilot(status=ROLLING_OUT, decision="roll_out")
    pilot.units = [site]
    db.session.commit()
    done_unit, late_unit, na_unit = (
        make_unit("吉林分行"),
        make_unit("四平分行"),
        make_unit("通化分行"),
    )
    add_rollout(pilot, done_unit, status=DONE)
    add_rollout(pilot, late_unit, planned_on=days(-3))
    add_rollout(pilot, na_unit, status=NOT_APPLICABLE)
    data = service.matrix(person("viewer"), world.task_force_id)
    assert data.cells[(pilot.id, site.id)] == "pilot"
    assert data.cells[(pilot.id, done_unit.id)] == DONE
    assert data.cells[(pilot.id, late_unit.id)] == "late"
    assert data.cells[(pilot.id, na_unit.id)] == NOT_APPLICABLE
    assert data.coverage[pilot.id].percent == 50


def test_rollout_tasks_show_in_their_owners_my_items(
    world, make_pilot, make_unit, add_rollout, person
):
    pilot = make_pilot(status=ROLLING_OUT, decision="roll_out")
    add_rollout(pilot, make_unit("吉林分行"), owner="temp_member", planned_on=days(-1))
    add_rollout(pilot, make_unit("延边分行"), owner="temp_member", status=DONE)
    sections = hooks.MY_ITEMS.collect(person("temp_member"), [world.task_force_id])
    rollout = [s for s in sections if s.key == "rollout"]
    assert len(rollout) == 1
    ours = [(task, light) for task, light in rollout[0].items if task.pilot_id == pilot.id]
    assert [(task.org_unit.name, light) for task, light in ours] == [("吉林分行", "red")]
    assert [
        s
        for s in hooks.MY_ITEMS.collect(person("viewer"), [world.task_force_id])
        if s.key == "rollout"
    ] == []


def test_an_items_page_shows_its_pilots(world, make_pilot, person):
    pilot = make_pilot(name="私行中心改革")
    issue = db.session.get(Issue, world.issue_id)
    pilot.issues = [issue]
    db.session.commit()
    panels = [s for s in hooks.ISSUE_PANELS.collect(person("viewer"), issue) if s.key == "pilots"]
    assert [p.name for p in panels[0].items] == ["私行中心改革"]


def test_agendas_propose_the_pilots_under_review(world, make_pilot, app):
    make_pilot(status=REVIEWING, name="复盘中的试点")
    make_pilot(status="running", name="运行中的试点")
    with app.test_request_context():
        proposals = [
            p
            for p in hooks.AGENDA.collect(world.task_force_id, "progress", None, days(7))
            if p.subject_type == "pilot"
        ]
    assert [p.title for p in proposals] == ["复盘中的试点"]
    assert proposals[0].url == f"/pilots/{proposals[0].subject_id}"


def test_the_calendar_carries_rollout_dates(world, make_pilot, make_unit, add_rollout, app, person):
    pilot = make_pilot(status=ROLLING_OUT, decision="roll_out", name="私行中心")
    task = add_rollout(pilot, make_unit("吉林分行"), owner="temp_member", planned_on=days(5))
    add_rollout(pilot, make_unit("延边分行"), owner="leader", planned_on=days(40))
    with app.test_request_context():
        everyone = hooks.CALENDAR.collect(None, world.task_force_id, days(0), days(30))
        mine = hooks.CALENDAR.collect(person("leader"), world.task_force_id, days(0), days(60))
    rollout = [e for e in everyone if e.kind == "rollout" and f"/pilots/{pilot.id}#" in e.url]
    assert [(e.uid, e.start) for e in rollout] == [(f"rollout-{task.id}@gongjian", days(5))]
    assert [e.start for e in mine if e.kind == "rollout"] == [days(40)]
    assert "私行中心" in rollout[0].title
