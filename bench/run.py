"""``make bench``: latency, SQL queries, throughput and memory against a real server.

A dataset is written to a fresh database (SQLite in a temporary folder, or
``DATABASE_URL``), gunicorn serves the production configuration on 127.0.0.1, and
logged-in clients measure each page. Every figure is also given as a ratio to the
floor — the cheapest logged-in page of the same server in the same run — so that the
result reads the same on a fast or a slow machine. A second server with nothing kept
(``FRAGMENT_CACHE_SIZE=0``) measures every page computed afresh, as the first view after
a change sees it. Request counts and durations are bounded; nothing leaves the machine.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "200"))
THROUGHPUT_CLIENTS = int(os.environ.get("BENCH_CLIENTS", "20"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))

# The main pages that exist so far; each feature adds its own.
PAGES = {
    "battle_map": "/",
    "issue_list": "/issues",
    "issue_list_filtered": "/issues?category=2&light=yellow&priority=high&sort=deadline",
    "board": "/board",
    "issue_detail": "/issues/{open_issue}",
    "my_items": "/my",
    "schedule": "/schedule",
    "categories": "/categories",
    "roster": "/roster",
    "mind_map": "/mindmap",
    "calendar": "/calendar",
    "mind_map_data": "/mindmap/data.json",
    "scorecards": "/scorecards",
    "decision_register": "/decisions",
    "supervision": "/supervision",
    "supervision_exec": "/supervision?board=exec",
    "pilots": "/pilots",
    "pilot_matrix": "/pilots/matrix",
    "kpis": "/kpis",
    "notifications": "/notifications",
    "admin_users": "/admin/users",
    "audit_log": "/admin/audit",
}
# The main pages of issue 10's targets (at most 3x the floor, at most 12 queries).
MAIN_PAGES = (
    "issue_list",
    "issue_list_filtered",
    "board",
    "issue_detail",
    "battle_map",
    "mind_map",
    "my_items",
    "calendar",
    "scorecards",
)
# Downloads: fewer requests, each a whole file.
EXPORTS = {
    "export_xlsx": "/issues/export.xlsx",
    "export_csv": "/issues/export.csv",
}
EXPORT_REQUESTS = int(os.environ.get("BENCH_EXPORT_REQUESTS", "5"))
UNCACHED_REQUESTS = int(os.environ.get("BENCH_UNCACHED_REQUESTS", "30"))
ADMIN_PAGES = ("admin_users", "audit_log")
REMINDER_ITEMS = int(os.environ.get("BENCH_REMINDER_ITEMS", "100000"))
THROUGHPUT_PAGES = ["/issues", "/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A logged-in HTTP client. Keeps its session cookie by hand, because the production
    configuration marks cookies Secure and the bench talks plain HTTP on loopback."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None, files: dict | None = None):
        """``body``: form fields; ``files``: {field: (filename, bytes)}, sent with the
        fields as multipart/form-data."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if files is not None:
            data, headers["Content-Type"] = multipart(body or {}, files)
        elif body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response, payload

    def login(self, username: str, password: str) -> None:
        """Sign in; an account with two-factor sign-in (the administrator) answers the
        second step with its authenticator's code once and ticks "remember this device",
        so that its later sign-ins (the second server) skip it, as a person's would."""
        import re

        self.cookies.update(REMEMBERED.get(username, {}))
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response, _ = self.request(
            "POST",
            "/login",
            {"login": username, "password": password, "csrf_token": token.decode()},
        )
        if response.status == 302 and "/login/two-factor" in (response.getheader("Location") or ""):
            import pyotp

            from bench.dataset import ADMIN_TOTP_SECRET

            _, page = self.request("GET", "/login/two-factor")
            token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
            form = {"code": code, "remember": "y", "csrf_token": token.decode()}
            response, _ = self.request("POST", "/login/two-factor", form)
            REMEMBERED[username] = {"gj_device": self.cookies.get("gj_device", "")}
        if response.status != 302 or "/login" in (response.getheader("Location") or ""):
            raise SystemExit(f"bench login failed: {response.status}")


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + str(value).encode() + b"\r\n")
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# The "remember this device" cookie of each account that passed a second step.
REMEMBERED: dict[str, dict[str, str]] = {}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(client: Client, path: str, n: int) -> dict:
    timings, queries = [], set()
    for _ in range(5):  # warm up
        client.request("GET", path)
    for _ in range(n):
        start = time.perf_counter()
        response, _ = client.request("GET", path)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        queries.add(int(response.getheader("X-Query-Count", "-1")))
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 95),
        "queries": max(queries),
    }


def throughput(port: int, cookies: dict, paths: list[str], clients: int) -> dict:
    deadline = time.monotonic() + THROUGHPUT_SECONDS
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()

    def worker(i: int) -> None:
        client = Client(port)
        client.cookies = dict(cookies)
        ok = errors = 0
        while time.monotonic() < deadline:
            try:
                response, _ = client.request("GET", paths[i % len(paths)])
                if response.status == 200:
                    ok += 1
                else:
                    errors += 1
            except OSError:
                errors += 1
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {"rps": counts["ok"] / elapsed, "errors": counts["errors"]}


