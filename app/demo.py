"""``flask demo load``: demo data from the source case, safe to run again.

Each feature adds its part here as it lands; a second run finds what exists and
adds nothing twice.

The story is one year of the non-deposit AUM task force, placed relative to today:
it started about eleven months ago, found 92 key problems in its first weeks of
research, has closed 78 of them and runs the other 14 on a landing schedule. The
history is replayed through the services with the clock frozen at each step, so every
timestamp (created, acknowledged, closed, progress, audit events) carries its date.
The problems themselves live in ``app/issues/demo_data.py``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import event, select, update

from app.core import clock
from app.core.database import refresh_statistics
from app.core.models import Notification
from app.core.permissions import (
    ADMIN,
    EXEC_LEADER,
    FRONTLINE,
    LEADER,
    MEMBER,
    TEMP_MEMBER,
    VIEWER,
)
from app.core.scope import task_force_scope, unscoped
from app.core.unit import committing, flushed_at
from app.decisions import demo_data as decisions_demo
from app.demo_problems import PEOPLE, Book, at, problem_list
from app.discussion import demo_data as discussion_demo
from app.extensions import db
from app.intake import demo_data as intake_demo
from app.issues import demo_data
from app.kpis import demo_data as kpis_demo
from app.meetings import demo_data as meetings_demo
from app.notify import demo_data as notify_demo
from app.people import service
from app.people.models import Membership, OrgUnit, TaskForce, User
from app.pilots import demo_data as pilots_demo
from app.reports import demo_data as reports_demo

DEFAULT_PASSWORD = "gongjian2026"

# The demo's people, org units and task forces are data (``demo_people.json``): the org
# tree (name, kind, sub-branches), the accounts (bank-wide role, org unit, role on the
# AUM task force), the temporary members' periods (动态调整: joined days after the task
# force's start, or when negative days before today; the membership ends days after
# today), and the two task forces. The demo knows its task forces by their keys, never
# by name: people rename task forces, and a real task force may carry the source case's
# name. The earlier demo called the retail department 零售金融部; an old database is
# renamed (``renamed_units``).
ORG_UNITS = [(u["name"], u["kind"], u["children"]) for u in PEOPLE["org_units"]]
RENAMED_UNITS: dict[str, str] = PEOPLE["renamed_units"]
USERS = [
    (u["username"], u["name"], u["role"], u["org_unit"], u["aum_role"]) for u in PEOPLE["users"]
]
TEMP_PERIODS = {name: tuple(days) for name, days in PEOPLE["temp_periods"].items()}
AUM_KEY = PEOPLE["task_forces"]["aum"]["key"]
AUM_TASK_FORCE = PEOPLE["task_forces"]["aum"]["name"]
AUM_GOAL = PEOPLE["task_forces"]["aum"]["goal"]
SECOND_KEY = PEOPLE["task_forces"]["second"]["key"]
SECOND_TASK_FORCE = PEOPLE["task_forces"]["second"]["name"]
SECOND_GOAL = PEOPLE["task_forces"]["second"]["goal"]
# (username, role) besides its leader, 张慧 (exec).
SECOND_ROSTER = [(m["username"], m["role"]) for m in PEOPLE["task_forces"]["second"]["roster"]]


def aum_start(today: date) -> date:
    """The AUM task force began on the first of the month some eleven months ago."""
    return (today - timedelta(days=330)).replace(day=1)


def second_start(today: date) -> date:
    return (today - timedelta(days=150)).replace(day=1)


def _year_after(start: date) -> date:
    return start.replace(year=start.year + 1) - timedelta(days=1)


# --- people ------------------------------------------------------------------------------


def _org_units(admin: User) -> dict[str, OrgUnit]:
    existing = {u.name: u for u in db.session.scalars(select(OrgUnit))}
    for old, new in RENAMED_UNITS.items():
        if old in existing and new not in existing:
            unit = existing.pop(old)
            service.update_org_unit(
                admin,
                unit,
                service.OrgUnitInput(
                    name=new, kind=unit.kind, parent_id=unit.parent_id, sort_order=unit.sort_order
                ),
                None,
            )
            existing[new] = unit
    for order, (name, kind, children) in enumerate(ORG_UNITS):
        if name not in existing:
            existing[name] = service.create_org_unit(
                admin, service.OrgUnitInput(name=name, kind=kind, sort_order=order)
            )
        for child_order, child in enumerate(children):
            if child not in existing:
                existing[child] = service.create_org_unit(
                    admin,
                    service.OrgUnitInput(
                        name=child,
                        kind="sub_branch",
                        parent_id=existing[name].id,
                        sort_order=child_order,
                    ),
                )
    return existing


def _users(password: str) -> tuple[dict[str, User], dict[str, OrgUnit]]:
    existing = {u.username: u for u in db.session.scalars(select(User))}
    if "admin" not in existing:
        existing["admin"] = service.create_user(
            None,
            service.UserInput(
                username="admin",
                email="admin@gongjian.local",
                display_name="系统管理员",
                role=ADMIN,
                password=password,
            ),
        )
    admin = existing["admin"]
    units = _org_units(admin)
    for username, name, role, unit, _tf_role in USERS:
        if username in existing:
            continue
        existing[username] = service.create_user(
            admin,
            service.UserInput(
                username=username,
                email=f"{username}@gongjian.local",
                display_name=name,
                role=role,
                org_unit_id=units[unit].id,
                password=password,
            ),
        )
    return existing, units


def _temp_period(username: str, start: date, today: date) -> tuple[date, date]:
    joined, ends = TEMP_PERIODS.get(username, (0, 90))
    joined_on = start + timedelta(days=joined) if joined >= 0 else today + timedelta(days=joined)
    return joined_on, today + timedelta(days=ends)


def _has_membership(task_force_id: int, user_id: int) -> bool:
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.task_force_id == task_force_id, Membership.user_id == user_id
            )
        )
        is not None
    )


def _free_name(name: str) -> str:
    """``name``, or ``name（演示）``… when a task force the demo did not make has it."""
    taken = set(db.session.scalars(select(TaskForce.name)))
    candidates = [name, f"{name}（演示）"] + [f"{name}（演示{n}）" for n in range(2, 100)]
    return next(c for c in candidates if c not in taken)


def _loaded_before_keys(name: str, leader: User) -> TaskForce | None:
    """The demo's task force in a database the demo filled before task forces had keys:
    of the demo's name, without a key, and led by the demo's own leader account, so a
    real task force of that name is never taken for it."""
    with unscoped():
        return db.session.scalar(
            select(TaskForce)
            .join(Membership, Membership.task_force_id == TaskForce.id)
            .where(
                TaskForce.key.is_(None),
                TaskForce.name == name,
                Membership.user_id == leader.id,
                Membership.role == LEADER,
            )
            .limit(1)
        )


def _task_force(
    admin: User, key: str, name: str, goal: str, start: date, leader: User
) -> TaskForce:
    """The demo's task force of ``key``, made the first time (renamed since, it is still
    found; a task force of the same name that the demo did not make is left alone)."""
    task_force = db.session.scalar(select(TaskForce).where(TaskForce.key == key))
    if task_force is None:
        task_force = _loaded_before_keys(name, leader)
        if task_force is not None:
            task_force.key = key
    if task_force is None:
        with flushed_at(at(start, "setup")):
            task_force = service.create_task_force(
                admin,
                service.TaskForceInput(
                    name=_free_name(name),
                    goal=goal,
                    starts_on=start,
                    ends_on=_year_after(start),
                    leader_id=leader.id,
                    key=key,
                ),
            )
    return task_force


def _aum_roster(admin: User, task_force: TaskForce, users: dict[str, User]) -> None:
    today = clock.today()
    start = task_force.starts_on
    with task_force_scope(task_force.id):
        for username, _name, _role, _unit, tf_role in USERS:
            if tf_role is None or _has_membership(task_force.id, users[username].id):
                continue
            joined_on, ends_on = start, None
            if tf_role == TEMP_MEMBER:
                joined_on, ends_on = _temp_period(username, start, today)
            with flushed_at(at(joined_on, "setup")):
                service.add_member(
                    admin,
                    task_force.id,
                    users[username].id,
                    tf_role,
                    joined_on=joined_on,
                    ends_on=ends_on,
                )


def _second_roster(admin: User, task_force: TaskForce, users: dict[str, User]) -> None:
    start = task_force.starts_on
    with task_force_scope(task_force.id), flushed_at(at(start, "setup")):
        for username, role in SECOND_ROSTER:
            if not _has_membership(task_force.id, users[username].id):
                service.add_member(admin, task_force.id, users[username].id, role, joined_on=start)


def _quiet_old_notifications(task_force_ids: list[int], before: datetime) -> None:
    """A year of replayed history would leave hundreds of unread messages: the old ones
    count as read, the last fortnight's stay unread."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.task_force_id.in_(task_force_ids),
            Notification.read_at.is_(None),
            Notification.created_at < before,
        )
        .values(read_at=Notification.created_at)
    )


