"""Builders for test data. They write through the models, not the services, so that a
test of a service never depends on that same service to set itself up."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from app.core import clock
from app.core.files import write_chunks
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
from app.issues.models import Attachment, Category, Issue, Milestone, Subtask
from app.people.models import Membership, OrgUnit, TaskForce, User

__all__ = ["Membership", "OrgUnit", "TaskForce", "User"]

PASSWORD = "correct horse 1"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_seq = itertools.count(1)


def store_bytes(key: str, content: bytes) -> tuple[int, str]:
    """Write ``content`` as the stored file ``key`` (what ``core.files.store_file`` writes
    once it has checked an upload); its size and SHA-256."""
    return write_chunks(key, io.BytesIO(content))


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
    category_id: int = 0  # a dimension of the first task force
    issue_id: int = 0  # an item owned by "member", acknowledged, with one of everything
    subtask_id: int = 0
    milestone_id: int = 0
    attachment_id: int = 0
    other_issue_id: int = 0  # an item of the second task force
    ids: dict[str, int] = field(default_factory=dict)  # filled by tests/world_parts/*


# How to fill each route's URL parameters from the world: every route test uses this,
# so a new route parameter needs one line here.
URL_VALUES = {
    "membership_id": lambda w: w.memberships["member"],
    "user_id": lambda w: w.users["member"],
    "task_force_id": lambda w: w.task_force_id,
    "unit_id": lambda w: w.org_unit_id,
    "notification_id": lambda w: 1,
    "category_id": lambda w: w.category_id,
    "issue_id": lambda w: w.issue_id,
    "subtask_id": lambda w: w.subtask_id,
    "milestone_id": lambda w: w.milestone_id,
    "attachment_id": lambda w: w.attachment_id,
    # The review narrative: a past quarter's page (no draft in the world: the pages say so).
    "quarter": lambda w: "2024Q1",
    "draft_id": lambda w: 1,
    # A single sign-on provider (app/people/sso): none is set up in the world.
    "provider": lambda w: "oidc",
}


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
    world = World(
        task_force_id=task_force.id,
        other_task_force_id=other.id,
        org_unit_id=unit.id,
        users=users,
        memberships=memberships,
        other_membership_id=other_membership.id,
    )
    add_problem_list(world)
    other_category = make_category(other.id, "客户拓展", prefix="KT")
    world.other_issue_id = make_issue(other_category, "对公存款营销", owner_id=stranger.id).id
    from tests.world_parts import build_parts

    build_parts(world)
    return world


# --- the problem list ------------------------------------------------------------------------


def make_category(task_force_id: int, name: str, parent=None, prefix: str | None = None):
    category = Category(
        task_force_id=task_force_id,
        name=name,
        parent_id=parent.id if parent else None,
        code_prefix=prefix,
        depth=(parent.depth + 1) if parent else 0,
    )
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    db.session.commit()
    return category


def make_issue(category, title: str | None = None, **fields) -> Issue:
    n = next(_seq)
    issue = Issue(
        task_force_id=category.task_force_id,
        code=fields.pop("code", f"T-{n:04d}"),
        title=title or f"问题{n}",
        category_id=category.id,
        **fields,
    )
    if issue.owner_id and "acknowledged_at" not in fields:
        issue.assigned_at = issue.acknowledged_at = clock.now()
    db.session.add(issue)
    db.session.commit()
    return issue


def add_problem_list(world: World) -> None:
    """A dimension with one item owned by "member" and a subtask, milestone and file."""
    category = make_category(world.task_force_id, "客户端", prefix="KH")
    issue = make_issue(
        category,
        "现金管理类产品归集与支付",
        owner_id=world.users["member"],
        deadline=clock.today() + timedelta(days=30),
        status="in_progress",
        solution="上线归集与支付功能",
    )
    # Every role the table lets work on items is related to this one: managers by role,
    # "member" as owner, "temp_member" as collaborator.
    issue.collaborators = [db.session.get(User, world.users["temp_member"])]
    subtask = Subtask(
        task_force_id=world.task_force_id,
        issue_id=issue.id,
        title="需求评审",
        owner_id=world.users["member"],
    )
    milestone = Milestone(
        task_force_id=world.task_force_id,
        issue_id=issue.id,
        title="上线",
        due_on=clock.today() + timedelta(days=20),
    )
    stored = "world-evidence.pdf"
    size, sha256 = store_bytes(stored, b"%PDF-1.4 evidence")
    attachment = Attachment(
        task_force_id=world.task_force_id,
        issue_id=issue.id,
        filename="验收材料.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=size,
        sha256=sha256,
    )
    db.session.add_all([subtask, milestone, attachment])
    db.session.commit()
    world.category_id = category.id
    world.issue_id = issue.id
    world.subtask_id = subtask.id
    world.milestone_id = milestone.id
    world.attachment_id = attachment.id


# Each feature adds its objects to the world and its route parameters in its own file.
from tests.world_parts import url_values  # noqa: E402

URL_VALUES.update(url_values())
