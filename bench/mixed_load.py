"""The mixed load a task force makes, measured with wrk (issue 23).

    .venv/bin/python -m bench.mixed_load              # SQLite, then PostgreSQL if reachable
    .venv/bin/python -m bench.mixed_load sqlite       # one engine only

20 readers (wrk: ``-c 20 -t 2``, the Lua script ``bench/mixed_load.lua``) read the main
pages in turn (``bench.run.PAGES`` but the two administration pages, which the leader
may not open) with the leader's session for ``BENCH_MIXED_SECONDS`` (30), while a writer
(the executive leader, a session of her own) posts a progress update through the item
page's form (its CSRF token) every second, on the first 20 items in progress in turn, so
that the caches turn over. Figures: the readers' requests per second, their latency p50
and p95 (wrk's, over every page), the errors (any answer but a 200 to a reader, wrk's
socket errors and timeouts, any write not answered by its redirect) and the writes done.

``make bench`` (``bench.run``) runs ``figures`` on its own database, then on the other
engine's (PostgreSQL: a database ``bench_mixed`` on 127.0.0.1:5432, made and dropped; the
server started as ``.ci/run`` starts it when it is down). wrk is installed by
``scripts/system-deps.sh`` where missing; without it the scenario is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.engines import database, engine_of, start_pg
from bench.run import (
    ADMIN_PAGES,
    PAGES,
    ROOT,
    WORKERS,
    Client,
    open_issues,
    production_env,
    serving,
)

SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "30"))
CONNECTIONS = 20
THREADS = 2
SCRIPT = ROOT / "bench" / "mixed_load.lua"
PG_DATABASE = "bench_mixed"
READER = "user0001"  # the leader
WRITER = "user0002"  # the executive leader
WRITE_ITEMS = 20


def wrk_missing() -> str | None:
    """None when wrk is there (installed by scripts/system-deps.sh if need be), else why not."""
    if shutil.which("wrk"):
        return None
    result = subprocess.run(
        [str(ROOT / "scripts" / "bench-deps.sh")], capture_output=True, text=True
    )
    if shutil.which("wrk"):
        return None
    return (result.stderr or result.stdout).strip().replace("\n", "; ") or "wrk is missing"


def read_paths(open_issue: int) -> list[str]:
    return [
        path.format(open_issue=open_issue)
        for name, path in PAGES.items()
        if name not in ADMIN_PAGES
    ]


def run_wrk(
    port: int,
    cookies: dict[str, str],
    paths: list[str],
    seconds: int,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> dict:
    """wrk with the Lua script against ``port``; its ``done`` figures by name."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    command = [
        "wrk",
        f"-c{connections}",
        f"-t{threads}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{port}",
        "--",
        cookie,
        *paths,
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    figures = {}
    for line in out.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name.startswith("wrk."):
            figures[name[4:]] = float(value)
    if "requests" not in figures:
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    return figures


class Writer(threading.Thread):
    """A progress update through the real form once a second until stopped."""

    def __init__(self, port: int, items: list[int], password: str):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.client.login(WRITER, password)
        self.items = items
        self.stop = threading.Event()
        self.writes = 0
        self.errors: list[str] = []
        self.timings: list[float] = []

    def run(self) -> None:
        from bench.two_hosts import post_progress

        n = 0
        while not self.stop.is_set():
            started = time.monotonic()
            issue = self.items[n % len(self.items)]
            n += 1
            try:
                response, _ = post_progress(self.client, issue, f"压测进展 {n}：已推进")
                if response.status == 302:
                    self.writes += 1
                else:
                    self.errors.append(f"/issues/{issue}/progress answered {response.status}")
            except Exception as error:  # a refused or cut connection: counted, carried on
                self.errors.append(f"/issues/{issue}/progress: {type(error).__name__}: {error}")
            self.timings.append((time.monotonic() - started) * 1000)
            self.stop.wait(max(0.0, 1 - (time.monotonic() - started)))


