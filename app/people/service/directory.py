"""Signing in with the bank's directory (LDAP / Active Directory, through ldap3).

A sign-in asks the directory four things, each on its own: the service account binds
(or an anonymous search, without ``LDAP_BIND_DN``), finds the one entry that
``LDAP_USER_FILTER`` names for the typed name (escaped, RFC 4515), a second connection
binds as that entry with the typed password, and the service account checks the entry is
in ``LDAP_REQUIRED_GROUP``. Only then is the account made (``way_in='ldap'``, a local
password nobody can use, role staff) or brought in step with its entry: display name,
e-mail, mobile and org unit (matched to an ``OrgUnit`` by name).

Each account has one way in: ``sign_in`` (``service.sign_in``) sends an account whose
``way_in`` is ``ldap`` here and never to its local password, a local account never here,
and a name no account has here when a directory is configured.

Certificates are always checked (``ssl.CERT_REQUIRED``, against ``LDAP_CA_FILE`` or the
system's authorities) and the host name must match, for ldaps:// and StartTLS alike.
The functions flush at most: the caller's boundary commits.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import ldap3
from flask import current_app
from flask_babel import gettext as _
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.errors import DomainError, ValidationFailed
from app.core.permissions import STAFF
from app.extensions import db
from app.people.models import OrgUnit, User
from app.people.service.accounts import masked_mobile, normalize_mobile

LOCAL = "local"
LDAP = "ldap"
# Not a werkzeug hash: ``check_password_hash`` never matches it.
UNUSABLE_PASSWORD = "!directory"
# The names an account may carry here (as the account form's rule, any length from 1).
USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")
GROUP_MODES = {"member": "member", "uniquemember": "uniqueMember", "memberof": "memberOf"}


class DirectoryUnavailable(DomainError):
    """The directory could not be asked: down, unreachable, a certificate that fails its
    check, or a service account it refuses. The details go to the log."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            _(
                "The directory service cannot be reached at the moment. Try again later "
                "or contact the administrator."
            )
        )


class DirectoryRefused(DomainError):
    """The password was right, but this person may not sign in here (outside the group)
    or no account can be made for them; nothing is created."""

    status = 403


@dataclass(frozen=True)
class Person:
    """One directory entry, as an account reads it."""

    dn: str
    username: str
    display_name: str
    email: str
    mobile: str
    org_unit: str | None  # None: the org unit is not read from the directory


@dataclass(frozen=True)
class Settings:
    url: str
    start_tls: bool
    ca_file: str
    bind_dn: str
    bind_password: str
    base_dn: str
    user_filter: str
    group: str
    group_mode: str
    attrs: dict[str, tuple[str, ...]]
    timeout: int

    @classmethod
    def read(cls) -> Settings:
        config = current_app.config

        def names(key: str) -> tuple[str, ...]:
            return tuple(n.strip() for n in (config.get(key) or "").split(",") if n.strip())

        return cls(
            url=(config.get("LDAP_URL") or "").strip(),
            start_tls=bool(config.get("LDAP_START_TLS")),
            ca_file=(config.get("LDAP_CA_FILE") or "").strip(),
            bind_dn=config.get("LDAP_BIND_DN") or "",
            bind_password=config.get("LDAP_BIND_PASSWORD") or "",
            base_dn=config.get("LDAP_BASE_DN") or "",
            user_filter=config.get("LDAP_USER_FILTER") or "",
            group=(config.get("LDAP_REQUIRED_GROUP") or "").strip(),
            group_mode=(config.get("LDAP_GROUP_MEMBERSHIP") or "member").strip().lower(),
            attrs={
                "username": names("LDAP_ATTR_USERNAME"),
                "display_name": names("LDAP_ATTR_DISPLAY_NAME"),
                "email": names("LDAP_ATTR_EMAIL"),
                "mobile": names("LDAP_ATTR_MOBILE"),
                "org_unit": names("LDAP_ATTR_ORG_UNIT"),
            },
            timeout=max(1, int(config.get("LDAP_TIMEOUT") or 5)),
        )


