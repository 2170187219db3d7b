"""Where a channel may send, checked when the admin saves it and again before every send.

- The robots go to their vendors' documented hosts over HTTPS only: WeCom
  ``qyapi.weixin.qq.com``, DingTalk ``oapi.dingtalk.com``, Feishu ``open.feishu.cn`` and
  Lark ``open.larksuite.com``.
- A generic JSON webhook may go anywhere but to a loopback, link-local, unspecified or
  multicast address, or this app's own (the host of ``BASE_URL`` and of this machine).
  Its host name is resolved (``getaddrinfo``) when the channel is saved and again when a
  message is sent, and the message goes to the very address that was checked, so a name
  that changes its answer in between (DNS rebinding) reaches nothing it should not.
- ``NOTIFY_ALLOWED_HOSTS`` lets the admin allow more: an intranet gateway for the robots,
  or a webhook on an address the rule above refuses. An allowed host may use plain HTTP.

No redirect is followed: a robot or webhook that answers with one has not taken the message.
Secrets in addresses (WeCom ``key``, DingTalk ``access_token``, any ``token``, ``secret``
or ``sign``, Feishu's token in the path) are shown masked (``masked_url``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import parse_qsl, urlsplit

from flask import current_app
from flask_babel import gettext as _

from app.notify.models import DINGTALK, FEISHU, WECOM

VENDOR_HOSTS = {
    WECOM: ("qyapi.weixin.qq.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
MASK = "••••"


class AddressRefused(Exception):
    """A channel's address that may not be used; the message (translated) says why."""


def allowed_hosts() -> tuple[str, ...]:
    return tuple(current_app.config.get("NOTIFY_ALLOWED_HOSTS") or ())


def _host_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of an http(s) URL without credentials in it.

    :raise AddressRefused: otherwise.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused(_("This is not a valid web address.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(_("A webhook needs its http(s) address."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("An address may not carry a user name or password."))
    if MASK in url:
        raise AddressRefused(_("The address still contains ••••: type it in full."))
    return parts.scheme, parts.hostname.lower().rstrip("."), port


def _own_addresses() -> set[str]:
    """The addresses this app is reached at: its BASE_URL's host and this machine's name."""
    names = {urlsplit(current_app.config["BASE_URL"]).hostname or "", socket.gethostname()}
    own: set[str] = set()
    for name in filter(None, names):
        try:
            own.update(info[4][0] for info in socket.getaddrinfo(name, None))
        except OSError:
            continue
    return own


def _refused_reason(address: str, own: set[str]) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return _("It points to this computer (a loopback address).")
    if ip.is_link_local:
        return _("It points to a link-local address.")
    if ip.is_unspecified or ip.is_multicast:
        return _("It points to no single computer.")
    if str(ip) in own:
        return _("It points to Gongjian itself.")
    return None


def resolve_webhook(host: str, port: int | None, scheme: str) -> str:
    """The address to send a generic webhook to, once every address of ``host`` passed.

    :raise AddressRefused: when the name does not resolve or one of its addresses may not
        be reached.
    """
    try:
        infos = socket.getaddrinfo(host, port or (443 if scheme == "https" else 80))
    except OSError:
        raise AddressRefused(_("The host name %(host)s cannot be resolved.", host=host)) from None
    addresses = [info[4][0] for info in infos]
    own = _own_addresses()
    for address in addresses:
        reason = _refused_reason(address, own)
        if reason is not None:
            raise AddressRefused(
                _(
                    "%(reason)s The host must first be allowed in the server's settings.",
                    reason=reason,
                )
            )
    return addresses[0]


def check_address(kind: str, url: str) -> str | None:
    """Whether a channel of ``kind`` may send to ``url``; returns the address a generic
    webhook must be sent to (None: connect by name, as for a robot or an allowed host).

    :raise AddressRefused: with the reason, in the current language.
    """
    scheme, host, port = _host_of(url)
    if host in allowed_hosts():
        return None
    vendors = VENDOR_HOSTS.get(kind)
    if vendors is not None:
        if host not in vendors:
            raise AddressRefused(
                _(
                    "This robot's address must start with %(hosts)s. An intranet gateway "
                    "must first be allowed in the server's settings.",
                    hosts=" / ".join(f"https://{host}/" for host in vendors),
                )
            )
        if scheme != "https" or port not in (None, 443):
            raise AddressRefused(_("A robot's address must start with https://."))
        return None
    return resolve_webhook(host, port, scheme)


# --- masking -------------------------------------------------------------------------------

_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{16,}")


def _mask(value: str) -> str:
    return MASK + value[-4:] if len(value) >= 12 else MASK


def masked_url(url: str) -> str:
    """The address with every query value and every token-like path segment masked:
    ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••9f3a``."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    segments = [
        _mask(segment) if _TOKEN_SEGMENT.fullmatch(segment) else segment
        for segment in parts.path.split("/")
    ]
    query = "&".join(
        f"{name}={_mask(value)}" if value else name
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{'/'.join(segments)}" + (f"?{query}" if query else "")
