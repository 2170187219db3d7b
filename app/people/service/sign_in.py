"""Signing in (with its lock-out and throttling), signed-in browsers and their end."""

from __future__ import annotations

import math
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import audit, clock
from app.core.outbox import tell
from app.extensions import db
from app.people.models import LoginAttempt, User, UserSession
from app.people.service import directory
from app.people.service.accounts import _end_all_sessions, find_user_by_login
from app.people.service.task_forces import resolve_current_task_force


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


def authenticate(identifier: str, password: str, address: str) -> User:
    """Check a login and sign the person in (``check_password_step`` then
    ``complete_sign_in``): for callers that know the account has no second step.

    :raise LoginThrottled: while the account is locked or the address must wait.
    :raise LoginRefused: on a wrong name, wrong password or an inactive account.
    """
    user = check_password_step(identifier, password, address)
    complete_sign_in(user)
    return user


def check_password_step(identifier: str, password: str, address: str) -> User:
    """Check a login's name and password.

    Failures against an account lock that account for the window (and its owner is
    told); failures from an address slow that address down with growing waits, without
    locking the accounts of everyone behind it (a bank's proxy is one address).

    :raise LoginThrottled: while the account is locked or the address must wait.
    :raise LoginRefused: on a wrong name, wrong password or an inactive account.
    """
    ident = identifier.strip().lower()[:254]
    user = find_user_by_login(ident)
    # Failures count against the account, whether it was named by username or e-mail.
    key = user.username.lower() if user is not None else ident
    failures = check_throttle(key, address)
    ok, user = _check_way_in(user, ident, password)
    note_attempt(user, key, address, ok, failures)
    if not ok:
        raise LoginRefused()
    return user


def _check_way_in(user: User | None, ident: str, password: str) -> tuple[bool, User | None]:
    """Check the password where the account keeps it: its one way in. A local account
    is never asked of the directory, a directory account never of a local password, and
    a name no account has goes to the directory when one is configured (its first
    sign-in makes the account).

    :raise directory.DirectoryUnavailable: when the directory must be asked and cannot be.
    :raise directory.DirectoryRefused: right password, but outside the directory's group.
    """
    if user is None and directory.configured():
        user = directory.sign_in(None, ident, password)
        return user is not None, user
    if user is not None and user.way_in == directory.LOCAL:
        return user.active and user.check_password(password), user
    if user is not None and user.way_in == directory.LDAP and user.active:
        return directory.sign_in(user, ident, password) is not None, user
    # Nobody, an inactive directory account, or an account that signs in elsewhere.
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    return False, user


def check_throttle(key: str, address: str) -> int:
    """Refuse a try while the account ``key`` is locked or ``address`` must wait; the
    failures counted against the account so far otherwise.

    :raise LoginThrottled: while the account is locked or the address must wait.
    """
    config = current_app.config
    now = clock.now()
    address = (address or "unknown")[:64]
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
    return len(against_account)


def note_attempt(user: User | None, key: str, address: str, ok: bool, failures: int) -> None:
    """Keep one try (a password, or a second step's code); the failure that reaches the
    limit tells the account's owner that it is locked."""
    config = current_app.config
    address = (address or "unknown")[:64]
    db.session.add(LoginAttempt(identifier=key, address=address, success=ok, at=clock.now()))
    limit = config["LOGIN_MAX_FAILURES"]
    if not ok and user is not None and failures + 1 == limit:
        window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
        _tell_locked(user, address, limit, window)


def complete_sign_in(user: User) -> None:
    """Every step passed: stamp the login and land the person in a task force."""
    # A plain UPDATE: a login is not an edit of the account, and six browsers signing in
    # at once must not trip over each other's version number.
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=clock.now()))
    # Back where they left off: a person on several task forces who never chose one (or
    # whose choice has closed) starts in the one they last worked in, and stays there.
    landing = resolve_current_task_force(user)
    user.current_task_force_id = landing.id if landing is not None else None
    audit.record(user, "login", user)


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
