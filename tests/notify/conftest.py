"""Fixtures for reminders and delivery: a fixed day, a real SMTP server, a real HTTP receiver.

The SMTP server is aiosmtpd on 127.0.0.1 and the webhook receiver is ``http.server`` in a
thread, both on free ports; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from app.core import clock
from app.extensions import db
from app.notify.models import Channel, Subscription

# A Monday: weekly rules run on it.
TODAY = date(2024, 6, 3)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    clock.set_today(TODAY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every accepted message, parsed."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return list(self.mailbox.messages)


@pytest.fixture
def smtp(app):
    """A running SMTP server the app is configured to use; ``stop()`` and ``start()`` it."""
    server = SmtpServer()
    server.start()
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_SECURITY="none")
    yield server
    server.stop()
    app.config.update(saved)


@dataclass
class Hit:
    path: str
    query: dict
    body: dict
    # The request's headers (names lower-cased) and its body's very bytes (what a
    # signature covers).
    headers: dict = field(default_factory=dict)
    raw: bytes = b""


@dataclass
class Receiver:
    """What the local webhook receiver got, and the secrets it checks signatures with."""

    url: str
    hits: list[Hit] = field(default_factory=list)
    dingtalk_secret: str = "SECdingtalk-secret"
    feishu_secret: str = "feishu-secret"
    down: bool = False
    # Called with each hit before it is answered, in the server's thread: a slow robot
    # sleeps or waits here. A status it returns (e.g. 503) is answered instead of success.
    before_answer: Callable[[Hit], int | None] | None = None


def _dingtalk_ok(receiver: Receiver, query: dict) -> bool:
    timestamp = query.get("timestamp", [""])[0]
    sign = query.get("sign", [""])[0]
    digest = hmac.new(
        receiver.dingtalk_secret.encode(),
        f"{timestamp}\n{receiver.dingtalk_secret}".encode(),
        hashlib.sha256,
    ).digest()
    # The query string was URL-decoded by parse_qs once, as DingTalk does.
    return bool(timestamp) and hmac.compare_digest(sign, base64.b64encode(digest).decode())


def _feishu_ok(receiver: Receiver, body: dict) -> bool:
    key = f"{body.get('timestamp')}\n{receiver.feishu_secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(body.get("sign", ""), expected)


@pytest.fixture
def receiver():
    """An HTTP server answering like the robots: /wecom, /dingtalk, /feishu, /hook."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            parsed = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parsed.query)
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            body = json.loads(raw or b"{}")
            if state.down:
                self._answer(503, {"error": "maintenance"})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            hit = Hit(parsed.path, query, body, headers, raw)
            state.hits.append(hit)
            if state.before_answer is not None and (refused := state.before_answer(hit)):
                self._answer(refused, {"error": "refused"})
                return
            if parsed.path == "/dingtalk":
                ok = _dingtalk_ok(state, query)
                self._answer(
                    200,
                    {"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"},
                )
            elif parsed.path == "/feishu":
                ok = _feishu_ok(state, body)
                self._answer(
                    200, {"code": 0 if ok else 19021, "msg": "success" if ok else "sign match fail"}
                )
            elif parsed.path == "/wecom":
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            else:
                self._answer(200, {"received": True})

        def _answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def make_channel(name: str, kind: str, url: str = "", secret: str = "") -> Channel:
    channel = Channel(name=name, kind=kind, url=url, secret=secret)
    db.session.add(channel)
    db.session.commit()
    return channel


def subscribe(user_id: int, channel: Channel, since=None) -> None:
    db.session.add(Subscription(user_id=user_id, channel_id=channel.id, since=since or clock.now()))
    db.session.commit()