def _run(dbapi_connection, statement: str):
    cursor = dbapi_connection.cursor()
    cursor.execute(statement)
    row = cursor.fetchone() if cursor.description else None
    cursor.close()
    dbapi_connection.commit()  # a rollback on check-in must not undo a setting
    return row


@contextmanager
def _replaying():
    """Replaying a year of history makes some 1,300 service calls, kept as one unit of
    work (``core.unit.committing``): all of the demo or none of it.

    Three things would make that slow and none matters while the demo is written: the
    database syncing to disk (off while a connection is checked out for the replay,
    restored when it comes back); the session reloading every object after a commit
    (all writes go through this one session, so what it holds is current); and each
    call looking up the actor's role again (see ``_load``).
    """
    session = db.session()
    engine = db.engine
    dialect = engine.dialect.name

    def sync_off(dbapi_connection, record, _proxy) -> None:
        if dialect == "sqlite":
            record.info["demo_synchronous"] = _run(dbapi_connection, "PRAGMA synchronous")[0]
            _run(dbapi_connection, "PRAGMA synchronous = OFF")
        else:
            _run(dbapi_connection, "SET synchronous_commit TO OFF")

    def sync_back(dbapi_connection, record) -> None:
        if dbapi_connection is None:  # invalidated: gone with its settings
            return
        if dialect == "sqlite":
            previous = int(record.info.pop("demo_synchronous", 2))
            _run(dbapi_connection, f"PRAGMA synchronous = {previous}")
        else:
            _run(dbapi_connection, "RESET synchronous_commit")

    tuned = dialect in ("sqlite", "postgresql")
    expire = session.expire_on_commit
    session.expire_on_commit = False
    if tuned:
        session.close()  # the next statement checks a connection out, through sync_off
        event.listen(engine, "checkout", sync_off)
        event.listen(engine, "checkin", sync_back)
    try:
        yield
    finally:
        session.expire_on_commit = expire
        if tuned:
            session.close()  # checks the connection in, through sync_back
            event.remove(engine, "checkout", sync_off)
            event.remove(engine, "checkin", sync_back)


