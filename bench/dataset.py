"""Builds a benchmark dataset: org units, users and task-force memberships.

Later features add their rows here (issues, meetings, escalations …), so ``make bench``
always measures the pages against a bank-sized year of work.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from app.core import audit, clock, sealing
from app.core.permissions import ADMIN, EXEC_LEADER, LEADER, MEMBER, STAFF, TEMP_MEMBER, VIEWER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import (
    BLOCKED,
    CLOSED,
    IN_PROGRESS,
    NEW,
    PLANNING,
    PRIORITIES,
    VERIFYING,
    Category,
    Issue,
    Milestone,
    ProgressUpdate,
    Subtask,
)
from app.people.models import Membership, OrgUnit, TaskForce, TwoFactor, User
from bench import dataset_year

PASSWORD = "bench-password"
# The administrator's authenticator key (two-factor sign-in is required of administrators).
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def build(
    users: int = 300,
    org_units: int = 50,
    issues: int = 10_000,
    year: bool = True,
    task_forces: int = 1,
) -> dict[str, int]:
    """Write the dataset; returns the counts written. ``year=False`` writes the items and
    their milestones only (for the reminder pass over 100,000 items). ``task_forces``
    > 1 writes that many task forces of ``issues`` items each, with their year (the scale
    scenario, bench/scale.py): the first is written exactly as with one task force (same
    ids, same rows), its 49 members alone; each other has 49 members of its own drawn in
    turn from the people past the first 50, so people sit on several task forces."""
    today = clock.today()
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    with unscoped():
        branches = []
        for i in range(org_units):
            parent = branches[i % 10].id if i >= 10 else None
            unit = OrgUnit(
                name=f"机构{i:03d}", kind="sub_branch" if parent else "branch", parent_id=parent
            )
            db.session.add(unit)
            db.session.flush()
            branches.append(unit)
        task_force = TaskForce(
            name="非存AUM攻坚克难小组",
            goal="非存AUM 突破千亿",
            starts_on=today - timedelta(days=300),
        )
        db.session.add(task_force)
        db.session.flush()
        roles = [LEADER, EXEC_LEADER] + [MEMBER] * 40 + [TEMP_MEMBER] * 5 + [VIEWER] * 3
        people = []
        for i in range(users):
            user = User(
                username="admin" if i == 0 else f"user{i:04d}",
                email=f"user{i}@bench.test",
                display_name=f"用户{i:04d}",
                password_hash=password_hash,
                role=ADMIN if i == 0 else STAFF,
                org_unit_id=branches[i % org_units].id,
                current_task_force_id=task_force.id,
            )
            people.append(user)
        db.session.add_all(people)
        db.session.flush()
        # Administrators sign in with a second step: the bench's answers with this key.
        enrolled = clock.now()
        secret = sealing.seal(ADMIN_TOTP_SECRET)
        db.session.add(TwoFactor(user_id=people[0].id, secret=secret, enabled_at=enrolled))
        for i, user in enumerate(people[1 : len(roles) + 1]):
            role = roles[i]
            db.session.add(
                Membership(
                    task_force_id=task_force.id,
                    user_id=user.id,
                    role=role,
                    joined_on=today - timedelta(days=300),
                    ends_on=today + timedelta(days=60) if role == TEMP_MEMBER else None,
                )
            )
        for i, user in enumerate(people):
            audit.record(people[0], "created", user, {"username": [None, user.username]})
            if i % 1000 == 999:
                db.session.flush()
        db.session.commit()
        members = [p.id for p in people[1 : len(roles) + 1]]
        units = [b.id for b in branches]
        categories = _category_tree(task_force.id)
        _issues(task_force.id, categories, members, units, issues, year)
        written = dataset_year.build(task_force.id, members, units) if year else {}
        for number in range(1, task_forces):
            others = _other_members(people, number, len(roles))
            _other_task_force(number, others, roles, units, issues, year)
    return {
        **{name: count * task_forces for name, count in written.items()},
        "task_forces": task_forces,
        "users": users,
        "org_units": org_units,
        "memberships": len(roles) * task_forces,
        "categories": len(categories) * task_forces,
        "issues": issues * task_forces,
        "subtasks": issues * 2 * task_forces if year else 0,
        "progress_updates": issues * 3 * task_forces if year else 0,
    }


def _other_members(people: list[User], number: int, size: int) -> list[int]:
    """The ``number``-th other task force's members: ``size`` people in turn from those
    past the first task force's (wrapping round), never the administrator."""
    pool = people[size + 1 :]
    if len(pool) < size:
        raise ValueError(f"{size} members need at least {2 * size + 1} users")
    start = (number - 1) * size
    return [pool[(start + k) % len(pool)].id for k in range(size)]


def _other_task_force(number, members, roles, units, issues: int, year: bool) -> None:
    """One more task force of ``issues`` items (and its year), in bulk."""
    today = clock.today()
    task_force = TaskForce(
        name=f"攻坚小组{number:02d}",
        goal=f"第{number}项攻坚目标",
        starts_on=today - timedelta(days=300),
    )
    db.session.add(task_force)
    db.session.flush()
    rows = [
        {
            "task_force_id": task_force.id,
            "user_id": user_id,
            "role": role,
            "joined_on": today - timedelta(days=300),
            "ends_on": today + timedelta(days=60) if role == TEMP_MEMBER else None,
        }
        for user_id, role in zip(members, roles, strict=True)
    ]
    db.session.execute(insert(Membership), rows)
    db.session.commit()
    categories = _category_tree(task_force.id)
    _issues(task_force.id, categories, members, units, issues, year)
    if year:
        dataset_year.build(task_force.id, members, units)


