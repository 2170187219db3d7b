"""The ways out: e-mail over SMTP, and the WeCom, DingTalk, Feishu and plain JSON webhooks.

Each sender takes a ``Message`` and an ``Endpoint`` (what a ``Channel`` row says about
where to send) and returns the server's ``Answer``, or raises ``SendFailed`` with the
reason; delivery records either. Both are plain values read from the database before
sending, so no session or transaction is held while a server takes its time. Only the
standard library talks to the network (smtplib, urllib), always with a timeout.

Before each webhook is sent its address is checked again (``addresses.check_address``);
a generic webhook goes to the very address that was checked, and no redirect is followed.
What the robots are sent — mentions, and the platforms' length limits — is in ``robots``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import partial

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import clock, sealing
from app.notify import robots
from app.notify.addresses import AddressRefused, check_address
from app.notify.events import signed_headers
from app.notify.models import DINGTALK, EMAIL, FEISHU, WEBHOOK, WECOM, Channel
from app.notify.robots import BULLET, Mention

__all__ = [
    "BULLET",
    "Answer",
    "Endpoint",
    "Mention",
    "Message",
    "SendFailed",
    "send",
    "send_event",
]


class SendFailed(Exception):
    """The channel refused or could not be reached; the message says why.

    ``status`` is one short line (an HTTP status, a robot's error code) that may be shown
    where the whole answer must not be.
    """

    def __init__(self, detail: str, status: str | None = None):
        super().__init__(detail)
        self.status = _line(status if status is not None else detail)


@dataclass(frozen=True)
class Answer:
    """What the channel answered: a short status line and the body (kept in the log)."""

    status: str
    body: str = ""

    def __str__(self) -> str:
        return _limit(f"{self.status} {self.body}".strip(), 500)


def _line(text: str, size: int = 120) -> str:
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return first if len(first) <= size else first[:size] + "…"


@dataclass(frozen=True)
class Message:
    recipient_name: str
    recipient_email: str
    locale: str
    kind: str
    text: str
    link: str | None = None  # a path in the app (naming its task force), or an absolute URL
    task_force: str | None = None  # the name of the task force it is about, if any
    # The people the robots mention: the recipient of a personal message, and whoever a
    # mention names. Nobody: the message names the recipient as plain "@name".
    mentions: tuple[Mention, ...] = ()

    @property
    def blocks(self) -> list[tuple[str, list[str]]]:
        """The text as paragraphs and lists, for HTML: ("p", [line]) or ("ul", [items]).

        A grouped reminder lists its items as lines starting with "• ".
        """
        blocks: list[tuple[str, list[str]]] = []
        for line in self.text.splitlines():
            if line.startswith(BULLET):
                if not blocks or blocks[-1][0] != "ul":
                    blocks.append(("ul", []))
                blocks[-1][1].append(line[len(BULLET) :])
            elif line.strip():
                blocks.append(("p", [line]))
        return blocks

    @property
    def url(self) -> str | None:
        if not self.link:
            return None
        if self.link.startswith(("http://", "https://")):
            return self.link
        return current_app.config["BASE_URL"].rstrip("/") + self.link


@dataclass(frozen=True)
class Endpoint:
    """Where a channel sends: its kind, robot URL and signing secret (e-mail: none).

    ``secret`` is as stored (sealed); ``clear_secret`` opens it just before signing.
    ``delivery`` names the delivery a generic webhook's post carries (its header).
    """

    kind: str
    url: str = ""
    secret: str = ""
    delivery: str = ""

    @classmethod
    def of(cls, channel: Channel) -> Endpoint:
        return cls(kind=channel.kind, url=channel.url, secret=channel.secret)

    @property
    def clear_secret(self) -> str:
        """:raise SendFailed: when this installation's key cannot open the secret."""
        try:
            return sealing.unseal(self.secret)
        except sealing.Unreadable:
            raise SendFailed(
                "the signing secret cannot be read (SECRET_KEY changed): set it again",
                "secret unreadable",
            ) from None


def _limit(text: str, size: int = 2000) -> str:
    return text if len(text) <= size else text[:size] + "…"


# --- e-mail --------------------------------------------------------------------------------


def send_email(message: Message, endpoint: Endpoint) -> str:
    config = current_app.config
    if not config["SMTP_HOST"]:
        raise SendFailed("SMTP_HOST is not set")
    with force_locale(message.locale):
        subject = _("[Gongjian] %(text)s", text=message.text.splitlines()[0][:80])
        # Straight from the environment: no request here, so no page context processors.
        env = current_app.jinja_env
        plain = env.get_template("notify/email.txt").render(message=message)
        html = env.get_template("notify/email.html").render(message=message)
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = config["SMTP_FROM"]
    mail["To"] = formataddr((message.recipient_name, message.recipient_email))
    mail["Message-ID"] = make_msgid(domain="gongjian")
    mail.set_content(plain)
    mail.add_alternative(html, subtype="html")
    security = config["SMTP_SECURITY"]
    timeout = config["SMTP_TIMEOUT"]
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(
                config["SMTP_HOST"],
                config["SMTP_PORT"],
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            server = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                server.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            refused = server.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(f"SMTP: {error}") from error
    if refused:
        raise SendFailed(f"SMTP refused: {refused}")
    return Answer("250", f"accepted for {message.recipient_email}")


# --- webhooks ------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection(
            (self._address, self.port), self.timeout, self.source_address
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked for the host name, as usual."""

    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection(
            (self._address, self.port), self.timeout, self.source_address
        )
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(partial(_PinnedHTTPConnection, address=self.address), req)


class _PinnedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__(context=ssl.create_default_context())
        self.address = address

    def https_open(self, req):
        return self.do_open(
            partial(_PinnedHTTPSConnection, address=self.address, context=self._context), req
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, "redirect refused", headers, fp)


def _opener(address: str | None) -> urllib.request.OpenerDirector:
    if address is None:  # a robot's vendor or an allowed host: by name (and proxy, if any)
        return urllib.request.build_opener(_NoRedirects())
    # No proxy: the message must reach exactly the address that was checked.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _PinnedHTTP(address), _PinnedHTTPS(address), _NoRedirects()
    )


def _post_json(
    kind: str, url: str, payload: dict | bytes, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """POST ``payload`` (or these very bytes of JSON) to ``url`` once its address passed
    the checks for ``kind``."""
    try:
        address = check_address(kind, url)
    except AddressRefused as refused:
        raise SendFailed(str(refused)) from None
    data = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    )
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    timeout = current_app.config["DELIVERY_HTTP_TIMEOUT"]
    try:
        with _opener(address).open(request, timeout=timeout) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        body = error.read(1024).decode("utf-8", "replace") if error.fp else ""
        raise SendFailed(f"HTTP {error.code}: {body}", f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise SendFailed(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from error


def _robot_answer(status: int, body: str, code_field: str) -> Answer:
    """WeCom and DingTalk answer 200 with ``errcode``; Feishu with ``code``. Non-zero fails."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise SendFailed(
            f"HTTP {status}: not JSON: {_limit(body, 200)}", f"HTTP {status}"
        ) from None
    code = answer.get(code_field, answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        reason = _line(str(answer.get("errmsg") or answer.get("msg") or ""), 80)
        raise SendFailed(
            f"{code_field} {code}: {_limit(body, 500)}", f"{code_field} {code}: {reason}"
        )
    return Answer(f"HTTP {status} · {code_field} 0", _limit(body, 500))


def _where(message: Message) -> str:
    return f"【{message.task_force}】" if message.task_force else ""


def _people(message: Message) -> tuple[Mention, ...]:
    return message.mentions or (Mention(name=message.recipient_name),)


def robot_text(kind: str, message: Message, fits) -> str:
    """The text a robot of ``kind`` is sent: who it is for, where, what, and the link."""
    prefix = robots.mention_prefix(kind, _people(message)) + _where(message)
    return robots.fit(prefix, message.text, message.url, fits, message.locale)


def send_wecom(message: Message, endpoint: Endpoint) -> Answer:
    """A WeCom (企业微信) group robot: text, mentioning by userid or mobile number."""
    content = robot_text(WECOM, message, robots.bytes_at_most(robots.WECOM_TEXT_BYTES))
    text = {"content": content, **robots.wecom_mentions(message.mentions)}
    payload = {"msgtype": "text", "text": text}
    return _robot_answer(*_post_json(WECOM, endpoint.url, payload), "errcode")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "ts\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def send_dingtalk(message: Message, endpoint: Endpoint) -> Answer:
    """A DingTalk (钉钉) robot; with a secret, the URL carries timestamp and sign."""
    url = endpoint.url
    if secret := endpoint.clear_secret:
        timestamp = int(clock.now().timestamp() * 1000)
        separator = "&" if "?" in url else "?"
        sign = dingtalk_sign(secret, timestamp)
        url = f"{url}{separator}timestamp={timestamp}&sign={sign}"
    at = robots.dingtalk_at(message.mentions)

    def payload(content: str) -> dict:
        return {"msgtype": "text", "text": {"content": content}, "at": at}

    fits = robots.body_at_most(robots.DINGTALK_BODY_BYTES, payload)
    return _robot_answer(
        *_post_json(DINGTALK, url, payload(robot_text(DINGTALK, message, fits))), "errcode"
    )


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's bot signature: base64 of HMAC-SHA256 keyed by "ts\\nsecret" over nothing."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def send_feishu(message: Message, endpoint: Endpoint) -> Answer:
    """A Feishu (飞书) custom bot, signed when it has a secret; mentions as ``<at>``."""
    signature: dict = {}
    if secret := endpoint.clear_secret:
        timestamp = int(clock.now().timestamp())
        signature = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp)}

    def payload(content: str) -> dict:
        return {"msg_type": "text", "content": {"text": content}, **signature}

    fits = robots.body_at_most(robots.FEISHU_BODY_BYTES, payload)
    return _robot_answer(
        *_post_json(FEISHU, endpoint.url, payload(robot_text(FEISHU, message, fits))), "code"
    )


