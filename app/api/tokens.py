"""Personal access tokens: made (shown once), listed, revoked, and recognised on a call.

A token reads ``gjp_`` and 40 letters and digits. The database keeps its SHA-256 and its
first 12 characters (to recognise it in a list), never the token itself. A person makes
tokens for themselves; an administrator makes them for a service account
(``ServiceAccount``: an account that only programs use). A token carries no more than its
owner's rights on the day of each call, narrowed to reading (``read``) and to one task
force when it names one.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.api.models import SCOPES, ApiToken, ServiceAccount
from app.core import audit, clock
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.core.permissions import authorize, can
from app.extensions import db
from app.people.models import User
from app.people.service import UserInput, available_task_forces, create_user

TOKEN_PREFIX = "gjp_"
_ALPHABET = string.ascii_letters + string.digits
SHOWN = 12  # "gjp_" and 8 characters


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(40))


@dataclass
class TokenInput:
    name: str
    scope: str
    days: int
    task_force_id: int | None = None  # None: all of the owner's task forces


def is_service_account(user: User) -> bool:
    return db.session.get(ServiceAccount, user.id) is not None


def service_accounts() -> list[ServiceAccount]:
    return list(
        db.session.scalars(
            select(ServiceAccount)
            .join(User, User.id == ServiceAccount.user_id)
            .order_by(User.username)
        )
    )


def _check_owner(actor: User, owner: User) -> None:
    if owner.id == actor.id:
        return
    if not can(actor, "user.manage") or not is_service_account(owner):
        raise PermissionDenied(
            _(
                "Only an administrator makes tokens for someone else, "
                "and only for a service account."
            )
        )


def _check_input(owner: User, data: TokenInput) -> None:
    if not data.name.strip():
        raise ValidationFailed(_("Name the token after what will use it."), "name")
    if data.scope not in SCOPES:
        raise ValidationFailed(_("Choose reading or reading and writing."), "scope")
    longest = current_app.config["API_TOKEN_MAX_DAYS"]
    if not 1 <= data.days <= longest:
        raise ValidationFailed(
            _("A token lives between 1 and %(days)d days.", days=longest), "days"
        )
    if data.task_force_id is not None:
        mine = {tf.id for tf in available_task_forces(owner)}
        if data.task_force_id not in mine:
            raise ValidationFailed(_("The account is not on this task force."), "task_force_id")


def create_token(actor: User, owner: User, data: TokenInput) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown this once and never again.

    :raise PermissionDenied: for someone else's token, unless an administrator makes one
        for a service account.
    :raise ValidationFailed: on a missing name, an unknown scope, a life out of bounds,
        a task force the owner is not on.
    """
    authorize(actor, "account.edit")
    _check_owner(actor, owner)
    _check_input(owner, data)
    raw = _new_secret()
    token = ApiToken(
        user_id=owner.id,
        name=data.name.strip(),
        prefix=raw[:SHOWN],
        token_hash=digest(raw),
        scope=data.scope,
        task_force_id=data.task_force_id,
        created_by_id=actor.id,
        expires_at=clock.now() + timedelta(days=data.days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor,
        "created",
        token,
        {"name": [None, token.name], "scope": [None, token.scope], "user_id": [None, owner.id]},
        summary=f"{token.prefix}… {token.name}",
    )
    return token, raw


def tokens_of(owner: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == owner.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def get_token(token_id) -> ApiToken:
    try:
        token = db.session.get(ApiToken, int(token_id))
    except (TypeError, ValueError):
        token = None
    if token is None:
        raise NotFound("token not found")
    return token


def revoke_token(actor: User, token: ApiToken) -> None:
    """The token stops working at once. Its owner revokes it, or an administrator.

    :raise PermissionDenied: for anyone else.
    """
    if token.user_id != actor.id and not can(actor, "user.manage"):
        raise PermissionDenied(_("You can only revoke your own tokens."))
    if token.revoked_at is not None:
        return
    token.revoked_at = clock.now()
    audit.record(actor, "revoked", token, summary=f"{token.prefix}… {token.name}")


def recognise(raw: str, now: datetime) -> ApiToken | None:
    """The live token ``raw`` names, with its owner; None for anything else (unknown,
    expired, revoked, an inactive owner)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or not token.usable_at(now) or not token.user.active:
        return None
    return token


def note_use(token: ApiToken, address: str, now: datetime) -> None:
    """Remember the last use, at most once a minute (a busy client writes little)."""
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        token.last_used_at = now
        token.last_used_address = address[:64]


@dataclass
class ServiceAccountInput:
    username: str
    display_name: str
    email: str
    purpose: str = ""


def create_service_account(actor: User, data: ServiceAccountInput) -> ServiceAccount:
    """An account for a program: staff, signed in from no browser (its password is random
    and never shown), given tasks forces by the roster like anyone, and tokens by an
    administrator.

    :raise PermissionDenied: unless ``actor`` manages accounts.
    :raise ValidationFailed: as for any account (a taken username or e-mail).
    """
    authorize(actor, "user.manage")
    for name in ("username", "display_name", "email"):
        if not getattr(data, name).strip():
            raise ValidationFailed(_("This field is required."), name)
    user = create_user(
        actor,
        UserInput(
            username=data.username.strip(),
            email=data.email.strip(),
            display_name=data.display_name.strip(),
            role="staff",
            password=secrets.token_urlsafe(32),
        ),
    )
    account = ServiceAccount(user_id=user.id, purpose=data.purpose.strip(), created_by_id=actor.id)
    db.session.add(account)
    db.session.flush()
    return account
