"""Demo escalations, decisions, supervision, nudges and incentives for the AUM task force.

Over the year the task force moved hard questions up a level (提级沟通、提级决策、提级督导)
and decided them within days (及时会商决策). Escalations on items closed since are written
as they were (raised while the item was open, decided a few days later); the current ones
go through the services with the clock frozen on their day, as the problem list's history
does (each flushed inside its frozen moment, so its rows bear that time); the caller's
boundary commits. Safe to run again: a task force that has escalations is left alone.
The literal data is in ``demo_data.json``.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.decisions import scorecards, service
from app.decisions.models import Decision, Escalation
from app.extensions import db
from app.issues.models import CLOSED, OPEN_STATUSES, Issue
from app.people.models import OrgUnit, TaskForce, User

# The literal data (escalations, decisions, notes, incentives) lives beside this module.
DATA = json.loads((Path(__file__).parent / "demo_data.json").read_text(encoding="utf-8"))
HISTORY = DATA["history"]
CURRENT = DATA["current"]
SUPERVISION = DATA["supervision"]
INCENTIVES = DATA["incentives"]


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo escalations and the rest; returns how many escalations were added."""
    with task_force_scope(task_force.id):
        if db.session.scalar(
            select(Escalation.id).where(Escalation.task_force_id == task_force.id).limit(1)
        ):
            return 0
        items = list(
            db.session.scalars(
                select(Issue).where(Issue.task_force_id == task_force.id).order_by(Issue.code)
            )
        )
        closed = [i for i in items if i.status == CLOSED and i.closed_at is not None]
        open_ = [i for i in items if i.status in OPEN_STATUSES and i.owner_id]
        added = _history(task_force, users, closed)
        added += _current(task_force, users, open_, today)
        _nudges(users, open_, today)
        _incentives(task_force, users, items, today)
    return added


def _history(task_force: TaskForce, users: dict[str, User], closed: list[Issue]) -> int:
    rng = random.Random(6)
    chosen = closed[:: max(len(closed) // len(HISTORY), 1)][: len(HISTORY)]
    for issue, spec in zip(chosen, HISTORY, strict=False):
        level, options, recommendation = spec["level"], spec["options"], spec["recommendation"]
        span = (issue.closed_at - issue.created_at).days
        raised_at = issue.created_at + timedelta(days=max(span // 3, 1), hours=1)
        decided_at = raised_at + timedelta(days=rng.choice((1, 2, 2, 3, 4, 6)), hours=3)
        raiser = issue.owner_id
        decider = users["leader"] if level == "leader" else users["exec"]
        escalation = Escalation(
            task_force_id=task_force.id,
            issue_id=issue.id,
            kind=spec["kind"],
            level=level,
            question=spec["question"],
            options=options,
            recommendation=recommendation,
            due_on=service.add_working_days(clock.local_date(raised_at), 3),
            status="decided",
            raised_by_id=raiser,
            raised_at=raised_at,
            created_at=raised_at,
            updated_at=decided_at,
        )
        db.session.add(escalation)
        db.session.flush()
        db.session.add(
            Decision(
                task_force_id=task_force.id,
                escalation_id=escalation.id,
                text=spec["decision"],
                chosen_option=recommendation if recommendation in options else "",
                rationale=spec["rationale"],
                decided_by_id=decider.id,
                decided_at=decided_at,
            )
        )
    db.session.flush()
    return len(chosen)


def _frozen(day: date, hour: int = 2):
    return clock.frozen_at(datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC))


def _current(task_force: TaskForce, users: dict[str, User], open_: list[Issue], today: date):
    if not open_:
        return 0
    added = 0
    for n, spec in enumerate(CURRENT):
        issue = open_[n % len(open_)]
        raiser = db.session.get(User, issue.owner_id)
        with _frozen(today - timedelta(days=spec["days_ago"])):
            service.raise_escalation(
                raiser,
                issue,
                service.EscalationInput(
                    spec["kind"],
                    spec["level"],
                    spec["question"],
                    spec["options"],
                    spec["recommendation"],
                ),
            )
            db.session.flush()  # its rows stamped with the frozen time
        added += 1
    # Two supervision escalations put items under the leader's supervision (组长督办);
    # the first one is decided at once, the item stays supervised until the leader lifts it.
    for n, issue in enumerate(open_[3:5]):
        raiser = db.session.get(User, issue.owner_id)
        with _frozen(today - timedelta(days=6 - n)):
            escalation = service.raise_escalation(
                raiser,
                issue,
                service.EscalationInput(
                    "supervision",
                    "leader",
                    SUPERVISION["question"].format(title=issue.title),
                    [],
                    SUPERVISION["recommendation"],
                ),
            )
            db.session.flush()
        added += 1
        if n == 0:
            with _frozen(today - timedelta(days=4), hour=6):
                service.decide(
                    users["leader"],
                    escalation,
                    service.DecisionInput(
                        text=SUPERVISION["decision"], rationale=SUPERVISION["rationale"]
                    ),
                )
                db.session.flush()
    return added


def _nudges(users: dict[str, User], open_: list[Issue], today: date) -> None:
    """Reminders over the last fortnight; the late items got more than one."""
    for n, issue in enumerate(open_[:6]):
        for k in range(1 + n % 3):
            with _frozen(today - timedelta(days=12 - 3 * k - n), hour=3):
                actor = users["exec"] if (n + k) % 2 else users["leader"]
                note = DATA["nudge_notes"]["first" if k == 0 else "again"]
                service.nudge(actor, issue, note)
                db.session.flush()


def _incentives(task_force: TaskForce, users: dict[str, User], items, today: date) -> None:
    units = {u.name: u.id for u in db.session.scalars(select(OrgUnit))}
    start = task_force.starts_on
    for n, spec in enumerate(INCENTIVES):
        username, unit = spec["user"], spec["unit"]
        day = min(start + timedelta(days=spec["days_after_start"]), today)
        actor = users["leader"] if n % 2 == 0 else users["exec"]
        with _frozen(day, hour=7):
            scorecards.record_incentive(
                actor,
                task_force.id,
                scorecards.IncentiveInput(
                    polarity=spec["polarity"],
                    kind=spec["kind"],
                    reason=spec["reason"],
                    awarded_on=day,
                    user_id=users[username].id if username else None,
                    org_unit_id=units.get(unit) if unit else None,
                    issue_id=items[(n * 7) % len(items)].id if items else None,
                ),
            )
            db.session.flush()