def offline_figures(env: dict) -> dict[str, str]:
    """The PDFs and the reminder pass, each in its own process with its own dataset, so
    that time and peak memory are theirs alone."""
    figures: dict[str, str] = {}
    jobs = [
        ["bench.pdf_speed", "list", "10000"],
        ["bench.pdf_speed", "pack", "1000"],
        ["bench.reminder_pass", str(REMINDER_ITEMS)],
        ["bench.search_speed", "sqlite"],
        ["bench.search_speed", "postgresql"],
    ]
    quiet = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "GONGJIAN_INSTANCE")}
    demo = Path(tempfile.mkdtemp(prefix="gongjian-bench-demo-"))
    atexit.register(shutil.rmtree, demo, ignore_errors=True)
    demo_env = dict(quiet, GONGJIAN_INSTANCE=str(demo), GONGJIAN_ENV="development")
    flask = [sys.executable, "-m", "flask"]
    for step in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + step, cwd=ROOT, env=demo_env, check=True, capture_output=True)
    runs = [(job, quiet) for job in jobs] + [(["bench.pdf_speed", "demo"], demo_env)]
    for job, job_env in runs:
        out = subprocess.run(
            [sys.executable, "-m", *job],
            cwd=ROOT,
            env=job_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for line in out.splitlines():
            name, sep, figure = line.partition(": ")
            if sep and " " not in name:
                figures[name] = figure
    return figures


def pdf_figures(offline: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each PDF and Word export's seconds and peak total memory (this process and its
    workers, PSS) from bench.pdf_speed's lines: {"list_10000": {"seconds": …,
    "peak_total_mb": …}, "pack_1000.docx": {…}}."""
    table: dict[str, dict[str, float]] = {}
    for name, figure in offline.items():
        for suffix, key in (("_seconds", "seconds"), ("_peak_total", "peak_total_mb")):
            for prefix, kind in (("pdf_", ""), ("docx_", ".docx")):
                if name.startswith(prefix) and name.endswith(suffix):
                    export = name[len(prefix) : -len(suffix)].replace("issue_list", "list")
                    table.setdefault(export + kind, {})[key] = float(figure.split()[0])
    return table


def worker_peak_rss_mb(master_pid: int) -> float:
    peak = 0
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


@contextmanager
def serving(env: dict):
    """gunicorn with ``env`` on a free loopback port, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _first_open_issue(env: dict) -> int:
    """The id of an open item with milestones, read from the bench database."""
    return open_issues(env, 1)[0]


def open_issues(env: dict, count: int) -> list[int]:
    """The ids of the first ``count`` items in progress (of the first task force, whose
    items come first), read from the bench database."""
    code = (
        "from app import create_app; from app.core.scope import unscoped; "
        "from app.extensions import db; from app.issues.models import Issue; "
        "from sqlalchemy import select\n"
        "app = create_app()\n"
        "with app.app_context(), unscoped():\n"
        "    print(*db.session.scalars(select(Issue.id).where(Issue.status == 'in_progress')"
        f".order_by(Issue.id).limit({int(count)})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return [int(n) for n in out.stdout.strip().splitlines()[-1].split()]


def production_env(database_url: str, workdir: Path) -> dict:
    """The environment of a bench server: the production configuration on
    ``database_url``, with the query count header, a cheap password hash (the dataset's)
    and a login limit no bench reaches."""
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        GONGJIAN_ENV="production",
        GONGJIAN_INSTANCE=str(workdir),
        SECRET_KEY=secrets.token_urlsafe(48),
        COUNT_QUERIES="1",
        LOGIN_RATE_LIMIT="10000 per minute",
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1",
        FLASK_APP="wsgi",
    )