def configured() -> bool:
    """Is a directory configured (``LDAP_URL``)?"""
    return bool((current_app.config.get("LDAP_URL") or "").strip())


# --- talking to the directory --------------------------------------------------------------


class _CheckedTls(ldap3.Tls):
    """ldap3's TLS with Python's own checks: the certificate must chain to the configured
    authorities and name the host. (ldap3 turns the context's host name check off and
    does its own with ``ssl.match_hostname``, which Python deprecates.)"""

    def wrap_socket(self, connection, do_handshake=False):
        context = ssl.create_default_context(cafile=self.ca_certs_file or None)
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        connection.socket = context.wrap_socket(
            connection.socket,
            server_side=False,
            do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host,
        )


def _log(message: str, *args) -> None:
    current_app.logger.warning("Directory sign-in: " + message, *args)


def _server(settings: Settings) -> ldap3.Server:
    url = urlsplit(settings.url)
    if url.scheme not in ("ldap", "ldaps") or not url.hostname:
        _log("LDAP_URL must be ldap://host[:port] or ldaps://host[:port], not %r", settings.url)
        raise DirectoryUnavailable()
    secure = url.scheme == "ldaps"
    try:
        tls = _CheckedTls(ca_certs_file=settings.ca_file or None, validate=ssl.CERT_REQUIRED)
    except LDAPException as error:
        _log("LDAP_CA_FILE cannot be used: %s", error)
        raise DirectoryUnavailable() from error
    return ldap3.Server(
        url.hostname,
        port=url.port or (636 if secure else 389),
        use_ssl=secure,
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=settings.timeout,
    )


def _connection(server: ldap3.Server, settings: Settings, dn: str, password: str, opened: list):
    """An open connection (StartTLS done when asked), not yet bound; added to ``opened``
    before it opens, so that it is closed whatever happens."""
    connection = ldap3.Connection(
        server,
        user=dn or None,
        password=password or None,
        auto_bind=ldap3.AUTO_BIND_NONE,
        # A referral would send the password to a server nobody configured.
        auto_referrals=False,
        receive_timeout=settings.timeout,
        read_only=True,
        raise_exceptions=False,
    )
    opened.append(connection)
    connection.open()
    if settings.start_tls and not server.ssl:
        connection.start_tls()
    return connection


def _search(connection, base: str, query: str, scope, attributes) -> list[dict]:
    """The entries found; an error of the directory's (a base that does not exist, a
    refusal) is the directory being unusable, not a wrong password."""
    connection.search(base, query, search_scope=scope, attributes=attributes, size_limit=2)
    code = connection.result.get("result")
    if code not in (0, 4):  # success, sizeLimitExceeded (two found: ambiguous)
        _log("search under %r failed: %s", base, connection.result.get("description"))
        raise DirectoryUnavailable()
    return [entry for entry in connection.response or () if entry.get("type") == "searchResEntry"]


def _values(entry: dict) -> dict[str, list[str]]:
    """The entry's attributes, names lower-cased, values decoded."""
    raw = entry.get("raw_attributes") or {}
    return {
        str(name).lower(): [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values
        ]
        for name, values in raw.items()
    }


def _first(values: dict[str, list[str]], names: tuple[str, ...]) -> str:
    for name in names:
        for value in values.get(name.lower(), ()):
            if value.strip():
                return " ".join(value.split())
    return ""


def _person(entry: dict, settings: Settings, typed: str) -> Person:
    values = _values(entry)
    attrs = settings.attrs
    username = _first(values, attrs["username"]) or typed
    return Person(
        dn=entry["dn"],
        username=username,
        display_name=(_first(values, attrs["display_name"]) or username)[:60],
        email=_first(values, attrs["email"]).lower(),
        mobile=_first(values, attrs["mobile"]),
        org_unit=_first(values, attrs["org_unit"]) if attrs["org_unit"] else None,
    )


