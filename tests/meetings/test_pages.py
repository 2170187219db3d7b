"""Pages of meetings: the query count does not grow with the rows; figures for the review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Category
from app.meetings import service
from tests import factories
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_action, make_meeting, make_series


def _grow(app, world, n: int) -> dict:
    """n more meetings of each kind, with attendance and action items, and n more items."""
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        people = [world.users[p] for p in ("leader", "member", "exec_leader")]
        ids = {}
        for kind in ("progress", "one_on_one", "review"):
            series = make_series(
                world,
                kind,
                counterparts=[{"user": world.users["member"]}, {"unit": world.org_unit_id}],
            )
            for i in range(n):
                day = TODAY - timedelta(days=7 * (n - i))
                status = "published" if i < n - 1 else "planned"
                who = (
                    {"counterpart_user_id": world.users["member"]}
                    if i % 2
                    else {"counterpart_unit_id": world.org_unit_id}
                )
                meeting = make_meeting(series, day, status=status, invited=people, **who)
                make_action(meeting, f"行动{i}", owner_id=world.users["member"], deadline=day)
            ids[kind] = (series.id, meeting.id)
        for i in range(n):
            factories.make_issue(
                category, f"问题{i}", owner_id=world.users["member"], deadline=days(i - 3)
            )
        return ids


def _count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return int(response.headers["X-Query-Count"])


PAGES = [
    "/meetings",
    "/meetings/figures",
    "/calendar",
    "/calendar?view=week",
    "/calendar/feed",
    "/meetings/series/{progress[0]}",
    "/meetings/series/{one_on_one[0]}",
    "/meetings/{progress[1]}",
    "/meetings/{one_on_one[1]}",
    "/meetings/{review[1]}",
]


@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_the_rows(app, world, login, page):
    first = _grow(app, world, 1)
    client = login("leader")
    # Read once, then a change: both measurements are first views after a change, which
    # move what is kept (the calendar's deadlines and milestones, ``issues.tally``).
    _count(client, page.format(**first))
    small = _grow(app, world, 2)
    before = _count(client, page.format(**small))
    big = _grow(app, world, 8)
    # The same page for the bigger series (its meeting has the same shape).
    after = _count(client, page.format(**big))
    assert after <= before
    assert after <= 12


def test_figures_for_the_review(app, world, look):
    _grow(app, world, 4)
    with look():
        figures = service.figures(world.task_force_id, date(2024, 1, 1), TODAY)
        names = {row["name"]: row for row in figures.per_series}
        assert names["月度工作推进交流会"]["planned"] == 4
        assert names["月度工作推进交流会"]["held"] == 3
        rates = {row["name"]: row["rate"] for row in figures.attendance}
        assert set(rates.values()) == {0}  # nobody's attendance was recorded
        assert figures.actions_total == 12
        assert figures.actions_on_time == 0
        assert figures.one_on_one_counterparts == 2
        assert figures.one_on_one_met == 2
