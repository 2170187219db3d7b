"""The roster: who serves on a task force, in which role, from when to when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import audit, clock
from app.core.errors import ValidationFailed
from app.core.i18n import pinyin_key
from app.core.outbox import notify
from app.core.permissions import (
    LEADER,
    LEADERSHIP_ROLES,
    ROLE_LABELS,
    TASK_FORCE_ROLES,
    TEMP_MEMBER,
    authorize,
)
from app.core.scope import get_in_scope
from app.extensions import db
from app.people.models import Membership, OrgUnit, TaskForce, User


def _role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _start_membership(
    actor: User | None,
    task_force_id: int,
    user: User,
    role: str,
    org_unit_id: int | None,
    joined_on: date,
    ends_on: date | None,
    note: str = "",
) -> Membership:
    membership = Membership(
        task_force_id=task_force_id,
        user_id=user.id,
        role=role,
        org_unit_id=org_unit_id or user.org_unit_id,
        joined_on=joined_on,
        ends_on=ends_on,
        note=note,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        actor,
        "joined",
        membership,
        {"role": [None, role], "joined_on": [None, joined_on.isoformat()]},
        summary=f"{user.display_name} · {_role_label(role)}",
    )
    task_force = db.session.get(TaskForce, task_force_id)
    with force_locale(user.locale):
        text = _(
            "You were added to %(tf)s as %(role)s.",
            tf=task_force.name,
            role=_role_label(role),
        )
    notify(
        user.id,
        "membership",
        text,
        unique_key=f"membership:{membership.id}:joined",
        link="/roster",
        subject=membership,
        task_force_id=task_force_id,
    )
    return membership


def _check_membership_dates(role: str, joined_on: date, ends_on: date | None) -> None:
    if role not in TASK_FORCE_ROLES:
        raise ValidationFailed(_("Unknown role."), "role")
    if role == TEMP_MEMBER and ends_on is None:
        raise ValidationFailed(_("A temporary member needs an end date."), "ends_on")
    if ends_on is not None and ends_on < joined_on:
        raise ValidationFailed(_("The end must not be before the start."), "ends_on")


def current_membership(task_force_id: int, user_id: int, day: date | None = None):
    day = day or clock.today()
    return db.session.scalar(
        select(Membership).where(
            Membership.task_force_id == task_force_id,
            Membership.user_id == user_id,
            Membership.active_on(day),
        )
    )


def add_member(
    actor: User,
    task_force_id: int,
    user_id: int,
    role: str,
    org_unit_id: int | None = None,
    joined_on: date | None = None,
    ends_on: date | None = None,
    note: str = "",
) -> Membership:
    """Put a user on the roster of the task force in scope.

    :raise ValidationFailed: for an unknown or inactive user, a user already on the
        roster, a temporary member without an end date, or dates in the wrong order.
    """
    authorize(actor, "roster.manage", task_force_id)
    if role in LEADERSHIP_ROLES:
        authorize(actor, "roster.leadership", task_force_id)
    joined_on = joined_on or clock.today()
    _check_membership_dates(role, joined_on, ends_on)
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationFailed(_("Choose an active user."), "user_id")
    if org_unit_id is not None and db.session.get(OrgUnit, org_unit_id) is None:
        raise ValidationFailed(_("Unknown org unit."), "org_unit_id")
    if current_membership(task_force_id, user.id, joined_on) is not None:
        raise ValidationFailed(
            _(
                "%(name)s is already on the roster; change their role instead.",
                name=user.display_name,
            ),
            "user_id",
        )
    membership = _start_membership(
        actor, task_force_id, user, role, org_unit_id, joined_on, ends_on, note
    )
    return membership


def change_role(
    actor: User,
    membership: Membership,
    role: str,
    ends_on: date | None = None,
    org_unit_id: int | None = None,
) -> Membership:
    """End ``membership`` today and start a new one with ``role`` from today.

    :raise PermissionDenied: when a leadership role is granted or taken, or the actor
        changes their own role, without the leader's or an administrator's right.
    :raise ValidationFailed: when the task force would be left without a leader.
    """
    authorize(actor, "roster.manage", membership.task_force_id)
    if (
        role in LEADERSHIP_ROLES
        or membership.role in LEADERSHIP_ROLES
        or membership.user_id == actor.id
    ):
        authorize(actor, "roster.leadership", membership.task_force_id)
    today = clock.today()
    if not membership.is_active_on(today):
        raise ValidationFailed(_("This membership has already ended."))
    if membership.role == LEADER and role != LEADER:
        _keep_a_leader(membership, today)
    _check_membership_dates(role, today, ends_on)
    if (
        role == membership.role
        and ends_on == membership.ends_on
        and (org_unit_id is None or org_unit_id == membership.org_unit_id)
    ):
        raise ValidationFailed(_("Nothing to change."), "role")
    if org_unit_id is not None and db.session.get(OrgUnit, org_unit_id) is None:
        raise ValidationFailed(_("Unknown org unit."), "org_unit_id")
    membership.left_on = today
    audit.record(
        actor,
        "role_changed",
        membership,
        {"role": [membership.role, role], "left_on": [None, today.isoformat()]},
        summary=membership.user.display_name,
    )
    successor = _start_membership(
        actor,
        membership.task_force_id,
        membership.user,
        role,
        org_unit_id if org_unit_id is not None else membership.org_unit_id,
        today,
        ends_on,
    )
    return successor


def end_membership(actor: User, membership: Membership, note: str = "") -> None:
    """The person leaves the task force today; the row stays as history.

    :raise PermissionDenied: when a leader or executive leader is removed without the
        leader's or an administrator's right.
    :raise ValidationFailed: for one's own membership, or the task force's last leader.
    """
    authorize(actor, "roster.manage", membership.task_force_id)
    if membership.role in LEADERSHIP_ROLES:
        authorize(actor, "roster.leadership", membership.task_force_id)
    today = clock.today()
    if not membership.is_active_on(today):
        raise ValidationFailed(_("This membership has already ended."))
    if membership.user_id == actor.id and not actor.is_admin:
        raise ValidationFailed(_("You cannot remove yourself from the roster."))
    if membership.role == LEADER:
        _keep_a_leader(membership, today)
    membership.left_on = today
    if note:
        membership.note = note[:200]
    audit.record(
        actor,
        "left",
        membership,
        {"left_on": [None, today.isoformat()]},
        summary=membership.user.display_name,
    )
    task_force = db.session.get(TaskForce, membership.task_force_id)
    with force_locale(membership.user.locale):
        text = _("Your membership of %(tf)s has ended.", tf=task_force.name)
    notify(
        membership.user_id,
        "membership",
        text,
        unique_key=f"membership:{membership.id}:left",
        subject=membership,
        task_force_id=membership.task_force_id,
    )


def _keep_a_leader(membership: Membership, today: date) -> None:
    """:raise ValidationFailed: when ``membership`` is its task force's last active leader."""
    others = db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.task_force_id == membership.task_force_id,
            Membership.role == LEADER,
            Membership.id != membership.id,
            Membership.active_on(today),
        )
    )
    if not others:
        raise ValidationFailed(
            _("A task force always has a leader: appoint another leader first."), "role"
        )


@dataclass
class Roster:
    current: list[Membership]
    history: list[Membership]


def roster(actor: User, task_force_id: int) -> Roster:
    """Members active today, and every membership ever held (newest first).

    Runs inside the task force's scope, so the criteria the scope adds apply too.
    """
    authorize(actor, "roster.view", task_force_id)
    today = clock.today()
    rows = list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.task_force_id == task_force_id)
            .options(
                db.joinedload(Membership.user),
                db.joinedload(Membership.org_unit),
            )
            .order_by(Membership.joined_on.desc(), Membership.id.desc())
        ).unique()
    )
    order = {role: i for i, role in enumerate(TASK_FORCE_ROLES)}
    current = sorted(
        (m for m in rows if m.is_active_on(today)),
        key=lambda m: (order.get(m.role, 99), pinyin_key(m.user.display_name)),
    )
    return Roster(current=current, history=rows)


def get_membership(membership_id) -> Membership:
    """:raise NotFound: for an unknown id or a membership of another task force."""
    return get_in_scope(db.session, Membership, membership_id)
