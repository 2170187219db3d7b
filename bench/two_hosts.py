"""Two hosts on one database: two gunicorn servers (the production configuration, as
``bench.run.serving`` starts it) on two loopback ports, each with an instance folder of
its own as a second machine would have, and optionally two scheduler processes (``flask
scheduler run``: the periodic jobs and the job queue's worker), all against one database.

``tests/hosts/test_two_servers.py`` checks that nothing lives on one host; ``make bench``
(``bench.run``, on PostgreSQL) runs ``scenario``: readers on both hosts while a writer
posts a progress update through host A every second, and how many of host B's reads came
before the change showed there (0: at once). Bounded in time (``BENCH_TWO_HOSTS_SECONDS``).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from bench.run import ROOT, Client, serving

SECONDS = float(os.environ.get("BENCH_TWO_HOSTS_SECONDS", "10"))
READERS_PER_HOST = int(os.environ.get("BENCH_TWO_HOSTS_READERS", "3"))
READ_PAGES = ["/issues/{issue}", "/issues", "/"]


@dataclass
class Hosts:
    ports: dict[str, int]  # "A", "B" -> port
    workers: list[subprocess.Popen] = field(default_factory=list)

    clients: list[Client] = field(default_factory=list)

    def client(self, host: str) -> Client:
        """A client of ``host`` (closed when the hosts stop)."""
        client = Client(self.ports[host])
        self.clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self.clients:
            client.conn.close()


def host_env(env: dict, workdir: Path, name: str) -> dict:
    """``env`` with an instance folder of the host's own (its disk, as on a second
    machine: evidence files written there are on no other host)."""
    instance = workdir / f"host-{name}"
    instance.mkdir(parents=True, exist_ok=True)
    return dict(env, GONGJIAN_INSTANCE=str(instance), FLASK_APP="wsgi")


def wait_until_up(server: subprocess.Popen, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/login")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"no server answered on port {port}")


@contextmanager
def scheduler_process(env: dict):
    """``flask scheduler run`` until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def two_hosts(env: dict, workdir: Path, workers: bool = True):
    """Servers A and B, and with ``workers`` two scheduler processes, on ``env``'s
    DATABASE_URL; all stopped when the block ends."""
    with ExitStack() as stack:
        ports, servers = {}, {}
        for name in ("A", "B"):
            servers[name], ports[name] = stack.enter_context(serving(host_env(env, workdir, name)))
        hosts = Hosts(ports)
        if workers:
            for name in ("worker-1", "worker-2"):
                hosts.workers.append(
                    stack.enter_context(scheduler_process(host_env(env, workdir, name)))
                )
        stack.callback(hosts.close_clients)
        for name, port in ports.items():
            wait_until_up(servers[name], port)
        yield hosts


class _Forms(HTMLParser):
    """The named fields of each form of a page, by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._current = self.forms.setdefault(attributes.get("action") or "", {})
            return
        hidden = tag == "input" and attributes.get("type") == "hidden"
        if hidden and self._current is not None and attributes.get("name"):
            self._current[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def hidden_fields(page: bytes, action: str, itself: bool = False) -> dict[str, str]:
    """The hidden fields (CSRF token, once-per-form key) of the page's form to ``action``
    (with ``itself``, a form without an action, which posts to its own page, will do)."""
    parser = _Forms()
    parser.feed(page.decode("utf-8"))
    for name in (action, "") if itself else (action,):
        if name in parser.forms:
            return parser.forms[name]
    raise LookupError(f"no form to {action} on the page")


def post_form(client: Client, page: str, action: str, fields: dict, files: dict | None = None):
    """Open ``page``, fill its form to ``action`` with ``fields`` and send it."""
    _, body = client.request("GET", page)
    form = dict(hidden_fields(body, action, itself=page == action), **fields)
    return client.request("POST", action, form, files=files)


def post_progress(client: Client, issue: int, note: str):
    return post_form(client, f"/issues/{issue}", f"/issues/{issue}/progress", {"note": note})


def shows(client: Client, path: str, text: str) -> tuple[bool, int]:
    response, body = client.request("GET", path)
    return text.encode("utf-8") in body, response.status


def scenario(env: dict, workdir: Path, issue: int, username: str, password: str) -> dict:
    """Readers on both hosts, a writer through A once a second, B's reads of each change."""
    counts = {"A": 0, "B": 0, "errors": 0}
    delays: list[int] = []
    lock = threading.Lock()
    with two_hosts(env, workdir, workers=False) as hosts:
        signed_in = hosts.client("A")
        signed_in.login(username, password)
        deadline = time.monotonic() + SECONDS

        def read(host: str, i: int) -> None:
            client = hosts.client(host)
            client.cookies = dict(signed_in.cookies)  # one session, valid on both hosts
            ok = errors = 0
            while time.monotonic() < deadline:
                path = READ_PAGES[i % len(READ_PAGES)].format(issue=issue)
                i += 1
                try:
                    response, _ = client.request("GET", path)
                    ok, errors = (ok + 1, errors) if response.status == 200 else (ok, errors + 1)
                except OSError:
                    errors += 1
            with lock:
                counts[host] += ok
                counts["errors"] += errors

        threads = [
            threading.Thread(target=read, args=(host, i))
            for host in ("A", "B")
            for i in range(READERS_PER_HOST)
        ]
        for thread in threads:
            thread.start()
        writer, reader = hosts.client("A"), hosts.client("B")
        writer.cookies = dict(signed_in.cookies)
        reader.cookies = dict(signed_in.cookies)
        n = 0
        while time.monotonic() < deadline - 1:
            n += 1
            started = time.monotonic()
            note = f"two-hosts change {n} {os.getpid()}"
            response, _ = post_progress(writer, issue, note)
            if response.status != 302:
                counts["errors"] += 1
                continue
            late = 0
            while not shows(reader, f"/issues/{issue}", note)[0] and late < 20:
                late += 1
            delays.append(late)
            time.sleep(max(0.0, 1 - (time.monotonic() - started)))
        for thread in threads:
            thread.join()
    return {
        "a_requests": counts["A"],
        "b_requests": counts["B"],
        "changes": len(delays),
        "visibility_delay_max": max(delays, default=-1),
        "errors": counts["errors"],
        "seconds": SECONDS,
    }


def lines(figures: dict) -> list[str]:
    return [
        f"two_hosts.a_requests: {figures['a_requests']} requests",
        f"two_hosts.b_requests: {figures['b_requests']} requests",
        f"two_hosts.changes: {figures['changes']} changes",
        f"two_hosts.visibility_delay_max: {figures['visibility_delay_max']} requests",
        f"two_hosts.errors: {figures['errors']} errors",
    ]
