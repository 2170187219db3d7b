"""Two-factor sign-in (TOTP): enrolment, the second step, recovery codes, remembered devices.

An authenticator app's six-digit code is accepted one time step (30 seconds) early or
late, and each time step once only. Recovery codes are hashed like passwords and are
good once each. A remembered browser keeps a random token in a cookie; the row keeps its
SHA-256, so a copy of the database opens no browser's second step.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash

from app.core import audit, clock, sealing
from app.core.errors import ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize
from app.extensions import db
from app.people.models import RecoveryCode, RememberedDevice, TwoFactor, User
from app.people.service import directory
from app.people.service.accounts import (
    _end_all_sessions,
    forget_remembered_devices,
    hash_password,
)
from app.people.service.sign_in import LoginRefused, check_throttle, note_attempt

log = logging.getLogger(__name__)

# The name an authenticator app shows above the account's codes.
ISSUER = "攻坚"
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits that cannot be mistaken for each other (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE = re.compile(r"[a-z0-9]{4}-?[a-z0-9]{4}")


@dataclass
class Enrolment:
    """What the enrolment page shows: the secret (also grouped by four for typing) and
    the otpauth address that the QR code holds."""

    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _row(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_enabled(user: User) -> bool:
    row = _row(user)
    return row is not None and row.enabled_at is not None


def is_required(user: User) -> bool:
    """Administrators must sign in with a second step (``TWO_FACTOR_REQUIRED_FOR_ADMINS``)."""
    return user.is_admin and current_app.config["TWO_FACTOR_REQUIRED_FOR_ADMINS"]


def must_enrol(user: User) -> bool:
    return is_required(user) and not is_enabled(user)


def enabled_user_ids() -> set[int]:
    """The accounts with two-factor sign-in on, for the administrators' list."""
    return set(
        db.session.scalars(select(TwoFactor.user_id).where(TwoFactor.enabled_at.is_not(None)))
    )


def begin_enrolment(user: User) -> Enrolment:
    """The secret of an enrolment under way (made on the first visit, the same on a
    reload, so a QR code already scanned stays good).

    :raise ValidationFailed: when two-factor sign-in is already on.
    """
    authorize(user, "account.edit")
    row = _row(user)
    if row is not None and row.enabled_at is not None:
        raise ValidationFailed(_("Two-factor sign-in is already on."))
    if row is None:
        secret = sealing.seal(pyotp.random_base32())
        row = TwoFactor(user_id=user.id, secret=secret, created_at=clock.now())
        db.session.add(row)
        db.session.flush()
    secret = secret_of(row)
    if secret is None:  # sealed under an earlier key: start afresh
        row.secret = sealing.seal(pyotp.random_base32())
        secret = secret_of(row)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def secret_of(row: TwoFactor) -> str | None:
    """The authenticator's secret in the clear; None when this installation's key cannot
    open it (``SECRET_KEY`` changed since): then only a recovery code lets the person in."""
    try:
        return sealing.unseal(row.secret)
    except sealing.Unreadable:
        log.warning("two-factor secret of user %s cannot be unsealed", row.user_id)
        return None


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the recovery codes,
    to be shown once.

    :raise ValidationFailed: when the code is not the app's code of now.
    """
    authorize(user, "account.edit")
    row = _row(user)
    if row is None or row.enabled_at is not None:
        raise ValidationFailed(_("Start the enrolment again."))
    step = _matching_step(secret_of(row), code, None)
    if step is None:
        raise ValidationFailed(
            _("The code is not correct. Check the time on your phone and try again."), "code"
        )
    row.enabled_at = clock.now()
    row.last_step = step
    codes = _new_recovery_codes(user)
    audit.record(user, "two_factor_enabled", user)
    return codes


def _matching_step(secret: str | None, code: str, last_step: int | None) -> int | None:
    """The time step (now, or one before or after) whose code is ``code``, unless it or a
    later one was used already."""
    code = re.sub(r"\s", "", code or "")
    if secret is None or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(clock.now())
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _char in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    now = clock.now()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_password(code), created_at=now)
        for code in codes
    )
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes (shown once); the old ones stop working.

    :raise ValidationFailed: when two-factor sign-in is off.
    """
    authorize(user, "account.edit")
    if not is_enabled(user):
        raise ValidationFailed(_("Two-factor sign-in is off."))
    codes = _new_recovery_codes(user)
    audit.record(user, "recovery_codes_renewed", user)
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify_second_step(user: User, code: str, address: str) -> bool:
    """Check the second step of ``user``'s sign-in: a code from the app, or a recovery
    code. Wrong codes count towards the account's lock-out like wrong passwords.
    Returns whether a recovery code was used.

    :raise LoginThrottled: while the account is locked or the address must wait.
    :raise LoginRefused: on a wrong, used or old code, or an inactive account.
    """
    key = user.username.lower()
    failures = check_throttle(key, address)
    row = _row(user)
    ok = recovery = False
    if user.active and row is not None and row.enabled_at is not None:
        ok = _use_time_step(row, code)
        if not ok:
            ok = recovery = _use_recovery_code(user, code)
    note_attempt(user, key, address, ok, failures)
    if not ok:
        raise LoginRefused()
    if recovery:
        audit.record(user, "recovery_code_used", user)
    return recovery