def _in_group(connection, settings: Settings, dn: str) -> bool:
    """Is the entry ``dn`` a member of the required group, as the directory matches DNs?"""
    mode = GROUP_MODES.get(settings.group_mode)
    if mode is None:
        _log("LDAP_GROUP_MEMBERSHIP must be member, uniqueMember or memberOf")
        raise DirectoryUnavailable()
    if mode == "memberOf":
        query = f"(memberOf={escape_filter_chars(settings.group)})"
        found = _search(connection, dn, query, ldap3.BASE, [ldap3.NO_ATTRIBUTES])
    else:
        query = f"({mode}={escape_filter_chars(dn)})"
        try:
            found = _search(connection, settings.group, query, ldap3.BASE, [ldap3.NO_ATTRIBUTES])
        except DirectoryUnavailable:
            _log("the group LDAP_REQUIRED_GROUP=%r cannot be read", settings.group)
            raise
    return bool(found)


def _wanted_attributes(settings: Settings) -> list[str]:
    return sorted({name for names in settings.attrs.values() for name in names}) or [
        ldap3.NO_ATTRIBUTES
    ]


def look_up(name: str, password: str) -> Person | None:
    """The directory's person named ``name`` whose password is ``password``; ``None``
    when nobody (or more than one entry) is found or the password is wrong.

    :raise DirectoryRefused: when the password is right but the person is outside the
        required group.
    :raise DirectoryUnavailable: when the directory cannot be asked.
    """
    settings = Settings.read()
    if not password or not name:
        return None  # an empty password would be an anonymous bind, which "succeeds"
    server = _server(settings)
    query = settings.user_filter.replace("{username}", escape_filter_chars(name))
    connections = []
    try:
        service = _connection(
            server, settings, settings.bind_dn, settings.bind_password, connections
        )
        if not service.bind():
            _log("the service account was refused: %s", service.result.get("description"))
            raise DirectoryUnavailable()
        found = _search(
            service, settings.base_dn, query, ldap3.SUBTREE, _wanted_attributes(settings)
        )
        if len(found) != 1:
            if found:
                _log("the filter finds more than one entry for %r", name)
            return None
        person = _person(found[0], settings, name)
        own = _connection(server, settings, person.dn, password, connections)
        if not own.bind():
            return None
        if settings.group and not _in_group(service, settings, person.dn):
            raise DirectoryRefused(
                _(
                    "Your directory account is not allowed to use Gongjian. Ask the "
                    "administrator to add you to its group."
                )
            )
        return person
    except LDAPException as error:
        _log("%s: %s", type(error).__name__, error)
        raise DirectoryUnavailable() from error
    finally:
        for connection in connections:
            _close(connection)


