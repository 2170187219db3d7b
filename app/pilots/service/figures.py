"""Coverage of a rollout and the lights of pilots and rollout tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select

from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import GREEN, GREY, RED, YELLOW
from app.pilots.models import (
    DONE,
    FINISHED,
    NOT_APPLICABLE,
    OPEN_ROLLOUT,
    RUNNING,
    Pilot,
    RolloutChange,
    RolloutTask,
)


@dataclass(frozen=True)
class Coverage:
    done: int
    applicable: int

    @property
    def ratio(self) -> float | None:
        """Done over applicable; ``None`` when no unit is applicable."""
        return self.done / self.applicable if self.applicable else None

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)


def coverage_of(statuses) -> Coverage:
    statuses = list(statuses)
    return Coverage(
        done=sum(1 for s in statuses if s == DONE),
        applicable=sum(1 for s in statuses if s != NOT_APPLICABLE),
    )


def coverage_by_pilot(task_force_id: int) -> dict[int, Coverage]:
    """Every pilot's coverage in one grouped query."""
    rows = db.session.execute(
        select(
            RolloutTask.pilot_id,
            func.count(RolloutTask.id).filter(RolloutTask.status == DONE),
            func.count(RolloutTask.id).filter(RolloutTask.status != NOT_APPLICABLE),
        )
        .where(RolloutTask.task_force_id == task_force_id)
        .group_by(RolloutTask.pilot_id)
    )
    return {pilot_id: Coverage(done, applicable) for pilot_id, done, applicable in rows}


def coverage_history(pilot: Pilot) -> list[tuple[date, Coverage]]:
    """Coverage after each day on which a rollout task changed status (one query)."""
    changes = db.session.execute(
        select(RolloutChange.changed_on, RolloutChange.rollout_task_id, RolloutChange.status)
        .where(RolloutChange.pilot_id == pilot.id)
        .order_by(RolloutChange.changed_on, RolloutChange.id)
    ).all()
    state: dict[int, str] = {}
    history: list[tuple[date, Coverage]] = []
    for day, task_id, status in changes:
        state[task_id] = status
        point = (day, coverage_of(state.values()))
        if history and history[-1][0] == day:
            history[-1] = point
        else:
            history.append(point)
    return history


def _late_rollout(rules: LightRules, until: date):
    return exists().where(
        RolloutTask.pilot_id == Pilot.id,
        RolloutTask.status.in_(OPEN_ROLLOUT),
        RolloutTask.planned_on.is_not(None),
        RolloutTask.planned_on < until,
    )


def light_expression(rules: LightRules):
    """A pilot's light in SQL, in the style of the issues' rule:

    red    — a rollout task past its planned date, or a running pilot past its planned end
    yellow — a rollout task or a running pilot's end within N days
    grey   — completed or stopped
    """
    running_end = and_(Pilot.status == RUNNING, Pilot.planned_end.is_not(None))
    red = or_(_late_rollout(rules, rules.today), and_(running_end, Pilot.planned_end < rules.today))
    soon = rules.due_soon_until + timedelta(days=1)
    yellow = or_(
        _late_rollout(rules, soon), and_(running_end, Pilot.planned_end <= rules.due_soon_until)
    )
    return case((Pilot.status.in_(FINISHED), GREY), (red, RED), (yellow, YELLOW), else_=GREEN)


def light_of(pilot: Pilot, rules: LightRules) -> str:
    """The same rule for one loaded pilot (its rollout tasks are read)."""
    if pilot.status in FINISHED:
        return GREY
    running_end = pilot.planned_end if pilot.status == RUNNING else None
    open_dates = [t.planned_on for t in pilot.rollouts if t.is_open and t.planned_on]
    if any(d < rules.today for d in open_dates) or (running_end and running_end < rules.today):
        return RED
    if any(d <= rules.due_soon_until for d in open_dates) or (
        running_end and running_end <= rules.due_soon_until
    ):
        return YELLOW
    return GREEN


def rollout_light(task: RolloutTask, rules: LightRules) -> str:
    if not task.is_open:
        return GREY
    if task.planned_on is not None and task.planned_on < rules.today:
        return RED
    if task.planned_on is not None and task.planned_on <= rules.due_soon_until:
        return YELLOW
    return GREEN
