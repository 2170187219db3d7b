"""Time and peak memory of the PDF exports, for issue 10's targets (run from the repo root).

    .venv/bin/python -m bench.pdf_speed list 10000   # the issue list PDF of N issues
    .venv/bin/python -m bench.pdf_speed pack 1000    # the quarterly pack with N issues
    GONGJIAN_INSTANCE=/path .venv/bin/python -m bench.pdf_speed demo   # the demo's pack

``make bench`` runs all three.

``list`` and ``pack`` build bench.dataset in a throwaway SQLite file first; ``demo`` uses
the instance's database after ``flask demo load``.

Memory: ``_peak_rss`` is the largest resident set of this process and the largest of any
one worker process (ru_maxrss), each on its own. ``_peak_total`` is what the export costs
the machine: a thread samples, during the export, the proportional set size (PSS, from
/proc/<pid>/smaps_rollup) of this process and of every live descendant, and keeps the
largest sum. PSS shares each page among the processes that map it, so the pages a forked
worker still shares with this process (copy-on-write) and the mapped libraries and fonts
are counted once, not once per process. The same samples give the largest sum of resident
sets (VmRSS, which counts shared pages in every process) and each process's own peak.
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

SAMPLE_EVERY = 0.2  # seconds; reading smaps_rollup costs some 4 ms per 100 MB resident


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _descendants(pid: int) -> list[int]:
    """``pid``'s live child processes and theirs, started by any of their threads."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for tid in threads:
            try:
                children = Path(f"/proc/{parent}/task/{tid}/children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def _memory_kb(pid: int) -> tuple[int, int] | None:
    """(PSS, RSS) of a live process in kB; None once it has gone."""
    try:
        pss = rss = None
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
        return (pss, rss) if pss is not None and rss is not None else None
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


class MemorySampler(threading.Thread):
    """The largest total memory of this process and its descendants while running."""

    def __init__(self, every: float = SAMPLE_EVERY):
        super().__init__(daemon=True)
        self.every = every
        self.stopped = threading.Event()
        self.peak_pss_kb = self.peak_rss_kb = 0
        self.own_peak_pss_kb = 0
        self.worker_peak_pss_kb = 0  # the largest of any one descendant
        self.workers_seen: set[int] = set()
        self.samples = 0
        self.cpu = 0.0  # the sampling's own CPU time, part of this process's

    def sample(self) -> None:
        me = os.getpid()
        total_pss = total_rss = 0
        for pid in [me, *_descendants(me)]:
            memory = _memory_kb(pid)
            if memory is None:
                continue
            pss, rss = memory
            total_pss += pss
            total_rss += rss
            if pid == me:
                self.own_peak_pss_kb = max(self.own_peak_pss_kb, pss)
            else:
                self.workers_seen.add(pid)
                self.worker_peak_pss_kb = max(self.worker_peak_pss_kb, pss)
        self.peak_pss_kb = max(self.peak_pss_kb, total_pss)
        self.peak_rss_kb = max(self.peak_rss_kb, total_rss)
        self.samples += 1

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.cpu = time.thread_time()
            self.stopped.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.join()
        self.sample()


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "list"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    if what != "demo":
        folder = tempfile.mkdtemp(prefix="gj-pdf-speed-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the throwaway dataset
        os.environ["GONGJIAN_INSTANCE"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/speed.sqlite"

    from sqlalchemy import select

    from app import create_app
    from app.core import clock
    from app.core.quarters import Quarter
    from app.core.scope import task_force_scope, unscoped
    from app.extensions import db
    from app.issues.service import IssueFilter
    from app.people.models import TaskForce, User
    from app.reports import service

    app = create_app()
    with app.app_context():
        if what != "demo":
            from bench import setup_db

            setup_db.build(issues=count)
        with unscoped():
            task_force = db.session.scalars(select(TaskForce).order_by(TaskForce.id)).first()
            admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        with task_force_scope(task_force.id), app.test_request_context():
            from weasyprint import HTML

            HTML(string="<p>warm</p>").write_pdf()  # fonts and WeasyPrint's own start-up
            started = time.perf_counter()
            cpu_before = _cpu()
            with MemorySampler() as memory:
                if what == "list":
                    data = service.issue_list_pdf(admin, task_force.id, IssueFilter())
                    pages = data.count(b"/Type /Page\n") or data.count(b"/Type/Page")
                elif os.environ.get("PROFILE"):
                    import cProfile

                    profiler = cProfile.Profile()
                    data, pages = profiler.runcall(
                        service.pack_document, task_force.id, Quarter.of(clock.today())
                    )
                    profiler.dump_stats(os.environ["PROFILE"])
                else:
                    data, pages = service.pack_document(task_force.id, Quarter.of(clock.today()))
                elapsed = time.perf_counter() - started
            own_cpu, workers_cpu = (a - b for a, b in zip(_cpu(), cpu_before, strict=True))
    own, children = _peak_mb()
    labels = {"list": f"pdf_issue_list_{count}", "pack": f"pdf_pack_{count}"}
    label = labels.get(what, "pdf_pack_demo")
    print(f"{label}_seconds: {elapsed:.2f} s")
    print(f"{label}_bytes: {len(data)} B ({pages} pages)")
    # On a busy machine wall time says little: CPU time says what the work costs.
    print(
        f"{label}_cpu: {own_cpu:.2f} s here + {workers_cpu:.2f} s in workers"
        f" ({memory.cpu:.2f} s of it here spent sampling memory)"
    )
    print(f"{label}_peak_rss: {own:.0f} MB (workers {children:.0f} MB)")
    total = {"list": f"pdf_list_{count}", "pack": f"pdf_pack_{count}"}.get(what, "pdf_pack_demo")
    print(
        f"{total}_peak_total: {memory.peak_pss_kb / 1024:.0f} MB"
        f" (PSS of this process and its workers summed, sampled every {SAMPLE_EVERY * 1000:.0f} ms)"
    )
    print(
        f"{total}_peak_split: {memory.own_peak_pss_kb / 1024:.0f} MB here"
        f" + largest worker {memory.worker_peak_pss_kb / 1024:.0f} MB PSS"
        f" ({len(memory.workers_seen)} workers; RSS summed {memory.peak_rss_kb / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