def load_demo(password: str = DEFAULT_PASSWORD) -> None:
    with _replaying(), committing():
        _load(password)


def _load(password: str) -> None:
    today = clock.today()
    with flushed_at(at(aum_start(today) - timedelta(days=14), "setup")):
        users, units = _users(password)
    admin = users["admin"]

    aum = _task_force(admin, AUM_KEY, AUM_TASK_FORCE, AUM_GOAL, aum_start(today), users["leader"])
    _aum_roster(admin, aum, users)
    second = _task_force(
        admin, SECOND_KEY, SECOND_TASK_FORCE, SECOND_GOAL, second_start(today), users["exec"]
    )
    _second_roster(admin, second, users)

    # Rosters are complete now. Inside a request context ``User.roles_in`` looks a
    # role up once per user and day instead of at every one of the service calls.
    with current_app.test_request_context("/demo/load"):
        added = _problem_lists(users, units, aum, second, today)
        decisions_demo.build(aum, users, today)
        discussion_demo.build(aum, users, today)
        intake_demo.build(aum, users, today)
        added += pilots_demo.build(aum, users, units, today)
        added += kpis_demo.build(aum, users, today)
        meetings_demo.load(aum, users, units, today)
        reports_demo.write_narratives(aum, users["exec"], users["leader"], today)
        reports_demo.queue_packs(aum, users["leader"], today)
        reports_demo.queue_bulletin(aum, users["leader"], today)
    if added:
        _quiet_old_notifications([aum.id, second.id], clock.now() - timedelta(days=14))
    notify_demo.load()


