"""The speed devices on realistic data: the demo (about 100 items, 20 people).

The versioned fragment cache and the per-reader menu cache were built for a year of
10,000 items. Whether they pay on the data of a real task force is measured here: the
demo is loaded into a database of its own and the main pages are read from a server
that keeps them and from one that keeps nothing. ARCHITECTURE.md ("Speed devices")
records the figures and what was kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO_REQUESTS = int(os.environ.get("BENCH_DEMO_REQUESTS", "60"))
DEMO_PAGES = {
    "battle_map": "/",
    "issue_list": "/issues",
    "board": "/board",
    "issue_detail": "/issues/{open_issue}",
    "my_items": "/my",
    "calendar": "/calendar",
    "scorecards": "/scorecards",
    "roster": "/roster",
}


def demo_scale_figures(base_env: dict, workdir: Path, root: Path) -> dict[str, dict]:
    """p50 of each main page on the demo's data, kept and computed afresh."""
    from bench.run import Client, _first_open_issue, measure, serving

    env = dict(base_env, DATABASE_URL=f"sqlite:///{workdir / 'demo.sqlite'}")
    python = sys.executable
    subprocess.run([python, "-m", "flask", "db", "upgrade"], cwd=root, env=env, check=True)
    subprocess.run([python, "-m", "flask", "demo", "load"], cwd=root, env=env, check=True)
    open_issue = _first_open_issue(env)
    figures: dict[str, dict] = {name: {} for name in DEMO_PAGES}
    for label, extra in (
        ("kept", {}),
        ("fresh", {"FRAGMENT_CACHE_SIZE": "0", "NAVBAR_CACHE_SIZE": "0"}),
    ):
        with serving(dict(env, **extra)) as (_server, port):
            client = Client(port)
            client.login("leader", "gongjian2026")
            for name, path in DEMO_PAGES.items():
                result = measure(client, path.format(open_issue=open_issue), DEMO_REQUESTS)
                figures[name][f"{label}_p50_ms"] = result["p50_ms"]
    return figures


def demo_scale_lines(figures: dict[str, dict]) -> list[str]:
    lines = []
    for name, r in figures.items():
        gain = r["fresh_p50_ms"] - r["kept_p50_ms"]
        lines += [
            f"demo.{name}.kept_p50: {r['kept_p50_ms']:.1f} ms",
            f"demo.{name}.fresh_p50: {r['fresh_p50_ms']:.1f} ms",
            f"demo.{name}.cache_saves: {gain:.1f} ms",
        ]
    return lines
