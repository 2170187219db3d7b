"""The pack's figures: as of a past quarter's end, and equal to the battle map today."""

from __future__ import annotations

from datetime import date

from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.dashboard.service import battle_map
from app.extensions import db
from app.people.models import User
from app.reports import review
from tests.reports.conftest import Q2, Q3


def test_a_past_quarter_is_counted_as_it_stood_at_its_end(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        as_of = review.AsOf.for_quarter(Q2)
        summary = review.summary(world.task_force_id, as_of)
    assert (summary.problems, summary.closed, summary.open) == (4, 2, 2)
    assert (summary.path_defined, summary.overdue) == (1, 1)
    assert (summary.closed_this_quarter, summary.raised_this_quarter) == (1, 1)


def test_closed_open_and_red_items_of_a_past_quarter(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        as_of = review.AsOf.for_quarter(Q2)
        closed = review.closed_items(world.task_force_id, as_of)
        items = review.open_items(world.task_force_id, as_of)
    assert [(issue.code, day) for issue, day in closed] == [("KH-901", date(2024, 5, 10))]
    assert [item.issue.code for item in items] == ["KH-902", "KH-903"]
    red = [item for item in items if item.red]
    assert [item.issue.code for item in red] == ["KH-902"]
    assert red[0].status == "in_progress"  # its status then, though it is closed now
    assert "逾期 15 天" in red[0].reasons


def test_dimensions_count_subtrees_as_of_the_quarter_end(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        rows = review.dimensions(world.task_force_id, review.AsOf.for_quarter(Q2))
    assert [(r.name, r.depth, r.total, r.closed) for r in rows] == [
        ("客户端", 0, 4, 2),
        ("引客", 1, 2, 1),
    ]


def test_the_current_quarter_shows_what_the_battle_map_shows(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        summary = review.summary(world.task_force_id, review.AsOf.for_quarter(Q3))
        totals = battle_map(leader, world.task_force_id).totals
    assert (summary.problems, summary.closed, summary.open) == (
        totals.problems,
        totals.closed,
        totals.open,
    )
    assert (summary.path_defined, summary.overdue) == (totals.path_defined, totals.overdue)
    # KH-902 closed on 20 July; 901, 906 before: three closed, one of them this quarter.
    assert (summary.closed, summary.closed_this_quarter) == (3, 1)


def test_next_quarters_priorities_put_urgent_items_first(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        items = review.priorities(
            review.open_items(world.task_force_id, review.AsOf.for_quarter(Q3))
        )
    assert items[0].issue.code == "KH-903"


def test_quarters_parse_and_bound():
    q = Quarter.parse("2024q4")
    assert (q.first_day, q.last_day) == (date(2024, 10, 1), date(2024, 12, 31))
    assert str(q.next()) == "2025Q1" and str(q.previous()) == "2024Q3"
    assert Quarter.of(date(2024, 2, 29)) == Quarter(2024, 1)