def _category_tree(task_force_id: int) -> list[Category]:
    """Four dimensions, each three levels deep: 4 + 12 + 36 = 52 nodes."""
    nodes: list[Category] = []

    def add(name: str, parent: Category | None, prefix: str | None = None) -> Category:
        node = Category(
            task_force_id=task_force_id,
            name=name,
            parent_id=parent.id if parent else None,
            code_prefix=prefix,
            depth=(parent.depth + 1) if parent else 0,
        )
        db.session.add(node)
        db.session.flush()
        node.path = f"{parent.path if parent else '/'}{node.id}/"
        nodes.append(node)
        return node

    for prefix, name in (("KH", "客户端"), ("QD", "渠道端"), ("CP", "产品端"), ("GL", "管理端")):
        top = add(name, None, prefix)
        for i in range(3):
            middle = add(f"{name}-{i + 1}", top)
            for j in range(3):
                add(f"{name}-{i + 1}-{j + 1}", middle)
    db.session.commit()
    return nodes


def _issues(task_force_id, categories, members, units, count: int, follow_up: bool) -> None:
    """Issues over a year: most closed, the rest spread over every status and light."""
    rng = random.Random(42)
    today = clock.today()
    now = clock.now()
    leaves = [c for c in categories if c.depth == 2]
    prefix_of = {c.id: c.code_prefix for c in categories if c.depth == 0}
    numbers: dict[int, int] = {}
    open_statuses = [NEW, PLANNING, IN_PROGRESS, IN_PROGRESS, IN_PROGRESS, VERIFYING, BLOCKED]
    batch = []
    for i in range(count):
        category = leaves[i % len(leaves)]
        top_id = int(category.path.strip("/").split("/")[0])
        numbers[top_id] = numbers.get(top_id, 0) + 1
        created = now - timedelta(days=rng.randint(20, 360))
        closed = rng.random() < 0.8
        status = CLOSED if closed else rng.choice(open_statuses)
        deadline = today + timedelta(days=rng.randint(-60, 120))
        acknowledged = created if status != NEW or rng.random() < 0.5 else None
        batch.append(
            {
                "task_force_id": task_force_id,
                "code": f"{prefix_of[top_id]}-{numbers[top_id]:05d}",
                "title": f"问题 {i:05d}：客户经营与渠道协同的堵点",
                "description": "调研发现的问题描述。" * 5,
                "solution": "解决方案：分阶段落地。" * 3 if rng.random() < 0.9 else "",
                "category_id": category.id,
                "owner_id": rng.choice(members),
                "org_unit_id": rng.choice(units),
                "deadline": deadline,
                "priority": rng.choice(PRIORITIES),
                "status": status,
                "major": rng.random() < 0.05,
                "source": "research",
                "assigned_at": created,
                "acknowledged_at": acknowledged,
                "closed_at": created + timedelta(days=30) if closed else None,
                "percent": 100 if closed else rng.randint(0, 90),
                "last_progress_at": now - timedelta(days=rng.randint(0, 30)),
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "status_reason": "",
                "verification_note": "验收通过" if closed else "",
            }
        )
        if len(batch) == 2000:
            db.session.execute(insert(Issue), batch)
            batch = []
    if batch:
        db.session.execute(insert(Issue), batch)
    db.session.commit()
    issue_ids = db.session.scalars(
        select(Issue.id).where(Issue.status != CLOSED, Issue.task_force_id == task_force_id)
    ).all()
    milestones = []
    for issue_id in issue_ids:
        for k in range(3):
            due = today + timedelta(days=rng.randint(-20, 90))
            milestones.append(
                {
                    "task_force_id": task_force_id,
                    "issue_id": issue_id,
                    "title": f"里程碑 {k + 1}",
                    "due_on": due,
                    "done_on": due if due < today and rng.random() < 0.7 else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for start in range(0, len(milestones), 2000):
        db.session.execute(insert(Milestone), milestones[start : start + 2000])
    db.session.commit()
    if follow_up:
        _work_on_items(task_force_id, members, rng)


def _work_on_items(task_force_id: int, members: list[int], rng: random.Random) -> None:
    """Two subtasks and three progress notes per item, the year's follow-up."""
    today = clock.today()
    now = clock.now()
    rows = db.session.execute(
        select(Issue.id, Issue.status, Issue.created_at).where(Issue.task_force_id == task_force_id)
    ).all()
    subtasks, updates = [], []
    for issue_id, status, created in rows:
        for k in range(2):
            done = status == CLOSED or rng.random() < 0.4
            subtasks.append(
                {
                    "task_force_id": task_force_id,
                    "issue_id": issue_id,
                    "title": f"子任务 {k + 1}：方案细化与落地",
                    "owner_id": rng.choice(members),
                    "deadline": today + timedelta(days=rng.randint(-30, 60)),
                    "done_at": created + timedelta(days=10 + k) if done else None,
                    "sort_order": k,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        for k in range(3):
            updates.append(
                {
                    "task_force_id": task_force_id,
                    "issue_id": issue_id,
                    "author_id": rng.choice(members),
                    "note": "本周推进情况：已与相关部门对接，完成阶段性目标。",
                    "percent": min(100, 30 * (k + 1)),
                    "created_at": min(now, created + timedelta(days=7 * (k + 1))),
                }
            )
    for model, batch in ((Subtask, subtasks), (ProgressUpdate, updates)):
        for start in range(0, len(batch), 5000):
            db.session.execute(insert(model), batch[start : start + 5000])
    db.session.commit()
