"""Traffic lights (红黄绿灯) at chosen dates.

red: overdue or blocked · yellow: due within N days, a milestone overdue, or no progress
for M days · green: otherwise · grey: closed or dropped. N and M are settings.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.issues import service
from app.issues.lights import LightRules, light_clause, light_expression, light_of
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    GREEN,
    GREY,
    IN_PROGRESS,
    LIGHTS,
    NEW,
    RED,
    VERIFYING,
    YELLOW,
    Issue,
    Milestone,
)
from tests.issues.conftest import TODAY, days

pytestmark = pytest.mark.usefixtures("scoped")

N = 7  # LIGHT_DUE_SOON_DAYS in these tests
M = 14  # LIGHT_STALE_DAYS


@pytest.fixture(autouse=True)
def _light_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIGHT_DUE_SOON_DAYS", N)
    monkeypatch.setitem(app.config, "LIGHT_STALE_DAYS", M)


@pytest.fixture
def item(world):
    """An item as it stands today; ``milestones`` are (due in days, done?) pairs."""
    numbers = itertools.count(1)

    def make(status=IN_PROGRESS, deadline=None, milestones=(), idle_days=0, **fields):
        last = clock.now() - timedelta(days=idle_days)
        issue = Issue(
            task_force_id=world.task_force_id,
            code=f"L-{next(numbers):03d}",
            title="灯号测试",
            category_id=world.category_id,
            status=status,
            deadline=deadline,
            created_at=last,
            **fields,
        )
        db.session.add(issue)
        db.session.flush()
        for due, done in milestones:
            db.session.add(
                Milestone(
                    task_force_id=world.task_force_id,
                    issue_id=issue.id,
                    title="里程碑",
                    due_on=days(due),
                    done_on=days(due) if done else None,
                )
            )
        db.session.commit()
        return issue

    return make


def light(issue: Issue) -> str:
    return light_of(issue, LightRules.current())


def test_an_overdue_item_is_red(item):
    assert light(item(deadline=days(-1))) == RED


def test_a_blocked_item_is_red_whatever_its_deadline(item):
    assert light(item(BLOCKED, deadline=days(90))) == RED
    assert light(item(BLOCKED)) == RED


def test_an_item_due_today_is_yellow_not_red(item):
    assert light(item(deadline=TODAY)) == YELLOW


def test_an_item_due_in_exactly_n_days_is_yellow_and_one_day_later_green(item):
    assert light(item(deadline=days(N))) == YELLOW
    assert light(item(deadline=days(N + 1))) == GREEN


def test_an_overdue_milestone_turns_the_item_yellow(item):
    assert light(item(deadline=days(60), milestones=[(-1, False), (10, False)])) == YELLOW


def test_a_done_or_future_milestone_leaves_the_item_green(item):
    assert light(item(deadline=days(60), milestones=[(-5, True), (0, False)])) == GREEN


def test_no_progress_for_more_than_m_days_is_yellow_exactly_m_days_is_not(item):
    exactly = item(deadline=days(60), idle_days=M)
    longer = item(deadline=days(60), idle_days=M + 1)

    assert light(exactly) == GREEN
    assert light(longer) == YELLOW


def test_a_progress_update_turns_a_stale_item_green_again(item, person):
    issue = item(deadline=days(60), idle_days=M + 3, owner_id=person("member").id)
    assert light(issue) == YELLOW

    service.add_progress(person("member"), issue, "完成系统联调")

    assert light(issue) == GREEN


def test_the_light_follows_the_clock(item):
    issue = item(deadline=days(20))
    assert light(issue) == GREEN

    clock.set_today(days(20 - N))
    assert light(issue) == YELLOW

    clock.set_today(days(21))
    assert light(issue) == RED


def test_the_due_soon_window_is_a_setting(app, monkeypatch, item):
    issue = item(deadline=days(3))
    assert light(issue) == YELLOW

    monkeypatch.setitem(app.config, "LIGHT_DUE_SOON_DAYS", 2)

    assert light(issue) == GREEN


def test_the_stale_period_is_a_setting(app, monkeypatch, item):
    issue = item(deadline=days(60), idle_days=5)
    assert light(issue) == GREEN

    monkeypatch.setitem(app.config, "LIGHT_STALE_DAYS", 4)

    assert light(issue) == YELLOW


@pytest.mark.parametrize("status", [CLOSED, DROPPED])
def test_finished_items_are_grey_even_when_overdue(item, status):
    issue = item(status, deadline=days(-30), milestones=[(-40, False)], idle_days=M + 10)

    assert light(issue) == GREY


# The same rule in SQL (lists, filters, the battle map) and in Python (one item's page).
CASES = {
    "overdue": dict(deadline=-1),
    "overdue and blocked": dict(status=BLOCKED, deadline=-3),
    "blocked without deadline": dict(status=BLOCKED),
    "due today": dict(deadline=0),
    "due in N days": dict(deadline=N),
    "due in N+1 days": dict(deadline=N + 1),
    "no deadline": dict(),
    "no deadline, milestone overdue": dict(milestones=[(-2, False)]),
    "no deadline, stale": dict(idle_days=M + 1),
    "milestone overdue": dict(deadline=30, milestones=[(-2, False), (5, False)]),
    "milestone due today": dict(deadline=30, milestones=[(0, False)]),
    "milestone overdue but done": dict(deadline=30, milestones=[(-2, True)]),
    "idle exactly M days": dict(deadline=30, idle_days=M),
    "idle M+1 days": dict(deadline=30, idle_days=M + 1),
    "new and fresh": dict(status=NEW, deadline=30),
    "verifying, overdue": dict(status=VERIFYING, deadline=-1),
    "closed, overdue": dict(status=CLOSED, deadline=-10, milestones=[(-12, False)]),
    "dropped, stale": dict(status=DROPPED, idle_days=M + 5),
}


def _build(item, spec: dict) -> Issue:
    spec = dict(spec)
    deadline = spec.pop("deadline", None)
    return item(deadline=days(deadline) if deadline is not None else None, **spec)


@pytest.mark.parametrize("spec", CASES.values(), ids=CASES.keys())
def test_sql_and_python_give_the_same_light(item, spec):
    issue = _build(item, spec)
    rules = LightRules.current()

    python = light_of(issue, rules)
    case = db.session.scalar(select(light_expression(rules)).where(Issue.id == issue.id))
    listed_once = db.session.scalar(
        select(light_expression(rules, per_item=False)).where(Issue.id == issue.id)
    )
    clauses = [
        lt
        for lt in LIGHTS
        if db.session.scalar(select(Issue.id).where(Issue.id == issue.id, light_clause(rules, lt)))
    ]

    assert case == listed_once == python
    assert clauses == [python]


def test_the_list_shows_and_filters_each_light_as_the_item_page_does(world, person, item):
    """All cases at once, through the service the list page calls."""
    issues = {name: _build(item, spec) for name, spec in CASES.items()}
    leader = person("leader")
    rules = LightRules.current()
    expected = {name: light_of(issue, rules) for name, issue in issues.items()}
    ids = {issue.id: name for name, issue in issues.items()}

    page = service.list_issues(leader, world.task_force_id, service.IssueFilter(), per_page=100)
    shown = {ids[issue.id]: lt for issue, lt in page.rows if issue.id in ids}
    assert shown == expected

    for lt in LIGHTS:
        page = service.list_issues(
            leader, world.task_force_id, service.IssueFilter(light=lt), per_page=100
        )
        filtered = {ids[issue.id] for issue, _lt in page.rows if issue.id in ids}
        assert filtered == {name for name, value in expected.items() if value == lt}, lt
