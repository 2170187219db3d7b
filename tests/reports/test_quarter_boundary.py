"""One definition of a quarter's figures, in local days: the battle map, the quarterly
meeting's agenda and the review pack agree at a quarter boundary in Asia/Shanghai.

An item closed at 23:30 on 30 September (15:30 UTC) belongs to Q3; one closed at 00:30 on
1 October (16:30 UTC, still 30 September in UTC) belongs to Q4.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from flask_babel import gettext as _

from app.core import audit, clock
from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.dashboard.service import battle_map
from app.extensions import db
from app.issues.asof import AsOf, quarter_figures
from app.issues.models import CLOSED, Category
from app.meetings import service as meetings
from app.people.models import User
from app.reports import review
from tests.factories import make_issue
from tests.meetings.helpers import make_meeting, make_series

Q3 = Quarter(2026, 3)
Q4 = Quarter(2026, 4)
LAST_EVENING = clock.at(date(2026, 9, 30), time(23, 30))
FIRST_NIGHT = clock.at(date(2026, 10, 1), time(0, 30))


def _raise_and_close(category, actor: User, title: str, at: datetime, deadline: date):
    with clock.frozen_at(at):
        issue = make_issue(category, title, deadline=deadline)
        issue.status = CLOSED
        issue.closed_at = clock.now()
        audit.record(actor, "status_changed", issue, {"status": ["in_progress", CLOSED]})
        db.session.commit()
    return issue


def _meeting_figures(world, day: date) -> dict[str, int]:
    series = make_series(world, "review")
    meeting = make_meeting(series, day)
    proposals = meetings.build_agenda(meeting)
    section = _("The quarter in figures")
    return {
        p.title.split(": ")[0]: int(p.title.split(": ")[1])
        for p in proposals
        if p.section == section
    }


@pytest.fixture
def boundary(ctx, world):
    leader = db.session.get(User, world.users["leader"])
    with task_force_scope(world.task_force_id):
        category = db.session.get(Category, world.category_id)
        evening = _raise_and_close(
            category, leader, "季末最后一晚销号", LAST_EVENING, date(2026, 9, 30)
        )
        night = _raise_and_close(
            category, leader, "新季度第一夜销号", FIRST_NIGHT, date(2026, 9, 30)
        )
        yield {"evening": evening.id, "night": night.id, "leader": leader}


def test_an_instant_belongs_to_the_quarter_of_its_local_day(boundary):
    assert clock.local_date(LAST_EVENING) == date(2026, 9, 30)
    assert clock.local_date(FIRST_NIGHT) == date(2026, 10, 1)
    assert LAST_EVENING.date() == FIRST_NIGHT.date() == date(2026, 9, 30)  # the same UTC day


def test_at_23_30_on_the_last_day_the_battle_map_counts_the_evening_in_q3(world, boundary):
    with clock.frozen_at(LAST_EVENING.replace(minute=45)):
        figures = battle_map(boundary["leader"], world.task_force_id).quarter
        assert figures.quarter == Q3
        q3 = quarter_figures(world.task_force_id, Q3)
    assert (figures.raised, figures.closed) == (q3.raised, q3.closed)
    assert figures.closed >= 1


def test_at_00_30_on_the_first_day_every_view_agrees(world, boundary):
    with clock.frozen_at(FIRST_NIGHT.replace(minute=45)):
        on_the_map = battle_map(boundary["leader"], world.task_force_id).quarter
        q3 = quarter_figures(world.task_force_id, Q3)
        q4 = quarter_figures(world.task_force_id, Q4)
        pack = review.summary(world.task_force_id, AsOf.for_quarter(Q3))
        closed_in_q3 = {
            issue.id
            for issue, _day in review.closed_items(world.task_force_id, AsOf.for_quarter(Q3))
        }
        agenda = _meeting_figures(world, date(2026, 10, 8))

    # The battle map is in Q4 now: only the item closed after midnight.
    assert on_the_map.quarter == Q4
    assert (on_the_map.raised, on_the_map.closed) == (q4.raised, q4.closed)
    assert on_the_map.closed == 1
    # The pack and the quarterly meeting look back on Q3 with the same figures.
    assert (pack.closed_this_quarter, pack.raised_this_quarter) == (q3.closed, q3.raised)
    assert agenda[_("Items closed")] == q3.closed
    assert agenda[_("Items raised")] == q3.raised
    assert agenda[_("Closed on time")] == q3.closed_on_time
    assert boundary["evening"] in closed_in_q3
    assert boundary["night"] not in closed_in_q3
    # Closed at 23:30 on its deadline's day: on time. 00:30 the day after: late.
    assert q3.closed_on_time == q3.closed
    assert q4.closed_on_time == 0
