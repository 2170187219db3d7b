"""Builders for test data. They write through the models, not the services, so that a
test of a service never depends on that same service to set itself up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from app.core import clock
from app.core.permissions import (
    ADMIN,
    EXEC_LEADER,
    FRONTLINE,
    LEADER,
    MEMBER,
    STAFF,
    TEMP_MEMBER,
    VIEWER,
)
from app.extensions import db
from app.people.models import Membership, OrgUnit, TaskForce, User

__all__ = ["Membership", "OrgUnit", "TaskForce", "User"]

PASSWORD = "correct horse 1"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_seq = itertools.count(1)


def make_user(username: str | None = None, role: str = STAFF, **fields) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = User(
        username=username,
        email=fields.pop("email", f"{username}@example.test"),
        display_name=fields.pop("display_name", f"用户{n}"),
        password_hash=_HASH,
        role=role,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_org_unit(name: str | None = None, kind: str = "branch", parent: OrgUnit | None = None):
    unit = OrgUnit(
        name=name or f"机构{next(_seq)}", kind=kind, parent_id=parent.id if parent else None
    )
    db.session.add(unit)
    db.session.commit()
    return unit


def make_task_force(name: str | None = None, **fields) -> TaskForce:
    task_force = TaskForce(
        name=name or f"攻坚小组{next(_seq)}",
        goal=fields.pop("goal", "非存AUM 突破千亿"),
        starts_on=fields.pop("starts_on", clock.today() - timedelta(days=60)),
        **fields,
    )
    db.session.add(task_force)
    db.session.commit()
    return task_force


def make_membership(
    user: User,
    task_force: TaskForce,
    role: str = MEMBER,
    joined_on: date | None = None,
    ends_on: date | None = None,
    left_on: date | None = None,
) -> Membership:
    membership = Membership(
        user_id=user.id,
        task_force_id=task_force.id,
        role=role,
        joined_on=joined_on or clock.today() - timedelta(days=30),
        ends_on=ends_on,
        left_on=left_on,
    )
    db.session.add(membership)
    db.session.commit()
    return membership


@dataclass
class World:
    """Ids and usernames only: tests use them across requests and app contexts."""

    task_force_id: int
    other_task_force_id: int
    org_unit_id: int
    users: dict[str, int]  # persona -> user id
    memberships: dict[str, int]  # persona -> membership id on the first task force
    other_membership_id: int  # a membership on the second task force


# Personas: the username is the persona's name.
PERSONAS = {
    "admin": (ADMIN, None),
    "frontline": (FRONTLINE, None),
    "outsider": (STAFF, None),  # an account on no task force
    "leader": (STAFF, LEADER),
    "exec_leader": (STAFF, EXEC_LEADER),
    "member": (STAFF, MEMBER),
    "temp_member": (STAFF, TEMP_MEMBER),
    "viewer": (STAFF, VIEWER),
    "expired_temp": (STAFF, TEMP_MEMBER),  # temporary membership that ended yesterday
}


def build_world() -> World:
    today = clock.today()
    unit = make_org_unit("长春分行")
    task_force = make_task_force("非存AUM攻坚克难小组")
    other = make_task_force("普惠金融攻坚小组")
    users: dict[str, int] = {}
    memberships: dict[str, int] = {}
    for persona, (global_role, tf_role) in PERSONAS.items():
        user = make_user(persona, role=global_role, org_unit_id=unit.id)
        users[persona] = user.id
        if tf_role is None:
            continue
        ends_on = None
        if persona == "temp_member":
            ends_on = today + timedelta(days=30)
        elif persona == "expired_temp":
            ends_on = today - timedelta(days=1)
        memberships[persona] = make_membership(user, task_force, tf_role, ends_on=ends_on).id
    stranger = make_user("stranger")
    other_membership = make_membership(stranger, other, MEMBER)
    return World(
        task_force_id=task_force.id,
        other_task_force_id=other.id,
        org_unit_id=unit.id,
        users=users,
        memberships=memberships,
        other_membership_id=other_membership.id,
    )
