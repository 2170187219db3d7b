"""The demo's replay of a problem list: each problem a plan of dated steps (created,
acknowledged, scheduled, progress, blocked, verified, closed …) written through the
problem list's own services, each step at its moment (``app/demo.py`` drives it).
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core.scope import task_force_scope
from app.core.unit import flushed_at
from app.extensions import db
from app.issues import demo_data
from app.issues import service as issues
from app.issues.models import (
    BLOCKED,
    CLOSED,
    IN_PROGRESS,
    NEW,
    PLANNING,
    VERIFYING,
    Category,
    Issue,
    Milestone,
    Subtask,
)
from app.people.models import OrgUnit, TaskForce, User

# The demo's people, org units, task forces and working hours (read once; ``app/demo.py``
# takes the people and task forces from here).
PEOPLE = json.loads((Path(__file__).parent / "demo_people.json").read_text(encoding="utf-8"))
# The order of an item's steps within a day, in UTC: 01:00 UTC is 09:00 in Shanghai. A
# step of an item (``salt``, its title) moves later by a spread that is the same for all
# the item's steps of one day, so they keep their order, and differs from day to day and
# item to item: the year's work happens all through the working day, 09:00 to 18:00.
HOUR = {step: tuple(hm) for step, hm in PEOPLE["hours_utc"].items()}
_LAST_MINUTE = 10 * 60 - 5  # 17:55 in Shanghai


def at(day: date, step: str, extra_minutes: int = 0, salt: str | None = None) -> datetime:
    hour, minute = HOUR[step]
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    if salt is not None:
        room = _LAST_MINUTE - max(60 * h + m for h, m in HOUR.values())
        moment += timedelta(minutes=zlib.crc32(f"{salt}|{day.isoformat()}".encode()) % room)
    return moment + timedelta(minutes=extra_minutes)


def _workday(day: date) -> date:
    """A weekend day moves to the nearest working day: Saturday to Friday, Sunday to Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _workday_back(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# --- the problem list ----------------------------------------------------------------------


@dataclass
class Step:
    """One thing somebody did to an item, at a moment."""

    at: datetime
    actor: str
    action: str
    args: tuple = ()


@dataclass
class Plan:
    """An item's whole history, computed before any of it is written."""

    problem: dict
    created: date
    creator: str
    deadline: date
    steps: list[Step] = field(default_factory=list)


@dataclass
class Book:
    """How one task force's history is written: who runs it, when its list was drawn up."""

    start: date
    today: date
    leader: str  # supervises major items (重大事项) and closes them
    executive: str  # runs the list day to day
    research: tuple[int, int]  # days after the start in which the list was drawn up


def _closed_plan(problem: dict, book: Book) -> Plan:
    """Created in the research weeks (or later), worked through, verified and closed."""

    def when(day: date, step: str, extra: int = 0) -> datetime:
        return at(day, step, extra, salt=problem["title"])

    rng = random.Random(problem["title"])
    owner = problem["owner"]
    creator = book.leader if problem.get("major") else book.executive
    if "created" in problem:
        created = book.start + timedelta(days=problem["created"])
    else:
        created = book.start + timedelta(days=rng.randint(*book.research))
    created = _workday(created)
    low, high = {"urgent": (35, 120), "high": (50, 270), "medium": (45, 290), "low": (80, 300)}[
        problem["priority"]
    ]
    if problem.get("major"):
        low, high = low + 30, high + 30
    closed = created + timedelta(days=rng.randint(low, high))
    closed = min(closed, book.today - timedelta(days=rng.randint(3, 25)))
    closed = _workday_back(max(closed, created + timedelta(days=30)))
    if problem.get("late"):
        deadline = closed - timedelta(days=rng.randint(7, 25))
        deadline = max(deadline, created + timedelta(days=20))
    else:
        deadline = closed + timedelta(days=rng.randint(0, 21))
    plan = Plan(problem, created, creator, deadline)
    steps = plan.steps

    last = created

    def day(candidate: date) -> date:
        nonlocal last
        last = min(_workday(max(candidate, last)), closed)
        return last

    acked = day(created + timedelta(days=rng.randint(0, 2)))
    if owner != creator:
        steps.append(Step(when(acked, "ack"), owner, "ack"))
    steps.append(Step(when(acked, "plan"), owner, "status", (PLANNING,)))
    titles = problem["milestones"]
    started = day(acked + timedelta(days=rng.randint(3, 10)))
    # The schedule aims at the deadline; a late item's steps slip, more and more.
    end = (deadline if problem.get("late") else closed) - timedelta(days=3)
    span = max((end - started).days, len(titles))
    dues = [started + timedelta(days=span * (i + 1) // len(titles)) for i in range(len(titles))]
    slip = max((closed - timedelta(days=3) - dues[-1]).days, 0)
    for i, (title, due) in enumerate(zip(titles, dues, strict=True)):
        steps.append(
            Step(when(acked, "schedule", i), owner, "milestone", (i, title, _workday(due)))
        )
    steps.append(Step(when(started, "start"), owner, "status", (IN_PROGRESS,)))
    skip = len(titles) == 3 and rng.random() < 0.4  # not every step gets its own note
    for i, (title, due) in enumerate(zip(titles, dues, strict=True)):
        late_by = slip * (i + 1) // len(titles)
        done = day(due + timedelta(days=late_by + rng.randint(-3, 2)))
        steps.append(Step(when(done, "milestone_done"), owner, "milestone_done", (i,)))
        if skip and i == 1:
            continue
        if i + 1 < len(titles):
            note = rng.choice(demo_data.PROGRESS_NOTES).format(m=title, next=titles[i + 1])
        else:
            note = rng.choice(demo_data.PROGRESS_LAST).format(m=title)
        percent = round(90 * (i + 1) / len(titles) / 5) * 5
        steps.append(Step(when(done, "progress"), owner, "progress", (note, percent)))
    verified = day(closed - timedelta(days=rng.randint(1, 4)))
    steps.append(Step(when(verified, "verify"), owner, "status", (VERIFYING,)))
    steps.append(Step(when(closed, "close"), creator, "close", (problem["result"],)))
    return plan


def _open_plan(problem: dict, book: Book) -> Plan:
    """Still open: a written solution and a landing schedule, partly done."""

    def when(day: date, step: str, extra: int = 0) -> datetime:
        return at(day, step, extra, salt=problem["title"])

    rng = random.Random(problem["title"])
    spec = problem["open"]
    today = book.today
    owner = problem["owner"]
    creator = book.leader if problem.get("major") else book.executive
    if "created" in spec:
        created = _workday_back(today + timedelta(days=spec["created"]))
    else:
        created = _workday(book.start + timedelta(days=rng.randint(*book.research)))

    def past(offset: int) -> date:
        return max(_workday_back(today + timedelta(days=offset)), created)

    plan = Plan(problem, created, creator, today + timedelta(days=spec["deadline"]))
    steps = plan.steps
    acknowledged = spec.get("acknowledged", True)
    status = spec["status"]
    # Whoever keeps the schedule: the owner once signed for, else the one who assigned it.
    keeper = owner if acknowledged else creator
    acked = created
    if acknowledged:
        acked = max(_workday(created + timedelta(days=rng.randint(0, 2))), created)
    if acknowledged and owner != creator:
        steps.append(Step(when(acked, "ack"), owner, "ack"))
    if status != NEW:
        steps.append(Step(when(acked, "plan"), owner, "status", (PLANNING,)))
    for i, (title, due, _done) in enumerate(spec["schedule"]):
        due_on = today + timedelta(days=due)
        steps.append(Step(when(acked, "schedule", i), keeper, "milestone", (i, title, due_on)))
    for i, (title, sub_owner, due, _done) in enumerate(spec.get("subtasks", [])):
        due_on = today + timedelta(days=due)
        steps.append(
            Step(when(acked, "schedule", 10 + i), keeper, "subtask", (i, title, sub_owner, due_on))
        )
    later: list[Step] = []
    for i, (_title, _due, done) in enumerate(spec["schedule"]):
        if done is not None:
            later.append(Step(when(past(done), "milestone_done"), owner, "milestone_done", (i,)))
    for i, (_title, sub_owner, _due, done) in enumerate(spec.get("subtasks", [])):
        if done is not None:
            later.append(Step(when(past(done), "subtask_done"), sub_owner, "subtask_done", (i,)))
    for offset, percent, note in spec["progress"]:
        later.append(Step(when(past(offset), "progress"), owner, "progress", (note, percent)))
    if "blocked" in spec:
        offset, reason = spec["blocked"]
        later.append(Step(when(past(offset), "block"), owner, "status", (BLOCKED, reason)))
    if status == VERIFYING:
        later.append(Step(when(past(-2), "verify"), owner, "status", (VERIFYING,)))
    if "reassign" in spec:
        offset, new_owner = spec["reassign"]
        later.append(Step(when(past(offset), "reassign"), book.executive, "reassign", (new_owner,)))
    if status in (IN_PROGRESS, VERIFYING, BLOCKED):
        first = min((s.at.date() for s in later), default=today)
        started = min(acked + timedelta(days=rng.randint(3, 10)), first - timedelta(days=1))
        started = _workday_back(started)
        steps.append(Step(when(max(started, acked), "start"), owner, "status", (IN_PROGRESS,)))
    steps.extend(sorted(later, key=lambda s: s.at))
    return plan


def plan_problems(problems: list[dict], book: Book) -> list[Plan]:
    """Every item's history, ordered by creation so codes follow the calendar."""
    plans = [(_open_plan if "open" in p else _closed_plan)(p, book) for p in problems]
    order = {id(p): i for i, p in enumerate(problems)}
    return sorted(plans, key=lambda plan: (plan.created, order[id(plan.problem)]))


class _Writer:
    """Replays plans through the issue services, the clock frozen at each step."""

    def __init__(self, task_force: TaskForce, users: dict[str, User], units: dict[str, OrgUnit]):
        self.task_force = task_force
        self.users = users
        self.units = units
        self.categories = {
            c.name: c
            for c in db.session.scalars(
                select(Category).where(Category.task_force_id == task_force.id)
            )
        }

    def write(self, plan: Plan) -> Issue:
        p = plan.problem
        with flushed_at(at(plan.created, "create", salt=p["title"])):
            issue = issues.create_issue(
                self.users[plan.creator],
                self.task_force.id,
                issues.IssueInput(
                    title=p["title"],
                    category_id=self.categories[p["sub"]].id,
                    description=p["description"],
                    solution=p["solution"],
                    owner_id=self.users[p["owner"]].id,
                    collaborator_ids=[self.users[u].id for u in p.get("collaborators", [])],
                    org_unit_id=self.units[p["org_unit"]].id,
                    deadline=plan.deadline,
                    priority=p["priority"],
                    major=p.get("major", False),
                    source=p.get("source", "research"),
                ),
            )
        milestones: dict[int, Milestone] = {}
        subtasks: dict[int, Subtask] = {}
        for step in plan.steps:
            actor = self.users[step.actor]
            with flushed_at(step.at):
                self._do(issue, actor, step, milestones, subtasks)
        return issue

    def _do(self, issue, actor, step, milestones, subtasks) -> None:
        args = step.args
        if step.action == "ack":
            issues.acknowledge(actor, issue)
        elif step.action == "status":
            issues.change_status(actor, issue, args[0], reason=args[1] if len(args) > 1 else "")
        elif step.action == "milestone":
            key, title, due_on = args
            milestones[key] = issues.add_milestone(actor, issue, title, due_on)
        elif step.action == "milestone_done":
            issues.set_milestone_done(actor, milestones[args[0]], True)
        elif step.action == "subtask":
            key, title, owner, due_on = args
            db.session.expire(issue, ["subtasks"])  # numbered by how many there are
            subtasks[key] = issues.add_subtask(
                actor, issue, title, owner_id=self.users[owner].id, deadline=due_on
            )
        elif step.action == "subtask_done":
            issues.set_subtask_done(actor, subtasks[args[0]], True)
        elif step.action == "progress":
            note, percent = args
            issues.add_progress(actor, issue, note, percent)
        elif step.action == "close":
            issues.change_status(actor, issue, CLOSED, verification_note=args[0])
        elif step.action == "reassign":
            self._reassign(actor, issue, self.users[args[0]])
        else:  # pragma: no cover - a typo in a plan
            raise ValueError(step.action)

    def _reassign(self, actor: User, issue: Issue, new_owner: User) -> None:
        """Hand the item to someone else; the previous owner stays on as a collaborator."""
        collaborators = {u.id for u in issue.collaborators} | {issue.owner_id}
        collaborators.discard(new_owner.id)
        issues.update_issue(
            actor,
            issue,
            issues.IssueInput(
                title=issue.title,
                category_id=issue.category_id,
                description=issue.description,
                solution=issue.solution,
                owner_id=new_owner.id,
                collaborator_ids=sorted(collaborators),
                org_unit_id=issue.org_unit_id,
                deadline=issue.deadline,
                priority=issue.priority,
                major=issue.major,
                source=issue.source,
            ),
            issue.version,
        )


def _categories(task_force: TaskForce, actor: User, spec: list, day: date) -> None:
    """The mind map's dimensions and sub-dimensions, found by name under their parent."""
    existing = {
        (c.parent_id, c.name): c
        for c in db.session.scalars(select(Category).where(Category.task_force_id == task_force.id))
    }
    with flushed_at(at(day, "create")):
        for name, prefix, priority, description, subs in spec:
            top = existing.get((None, name))
            if top is None:
                top = issues.create_category(
                    actor,
                    task_force.id,
                    issues.CategoryInput(
                        name=name,
                        code_prefix=prefix,
                        action_priority=priority,
                        description=description,
                    ),
                )
            for sub_name, sub_priority, sub_description in subs:
                if (top.id, sub_name) not in existing:
                    issues.create_category(
                        actor,
                        task_force.id,
                        issues.CategoryInput(
                            name=sub_name,
                            parent_id=top.id,
                            action_priority=sub_priority,
                            description=sub_description,
                        ),
                    )


def problem_list(
    task_force: TaskForce,
    users: dict[str, User],
    units: dict[str, OrgUnit],
    categories: list,
    problems: list[dict],
    book: Book,
) -> int:
    """Write the categories and every problem not there yet; returns how many were added."""
    with task_force_scope(task_force.id):
        _categories(
            task_force, users[book.executive], categories, _workday(book.start + timedelta(days=18))
        )
        have = set(
            db.session.scalars(select(Issue.title).where(Issue.task_force_id == task_force.id))
        )
        writer = _Writer(task_force, users, units)
        added = 0
        for plan in plan_problems([p for p in problems if p["title"] not in have], book):
            writer.write(plan)
            added += 1
    return added
