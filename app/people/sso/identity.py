"""What a provider says of the person who signed in there, and how a provider fails."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import current_app
from flask_babel import gettext as _

from app.people.sso.providers import LABELS


@dataclass(frozen=True)
class Identity:
    """The person as the provider knows them: its id of them (the OIDC ``sub``, or the
    WeCom / DingTalk / Feishu user id), and what it vouches for besides."""

    kind: str
    subject: str
    email: str = ""
    email_verified: bool = False
    mobile: str = ""


class ProviderError(Exception):
    """The provider could not be reached, or answered with an error: nothing is known."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail[:200]

    @property
    def message(self) -> str:
        return _(
            "%(provider)s could not confirm who you are. Try again in a moment; if it "
            "keeps failing, tell the administrator.",
            provider=LABELS[self.kind],
        )


def timeout() -> int:
    return current_app.config["SSO_HTTP_TIMEOUT"]


def get_json(kind: str, url: str, **kwargs) -> dict:
    return _call(kind, "GET", url, **kwargs)


def post_json(kind: str, url: str, **kwargs) -> dict:
    return _call(kind, "POST", url, **kwargs)


def _call(kind: str, method: str, url: str, **kwargs) -> dict:
    """One call to a provider's API, its JSON answer (whatever the status: the vendors'
    errors are in the body); :raise ProviderError: unreachable, or not JSON."""
    try:
        response = requests.request(method, url, timeout=timeout(), allow_redirects=False, **kwargs)
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderError(kind, f"{method} {url.split('?')[0]}: {error}") from error
    if not isinstance(data, dict):
        raise ProviderError(kind, f"{method} {url.split('?')[0]}: not an object")
    return data
