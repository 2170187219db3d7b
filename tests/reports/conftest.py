"""A fixture quarter with known answers.

Today is 15 August 2024 (Q3, under way). Q2 2024 (1 April - 30 June) holds:

- KH-901 理财签约客户 (赵静): raised 1 March, closed 10 May  -> closed in Q2
- KH-902 营销竞赛常态化 (member): raised 1 March, in progress, deadline 15 June,
  closed later, on 20 July                                     -> open and overdue (red) at Q2's end
- KH-903 现金管理产品 (member): raised 10 April, solution and a milestone, deadline
  30 September, urgent                                         -> open, path defined
- KH-904 旧渠道改造: raised 1 March, dropped 2 April           -> not counted
- KH-905 MGM场景拓客: raised 1 July                            -> not in Q2 at all
- KH-906 客户标签: raised 1 March, closed 20 March (Q1)        -> closed, not in Q2

So Q2: 4 problems, 2 closed, 2 open, 1 path defined, 1 overdue, 1 closed in Q2, 1 raised.
The world's own item (raised today) exists only in Q3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core import audit, clock
from app.core.quarters import Quarter
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.issues.models import CLOSED, Category, Issue, Milestone
from app.people.models import User
from tests.factories import (
    TaskForce,
    make_category,
    make_issue,
    make_membership,
    make_user,
)

TODAY = date(2024, 8, 15)
Q2 = Quarter(2024, 2)
Q3 = Quarter(2024, 3)


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    clock.set_today(TODAY)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def move(actor: User, issue: Issue, target: str, day: date) -> None:
    """A status change on ``day``, recorded as the workflow records it."""
    with clock.frozen_at(_at(day)):
        previous = issue.status
        issue.status = target
        if target == CLOSED:
            issue.closed_at = clock.now()
            issue.percent = 100
        audit.record(actor, "status_changed", issue, {"status": [previous, target]})
        db.session.commit()


def raise_issue(category, code: str, title: str, day: date, **fields) -> Issue:
    with clock.frozen_at(_at(day)):
        return make_issue(category, title, code=code, **fields)


@pytest.fixture
def quarter_data(app, world):
    """The items above; returns a dict of code -> issue id."""
    with app.app_context(), unscoped():
        codes = _build_quarter(world)
        db.session.remove()
    return codes


def _build_quarter(world) -> dict[str, int]:
    leader = db.session.get(User, world.users["leader"])
    zhaojing = make_user("zhaojing", display_name="赵静")
    make_membership(zhaojing, db.session.get(TaskForce, world.task_force_id), "member")
    member_id = world.users["member"]
    with task_force_scope(world.task_force_id):
        dimension = db.session.get(Category, world.category_id)
        sub = make_category(world.task_force_id, "引客", parent=dimension)
        a = raise_issue(sub, "KH-901", "理财签约客户", date(2024, 3, 1), owner_id=zhaojing.id)
        move(leader, a, "in_progress", date(2024, 3, 5))
        move(leader, a, CLOSED, date(2024, 5, 10))
        b = raise_issue(
            sub,
            "KH-902",
            "营销竞赛常态化",
            date(2024, 3, 1),
            owner_id=member_id,
            deadline=date(2024, 6, 15),
        )
        move(leader, b, "in_progress", date(2024, 3, 5))
        move(leader, b, CLOSED, date(2024, 7, 20))
        c = raise_issue(
            dimension,
            "KH-903",
            "现金管理产品",
            date(2024, 4, 10),
            owner_id=member_id,
            deadline=date(2024, 9, 30),
            priority="urgent",
            solution="上线现金管理产品",
        )
        db.session.add(
            Milestone(
                task_force_id=world.task_force_id,
                issue_id=c.id,
                title="产品上线",
                due_on=date(2024, 7, 15),
            )
        )
        db.session.commit()
        d = raise_issue(dimension, "KH-904", "旧渠道改造", date(2024, 3, 1))
        move(leader, d, "dropped", date(2024, 4, 2))
        e = raise_issue(dimension, "KH-905", "MGM场景拓客", date(2024, 7, 1))
        f = raise_issue(dimension, "KH-906", "客户标签", date(2024, 3, 1), owner_id=member_id)
        move(leader, f, CLOSED, date(2024, 3, 20))
    return {i.code: i.id for i in (a, b, c, d, e, f)}