def send_webhook(message: Message, endpoint: Endpoint) -> Answer:
    """A plain JSON POST for any other system; any 2xx answer counts as delivered. Signed
    like an item event (``X-Gongjian-Event: notification``) when the channel has a secret."""
    payload = {
        "recipient": {"name": message.recipient_name, "email": message.recipient_email},
        "kind": message.kind,
        "task_force": message.task_force,
        "text": message.text,
        "url": message.url,
        "mentions": [person.name for person in message.mentions],
    }
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(
        endpoint.clear_secret, data, "notification", endpoint.delivery or "test"
    )
    status, body = _post_json(WEBHOOK, endpoint.url, data, headers)
    return Answer(f"HTTP {status}", _limit(body, 500))


def send_event(body: str, event_type: str, endpoint: Endpoint) -> Answer:
    """An item event's JSON body, as written when it happened, signed with the channel's
    secret under this try's timestamp; any 2xx answer counts as delivered."""
    if endpoint.kind != WEBHOOK:
        raise SendFailed(f"a {endpoint.kind} channel carries no item events")
    secret = endpoint.clear_secret
    if not secret:
        raise SendFailed("the channel has no signing secret: renew it on the channel's page")
    data = body.encode("utf-8")
    headers = signed_headers(secret, data, event_type, endpoint.delivery)
    status, answer = _post_json(WEBHOOK, endpoint.url, data, headers)
    return Answer(f"HTTP {status}", _limit(answer, 500))


SENDERS = {
    EMAIL: send_email,
    WECOM: send_wecom,
    DINGTALK: send_dingtalk,
    FEISHU: send_feishu,
    WEBHOOK: send_webhook,
}


def send(message: Message, endpoint: Endpoint) -> Answer:
    """:raise SendFailed: when the channel did not take the message."""
    return SENDERS[endpoint.kind](message, endpoint)
