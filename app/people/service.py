"""Accounts, task forces, org units and rosters. Every function takes the acting user,
and flushes at most: the caller's boundary commits (``core.unit``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.models import AuditEvent
from app.core.outbox import notify, tell
from app.core.permissions import (
    ADMIN,
    GLOBAL_ROLES,
    LEADER,
    LEADERSHIP_ROLES,
    ROLE_LABELS,
    TASK_FORCE_ROLES,
    TEMP_MEMBER,
    authorize,
)
from app.core.scope import get_in_scope, task_force_scope, unscoped
from app.core.service import check_version
from app.core.tree import depth_first, indented_options
from app.extensions import db
from app.people.models import (
    ORG_UNIT_KINDS,
    LoginAttempt,
    Membership,
    OrgUnit,
    TaskForce,
    User,
    UserSession,
)

LOCALES = ("zh_CN", "en")


def _get_or_not_found(model, ident):
    """Load a bank-wide row (not task-force scoped) by id, or raise ``NotFound``."""
    try:
        obj = db.session.get(model, int(ident))
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise NotFound(f"{model.__name__} not found")
    return obj


# --- accounts -------------------------------------------------------------------------


class LoginRefused(Exception):
    """Wrong credentials or an inactive account: one message for all of them."""


class LoginThrottled(Exception):
    """Refused before the password is looked at.

    ``account``: the account is locked after failures against it (``minutes`` left);
    otherwise the address is slowed down after failures from it (``seconds`` to wait).
    """

    def __init__(self, seconds: int, account: bool):
        super().__init__(seconds)
        self.seconds = max(1, seconds)
        self.minutes = max(1, math.ceil(seconds / 60))
        self.account = account


@cache
def _dummy_hash(method: str) -> str:
    """A hash to check unknown names against, so they cost as much as known ones."""
    return generate_password_hash("not a password of anyone", method=method)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _check_password_rules(password: str, field: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationFailed(_("At least %(n)d characters.", n=minimum), field)
    if len(password) > 128:
        raise ValidationFailed(_("At most %(n)d characters.", n=128), field)


def find_user_by_login(identifier: str) -> User | None:
    ident = identifier.strip().lower()
    return db.session.scalar(
        select(User).where(or_(func.lower(User.username) == ident, func.lower(User.email) == ident))
    )


def authenticate(identifier: str, password: str, address: str) -> User:
    """Check a login.

    Failures against an account lock that account for the window (and its owner is
    told); failures from an address slow that address down with growing waits, without
    locking the accounts of everyone behind it (a bank's proxy is one address).

    :raise LoginThrottled: while the account is locked or the address must wait.
    :raise LoginRefused: on a wrong name, wrong password or an inactive account.
    """
    config = current_app.config
    now = clock.now()
    ident = identifier.strip().lower()[:254]
    address = (address or "unknown")[:64]
    user = find_user_by_login(ident)
    # Failures count against the account, whether it was named by username or e-mail.
    key = user.username.lower() if user is not None else ident
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    recent = db.session.execute(
        select(
            LoginAttempt.at,
            (LoginAttempt.identifier == key).label("mine"),
            (LoginAttempt.address == address).label("here"),
        )
        .where(
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= now - window,
            or_(LoginAttempt.identifier == key, LoginAttempt.address == address),
        )
        .order_by(LoginAttempt.at)
    ).all()
    against_account = [row.at for row in recent if row.mine]
    from_address = [row.at for row in recent if row.here]
    limit = config["LOGIN_MAX_FAILURES"]
    if len(against_account) >= limit:
        # Locked until the oldest counted failure leaves the window.
        unlock_at = against_account[-limit] + window
        raise LoginThrottled(math.ceil((unlock_at - now).total_seconds()), account=True)
    free = config["LOGIN_ADDRESS_FREE_FAILURES"]
    if len(from_address) >= free:
        wait = min(2 ** (len(from_address) - free), config["LOGIN_ADDRESS_MAX_DELAY_SECONDS"])
        ready_at = from_address[-1] + timedelta(seconds=wait)
        if ready_at > now:
            raise LoginThrottled(math.ceil((ready_at - now).total_seconds()), account=False)

    if user is not None:
        ok = user.active and user.check_password(password)
    else:
        check_password_hash(_dummy_hash(config["PASSWORD_HASH_METHOD"]), password)
        ok = False
    db.session.add(LoginAttempt(identifier=key, address=address, success=ok, at=now))
    if not ok:
        if user is not None and len(against_account) + 1 == limit:
            _tell_locked(user, address, limit, window)
        raise LoginRefused()
    # A plain UPDATE: a login is not an edit of the account, and six browsers signing in
    # at once must not trip over each other's version number.
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    # Back where they left off: a person on several task forces who never chose one (or
    # whose choice has closed) starts in the one they last worked in, and stays there.
    landing = resolve_current_task_force(user)
    user.current_task_force_id = landing.id if landing is not None else None
    audit.record(user, "login", user)
    return user


def _tell_locked(user: User, address: str, failures: int, window: timedelta) -> None:
    minutes = int(window.total_seconds() // 60)
    tell(
        user,
        "account_locked",
        lambda: _(
            "Your account was locked for %(minutes)d minutes after %(n)d failed logins, "
            "the last from %(address)s. If this was not you, tell the administrator.",
            minutes=minutes,
            n=failures,
            address=address,
        ),
        unique_key=f"account_locked:{user.id}:{clock.now().isoformat()}",
        link="/account/password",
    )


def start_session(user: User, address: str) -> UserSession:
    """A new signed-in browser for ``user``; its id goes into the cookies."""
    now = clock.now()
    lifetime = timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])
    row = UserSession(
        user_id=user.id, created_at=now, expires_at=now + lifetime, address=(address or "")[:64]
    )
    db.session.add(row)
    db.session.flush()
    user.session_id = row.id
    return row


def end_session(user: User) -> None:
    """Log this browser out for good: its cookies, copied or not, no longer work."""
    if user.session_id is not None:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == user.session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )


def _end_all_sessions(user: User) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def sign_out_everywhere(user: User) -> None:
    """End every signed-in browser of ``user``, this one included."""
    _end_all_sessions(user)
    audit.record(user, "signed_out_everywhere", user)


def purge_login_records(days: int = 90) -> tuple[int, int]:
    """Forget login attempts and ended sessions older than ``days``; returns the counts."""
    cutoff = clock.now() - timedelta(days=days)
    attempts = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    sessions = db.session.execute(
        delete(UserSession).where(
            or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)
        )
    )
    return attempts.rowcount, sessions.rowcount


def change_password(user: User, current: str, new: str) -> None:
    """:raise ValidationFailed: when ``current`` is wrong or ``new`` breaks the rules."""
    if not user.check_password(current):
        raise ValidationFailed(_("The current password is not correct."), "current_password")
    _check_password_rules(new, "new_password")
    user.password_hash = hash_password(new)
    # Every browser signed in with the old password is signed out; the caller starts a
    # fresh session for this one.
    _end_all_sessions(user)
    audit.record(user, "password_changed", user)


def _set_preference(user: User, **values) -> None:
    """A person's own preference (language, current task force): a plain UPDATE, like the
    login stamp. It is not an edit of the account, so it neither bumps the version (an
    administrator editing the account meanwhile is not refused) nor trips over it (two
    tabs switching at once both succeed)."""
    db.session.execute(update(User).where(User.id == user.id).values(**values))


def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(_("Unknown language."), "locale")
    if user.locale != locale:
        _set_preference(user, locale=locale)


@dataclass
class UserInput:
    username: str
    email: str
    display_name: str
    role: str
    org_unit_id: int | None = None
    locale: str = "zh_CN"
    password: str | None = None


def _check_user_input(data: UserInput, existing: User | None = None) -> None:
    if data.role not in GLOBAL_ROLES:
        raise ValidationFailed(_("Unknown role."), "role")
    if data.locale not in LOCALES:
        raise ValidationFailed(_("Unknown language."), "locale")
    clash = db.session.scalar(
        select(User).where(func.lower(User.username) == data.username.lower())
    )
    if clash is not None and clash is not existing:
        raise ValidationFailed(_("This username is taken."), "username")
    clash = db.session.scalar(select(User).where(func.lower(User.email) == data.email.lower()))
    if clash is not None and clash is not existing:
        raise ValidationFailed(_("This e-mail address is already used."), "email")
    if data.org_unit_id is not None and db.session.get(OrgUnit, data.org_unit_id) is None:
        raise ValidationFailed(_("Unknown org unit."), "org_unit_id")


def create_user(actor: User | None, data: UserInput) -> User:
    """Create an account. ``actor`` is ``None`` only for the command line's first admin."""
    if actor is not None:
        authorize(actor, "user.manage")
    _check_user_input(data)
    _check_password_rules(data.password or "")
    user = User(
        username=data.username,
        email=data.email.lower(),
        display_name=data.display_name,
        role=data.role,
        org_unit_id=data.org_unit_id,
        locale=data.locale,
        password_hash=hash_password(data.password),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(_("This username is taken."), "username") from None
    audit.record(
        actor,
        "created",
        user,
        {k: [None, getattr(user, k)] for k in ("username", "email", "display_name", "role")},
        summary=user.username,
    )
    return user


def update_user(actor: User, user: User, data: UserInput, version: int | None) -> User:
    authorize(actor, "user.manage")
    check_version(user, version)
    _check_user_input(data, existing=user)
    if user.id == actor.id and data.role != ADMIN:
        raise ValidationFailed(_("You cannot take away your own administrator role."), "role")
    changes = audit.apply_changes(
        user,
        {
            "username": data.username,
            "email": data.email.lower(),
            "display_name": data.display_name,
            "role": data.role,
            "org_unit_id": data.org_unit_id,
            "locale": data.locale,
        },
    )
    if changes:
        audit.record(actor, "updated", user, changes, summary=user.username)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Deactivate or reactivate an account. Accounts are never deleted."""
    authorize(actor, "user.manage")
    if user.id == actor.id and not active:
        raise ValidationFailed(_("You cannot deactivate your own account."))
    changes = audit.apply_changes(user, {"active": active})
    if changes:
        audit.record(
            actor, "activated" if active else "deactivated", user, changes, summary=user.username
        )
    if not active:
        _end_all_sessions(user)


def reset_password(actor: User, user: User, new_password: str) -> None:
    authorize(actor, "user.manage")
    _check_password_rules(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    _end_all_sessions(user)
    audit.record(actor, "password_reset", user, summary=user.username)
    with force_locale(user.locale):
        text = _("An administrator reset your password. Change it after you next log in.")
    notify(
        user.id,
        "password_reset",
        text,
        unique_key=f"password_reset:{user.id}:{clock.now().isoformat()}",
        link="/account/password",
    )


def list_users(actor: User, query: str = "", include_inactive: bool = True) -> list[User]:
    authorize(actor, "user.manage")
    stmt = select(User).options(db.joinedload(User.org_unit)).order_by(User.username)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like))
        )
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


def get_user(user_id) -> User:
    """:raise NotFound: for an unknown id."""
    return _get_or_not_found(User, user_id)


def active_users() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    )


# --- task forces ------------------------------------------------------------------------


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


@cache
def _available_statements():
    """Every page asks which task forces its reader may switch to: the statements are
    built once, so a request pays only for running them."""
    open_ = select(TaskForce).where(TaskForce.archived_at.is_(None))
    # Where the user carries most responsibility comes first: it is the default.
    rank = case({role: i for i, role in enumerate(TASK_FORCE_ROLES)}, value=Membership.role)
    member = (
        open_.add_columns(Membership.role)
        .join(Membership, Membership.task_force_id == TaskForce.id)
        .where(
            Membership.user_id == bindparam("user_id"),
            Membership.active_on(bindparam("day", type_=Date)),
        )
        .order_by(rank, TaskForce.name)
    )
    return open_.order_by(TaskForce.name), member


def available_task_forces(user: User) -> list[TaskForce]:
    """The task forces ``user`` may switch to: active memberships, or all for an admin."""
    every, member = _available_statements()
    if user.is_admin:
        return list(db.session.scalars(every))
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


# --- roster ------------------------------------------------------------------------------


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
        key=lambda m: (order.get(m.role, 99), m.user.display_name),
    )
    return Roster(current=current, history=rows)


def get_membership(membership_id) -> Membership:
    """:raise NotFound: for an unknown id or a membership of another task force."""
    return get_in_scope(db.session, Membership, membership_id)


# --- org units ---------------------------------------------------------------------------


@dataclass
class OrgUnitInput:
    name: str
    kind: str
    parent_id: int | None = None
    sort_order: int = 0


def _check_org_unit_input(data: OrgUnitInput, unit: OrgUnit | None = None) -> None:
    if data.kind not in ORG_UNIT_KINDS:
        raise ValidationFailed(_("Unknown kind."), "kind")
    if data.parent_id is None:
        return
    parent = db.session.get(OrgUnit, data.parent_id)
    if parent is None:
        raise ValidationFailed(_("Unknown org unit."), "parent_id")
    # Walking up from the new parent must never reach the unit itself.
    seen = set()
    node = parent
    while node is not None and node.id not in seen:
        if unit is not None and node.id == unit.id:
            raise ValidationFailed(_("A unit cannot be moved under itself."), "parent_id")
        seen.add(node.id)
        node = node.parent


def create_org_unit(actor: User, data: OrgUnitInput) -> OrgUnit:
    authorize(actor, "orgunit.manage")
    _check_org_unit_input(data)
    unit = OrgUnit(
        name=data.name, kind=data.kind, parent_id=data.parent_id, sort_order=data.sort_order
    )
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "created", unit, {"name": [None, unit.name]}, summary=unit.name)
    return unit


def update_org_unit(actor: User, unit: OrgUnit, data: OrgUnitInput, version: int | None) -> OrgUnit:
    authorize(actor, "orgunit.manage")
    check_version(unit, version)
    _check_org_unit_input(data, unit)
    changes = audit.apply_changes(
        unit,
        {
            "name": data.name,
            "kind": data.kind,
            "parent_id": data.parent_id,
            "sort_order": data.sort_order,
        },
    )
    if changes:
        audit.record(actor, "updated", unit, changes, summary=unit.name)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return unit


def set_org_unit_archived(actor: User, unit: OrgUnit, archived: bool) -> None:
    authorize(actor, "orgunit.manage")
    changes = audit.apply_changes(unit, {"archived_at": clock.now() if archived else None})
    if changes:
        audit.record(actor, "archived" if archived else "restored", unit, summary=unit.name)


def get_org_unit(unit_id) -> OrgUnit:
    """:raise NotFound: for an unknown id."""
    return _get_or_not_found(OrgUnit, unit_id)


@dataclass
class TreeRow:
    unit: OrgUnit
    depth: int


def org_unit_tree(include_archived: bool = True) -> list[TreeRow]:
    """Every unit in tree order (depth-first, by sort order then name), in one query."""
    units = [u for u in db.session.scalars(select(OrgUnit)) if include_archived or not u.archived]
    return [TreeRow(unit, depth) for unit, depth in depth_first(units, _unit_order)]


def _unit_order(unit: OrgUnit):
    return (unit.sort_order, unit.name)


def org_unit_options(exclude_id: int | None = None) -> list[tuple[int, str]]:
    """(id, indented name) of the open units, for selects, without ``exclude_id``."""
    units = [u for u in db.session.scalars(select(OrgUnit)) if not u.archived]
    rows = [(u, depth) for u, depth in depth_first(units, _unit_order) if u.id != exclude_id]
    return indented_options(rows, lambda u: u.name)


def user_options() -> list[tuple[int, str]]:
    """(id, "name (username)") of the active accounts, for selects."""
    return [(u.id, f"{u.display_name} ({u.username})") for u in active_users()]


# --- audit log ---------------------------------------------------------------------------


@dataclass
class AuditFilter:
    entity_type: str = ""
    actor_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None


def _audit_events_with(stmt, filters: AuditFilter):
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.actor_id:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.since:
        stmt = stmt.where(AuditEvent.at >= _local_day_start_utc(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.at < _local_day_start_utc(filters.until + timedelta(days=1)))
    return stmt


def audit_log(actor: User, filters: AuditFilter, limit: int = 100, offset: int = 0):
    """Audit events, newest first, with their actors, in one query."""
    authorize(actor, "audit.view")
    stmt = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    stmt = _audit_events_with(stmt, filters)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return db.session.execute(stmt).all()


def count_audit_events(actor: User, filters: AuditFilter) -> int:
    authorize(actor, "audit.view")
    return db.session.scalar(_audit_events_with(select(func.count(AuditEvent.id)), filters))


def audit_entity_types() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
        )
    )


def _local_day_start_utc(day: date):
    return clock.start_of_day(day)


# --- the task force's overview -----------------------------------------------------------


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
