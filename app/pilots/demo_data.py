"""Demo pilots from the source case, replayed through the services with the clock frozen.

The Changchun branch private-banking centre reform (长春分行私人银行中心改革) ran for some
five months, was reviewed, decided for rollout, and is being copied to four other
branches: two done, one under way and late, one planned. A second pilot, the remittance
customers' wealth product at the Yanji sub-branch, is under review now. Dates are placed
relative to today, in step with the problem list's own story of the reform.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.core.scope import task_force_scope
from app.core.unit import flushed_at
from app.extensions import db
from app.issues.models import Issue
from app.people.models import OrgUnit, TaskForce, User
from app.pilots import service
from app.pilots.models import REVIEWING, ROLLING_OUT, RUNNING, Pilot

# The story's texts, names and days (counted from today) live in a data file beside this
# one; the code below replays them through the services.
DATA = json.loads(Path(__file__).with_name("demo_data.json").read_text(encoding="utf-8"))
CHANGCHUN = DATA["changchun"]["name"]
YANJI = DATA["yanji"]["name"]


def _at(day: date, hour: int = 2) -> datetime:
    """Working hours: 02:00 UTC is 10:00 in Shanghai."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _issues(task_force: TaskForce, titles: list[str]) -> list[int]:
    return list(
        db.session.scalars(
            select(Issue.id).where(Issue.task_force_id == task_force.id, Issue.title.in_(titles))
        )
    )


def build(
    task_force: TaskForce, users: dict[str, User], units: dict[str, OrgUnit], today: date
) -> int:
    """Write the demo pilots not there yet; returns how many were added."""
    added = 0
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(select(Pilot.name).where(Pilot.task_force_id == task_force.id))
        )
        if CHANGCHUN not in have:
            _changchun(task_force, users, units, today)
            added += 1
        if YANJI not in have:
            _yanji(task_force, users, units, today)
            added += 1
    return added


def _pilot_input(story: dict, task_force, users, units, today: date) -> service.PilotInput:
    return service.PilotInput(
        name=story["name"],
        measure=story["measure"],
        owner_id=users[story["owner"]].id,
        starts_on=today + timedelta(days=story["starts"]),
        planned_end=today + timedelta(days=story["planned_end"]),
        issue_ids=_issues(task_force, story["issues"]),
        unit_ids=[units[name].id for name in story["units"]],
    )


def _changchun(task_force, users, units, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    story = DATA["changchun"]
    sunhao, leader, exec_ = users["sunhao"], users["leader"], users["exec"]
    with flushed_at(_at(day(story["created"]))):
        pilot = service.create_pilot(
            leader, task_force.id, _pilot_input(story, task_force, users, units, today)
        )
    objectives = []
    with flushed_at(_at(day(story["objectives_on"]))):
        for title, metric, baseline, target in story["objectives"]:
            objectives.append(
                service.add_objective(
                    sunhao, pilot, title, metric, Decimal(baseline), Decimal(target)
                )
            )
    with flushed_at(_at(day(story["running_on"]))):
        service.change_status(sunhao, pilot, RUNNING)
    with flushed_at(_at(day(story["results_on"]))):
        for objective, actual in zip(objectives, story["results"], strict=True):
            service.record_result(sunhao, objective, Decimal(actual))
    with flushed_at(_at(day(story["reviewing_on"]))):
        service.change_status(sunhao, pilot, REVIEWING)
    review = story["review"]
    with flushed_at(_at(day(review["on"]), review["hour"])):
        service.record_review(
            sunhao,
            pilot,
            what_worked=review["what_worked"],
            what_did_not=review["what_did_not"],
            lessons=review["lessons"],
        )
    decision = story["decision"]
    with flushed_at(_at(day(decision["on"]), decision["hour"])):
        service.decide(leader, pilot, decision["outcome"], decision["rationale"])
    with flushed_at(_at(day(story["rollout_planned_on"]))):
        for unit, owner, planned in story["rollout"]:
            service.plan_rollout(exec_, pilot, [units[unit].id], users[owner].id, day(planned))
    with flushed_at(_at(day(story["rolling_out_on"]))):
        service.change_status(sunhao, pilot, ROLLING_OUT)
    with flushed_at(_at(day(story["later_rollout_on"]))):
        for unit, owner, planned in story["later_rollout"]:
            service.plan_rollout(exec_, pilot, [units[unit].id], users[owner].id, day(planned))
    tasks = {t.org_unit.name: t for t in pilot.rollouts}
    for offset, unit, owner, status, notes in story["rollout_updates"]:
        task = tasks[unit]
        with flushed_at(_at(day(offset), 8)):
            service.update_rollout(
                users[owner],
                task,
                service.RolloutInput(
                    status=status, planned_on=task.planned_on, owner_id=task.owner_id, notes=notes
                ),
            )


def _yanji(task_force, users, units, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    story = DATA["yanji"]
    owner = users[story["owner"]]
    with flushed_at(_at(day(story["created"]))):
        pilot = service.create_pilot(
            users[story["created_by"]],
            task_force.id,
            _pilot_input(story, task_force, users, units, today),
        )
        title, metric, baseline, target = story["objective"]
        objective = service.add_objective(
            owner, pilot, title, metric, Decimal(baseline), Decimal(target)
        )
    with flushed_at(_at(day(story["running_on"]))):
        service.change_status(owner, pilot, RUNNING)
    with flushed_at(_at(day(story["result_on"]))):
        service.record_result(owner, objective, Decimal(story["result"]))
    with flushed_at(_at(day(story["reviewing_on"]))):
        service.change_status(owner, pilot, REVIEWING)
