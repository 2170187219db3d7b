"""The ways out: e-mail over SMTP, and the WeCom, DingTalk, Feishu and plain JSON webhooks.

Each sender takes a ``Message`` and an ``Endpoint`` (what a ``Channel`` row says about
where to send) and returns the server's answer as text, or raises ``SendFailed`` with the
reason; delivery records either. Both are plain values read from the database before
sending, so no session or transaction is held while a server takes its time. Only the
standard library talks to the network (smtplib, urllib), always with a timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import clock
from app.notify.models import DINGTALK, EMAIL, FEISHU, WEBHOOK, WECOM, Channel

BULLET = "• "


class SendFailed(Exception):
    """The channel refused or could not be reached; the message says why."""


@dataclass(frozen=True)
class Message:
    recipient_name: str
    recipient_email: str
    locale: str
    kind: str
    text: str
    link: str | None = None  # a path in the app (naming its task force), or an absolute URL
    task_force: str | None = None  # the name of the task force it is about, if any

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
    """Where a channel sends: its kind, robot URL and signing secret (e-mail: none)."""

    kind: str
    url: str = ""
    secret: str = ""

    @classmethod
    def of(cls, channel: Channel) -> Endpoint:
        return cls(kind=channel.kind, url=channel.url, secret=channel.secret)


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
    return f"250 accepted for {message.recipient_email}"


# --- webhooks ------------------------------------------------------------------------------


def _post_json(url: str, payload: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    timeout = current_app.config["DELIVERY_HTTP_TIMEOUT"]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        body = error.read(1024).decode("utf-8", "replace")
        raise SendFailed(f"HTTP {error.code}: {body}") from error
    except (urllib.error.URLError, OSError) as error:
        raise SendFailed(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from error


def _robot_answer(status: int, body: str, code_field: str) -> str:
    """WeCom and DingTalk answer 200 with ``errcode``; Feishu with ``code``. Non-zero fails."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise SendFailed(f"HTTP {status}: not JSON: {_limit(body, 200)}") from None
    code = answer.get(code_field, answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        raise SendFailed(f"{code_field} {code}: {answer.get('errmsg') or answer.get('msg')}")
    return _limit(body, 500)


def _text(message: Message) -> str:
    where = f"【{message.task_force}】" if message.task_force else ""
    lines = [f"@{message.recipient_name} {where}{message.text}"]
    if message.url:
        lines.append(message.url)
    return "\n".join(lines)


def send_wecom(message: Message, endpoint: Endpoint) -> str:
    """A WeCom (企业微信) group robot."""
    payload = {"msgtype": "text", "text": {"content": _text(message)}}
    return _robot_answer(*_post_json(endpoint.url, payload), "errcode")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "ts\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def send_dingtalk(message: Message, endpoint: Endpoint) -> str:
    """A DingTalk (钉钉) robot; with a secret, the URL carries timestamp and sign."""
    url = endpoint.url
    if endpoint.secret:
        timestamp = int(clock.now().timestamp() * 1000)
        separator = "&" if "?" in url else "?"
        sign = dingtalk_sign(endpoint.secret, timestamp)
        url = f"{url}{separator}timestamp={timestamp}&sign={sign}"
    payload = {"msgtype": "text", "text": {"content": _text(message)}}
    return _robot_answer(*_post_json(url, payload), "errcode")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's bot signature: base64 of HMAC-SHA256 keyed by "ts\\nsecret" over nothing."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def send_feishu(message: Message, endpoint: Endpoint) -> str:
    """A Feishu (飞书) custom bot, signed when it has a secret."""
    payload: dict = {"msg_type": "text", "content": {"text": _text(message)}}
    if endpoint.secret:
        timestamp = int(clock.now().timestamp())
        payload.update(timestamp=str(timestamp), sign=feishu_sign(endpoint.secret, timestamp))
    return _robot_answer(*_post_json(endpoint.url, payload), "code")


def send_webhook(message: Message, endpoint: Endpoint) -> str:
    """A plain JSON POST for any other system; any 2xx answer counts as delivered."""
    payload = {
        "recipient": {"name": message.recipient_name, "email": message.recipient_email},
        "kind": message.kind,
        "task_force": message.task_force,
        "text": message.text,
        "url": message.url,
    }
    status, body = _post_json(endpoint.url, payload)
    return _limit(f"HTTP {status} {body}", 500)


SENDERS = {
    EMAIL: send_email,
    WECOM: send_wecom,
    DINGTALK: send_dingtalk,
    FEISHU: send_feishu,
    WEBHOOK: send_webhook,
}


def send(message: Message, endpoint: Endpoint) -> str:
    """:raise SendFailed: when the channel did not take the message."""
    return SENDERS[endpoint.kind](message, endpoint)