def main() -> None:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # figures are in bench/results
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    env = production_env(url, workdir)
    python = sys.executable
    print(f"database: {env['DATABASE_URL'].split('@')[-1]}")
    subprocess.run([python, "-m", "bench.setup_db"], cwd=ROOT, env=env, check=True)
    open_issue = _first_open_issue(env)
    from bench.dataset import PASSWORD

    results: dict[str, dict] = {}
    with serving(env) as (server, port):
        client = Client(port)
        client.login("user0001", PASSWORD)  # the leader
        admin = Client(port)
        admin.login("admin", PASSWORD)
        results["floor"] = measure(client, "/ping", REQUESTS_PER_PAGE)
        for name, path in PAGES.items():
            reader = admin if name in ADMIN_PAGES else client
            results[name] = measure(reader, path.format(open_issue=open_issue), REQUESTS_PER_PAGE)
        for name, path in EXPORTS.items():
            results[name] = measure(client, path, EXPORT_REQUESTS)
        results["throughput"] = throughput(
            port, client.cookies, THROUGHPUT_PAGES, THROUGHPUT_CLIENTS
        )
        results["throughput_list"] = throughput(port, client.cookies, ["/issues"], 10)
        results["worker_peak_rss"] = {"mb": worker_peak_rss_mb(server.pid)}

    # The first view after a change computes the page: the same pages with nothing kept.
    uncached_env = dict(env, FRAGMENT_CACHE_SIZE="0", NAVBAR_CACHE_SIZE="0")
    with serving(uncached_env) as (_server, port):
        client = Client(port)
        client.login("user0001", PASSWORD)
        admin = Client(port)
        admin.login("admin", PASSWORD)
        for name, path in PAGES.items():
            reader = admin if name in ADMIN_PAGES else client
            fresh = measure(reader, path.format(open_issue=open_issue), UNCACHED_REQUESTS)
            results[name]["uncached_p50_ms"] = fresh["p50_ms"]
            results[name]["uncached_queries"] = fresh["queries"]

    # The first view after a change (issue 23), in-process on both engines: before the
    # two hosts and the mixed load, whose servers and writes leave the machine busy for a
    # while after they stop (a database's autovacuum, say).
    from bench import fresh_pages

    results["fresh"] = fresh_pages.both()

    # Two hosts on one database (issue 23): PostgreSQL only, as a second host needs.
    if env["DATABASE_URL"].startswith("postgresql"):
        from bench.two_hosts import scenario

        results["two_hosts"] = scenario(env, workdir, open_issue, "user0001", PASSWORD)

    # The mixed load (issue 23): wrk's readers while a writer posts once a second, on
    # this database (its items now take the writes) and on the other engine's.
    from bench import mixed_load

    results["mixed"] = mixed_load.both(env, workdir, PASSWORD)
    # Scale in task forces: one task force's pages with 1 and with 50 task forces.
    from bench import scale

    results["scale"] = scale.both(workdir, PASSWORD)

    from bench.demo_scale import demo_scale_figures, demo_scale_lines

    demo = demo_scale_figures(env, workdir, ROOT)
    results["demo_scale"] = demo
    results["offline"] = offline_figures(env)
    results["pdf"] = pdf_figures(results["offline"])
    lines = []
    for name, r in results.items():
        if "p50_ms" in r:
            ratio = r["p50_ms"] / results["floor"]["p50_ms"]
            r["p50_ratio"] = ratio
            lines += [
                f"{name}.p50: {r['p50_ms']:.1f} ms",
                f"{name}.p95: {r['p95_ms']:.1f} ms",
                f"{name}.p50_vs_floor: {ratio:.2f} x",
                f"{name}.queries: {r['queries']} queries",
            ]
            if "uncached_p50_ms" in r:
                lines += [
                    f"{name}.uncached_p50: {r['uncached_p50_ms']:.1f} ms",
                    f"{name}.uncached_queries: {r['uncached_queries']} queries",
                ]
    lines += [
        f"throughput.rps: {results['throughput']['rps']:.1f} req/s",
        f"throughput.errors: {results['throughput']['errors']} errors",
        f"throughput_list.rps: {results['throughput_list']['rps']:.1f} req/s",
        f"throughput_list.errors: {results['throughput_list']['errors']} errors",
        f"worker.peak_rss: {results['worker_peak_rss']['mb']:.1f} MB",
    ]
    lines += [f"{name}: {figure}" for name, figure in results["offline"].items()]
    lines += demo_scale_lines(demo)
    if "two_hosts" in results:
        from bench.two_hosts import lines as two_hosts_lines

        lines += two_hosts_lines(results["two_hosts"])
    lines += mixed_load.lines(results["mixed"])
    lines += fresh_pages.lines(results["fresh"])
    lines += scale.lines(results["scale"])
    print("\n".join(lines))
    print()
    print(
        f"{'page':<20}{'p50 ms':>8}{'p95 ms':>8}{'x floor':>8}{'queries':>8}"
        f"{'fresh ms':>10}{'fresh q':>8}"
    )
    for name, r in results.items():
        if "p50_ms" in r:
            fresh = (
                f"{r['uncached_p50_ms']:>10.1f}{r['uncached_queries']:>8}"
                if "uncached_p50_ms" in r
                else ""
            )
            print(
                f"{name:<20}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}"
                f"{r['p50_ratio']:>8.2f}{r['queries']:>8}{fresh}"
            )
    print("(fresh: computed afresh, as on the first view after a change; queries: the most")
    print(" any measured request made)")
    print()
    print("\n".join(scale.table(results["scale"])))
    print(f"{'pdf / docx':<22}{'seconds':>9}{'peak MB':>9}")
    for name, r in results["pdf"].items():
        print(f"{name:<22}{r.get('seconds', 0):>9.2f}{r.get('peak_total_mb', 0):>9.0f}")
    results["bench_seconds"] = time.monotonic() - started
    print(f"\nbench.seconds: {results['bench_seconds']:.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
