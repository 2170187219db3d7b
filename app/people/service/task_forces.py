"""Task forces: creating and editing them, which ones a person may enter and switch to,
and the overview of one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Date, and_, bindparam, case, select

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.models import AuditEvent
from app.core.permissions import LEADER, TASK_FORCE_ROLES, TEMP_MEMBER, authorize
from app.core.scope import task_force_scope, unscoped
from app.core.service import check_version
from app.extensions import db
from app.people.models import Membership, TaskForce, User
from app.people.service.accounts import _get_or_not_found, _set_preference
from app.people.service.memberships import _start_membership


@dataclass
class TaskForceInput:
    name: str
    goal: str
    starts_on: date
    ends_on: date | None
    leader_id: int | None = None
    key: str | None = None  # a program's stable name for it (the demo's); never shown


def _check_task_force_input(data: TaskForceInput, existing: TaskForce | None = None) -> None:
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise ValidationFailed(_("The end must not be before the start."), "ends_on")
    clash = db.session.scalar(select(TaskForce).where(TaskForce.name == data.name))
    if clash is not None and clash is not existing:
        raise ValidationFailed(_("A task force with this name exists."), "name")


def create_task_force(actor: User, data: TaskForceInput) -> TaskForce:
    """Create a task force and put its leader on the roster."""
    authorize(actor, "taskforce.create")
    _check_task_force_input(data)
    leader = db.session.get(User, data.leader_id) if data.leader_id else None
    if data.leader_id and (leader is None or not leader.active):
        raise ValidationFailed(_("Choose an active user."), "leader_id")
    task_force = TaskForce(
        name=data.name, goal=data.goal, starts_on=data.starts_on, ends_on=data.ends_on, key=data.key
    )
    db.session.add(task_force)
    db.session.flush()
    audit.record(actor, "created", task_force, summary=task_force.name, task_force_id=task_force.id)
    if leader is not None:
        with task_force_scope(task_force.id):
            _start_membership(actor, task_force.id, leader, LEADER, None, data.starts_on, None)
    return task_force


def update_task_force(
    actor: User, task_force: TaskForce, data: TaskForceInput, version: int | None
) -> TaskForce:
    authorize(actor, "taskforce.edit", task_force.id)
    check_version(task_force, version)
    _check_task_force_input(data, existing=task_force)
    changes = audit.apply_changes(
        task_force,
        {
            "name": data.name,
            "goal": data.goal,
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
        },
    )
    if changes:
        audit.record(actor, "updated", task_force, changes, task_force_id=task_force.id)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return task_force


def set_task_force_archived(actor: User, task_force: TaskForce, archived: bool) -> None:
    authorize(actor, "taskforce.create")
    changes = audit.apply_changes(task_force, {"archived_at": clock.now() if archived else None})
    if changes:
        audit.record(
            actor, "archived" if archived else "restored", task_force, task_force_id=task_force.id
        )


def get_task_force(task_force_id) -> TaskForce:
    """:raise NotFound: for an unknown id."""
    return _get_or_not_found(TaskForce, task_force_id)


def all_task_forces(actor: User) -> list[TaskForce]:
    authorize(actor, "taskforce.create")
    return list(db.session.scalars(select(TaskForce).order_by(TaskForce.starts_on.desc())))


def _rank():
    # Where the user carries most responsibility comes first: it is the default.
    return case({role: i for i, role in enumerate(TASK_FORCE_ROLES)}, value=Membership.role)


@cache
def _available_statements():
    """Every page asks which task forces its reader may switch to: the statements are
    built once, so a request pays only for running them."""
    open_ = select(TaskForce).where(TaskForce.archived_at.is_(None))
    member = (
        open_.add_columns(Membership.role)
        .join(Membership, Membership.task_force_id == TaskForce.id)
        .where(
            Membership.user_id == bindparam("user_id"),
            Membership.active_on(bindparam("day", type_=Date)),
        )
        .order_by(_rank(), TaskForce.name)
    )
    return open_.order_by(TaskForce.name), member


def with_member_task_forces(statement, user_id):
    """``statement`` (one row of the user ``user_id``, a column) joined with the open task
    forces where they are an active member on the bound ``day``: one row each, in the
    order ``available_task_forces`` gives, or one row with no task force. Every request
    reads its reader this way (``app.load_user``): the task forces come with the reader,
    not in a second query; ``available_task_forces`` takes them as ``read_along``."""
    return (
        statement.add_columns(TaskForce, Membership.role)
        .outerjoin(
            Membership,
            and_(
                Membership.user_id == user_id,
                Membership.active_on(bindparam("day", type_=Date)),
            ),
        )
        .outerjoin(
            TaskForce,
            and_(TaskForce.id == Membership.task_force_id, TaskForce.archived_at.is_(None)),
        )
        .order_by(_rank(), TaskForce.name)
    )


def available_task_forces(
    user: User, read_along: list[tuple[TaskForce, str]] | None = None
) -> list[TaskForce]:
    """The task forces ``user`` may switch to: active memberships, or all for an admin.
    ``read_along``: the (task force, role) pairs of ``with_member_task_forces`` read
    today with the user, or ``None`` to read them here."""
    every, member = _available_statements()
    if user.is_admin:
        return list(db.session.scalars(every))
    rows = read_along
    if rows is None:
        with unscoped():
            rows = db.session.execute(member, {"user_id": user.id, "day": clock.today()}).all()
    for task_force, role in rows:  # every page asks for the roles: no second query
        user.remember_role(task_force.id, role)
    return [task_force for task_force, _role in rows]


def last_worked_in(user: User, available: list[TaskForce]) -> TaskForce | None:
    """Of ``available``, the task force where ``user`` last changed something (the audit
    log says where), or ``None`` when they have done nothing in any: one query."""
    if not available:
        return None
    by_id = {task_force.id: task_force for task_force in available}
    found = db.session.scalar(
        select(AuditEvent.task_force_id)
        .where(AuditEvent.actor_id == user.id, AuditEvent.task_force_id.in_(list(by_id)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return by_id.get(found)


def resolve_current_task_force(
    user: User, available: list[TaskForce] | None = None
) -> TaskForce | None:
    """The user's chosen task force if still open to them; else the one they last worked
    in; else the one where they carry most responsibility."""
    if available is None:
        available = available_task_forces(user)
    for task_force in available:
        if task_force.id == user.current_task_force_id:
            return task_force
    if len(available) > 1:
        return last_worked_in(user, available) or available[0]
    return available[0] if available else None


def switch_task_force(user: User, task_force_id: int) -> TaskForce:
    """:raise NotFound: when the user may not enter that task force."""
    for task_force in available_task_forces(user):
        if task_force.id == task_force_id:
            if user.current_task_force_id != task_force_id:
                _set_preference(user, current_task_force_id=task_force_id)
            return task_force
    raise NotFound("task force not found")


def leaders_of(task_force_ids: list[int]) -> dict[int, list[User]]:
    """Active leaders per task force, in one query."""
    if not task_force_ids:
        return {}
    with unscoped():
        rows = db.session.execute(
            select(Membership.task_force_id, User)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.task_force_id.in_(task_force_ids),
                Membership.role == LEADER,
                Membership.active_on(clock.today()),
            )
            .order_by(User.display_name)
        ).all()
    result: dict[int, list[User]] = {}
    for tf_id, user in rows:
        result.setdefault(tf_id, []).append(user)
    return result


@dataclass
class Overview:
    task_force: TaskForce
    leaders: list[User]
    executive_leaders: list[User]
    counts_by_role: dict[str, int]
    my_role: str | None
    temporary_ending: list[Membership]


def can_view_task_force(user: User, task_force_id: int) -> bool:
    from app.core.permissions import can

    return can(user, "taskforce.view", task_force_id)


def task_force_overview(actor: User, task_force_id: int, soon_days: int = 14) -> Overview:
    """Who leads, how many serve in each role, whose temporary membership ends soon."""
    from app.core.permissions import EXEC_LEADER

    authorize(actor, "taskforce.view", task_force_id)
    today = clock.today()
    active = list(
        db.session.scalars(
            select(Membership)
            .where(Membership.task_force_id == task_force_id, Membership.active_on(today))
            .options(db.joinedload(Membership.user))
        )
    )
    # In the roster's order: leader, executive leader, member, temporary member, viewer.
    counts = {role: 0 for role in TASK_FORCE_ROLES}
    for membership in active:
        counts[membership.role] = counts.get(membership.role, 0) + 1
    counts = {role: n for role, n in counts.items() if n}
    mine = next((m.role for m in active if m.user_id == actor.id), None)
    return Overview(
        task_force=get_task_force(task_force_id),
        leaders=[m.user for m in active if m.role == LEADER],
        executive_leaders=[m.user for m in active if m.role == EXEC_LEADER],
        counts_by_role=counts,
        my_role=mine,
        temporary_ending=sorted(
            (
                m
                for m in active
                if m.role == TEMP_MEMBER
                and m.ends_on is not None
                and m.ends_on <= today + timedelta(days=soon_days)
            ),
            key=lambda m: m.ends_on,
        ),
    )
