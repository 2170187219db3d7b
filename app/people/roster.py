"""The roster's questions every feature asks: who is on a task force today, and to whom
its work can be assigned."""

from __future__ import annotations

from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.people.models import Membership, User


def active_member_ids(task_force_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.task_force_id == task_force_id,
                Membership.active_on(clock.today()),
            )
        )
    )


def assignable_users(task_force_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.task_force_id == task_force_id,
                Membership.active_on(clock.today()),
                User.active.is_(True),
                Membership.role != "viewer",
            )
            .order_by(User.display_name)
        ).unique()
    )


def assignee_options(task_force_id: int) -> list[tuple[int, str]]:
    """(id, name) of the people items can be assigned to, for selects."""
    return [(u.id, u.display_name) for u in assignable_users(task_force_id)]