def _problem_lists(users, units, aum: TaskForce, second: TaskForce, today: date) -> int:
    added = problem_list(
        aum,
        users,
        units,
        demo_data.CATEGORIES,
        demo_data.PROBLEMS,
        Book(aum.starts_on, today, leader="leader", executive="exec", research=(21, 35)),
    )
    added += problem_list(
        second,
        users,
        units,
        demo_data.SECOND_CATEGORIES,
        demo_data.SECOND_PROBLEMS,
        Book(second.starts_on, today, leader="exec", executive="exec", research=(12, 20)),
    )
    return added


ROLE_NAMES = {
    ADMIN: "administrator",
    FRONTLINE: "frontline staff 一线员工",
    LEADER: "leader 组长",
    EXEC_LEADER: "executive leader 执行组长",
    MEMBER: "member 固定成员",
    TEMP_MEMBER: "temporary member 临时成员",
    VIEWER: "viewer 观察员",
}


def _padded(text: str, columns: int) -> str:
    """Pad to a width on the console, where a Chinese character takes two columns."""
    width = sum(2 if ord(char) > 0x2E7F else 1 for char in text)
    return text + " " * max(columns - width, 0)


def login_lines() -> list[str]:
    """The demo accounts with their roles in the two task forces today, for the console."""
    today = clock.today()
    with unscoped():
        rows = db.session.execute(
            select(User.username, Membership.role, Membership.ends_on, TaskForce.name)
            .join(Membership, Membership.user_id == User.id)
            .join(TaskForce, TaskForce.id == Membership.task_force_id)
            .where(
                TaskForce.key.in_([AUM_KEY, SECOND_KEY]),
                Membership.active_on(today),
            )
            .order_by(TaskForce.key != AUM_KEY)
        ).all()
    roles: dict[str, list[str]] = {}
    for username, role, ends_on, task_force in rows:
        label = f"{ROLE_NAMES[role]} of {task_force}"
        if ends_on:
            label += f" until {ends_on.isoformat()}"
        roles.setdefault(username, []).append(label)
    lines = []
    for username, name, role, unit, _tf_role in USERS:
        label = "; ".join(roles.get(username) or [ROLE_NAMES[role]])
        lines.append(f"  {username:<10} {_padded(name, 10)} {_padded(unit, 14)} {label}")
    return lines


def register(app: Flask) -> None:
    demo = click.Group("demo", help="Demo data from the source case.")

    @demo.command("load")
    def load_command() -> None:
        """Create the demo accounts, task forces and problem lists (again: adds nothing twice)."""
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        load_demo(password)
        refresh_statistics()  # SQLite's planner's statistics of the loaded rows
        click.echo(f"Demo logins (password: {password}):")
        for line in login_lines():
            click.echo(line)
        click.echo(
            "admin signs in with a second step: at the first sign-in, enrol an authenticator app"
            " (the page shows its QR code) and keep the recovery codes."
        )

    app.cli.add_command(demo)
