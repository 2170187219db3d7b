"""The main pages computed afresh, in-process: the first view after a change.

    .venv/bin/python -m bench.fresh_pages                  # SQLite, then PostgreSQL if reachable
    .venv/bin/python -m bench.fresh_pages sqlite           # one engine only
    .venv/bin/python -m bench.fresh_pages sqlite --all     # every page of bench.run's PAGES
    .venv/bin/python -m bench.fresh_pages sqlite --profile battle_map   # where its time goes

The 10,000-item dataset of ``make bench`` is written to a throwaway SQLite file or to the
database ``bench_fresh_pages`` on 127.0.0.1:5432 (made and dropped); ``BENCH_FRESH_DB``
names an already filled database to read instead (nothing is written to it). The
application runs with the production configuration and nothing kept
(``FRAGMENT_CACHE_SIZE=0``, ``NAVBAR_CACHE_SIZE=0``), the leader (user0001) signed in
through Flask's test client: no server and no HTTP in the figures, so they show what the
application itself spends, with less of the noise of a busy machine than ``make bench``'s.
Each page is asked ``BENCH_FRESH_REQUESTS`` times (30) after three warm-up requests; the
table gives the median, the 95th percentile and the queries of one request
(``BENCH_FRESH_ONLY="battle_map calendar"`` measures those pages only).
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = int(os.environ.get("BENCH_FRESH_REQUESTS", "30"))
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_fresh_pages"
TARGET_MS = 25.0


def _environment(url: str, instance: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=url,
        GONGJIAN_ENV="production",
        GONGJIAN_INSTANCE=instance,
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        COUNT_QUERIES="1",
        LOGIN_RATE_LIMIT="10000 per minute",
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1",
        FRAGMENT_CACHE_SIZE="0",
        NAVBAR_CACHE_SIZE="0",
    )


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True, connect_timeout=3
    ) as conn:
        conn.execute(statement)


def _run_engine(engine: str, extra: list[str]) -> None:
    """One engine in a process of its own (the configuration is read at import)."""
    instance = tempfile.mkdtemp(prefix="gj-fresh-")
    atexit.register(shutil.rmtree, instance, ignore_errors=True)
    url = os.environ.get("BENCH_FRESH_DB")
    made_pg = False
    if not url:
        if engine == "sqlite":
            url = f"sqlite:///{instance}/bench.sqlite"
        else:
            try:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
                _pg_admin(f"CREATE DATABASE {PG_DATABASE}")
            except Exception as error:  # psycopg's OperationalError: no server here
                print(f"fresh_{engine}_skipped: no database server ({type(error).__name__})")
                return
            url, made_pg = f"{PG_SERVER}/{PG_DATABASE}", True
    env = _environment(url, instance)
    try:
        if not os.environ.get("BENCH_FRESH_DB"):
            subprocess.run(
                [sys.executable, "-m", "bench.setup_db"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        subprocess.run(
            [sys.executable, "-m", "bench.fresh_pages", "--measure", engine, *extra],
            cwd=ROOT,
            env=env,
            check=True,
        )
    finally:
        if made_pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")


def _signed_in_client(app):
    """The leader, signed in through the login form (production: CSRF, secure cookies)."""
    from bench.dataset import PASSWORD

    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get("/login", base_url="https://localhost").get_data()
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # the CSRF check's on HTTPS
        data={"login": "user0001", "password": PASSWORD, "csrf_token": token.decode()},
    )
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"fresh pages: login failed ({response.status_code})")
    return client


def _open_issue(app) -> int:
    from sqlalchemy import select

    from app.core.scope import unscoped
    from app.extensions import db
    from app.issues.models import IN_PROGRESS, Issue

    with app.app_context(), unscoped():
        query = select(Issue.id).where(Issue.status == IN_PROGRESS).order_by(Issue.id).limit(1)
        return db.session.scalar(query)


def _get(client, path: str):
    response = client.get(path, base_url="https://localhost")
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def _measure(engine: str, pages: dict[str, str], profile: str | None) -> None:
    from app import create_app

    app = create_app()
    client = _signed_in_client(app)
    open_issue = _open_issue(app)
    if profile:
        _profile(client, pages[profile].format(open_issue=open_issue), app)
        return
    print(f"{'page (' + engine + ')':<24}{'p50 ms':>8}{'p95 ms':>8}{'queries':>8}")
    worst = 0.0
    for name, template in pages.items():
        path = template.format(open_issue=open_issue)
        for _ in range(3):
            _get(client, path)
        timings, queries = [], 0
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = _get(client, path)
            timings.append((time.perf_counter() - start) * 1000)
            queries = max(queries, int(response.headers.get("X-Query-Count", "-1")))
        p50 = statistics.median(timings)
        p95 = sorted(timings)[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        worst = max(worst, p50)
        print(f"{name:<24}{p50:>8.1f}{p95:>8.1f}{queries:>8}", flush=True)
    verdict = "met" if worst <= TARGET_MS else "not met"
    print(f"fresh_{engine}_worst_p50: {worst:.1f} ms (target {TARGET_MS:.0f} ms: {verdict})")


def _profile(client, path: str, app) -> None:
    """Where the page's time goes: its slowest queries, then Python's profile."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from app.extensions import db

    for _ in range(3):
        _get(client, path)
    with app.app_context():
        engine = db.engine
    timings: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["fresh_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = (time.perf_counter() - conn.info.pop("fresh_started")) * 1000
        timings.append((elapsed, " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    _get(client, path)
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    width = int(os.environ.get("BENCH_FRESH_SQL", "400"))  # how much of each statement
    print(f"{len(timings)} queries, {sum(t for t, _ in timings):.1f} ms in the database:")
    for elapsed, statement in sorted(timings, reverse=True)[:8]:
        print(f"{elapsed:8.1f} ms  {statement[:width]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        _get(client, path)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(60)
    stats.sort_stats("tottime").print_stats(30)


def _pages(every: bool) -> dict[str, str]:
    from bench.run import MAIN_PAGES, PAGES

    only = os.environ.get("BENCH_FRESH_ONLY", "").split()
    if only:
        return {name: PAGES[name] for name in only}
    if every:
        return {
            name: path for name, path in PAGES.items() if name not in ("admin_users", "audit_log")
        }
    return {name: PAGES[name] for name in MAIN_PAGES}


def main() -> None:
    args = sys.argv[1:]
    every = "--all" in args
    profile = args[args.index("--profile") + 1] if "--profile" in args else None
    if "--measure" in args:
        engine = args[args.index("--measure") + 1]
        _measure(engine, _pages(every), profile)
        return
    engines = [a for a in args if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
    extra = (["--all"] if every else []) + (["--profile", profile] if profile else [])
    for engine in engines:
        _run_engine(engine, extra)


if __name__ == "__main__":
    main()
