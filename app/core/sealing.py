"""Secrets the application must read back, sealed at rest.

An authenticator key, a workplace app's secret or an identity provider's client secret is
needed in the clear to be used, so it cannot be hashed like a password; it is sealed
(Fernet: AES-128-CBC with an HMAC-SHA256) under a key derived from ``SECRET_KEY`` and
stored as ``sealed:<token>``. A value without that prefix is read as written, so rows
from before sealing still work and are sealed when next written. Changing ``SECRET_KEY``
makes sealed values unreadable: :class:`Unreadable` says so, and the person or the
administrator sets the secret again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "sealed:"


class Unreadable(Exception):
    """A sealed value that this installation's key cannot open."""


def _fernet(secret_key: str | None = None) -> Fernet:
    secret = (secret_key or current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gongjian", info=b"sealing/v1").derive(
        secret
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, secret_key: str | None = None) -> str:
    """``value`` sealed for storage; the empty string stays empty."""
    if not value:
        return ""
    return PREFIX + _fernet(secret_key).encrypt(value.encode()).decode()


def unseal(stored: str, *, secret_key: str | None = None) -> str:
    """The clear value of what :func:`seal` stored (or of an unsealed older row)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet(secret_key).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise Unreadable from error


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def mask(value: str) -> str:
    """How a secret is shown once saved: its last four characters at most."""
    if not value:
        return ""
    tail = value[-4:] if len(value) >= 12 else ""
    return "••••••••" + tail