def _close(connection) -> None:
    """Unbind, and close the socket too: ldap3 leaves it open when the connection or its
    TLS handshake failed."""
    with contextlib.suppress(LDAPException):
        connection.unbind()
    sock = getattr(connection, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


# --- accounts ------------------------------------------------------------------------------


def _org_unit_id(name: str) -> int | None:
    """The one open org unit called ``name``; none when no unit or several are."""
    ids = db.session.scalars(
        select(OrgUnit.id).where(OrgUnit.name == name, OrgUnit.archived_at.is_(None)).limit(2)
    ).all()
    return ids[0] if len(ids) == 1 else None


def _mobile(value: str) -> str:
    try:
        return normalize_mobile(value)
    except ValidationFailed:
        return ""  # a number the robots could not use: none rather than a wrong one


def _email_taken(email: str, account: User | None) -> bool:
    other = db.session.scalar(select(User).where(func.lower(User.email) == email))
    return other is not None and other is not account


def _account_of(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _provision(person: Person) -> User:
    """A new account for ``person``, or the directory account they already have.

    :raise DirectoryRefused: when no account can be made (a name or e-mail address
        already used by an account with another way in, a name the app cannot carry,
        no e-mail address in the directory).
    """
    existing = _account_of(person.username)
    if existing is not None:
        return _existing(existing, person)
    if not USERNAME.fullmatch(person.username):
        _log("the directory name %r cannot be an account name here", person.username)
        raise DirectoryRefused(_cannot_make())
    if not person.email or "@" not in person.email or len(person.email) > 254:
        raise DirectoryRefused(
            _(
                "Your directory entry has no e-mail address, so no account can be made. "
                "Ask the administrator."
            )
        )
    if _email_taken(person.email, None):
        raise DirectoryRefused(_cannot_make())
    user = User(
        username=person.username,
        email=person.email,
        display_name=person.display_name,
        role=STAFF,
        way_in=LDAP,
        password_hash=UNUSABLE_PASSWORD,
        mobile=_mobile(person.mobile),
        org_unit_id=_org_unit_id(person.org_unit) if person.org_unit else None,
    )
    try:
        with db.session.begin_nested():  # the same person signing in twice at once
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        existing = _account_of(person.username)
        if existing is None:
            raise DirectoryRefused(_cannot_make()) from None
        return _existing(existing, person)
    audit.record(
        user,
        "provisioned",
        user,
        {
            "username": [None, user.username],
            "email": [None, user.email],
            "display_name": [None, user.display_name],
            "mobile": [None, masked_mobile(user.mobile)],
            "org_unit_id": [None, user.org_unit_id],
        },
        summary=user.username,
    )
    return user


def _cannot_make() -> str:
    return _(
        "An account with your name or e-mail address already exists here with another "
        "way of signing in. Ask the administrator."
    )


def _existing(account: User, person: Person) -> User:
    if account.way_in != LDAP:
        raise DirectoryRefused(_cannot_make())
    if not account.active:
        raise DirectoryRefused(_("This account is deactivated. Ask the administrator."))
    sync(account, person)
    return account


def sync(account: User, person: Person) -> None:
    """Bring ``account`` in step with its directory entry (an audit event when anything
    changed). An e-mail address another account uses is left as it was."""
    values: dict = {"display_name": person.display_name, "mobile": _mobile(person.mobile)}
    if person.email and "@" in person.email and not _email_taken(person.email, account):
        values["email"] = person.email
    elif person.email and person.email != account.email:
        _log("%r's e-mail address %r is used by another account", account.username, person.email)
    if person.org_unit is not None:
        values["org_unit_id"] = _org_unit_id(person.org_unit)
    changes = audit.apply_changes(account, values)
    if "mobile" in changes:
        changes["mobile"] = [masked_mobile(value or "") for value in changes["mobile"]]
    if changes:
        audit.record(account, "directory_synced", account, changes, summary=account.username)
        db.session.flush()


def sign_in(account: User | None, name: str, password: str) -> User | None:
    """The directory's answer to a sign-in: the account (made on the first sign-in, kept
    in step on every one), or ``None`` for a wrong name or password.

    ``account``: the directory account the typed ``name`` belongs to, or ``None`` for a
    name no account has (looked up in the directory as typed).

    :raise DirectoryRefused: outside the group, or when no account can be made.
    :raise DirectoryUnavailable: when the directory cannot be asked.
    """
    if account is not None and not configured():
        _log("%r signs in with the directory, but LDAP_URL is not set", account.username)
        raise DirectoryUnavailable()
    person = look_up(account.username if account is not None else name, password)
    if person is None:
        return None
    if account is None:
        return _provision(person)
    if person.username.lower() != account.username.lower():
        _log("the entry found for %r is %r", account.username, person.username)
        return None
    sync(account, person)
    return account


def password_matches(user: User, password: str) -> bool:
    """Is ``password`` this account's password, asked where the account keeps it?

    :raise DirectoryUnavailable: for a directory account while the directory is down.
    """
    if user.way_in == LOCAL:
        return user.check_password(password)
    if user.way_in != LDAP:
        return False
    if not configured():
        raise DirectoryUnavailable()
    try:
        return look_up(user.username, password) is not None
    except DirectoryRefused:
        return False
