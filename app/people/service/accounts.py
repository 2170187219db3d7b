"""Accounts: creating and editing them, passwords, a person's own preferences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.outbox import notify
from app.core.permissions import ADMIN, GLOBAL_ROLES, authorize
from app.core.service import check_version
from app.extensions import db
from app.people.models import OrgUnit, RememberedDevice, User, UserSession

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


def _end_all_sessions(user: User) -> None:
    """Sign ``user`` out everywhere; remembered browsers ask for the second step again."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    forget_remembered_devices(user)


def forget_remembered_devices(user: User) -> None:
    """Every browser that skipped ``user``'s second step asks for a code again."""
    db.session.execute(delete(RememberedDevice).where(RememberedDevice.user_id == user.id))


def _local_password_only(user: User, field: str | None = None) -> None:
    """:raise ValidationFailed: for an account that signs in elsewhere (the directory, a
    single sign-on): its password is not kept here."""
    if user.way_in == "ldap":
        raise ValidationFailed(
            _("This account's password is kept in the bank directory: change it there."), field
        )
    if user.way_in != "local":
        raise ValidationFailed(
            _("This account signs in with single sign-on and has no password here."), field
        )


def change_password(user: User, current: str, new: str) -> None:
    """:raise ValidationFailed: when ``current`` is wrong or ``new`` breaks the rules, or
    for an account that signs in elsewhere."""
    _local_password_only(user)
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
    # Who the robots mention: see ``normalize_mobile`` and ``PLATFORM_ID``.
    mobile: str = ""
    wecom_userid: str = ""
    dingtalk_userid: str = ""
    feishu_user_id: str = ""


# An 11-digit mainland mobile number, or + country code and digits (E.164: at most 15).
CN_MOBILE = re.compile(r"1[3-9]\d{9}")
INTERNATIONAL_MOBILE = re.compile(r"\+[1-9]\d{6,14}")
# WeCom userid, DingTalk userId, Feishu open_id ("ou_…") or user_id.
PLATFORM_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
PLATFORM_FIELDS = ("wecom_userid", "dingtalk_userid", "feishu_user_id")


def normalize_mobile(value: str) -> str:
    """The number without spaces, dashes or brackets; "" for none.

    :raise ValidationFailed: unless it is an 11-digit mainland mobile number or
        + country code and digits.
    """
    number = re.sub(r"[\s()\-]", "", value or "")
    if not number:
        return ""
    if CN_MOBILE.fullmatch(number) or INTERNATIONAL_MOBILE.fullmatch(number):
        return number
    raise ValidationFailed(
        _("Enter an 11-digit mobile number, or + country code and digits."), "mobile"
    )


def masked_mobile(value: str) -> str:
    """138****8000: enough to recognise a number in the audit log, not to dial it."""
    return value[:-8] + "****" + value[-4:] if len(value) >= 8 else ("****" if value else "")


def _check_robot_ids(data: UserInput) -> None:
    data.mobile = normalize_mobile(data.mobile)
    for name in PLATFORM_FIELDS:
        value = (getattr(data, name) or "").strip()
        if value and not PLATFORM_ID.fullmatch(value):
            raise ValidationFailed(
                _("Letters, digits and . _ - @ only, at most 64 characters."), name
            )
        setattr(data, name, value)


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
    _check_robot_ids(data)


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
        mobile=data.mobile,
        **{name: getattr(data, name) for name in PLATFORM_FIELDS},
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
            "mobile": data.mobile,
            **{name: getattr(data, name) for name in PLATFORM_FIELDS},
        },
    )
    if "mobile" in changes:
        changes["mobile"] = [masked_mobile(value or "") for value in changes["mobile"]]
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


def open_sessions(user: User) -> int:
    """How many browsers are signed in as ``user`` now."""
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > clock.now(),
        )
    )


def end_sessions(actor: User, user: User) -> int:
    """An administrator signs ``user`` out of every browser at once (a lost laptop, a
    shared computer); the number of sessions ended."""
    authorize(actor, "user.manage")
    ended = open_sessions(user)
    _end_all_sessions(user)
    audit.record(actor, "sessions_ended", user, summary=user.username)
    return ended


def reset_password(actor: User, user: User, new_password: str) -> None:
    authorize(actor, "user.manage")
    _local_password_only(user)
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


def user_options() -> list[tuple[int, str]]:
    """(id, "name (username)") of the active accounts, for selects."""
    return [(u.id, f"{u.display_name} ({u.username})") for u in active_users()]