def figures(env: dict, password: str, seconds: int = SECONDS) -> dict:
    """The mixed load against a server on ``env``'s database (already filled)."""
    items = open_issues(env, WRITE_ITEMS)
    paths = read_paths(items[0])
    with serving(env) as (_server, port):
        reader = Client(port)
        reader.login(READER, password)
        for path in paths:  # every page answers before the clock starts
            response, _ = reader.request("GET", path)
            if response.status != 200:
                raise SystemExit(f"mixed load: {path} answered {response.status}")
        writer = Writer(port, items, password)
        writer.start()
        try:
            wrk = run_wrk(port, reader.cookies, paths, seconds)
        finally:
            writer.stop.set()
            writer.join(timeout=30)
    read_errors = int(
        wrk["not_ok"]
        + wrk["connect_errors"]
        + wrk["read_errors"]
        + wrk["write_errors"]
        + wrk["timeouts"]
    )
    return {
        "rps": wrk["rps"],
        "read_p50_ms": wrk["p50_ms"],
        "read_p95_ms": wrk["p95_ms"],
        "read_p99_ms": wrk["p99_ms"],
        "reads": int(wrk["requests"]),
        "read_errors": read_errors,
        "write_errors": len(writer.errors),
        "errors": read_errors + len(writer.errors),
        "writes": writer.writes,
        "write_p50_ms": statistics.median(writer.timings) if writer.timings else 0.0,
        "write_error_samples": writer.errors[:5],
        "wrk": wrk,
        "seconds": seconds,
        "workers": WORKERS,
        "pages": len(paths),
    }


def on_engine(engine: str, workdir: Path, password: str) -> dict:
    """The mixed load on a fresh ``engine`` database with the 10,000-item year; a
    ``skipped`` reason instead when there is no such database here."""
    if engine == "postgresql" and not start_pg():
        return {"skipped": "no PostgreSQL server on 127.0.0.1:5432"}
    with database(engine, PG_DATABASE if engine == "postgresql" else "mixed", workdir) as url:
        env = production_env(url, workdir)
        subprocess.run(
            [sys.executable, "-m", "bench.setup_db"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        return figures(env, password)


def both(env: dict, workdir: Path, password: str) -> dict[str, dict]:
    """The mixed load on ``env``'s database (filled by the bench), then on the other
    engine's; {"sqlite": {...}, "postgresql": {...}}, each maybe ``skipped``."""
    missing = wrk_missing()
    if missing:
        reason = f"wrk is missing ({missing})"
        return {"sqlite": {"skipped": reason}, "postgresql": {"skipped": reason}}
    own = engine_of(env["DATABASE_URL"])
    results = {own: figures(env, password)}
    other = "postgresql" if own == "sqlite" else "sqlite"
    results[other] = on_engine(other, workdir, password)
    return {engine: results[engine] for engine in ("sqlite", "postgresql")}


def lines(results: dict[str, dict]) -> list[str]:
    out = []
    for engine, r in results.items():
        prefix = f"mixed.{engine}"
        if "skipped" in r:
            out.append(f"{prefix}.skipped: {r['skipped']}")
            continue
        out += [
            f"{prefix}.rps: {r['rps']:.1f} req/s",
            f"{prefix}.read_p50: {r['read_p50_ms']:.1f} ms",
            f"{prefix}.read_p95: {r['read_p95_ms']:.1f} ms",
            f"{prefix}.read_p99: {r['read_p99_ms']:.1f} ms",
            f"{prefix}.errors: {r['errors']} errors",
            f"{prefix}.read_errors: {r['read_errors']} errors",
            f"{prefix}.write_errors: {r['write_errors']} errors",
            f"{prefix}.writes: {r['writes']} writes",
            f"{prefix}.write_p50: {r['write_p50_ms']:.1f} ms",
        ]
        out += [f"{prefix}.write_error: {sample}" for sample in r["write_error_samples"]]
    return out


def main() -> None:
    from bench.dataset import PASSWORD

    engines = sys.argv[1:] or ["sqlite", "postgresql"]
    missing = wrk_missing()
    workdir = Path(tempfile.mkdtemp(prefix="gj-mixed-"))
    try:
        results = {}
        for engine in engines:
            started = time.perf_counter()
            if missing:
                results[engine] = {"skipped": f"wrk is missing ({missing})"}
            else:
                results[engine] = on_engine(engine, workdir, PASSWORD)
            results[engine]["total_seconds"] = time.perf_counter() - started
        print("\n".join(lines(results)))
        for engine, r in results.items():
            print(f"mixed.{engine}.total_seconds: {r['total_seconds']:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
