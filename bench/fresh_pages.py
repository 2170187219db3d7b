"""The main pages on the first view after a change, in-process.

    .venv/bin/python -m bench.fresh_pages                  # SQLite, then PostgreSQL if reachable
    .venv/bin/python -m bench.fresh_pages sqlite           # one engine only
    .venv/bin/python -m bench.fresh_pages sqlite --all     # every page of bench.run's PAGES
    .venv/bin/python -m bench.fresh_pages sqlite --profile battle_map   # where its time goes

The 10,000-item dataset of ``make bench`` is written to a throwaway SQLite file or to the
database ``bench_fresh_pages`` on 127.0.0.1:5432 (made and dropped); ``BENCH_FRESH_DB``
names an already filled database to read instead (only one item's last activity is
written to it, with the journal of versions). The application runs with the production
configuration and its caches, the leader (user0001) signed in through Flask's test
client: no server and no HTTP in the figures, so they show what the application itself
spends, with less of the noise of a busy machine than ``make bench``'s.

Before each measured request an item changes (its last activity moves, as a progress
note moves it; committed through the application, so the task force's data version
moves on and the item is journalled): every part kept under the data version is
computed afresh, and what such a change leaves alone (the reader's menu bar, the parts
kept under the setup version: the filter bars, the bulk bar's fields, the views menu;
and the battle map's counts of the items it did not change, ``issues.tally``) is kept,
as on the first view after a change on a live server. Each page is asked
``BENCH_FRESH_REQUESTS`` times (30) after three warm-up requests, the pages in turns (a
slow spell of the machine falls on all of them alike); the table gives the
median, the 95th percentile and the queries of one request, and the median with nothing
kept at all (every cache off, ``BENCH_FRESH_REQUESTS`` // 3 requests), for comparison
with earlier figures. ``BENCH_FRESH_ONLY="battle_map calendar"`` measures those pages
only. ``make bench`` runs it on both engines (``fresh.<engine>.<page>.…`` lines).
"""

from __future__ import annotations

import atexit
import gc
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = int(os.environ.get("BENCH_FRESH_REQUESTS", "30"))
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
    )


