"""The mixed-load scenario's Lua script (bench/mixed_load.lua) runs in wrk.

``make bench`` does not run in the suite; this checks only that wrk accepts the script
and that its figures come back: a one-second run against the test app served on a
loopback port, once signed in (every page a 200) and once without a session (every
protected page a redirect to the sign-in page, which the script counts, not wrk).
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse

import pytest
from werkzeug.serving import make_server

from bench.mixed_load import run_wrk, wrk_missing
from tests.conftest import PASSWORD


@pytest.fixture
def port(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="module")
def wrk():
    missing = wrk_missing()  # installs it with scripts/system-deps.sh where it can
    if missing:
        pytest.skip(f"wrk is missing after the install attempt: {missing}")


def sign_in(port: int, username: str) -> dict[str, str]:
    """The session cookie of ``username``, signed in through the real form over HTTP."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = urllib.parse.urlencode({"login": username, "password": PASSWORD})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/login", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302
    cookies = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
    return cookies


def test_the_script_reads_the_pages_in_turn_signed_in(world, port, wrk):
    paths = ["/issues", "/", f"/issues/{world.issue_id}"]
    figures = run_wrk(port, sign_in(port, "leader"), paths, 1, connections=2, threads=1)
    assert figures["requests"] > 0
    assert figures["not_ok"] == 0
    assert figures["status_errors"] == 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    assert figures["rps"] > 0


def test_the_script_counts_redirects_that_wrk_lets_through(world, port, wrk):
    figures = run_wrk(port, {}, ["/issues", "/board"], 1, connections=2, threads=1)
    assert figures["requests"] > 0
    assert figures["redirects"] == figures["not_ok"] == figures["requests"]
    assert figures["status_errors"] == 0  # wrk itself sees no error in a 302
