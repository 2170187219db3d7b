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
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.decisions import scorecards, service
from app.decisions.models import Decision, Escalation
from app.decisions.service import extensions as extension_service
from app.decisions.service import instructions as orders
from app.extensions import db
from app.issues.lights import LightRules, light_of
from app.issues.models import OPEN_STATUSES, RED, Issue
from app.people.models import OrgUnit, TaskForce, User

# The literal data (escalations, decisions, notes, incentives) lives beside this module.
DATA = json.loads((Path(__file__).parent / "demo_data.json").read_text(encoding="utf-8"))
HISTORY = DATA["history"]
CURRENT = DATA["current"]
SUPERVISION = DATA["supervision"]
INCENTIVES = DATA["incentives"]
INSTRUCTIONS = DATA["instructions"]
EXTENSIONS = DATA["extensions"]


def _working_day(day: date) -> date:
    """A weekend day moves back to the Friday before it."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _working_time(day: date, salt: str, earliest: int = 60, latest: int = 590) -> datetime:
    """A moment in working hours on the working day of ``day``: minutes after 00:00 UTC
    between ``earliest`` and ``latest`` (60 is 09:00 in Beijing, 600 is 18:00), the same
    for the same ``salt`` and day, different from one to the next."""
    day = _working_day(day)
    spread = zlib.crc32(f"{salt}|{day.isoformat()}".encode()) % (latest - earliest)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=earliest + spread)


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo escalations and the rest; returns how many escalations were added."""
    with task_force_scope(task_force.id):
        if db.session.scalar(
            select(Escalation.id).where(Escalation.task_force_id == task_force.id).limit(1)
        ):
            return 0
        items = {
            i.title: i
            for i in db.session.scalars(select(Issue).where(Issue.task_force_id == task_force.id))
        }
        added = _history(task_force, users, items)
        added += _current(users, items, today)
        _nudges(users, items, today)
        _incentives(task_force, users, items, today)
        _instructions(users, items, today)
        _extensions(users, items, today)
    return added


def _history(task_force: TaskForce, users: dict[str, User], items: dict[str, Issue]) -> int:
    """Escalations decided in the past, each on the item it was about (closed since, or
    still open), raised a third of the way into the item's life."""
    rng = random.Random(6)
    added = 0
    for spec in HISTORY:
        issue = items.get(spec["item"])
        if issue is None:
            continue
        level, options, recommendation = spec["level"], spec["options"], spec["recommendation"]
        ended = issue.closed_at or clock.now() - timedelta(days=30)
        span = (ended - issue.created_at).days
        raised_on = clock.local_date(issue.created_at) + timedelta(days=max(span // 3, 1))
        raised_at = _working_time(raised_on, spec["question"])
        decided_on = raised_on + timedelta(days=rng.choice((1, 2, 2, 3, 4, 6)))
        decided_at = max(
            _working_time(decided_on, spec["decision"]), raised_at + timedelta(hours=1)
        )
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
            raised_by_id=issue.owner_id,
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
        added += 1
    db.session.flush()
    return added


def _open(items: dict[str, Issue], title: str) -> Issue | None:
    issue = items.get(title)
    return issue if issue is not None and issue.status in OPEN_STATUSES else None


def _current(users: dict[str, User], items: dict[str, Issue], today: date) -> int:
    added = 0
    for spec in CURRENT:
        issue = _open(items, spec["item"])
        if issue is None:
            continue
        raiser = db.session.get(User, issue.owner_id)
        day = today - timedelta(days=spec["days_ago"])
        with clock.frozen_at(_working_time(day, spec["question"], latest=300)):
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
    return added + _supervision(users, items, today)


def _supervision(users: dict[str, User], items: dict[str, Issue], today: date) -> int:
    """Two supervision escalations put items under the leader's supervision (组长督办);
    the first one is decided at once, the item stays supervised until the leader lifts it."""
    added = 0
    for spec in SUPERVISION["items"]:
        issue = _open(items, spec["item"])
        if issue is None:
            continue
        raiser = db.session.get(User, issue.owner_id)
        day = today - timedelta(days=spec["days_ago"])
        with clock.frozen_at(_working_time(day, issue.title, latest=300)):
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
        if "decided_days_ago" in spec:
            day = today - timedelta(days=spec["decided_days_ago"])
            with clock.frozen_at(_working_time(day, SUPERVISION["decision"], earliest=320)):
                service.decide(
                    users["leader"],
                    escalation,
                    service.DecisionInput(
                        text=SUPERVISION["decision"], rationale=SUPERVISION["rationale"]
                    ),
                )
                db.session.flush()
    return added


def _nudges(users: dict[str, User], items: dict[str, Issue], today: date) -> None:
    """Reminders over the last fortnight, on the items running late; some more than once."""
    for n, spec in enumerate(DATA["nudges"]):
        issue = _open(items, spec["item"])
        if issue is None:
            continue
        for k, days_ago in enumerate(spec["days_ago"]):
            day = today - timedelta(days=days_ago)
            with clock.frozen_at(_working_time(day, f"nudge {issue.title} {k}")):
                actor = users["exec"] if (n + k) % 2 else users["leader"]
                note = DATA["nudge_notes"]["first" if k == 0 else "again"]
                service.nudge(actor, issue, note)
                db.session.flush()


def _incentives(
    task_force: TaskForce, users: dict[str, User], items: dict[str, Issue], today: date
) -> None:
    """Commendations and penalties, each on the item its reason is about."""
    units = {u.name: u.id for u in db.session.scalars(select(OrgUnit))}
    start = task_force.starts_on
    for n, spec in enumerate(INCENTIVES):
        username, unit = spec["user"], spec["unit"]
        day = _working_day(min(start + timedelta(days=spec["days_after_start"]), today))
        actor = users["leader"] if n % 2 == 0 else users["exec"]
        issue = items.get(spec["item"])
        with clock.frozen_at(_working_time(day, spec["reason"])):
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
                    issue_id=issue.id if issue is not None else None,
                ),
            )
            db.session.flush()


