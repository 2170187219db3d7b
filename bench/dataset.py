"""Builds a benchmark dataset: org units, users and task-force memberships.

Later features add their rows here (issues, meetings, escalations …), so ``make bench``
always measures the pages against a bank-sized year of work.
"""

from __future__ import annotations

from datetime import timedelta

from werkzeug.security import generate_password_hash

from app.core import audit, clock
from app.core.permissions import ADMIN, EXEC_LEADER, LEADER, MEMBER, STAFF, TEMP_MEMBER, VIEWER
from app.core.scope import unscoped
from app.extensions import db
from app.people.models import Membership, OrgUnit, TaskForce, User

PASSWORD = "bench-password"


def build(users: int = 300, org_units: int = 50) -> dict[str, int]:
    """Write the dataset; returns the counts written."""
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
    return {"users": users, "org_units": org_units, "memberships": len(roles)}
