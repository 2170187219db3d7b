"""Scale in task forces (issue 23): one task force's pages among 50.

    .venv/bin/python -m bench.scale                   # SQLite, then PostgreSQL if reachable
    .venv/bin/python -m bench.scale sqlite            # one engine only

Two installations are written side by side: one with a single task force of
``BENCH_TF_ITEMS`` items (2,000), and one with ``BENCH_TASK_FORCES`` (50) task forces of
as many items each, with their year (meetings, escalations, pilots, readings; 100,000
items, 300,000 progress notes in all). The first task force is the same in both, row for
row and id for id (bench/dataset.py), so its pages show the same things. Its leader reads
every page of ``bench.run.PAGES`` (but the administration pages, which belong to the
whole installation) on both installations in alternation — one request to each in turn,
so that a busy machine slows both alike — first from servers that keep pages, then from
servers that keep nothing (computed afresh, the first view after a change). Figures per
page: p50 with one and with fifty and their ratio, the same computed afresh, and the
queries of one fresh request in each. ``BENCH_SCALE_REQUESTS`` (40) and
``BENCH_SCALE_FRESH_REQUESTS`` (20) requests per page and installation.

Databases: throwaway SQLite files; on PostgreSQL ``bench_scale_one`` and
``bench_scale_many`` on 127.0.0.1:5432, made and dropped (the server started as
``.ci/run`` starts it when it is down, skipped without one).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.engines import database, start_pg
from bench.run import ADMIN_PAGES, PAGES, ROOT, Client, open_issues, production_env, serving

TASK_FORCES = int(os.environ.get("BENCH_TASK_FORCES", "50"))
ITEMS = int(os.environ.get("BENCH_TF_ITEMS", "2000"))
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "40"))
FRESH_REQUESTS = int(os.environ.get("BENCH_SCALE_FRESH_REQUESTS", "20"))
NOTHING_KEPT = {"FRAGMENT_CACHE_SIZE": "0", "NAVBAR_CACHE_SIZE": "0"}
LEADER = "user0001"
SIDES = ("one", "fifty")


def _fill(envs: dict[str, dict]) -> float:
    """Write both datasets at once (two processes: the machine has two cores)."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.setup_db",
                "--task-forces",
                "1" if side == "one" else str(TASK_FORCES),
                "--items",
                str(ITEMS),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for side, env in envs.items()
    ]
    for process in processes:
        _, err = process.communicate()
        if process.returncode:
            raise SystemExit(f"bench.setup_db failed:\n{err[-3000:]}")
    return time.perf_counter() - started


def _alternate(clients: dict[str, Client], path: str, n: int) -> dict[str, dict]:
    """``n`` requests of ``path`` to each side, one to each in turn, after warming up."""
    timings: dict[str, list[float]] = {side: [] for side in clients}
    queries: dict[str, int] = dict.fromkeys(clients, 0)
    for _ in range(3):
        for client in clients.values():
            client.request("GET", path)
    for _ in range(n):
        for side, client in clients.items():
            start = time.perf_counter()
            response, _ = client.request("GET", path)
            timings[side].append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise SystemExit(f"scale: {path} answered {response.status} ({side})")
            queries[side] = max(queries[side], int(response.getheader("X-Query-Count", "-1")))
    return {
        side: {"p50_ms": statistics.median(timings[side]), "queries": queries[side]}
        for side in clients
    }


def _measure(envs: dict[str, dict], password: str, open_issue: int) -> dict[str, dict]:
    pages = {name: path for name, path in PAGES.items() if name not in ADMIN_PAGES}
    figures: dict[str, dict] = {name: {} for name in pages}
    for label, extra, n in (("", {}, REQUESTS), ("fresh_", NOTHING_KEPT, FRESH_REQUESTS)):
        with ExitStack() as stack:
            clients = {}
            for side, env in envs.items():
                _server, port = stack.enter_context(serving(dict(env, **extra)))
                clients[side] = Client(port)
                clients[side].login(LEADER, password)
            for name, path in pages.items():
                measured = _alternate(clients, path.format(open_issue=open_issue), n)
                for side in SIDES:
                    figures[name][f"{side}_{label}p50_ms"] = measured[side]["p50_ms"]
                    figures[name][f"{side}_{label}queries"] = measured[side]["queries"]
    for r in figures.values():
        r["ratio"] = r["fifty_p50_ms"] / r["one_p50_ms"]
        r["fresh_ratio"] = r["fifty_fresh_p50_ms"] / r["one_fresh_p50_ms"]
    return figures