def _instructions(users: dict[str, User], items: dict[str, Issue], today: date) -> None:
    """The executive leader's instruction on an item, answered by its owner two days later;
    the leader's instruction yesterday on the first red item, still waiting for its answer."""
    spec = INSTRUCTIONS["answered"]
    issue = _open(items, spec["item"])
    if issue is not None and issue.owner_id is not None:
        day = today - timedelta(days=spec["days_ago"])
        with clock.frozen_at(_working_time(day, spec["text"])):
            instruction = orders.write_instruction(users["exec"], issue, spec["text"])
            db.session.flush()
        day = today - timedelta(days=spec["answered_days_ago"])
        with clock.frozen_at(_working_time(day, spec["answer"])):
            owner = db.session.get(User, issue.owner_id)
            orders.mark_read(owner, instruction)
            orders.answer_instruction(owner, instruction, spec["answer"])
            db.session.flush()
    spec = INSTRUCTIONS["waiting"]
    rules = LightRules.current()
    red = sorted(
        (i for i in items.values() if i.status in OPEN_STATUSES and i.owner_id is not None),
        key=lambda i: (i.deadline is None, i.deadline, i.code),
    )
    red = [i for i in red if light_of(i, rules) == RED]
    if red:
        day = today - timedelta(days=spec["days_ago"])
        with clock.frozen_at(_working_time(day, spec["text"])):
            orders.write_instruction(users["leader"], red[0], spec["text"])
            db.session.flush()


def _ask_and_decide(
    users: dict[str, User], issue: Issue, today: date, spec: dict, new_deadline: date
):
    """One request by the item's owner on its day; decided by the executive leader on
    the day ``spec`` says, if it says one."""
    owner = db.session.get(User, issue.owner_id)
    asked_on = today - timedelta(days=spec["asked_days_ago"])
    with clock.frozen_at(_working_time(asked_on, spec["reason"], latest=300)):
        extension = extension_service.request_extension(owner, issue, new_deadline, spec["reason"])
        db.session.flush()
    if "decided_days_ago" in spec:
        decided_on = today - timedelta(days=spec["decided_days_ago"])
        with clock.frozen_at(_working_time(decided_on, spec["comment"], earliest=320)):
            extension_service.decide_extension(
                users["exec"], extension, "declined" not in spec, spec["comment"]
            )
            db.session.flush()
    return extension


def _extensions(users: dict[str, User], items: dict[str, Issue], today: date) -> None:
    """Deadline extension requests (延期申请): an item extended twice (its deadline today is
    the second extension's), one declined, one awaiting the executive leader."""
    twice = EXTENSIONS["twice"]
    issue = _open(items, twice["item"])
    if issue is not None and issue.deadline is not None:
        final = issue.deadline
        issue.deadline = final - timedelta(days=twice["original_days_before"])
        for step in twice["steps"]:
            _ask_and_decide(users, issue, today, step, final - timedelta(days=step["days_before"]))
    declined = EXTENSIONS["declined"]
    issue = _open(items, declined["item"])
    if issue is not None and issue.deadline is not None:
        spec = {**declined, "declined": True}
        _ask_and_decide(
            users, issue, today, spec, issue.deadline + timedelta(days=declined["days_later"])
        )
    pending = EXTENSIONS["pending"]
    issue = _open(items, pending["item"])
    if issue is not None and issue.deadline is not None:
        _ask_and_decide(
            users, issue, today, pending, issue.deadline + timedelta(days=pending["days_later"])
        )