def _use_time_step(row: TwoFactor, code: str) -> bool:
    secret = secret_of(row)
    step = _matching_step(secret, code, row.last_step)
    if step is None:
        return False
    if not sealing.is_sealed(row.secret):  # enrolled before secrets were sealed
        row.secret = sealing.seal(secret)
    # Conditional, so that two browsers sending one code at once are not both let in.
    taken = db.session.execute(
        update(TwoFactor)
        .where(
            TwoFactor.user_id == row.user_id,
            or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return taken.rowcount == 1


def _use_recovery_code(user: User, code: str) -> bool:
    code = re.sub(r"\s", "", code or "").lower()
    if not RECOVERY_CODE.fullmatch(code):
        return False
    if "-" not in code:
        code = f"{code[:4]}-{code[4:]}"
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for row in unused:
        if check_password_hash(row.code_hash, code):
            spent = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=clock.now())
                .execution_options(synchronize_session="fetch")
            )
            return spent.rowcount == 1
    return False


def disable_two_factor(user: User, password: str) -> None:
    """Turn one's own two-factor sign-in off, with the password.

    :raise ValidationFailed: for an administrator, who must keep it, or a wrong password.
    """
    authorize(user, "account.edit")
    if is_required(user):
        raise ValidationFailed(_("Administrators must keep two-factor sign-in on."))
    # A directory account's password is the directory's (DirectoryUnavailable while down).
    if not directory.password_matches(user, password or ""):
        raise ValidationFailed(_("The password is not correct."), "password")
    if not is_enabled(user):
        raise ValidationFailed(_("Two-factor sign-in is off."))
    _remove(user)
    audit.record(user, "two_factor_disabled", user)


def reset_two_factor(actor: User, user: User) -> None:
    """An administrator turns someone's two-factor sign-in off (a lost phone): their
    authenticator, recovery codes and remembered browsers are forgotten, and every
    browser they are signed in on is signed out. An administrator enrols again at the
    next sign-in.

    :raise ValidationFailed: when it is not on.
    """
    authorize(actor, "account.two_factor.reset")
    if not is_enabled(user):
        raise ValidationFailed(_("Two-factor sign-in is not on for this account."))
    _remove(user)
    _end_all_sessions(user)
    audit.record(actor, "two_factor_reset", user, summary=user.username)
    tell(
        user,
        "two_factor_reset",
        lambda: _(
            "An administrator turned off two-factor sign-in on your account. "
            "Turn it on again on your account page."
        ),
        unique_key=f"two_factor_reset:{user.id}:{clock.now().isoformat()}",
        link="/account/password",
    )


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    forget_remembered_devices(user)


# --- remembered browsers -------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember_device(user: User, label: str) -> tuple[str, datetime] | None:
    """Remember this browser for ``TWO_FACTOR_REMEMBER_DAYS``: the token for its cookie
    and when it expires (``None`` when remembering is turned off)."""
    days = current_app.config["TWO_FACTOR_REMEMBER_DAYS"]
    if days <= 0:
        return None
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(days=days)
    db.session.add(
        RememberedDevice(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=expires,
            last_used_at=now,
            label=(label or "")[:100],
        )
    )
    db.session.flush()
    return token, expires


def device_remembered(user: User, token: str | None) -> bool:
    """Does this browser's token skip ``user``'s second step (remembered, not expired)?"""
    if not token or len(token) > 100:
        return False
    now = clock.now()
    row = db.session.scalar(
        select(RememberedDevice).where(
            RememberedDevice.token_hash == _token_hash(token),
            RememberedDevice.user_id == user.id,
            RememberedDevice.expires_at > now,
        )
    )
    if row is None:
        return False
    row.last_used_at = now
    return True


def remembered_devices(user: User) -> list[RememberedDevice]:
    return list(
        db.session.scalars(
            select(RememberedDevice)
            .where(RememberedDevice.user_id == user.id, RememberedDevice.expires_at > clock.now())
            .order_by(RememberedDevice.created_at.desc(), RememberedDevice.id.desc())
        )
    )


def forget_device(user: User, device_id: int) -> None:
    """Forget one of one's own remembered browsers: it asks for a code again."""
    authorize(user, "account.edit")
    row = db.session.get(RememberedDevice, device_id)
    if row is None or row.user_id != user.id:
        raise ValidationFailed(_("That device is no longer remembered."))
    db.session.delete(row)
    audit.record(user, "device_forgotten", user, summary=row.label)