def on_engine(engine: str, workdir: Path, password: str) -> dict:
    """Both installations on ``engine``; the figures by page, with the seconds taken."""
    started = time.perf_counter()
    if engine == "postgresql" and not start_pg():
        return {"skipped": "no PostgreSQL server on 127.0.0.1:5432"}
    with (
        database(engine, "bench_scale_one", workdir) as one,
        database(engine, "bench_scale_many", workdir) as many,
    ):
        envs = {}
        for side, url in (("one", one), ("fifty", many)):
            instance = workdir / f"scale-{engine}-{side}"
            instance.mkdir(parents=True, exist_ok=True)
            envs[side] = production_env(url, instance)
        build_seconds = _fill(envs)
        open_issue = open_issues(envs["one"], 1)[0]
        if open_issues(envs["fifty"], 1)[0] != open_issue:
            raise SystemExit("scale: the first task force differs between the two datasets")
        pages = _measure(envs, password, open_issue)
    return {
        "pages": pages,
        "task_forces": TASK_FORCES,
        "items_each": ITEMS,
        "build_seconds": build_seconds,
        "seconds": time.perf_counter() - started,
    }


def both(workdir: Path, password: str) -> dict[str, dict]:
    return {engine: on_engine(engine, workdir, password) for engine in ("sqlite", "postgresql")}


def lines(results: dict[str, dict]) -> list[str]:
    out = []
    for engine, r in results.items():
        prefix = f"scale.{engine}"
        if "skipped" in r:
            out.append(f"{prefix}.skipped: {r['skipped']}")
            continue
        for page, f in r["pages"].items():
            out += [
                f"{prefix}.{page}.one_p50: {f['one_p50_ms']:.1f} ms",
                f"{prefix}.{page}.fifty_p50: {f['fifty_p50_ms']:.1f} ms",
                f"{prefix}.{page}.ratio: {f['ratio']:.2f} x",
                f"{prefix}.{page}.one_fresh_p50: {f['one_fresh_p50_ms']:.1f} ms",
                f"{prefix}.{page}.fifty_fresh_p50: {f['fifty_fresh_p50_ms']:.1f} ms",
                f"{prefix}.{page}.fresh_ratio: {f['fresh_ratio']:.2f} x",
                f"{prefix}.{page}.one_queries: {f['one_fresh_queries']} queries",
                f"{prefix}.{page}.fifty_queries: {f['fifty_fresh_queries']} queries",
            ]
        out += [
            f"{prefix}.build_seconds: {r['build_seconds']:.0f} s",
            f"{prefix}.seconds: {r['seconds']:.0f} s",
        ]
    return out


def table(results: dict[str, dict]) -> list[str]:
    """One task force's pages with 1 and with 50 task forces, side by side."""
    out = []
    for engine, r in results.items():
        if "skipped" in r:
            continue
        out += [
            f"{engine}: 1 task force vs {r['task_forces']} of {r['items_each']} items each"
            f" (p50 ms; fresh: computed afresh; q: queries of a fresh request)",
            f"{'page':<20}{'one':>8}{'fifty':>8}{'x':>6}{'fresh 1':>9}{'fresh 50':>9}{'x':>6}"
            f"{'q 1':>5}{'q 50':>5}",
        ]
        for page, f in r["pages"].items():
            out.append(
                f"{page:<20}{f['one_p50_ms']:>8.1f}{f['fifty_p50_ms']:>8.1f}{f['ratio']:>6.2f}"
                f"{f['one_fresh_p50_ms']:>9.1f}{f['fifty_fresh_p50_ms']:>9.1f}"
                f"{f['fresh_ratio']:>6.2f}{f['one_fresh_queries']:>5}{f['fifty_fresh_queries']:>5}"
            )
        out.append(f"(written in {r['build_seconds']:.0f} s; {r['seconds']:.0f} s in all)")
        out.append("")
    return out


def main() -> None:
    from bench.dataset import PASSWORD

    engines = sys.argv[1:] or ["sqlite", "postgresql"]
    workdir = Path(tempfile.mkdtemp(prefix="gj-scale-"))
    try:
        results = {engine: on_engine(engine, workdir, PASSWORD) for engine in engines}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines(results)))
    print()
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
