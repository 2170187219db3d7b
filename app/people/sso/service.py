"""Single sign-on: the providers' settings, each account's way in, and finding the
account of a person a provider vouches for.

The rule (documented in the README): a provider signs in only the accounts whose way in
is that provider, set by an administrator on the sign-in methods page. It finds the
account by the platform's own id of the person (the OIDC ``sub``, or the WeCom /
DingTalk / Feishu user id kept on the account); where the provider allows it, an
account of that way in not yet linked is found once by its mobile number (or, for
OpenID Connect, a verified e-mail address) and linked. Never by a display name. A
person with no such account is refused and nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import audit
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.permissions import authorize
from app.core.sealing import Unreadable, is_sealed, mask, seal, unseal
from app.core.service import check_version
from app.extensions import db
from app.people.models import User
from app.people.service.accounts import hash_password
from app.people.sso.identity import Identity
from app.people.sso.models import SignInProvider
from app.people.sso.providers import (
    KINDS,
    LABELS,
    LOCAL,
    OIDC,
    USER_ID_COLUMN,
    WAY_IN_LABELS,
    WECOM,
    normal_mobile,
)

ACTION = "signin.manage"
DEFAULT_SCOPES = "openid email profile"


class SignInRefused(DomainError):
    """The provider knows the person, but this installation does not let them in."""

    status = 403


# --- the providers' settings ---------------------------------------------------------------


@dataclass
class ProviderInput:
    enabled: bool
    client_id: str
    client_secret: str  # empty: keep the stored one
    issuer: str = ""
    scopes: str = ""
    agent_id: str = ""
    link_by_email: bool = False
    link_by_mobile: bool = False


def get_provider(kind: str) -> SignInProvider | None:
    if kind not in KINDS:
        return None
    return db.session.scalar(select(SignInProvider).where(SignInProvider.kind == kind))


def provider_or_blank(kind: str) -> SignInProvider:
    """The stored settings of ``kind``, or blank ones (not added to the session)."""
    if kind not in KINDS:
        raise NotFound("no such provider")
    row = get_provider(kind)
    if row is None:
        row = SignInProvider(
            kind=kind,
            enabled=False,
            issuer="",
            scopes=DEFAULT_SCOPES if kind == OIDC else "",
            client_id="",
            client_secret="",
            agent_id="",
            link_by_email=False,
            link_by_mobile=False,
            version=0,
        )
    return row


def enabled_provider(kind: str) -> SignInProvider | None:
    row = get_provider(kind)
    return row if row is not None and row.enabled else None


def enabled_kinds() -> list[str]:
    """The ways in offered on the login page, in a fixed order."""
    kinds = set(
        db.session.scalars(select(SignInProvider.kind).where(SignInProvider.enabled.is_(True)))
    )
    return [kind for kind in KINDS if kind in kinds]


def masked_secret(row: SignInProvider) -> str:
    """How the stored secret is shown: masked, or a word that it cannot be read."""
    if not row.client_secret:
        return ""
    try:
        return mask(unseal(row.client_secret))
    except Unreadable:
        return _("(cannot be read with this installation's key: enter it again)")


def save_provider(actor: User, kind: str, data: ProviderInput, version: int | None) -> None:
    """Keep a provider's settings; a blank secret keeps the stored one. The audit log
    says which settings changed, and that the secret was replaced, never the secret."""
    authorize(actor, ACTION)
    row = provider_or_blank(kind)
    if row.id is not None:
        check_version(row, version)
    else:
        row.version = 1
        db.session.add(row)
    values = _checked(kind, data, has_secret=bool(row.client_secret or data.client_secret))
    changes = audit.apply_changes(row, values)
    if data.client_secret:
        changes["client_secret"] = ["set" if row.client_secret else "none", "replaced"]
        row.client_secret = seal(data.client_secret)
    elif row.client_secret and not is_sealed(row.client_secret):
        row.client_secret = seal(row.client_secret)  # an older row, sealed when written
    if changes:
        db.session.flush()
        audit.record(actor, "configured", row, changes, summary=str(LABELS[kind]))


def _checked(kind: str, data: ProviderInput, has_secret: bool) -> dict:
    values = {
        "enabled": bool(data.enabled),
        "client_id": data.client_id.strip(),
        "agent_id": data.agent_id.strip() if kind == WECOM else "",
        "link_by_mobile": bool(data.link_by_mobile),
        "link_by_email": bool(data.link_by_email) if kind == OIDC else False,
    }
    if kind == OIDC:
        scopes = data.scopes.split() or DEFAULT_SCOPES.split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        values["issuer"] = data.issuer.strip()
        values["scopes"] = " ".join(dict.fromkeys(scopes))
        if values["issuer"]:
            _check_issuer(values["issuer"])
    if values["enabled"]:
        if kind == OIDC and not values["issuer"]:
            raise ValidationFailed(_("Enter the issuer's address."), "issuer")
        if not values["client_id"]:
            raise ValidationFailed(_("Required to turn this way in on."), "client_id")
        if kind == WECOM and not values["agent_id"]:
            raise ValidationFailed(_("Required to turn this way in on."), "agent_id")
        if not has_secret:
            raise ValidationFailed(_("Required to turn this way in on."), "client_secret")
    return values


def _check_issuer(issuer: str) -> None:
    """An https address (plain http only on this machine, for a test provider)."""
    parts = urlsplit(issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ValidationFailed(
            _(
                "The issuer must be an https:// address, like https://sso.bank.example/realms/staff."
            ),
            "issuer",
        )
    if parts.query or parts.fragment:
        raise ValidationFailed(_("The issuer has no query or fragment."), "issuer")


# --- each account's way in --------------------------------------------------------------------


def accounts_by_way_in(actor: User) -> list[User]:
    """The accounts that do not sign in with a password here, by way in and name."""
    authorize(actor, ACTION)
    return list(
        db.session.scalars(
            select(User).where(User.way_in != LOCAL).order_by(User.way_in, User.username)
        )
    )


def set_way_in(actor: User, user: User, way_in: str) -> bool:
    """Set how ``user`` signs in; True when it changed. An account that leaves its
    password here for a single sign-on gets an unusable password (back to a password:
    an administrator sets a new one)."""
    authorize(actor, ACTION)
    if way_in not in WAY_IN_LABELS:
        raise ValidationFailed(_("Choose a way in."), "way_in")
    if user.id == actor.id:
        raise ValidationFailed(_("You cannot change how you sign in yourself."), "user_id")
    changes = audit.apply_changes(user, {"way_in": way_in})
    if not changes:
        return False
    if way_in != LOCAL:
        user.password_hash = hash_password(generate_token(48))
    audit.record(actor, "way_in_changed", user, changes, summary=user.username)
    return True


# --- finding the account ----------------------------------------------------------------------


def _not_open() -> SignInRefused:
    return SignInRefused(
        _("This account has not been opened here yet. Please contact the administrator.")
    )


def find_account(provider: SignInProvider, identity: Identity) -> User:
    """The account ``identity`` signs in to, linked to it on its first sign-in.

    :raise SignInRefused: no such account, another way in, or deactivated.
    """
    kind = provider.kind
    column = getattr(User, USER_ID_COLUMN[kind])
    user = None
    if identity.subject:
        found = list(db.session.scalars(select(User).where(column == identity.subject).limit(2)))
        if len(found) > 1:
            raise SignInRefused(
                _("More than one account here matches you. Please contact the administrator.")
            )
        user = found[0] if found else None
    if user is None:
        user = _first_time(provider, identity, column)
    if user.way_in != kind:
        raise SignInRefused(
            _(
                "Your account here signs in another way (%(way)s). Please contact the "
                "administrator if that should change.",
                way=WAY_IN_LABELS.get(user.way_in, user.way_in),
            )
        )
    if not user.active:
        raise SignInRefused(
            _("This account has been deactivated. Please contact the administrator.")
        )
    return user


def _first_time(provider: SignInProvider, identity: Identity, column) -> User:
    """An account of this way in not linked yet, found by a verified e-mail address or a
    mobile number where the administrator allows it, and linked now."""
    if not identity.subject:
        raise _not_open()
    unlinked = select(User).where(User.way_in == provider.kind, column == "")
    found: list[User] = []
    if provider.kind == OIDC and provider.link_by_email and identity.email_verified:
        email = identity.email.strip().lower()
        if email:
            found = list(db.session.scalars(unlinked.where(func.lower(User.email) == email)))
    if not found and provider.link_by_mobile and identity.mobile:
        mobile = normal_mobile(identity.mobile)
        found = [
            u
            for u in db.session.scalars(unlinked.where(User.mobile != ""))
            if normal_mobile(u.mobile) == mobile
        ]
    if len(found) != 1:
        raise _not_open()
    user = found[0]
    name = USER_ID_COLUMN[provider.kind]
    changes = audit.apply_changes(user, {name: identity.subject})
    audit.record(user, "sso_linked", user, changes, summary=user.username)
    return user