def _run_engine(engine: str, extra: list[str], quiet: bool = False) -> str:
    """One engine in a process of its own (the configuration is read at import); its
    output (also printed unless ``quiet``)."""
    from bench.engines import database, start_pg

    instance = tempfile.mkdtemp(prefix="gj-fresh-")
    atexit.register(shutil.rmtree, instance, ignore_errors=True)
    given = os.environ.get("BENCH_FRESH_DB")
    if not given and engine == "postgresql" and not start_pg():
        skipped = f"fresh_{engine}_skipped: no database server on 127.0.0.1:5432\n"
        print(skipped, end="")
        return skipped
    with nullcontext(given) if given else database(engine, PG_DATABASE, Path(instance)) as url:
        env = _environment(url, instance)
        if not given:
            subprocess.run(
                [sys.executable, "-m", "bench.setup_db"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        measured = subprocess.run(
            [sys.executable, "-m", "bench.fresh_pages", "--measure", engine, *extra],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    if not quiet:
        print(measured.stdout, end="")
    return measured.stdout


def both() -> dict[str, dict]:
    """``make bench``: the main pages on both engines, each read from ``_measure``'s
    table; {engine: {page: {"p50_ms", "p95_ms", "queries", "none_kept_p50_ms"}}} or
    {engine: {"skipped": why}}."""
    results: dict[str, dict] = {}
    for engine in ("sqlite", "postgresql"):
        out = _run_engine(engine, [], quiet=True)
        if "_skipped:" in out:
            results[engine] = {"skipped": out.split(":", 1)[1].strip()}
            continue
        pages = {}
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 5 and not line.startswith("page"):
                name, p50, p95, queries, bare = fields
                pages[name] = {
                    "p50_ms": float(p50),
                    "p95_ms": float(p95),
                    "queries": int(queries),
                    "none_kept_p50_ms": float(bare),
                }
        results[engine] = pages
    return results


def lines(results: dict[str, dict]) -> list[str]:
    out = []
    for engine, pages in results.items():
        prefix = f"fresh.{engine}"
        if "skipped" in pages:
            out.append(f"{prefix}.skipped: {pages['skipped']}")
            continue
        for name, r in pages.items():
            out += [
                f"{prefix}.{name}.p50: {r['p50_ms']:.1f} ms",
                f"{prefix}.{name}.p95: {r['p95_ms']:.1f} ms",
                f"{prefix}.{name}.queries: {r['queries']} queries",
                f"{prefix}.{name}.none_kept_p50: {r['none_kept_p50_ms']:.1f} ms",
            ]
        worst = max(r["p50_ms"] for r in pages.values())
        verdict = "met" if worst <= TARGET_MS else "not met"
        out.append(f"{prefix}.worst_p50: {worst:.1f} ms (target {TARGET_MS:.0f} ms: {verdict})")
    return out


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


def _open_issue(app) -> tuple[int, int]:
    """The first item in progress, and its task force (the leader's)."""
    from sqlalchemy import select

    from app.core.scope import unscoped
    from app.extensions import db
    from app.issues.models import IN_PROGRESS, Issue

    with app.app_context(), unscoped():
        query = select(Issue.id, Issue.task_force_id).where(Issue.status == IN_PROGRESS)
        return tuple(db.session.execute(query.order_by(Issue.id).limit(1)).one())


def _get(client, path: str):
    response = client.get(path, base_url="https://localhost")
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def _changed(app, issue_id: int) -> None:
    """An item changed, as a progress note changes it: its last activity moves, and its
    commit moves the task force's data version and journals the item (core.freshness),
    as at any change's commit."""
    from app.core import clock
    from app.core.scope import unscoped
    from app.extensions import db
    from app.issues.models import Issue

    with app.app_context(), unscoped():
        db.session.get(Issue, issue_id).last_progress_at = clock.now()
        db.session.commit()


def _timed(client, path: str, requests: int, before=None) -> tuple[list[float], int]:
    timings, queries = [], 0
    for _ in range(requests):
        if before is not None:
            before()
        start = time.perf_counter()
        response = _get(client, path)
        timings.append((time.perf_counter() - start) * 1000)
        queries = max(queries, int(response.headers.get("X-Query-Count", "-1")))
    return timings, queries


def _nothing_kept(app, client, path: str) -> float:
    """The page's median with every cache off (the caches put back afterwards)."""
    from app.core.freshness import FragmentCache

    names = ("gongjian.fragments", "gongjian.navbar")
    kept = {name: app.extensions.get(name) for name in names}
    for name in names:
        app.extensions[name] = FragmentCache(0)
    try:
        return statistics.median(_timed(client, path, max(REQUESTS // 3, 3))[0])
    finally:
        for name, cache in kept.items():
            if cache is None:
                app.extensions.pop(name, None)
            else:
                app.extensions[name] = cache


def _measure(engine: str, pages: dict[str, str], profile: str | None) -> None:
    from app import create_app
    from bench.run import percentile

    app = create_app()
    client = _signed_in_client(app)
    open_issue, _task_force_id = _open_issue(app)
    # As ``wsgi.py`` leaves a served worker: what starting made, kept out of collections.
    gc.collect()
    gc.freeze()
    change = lambda: _changed(app, open_issue)  # noqa: E731
    if profile:
        _profile(client, pages[profile].format(open_issue=open_issue), app, change)
        return
    print(f"{'page (' + engine + ')':<24}{'p50 ms':>8}{'p95 ms':>8}{'queries':>8}{'none kept':>10}")
    paths = {name: template.format(open_issue=open_issue) for name, template in pages.items()}
    for path in paths.values():
        for _ in range(3):
            _get(client, path)
    # The pages in turns, a change before each: a slow spell of the machine (they last
    # minutes here) weighs on every page alike, not on the one measured at the time.
    timings: dict[str, list[float]] = {name: [] for name in paths}
    queries: dict[str, int] = dict.fromkeys(paths, 0)
    for _ in range(REQUESTS):
        for name, path in paths.items():
            [elapsed], counted = _timed(client, path, 1, change)
            timings[name].append(elapsed)
            queries[name] = max(queries[name], counted)
    worst = 0.0
    for name, path in paths.items():
        p50 = statistics.median(timings[name])
        p95 = percentile(timings[name], 95)
        bare = _nothing_kept(app, client, path)
        worst = max(worst, p50)
        print(f"{name:<24}{p50:>8.1f}{p95:>8.1f}{queries[name]:>8}{bare:>10.1f}", flush=True)
    verdict = "met" if worst <= TARGET_MS else "not met"
    print(f"fresh_{engine}_worst_p50: {worst:.1f} ms (target {TARGET_MS:.0f} ms: {verdict})")


def _profile(client, path: str, app, change) -> None:
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

    change()
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
    for _ in range(10):
        change()
        profiler.enable()
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
