"""The roster's questions every feature asks: who is on a task force today, and to whom
its work can be assigned."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import clock
from app.core.freshness import setup_value
from app.core.i18n import pinyin_key, pinyin_order
from app.extensions import db
from app.people.models import Membership, OrgUnit, User


def active_member_ids(task_force_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.task_force_id == task_force_id,
                Membership.active_on(clock.today()),
            )
        )
    )


def _assignable(stmt, task_force_id: int):
    """``stmt`` over ``User`` narrowed to the people work can be assigned to today."""
    return stmt.join(Membership, Membership.user_id == User.id).where(
        Membership.task_force_id == task_force_id,
        Membership.active_on(clock.today()),
        User.active.is_(True),
        Membership.role != "viewer",
    )


def assignable_users(task_force_id: int) -> list[User]:
    """The people work can be assigned to, in pinyin order of their names."""
    users = list(
        db.session.scalars(
            _assignable(select(User).options(joinedload(User.org_unit)), task_force_id).order_by(
                pinyin_order(User.display_name), User.id
            )
        ).unique()
    )
    return sorted(users, key=lambda user: (pinyin_key(user.display_name), user.id))


def person_label(user: User) -> str:
    """How a picker names a person: "王芳 · 零售业务部" (name · org unit)."""
    return _label(user.display_name, None if user.org_unit is None else user.org_unit.name)


def _label(name: str, unit: str | None) -> str:
    return name if unit is None else f"{name} · {unit}"


def assignee_options(task_force_id: int) -> list[tuple[int, str]]:
    """(id, "name · org unit") of the people items can be assigned to, for selects, in
    pinyin order.

    Made once per request and task force: one page's pickers ask for it several times
    (the problem list's filter and its bulk edit, three selects), and a big task force
    has hundreds of people; and kept under the task force's setup version for the day
    (``core.freshness.setup_value``), so a change to an item reads it again no more.
    (No request changes the roster and then shows a picker: a change redirects.)
    Outside a request (jobs, commands), read afresh each time."""
    if not has_request_context():
        return _assignee_options(task_force_id)
    made = g.setdefault("assignee_options", {})
    key = (task_force_id, clock.today())
    if key not in made:
        made[key] = setup_value(
            "assignee_options", task_force_id, lambda: _assignee_options(task_force_id)
        )
    return list(made[key])


def _assignee_options(task_force_id: int) -> list[tuple[int, str]]:
    """``(u.id, person_label(u)) for u in assignable_users(…)``, read as three columns:
    a big roster as ORM objects (with their units) cost more than its query."""
    rows = db.session.execute(
        _assignable(
            select(User.id, User.display_name, OrgUnit.name).outerjoin(
                OrgUnit, OrgUnit.id == User.org_unit_id
            ),
            task_force_id,
        )
    )
    people = {user_id: (name, unit) for user_id, name, unit in rows}  # once per person
    ordered = sorted(people.items(), key=lambda item: (pinyin_key(item[1][0]), item[0]))
    return [(user_id, _label(name, unit)) for user_id, (name, unit) in ordered]
