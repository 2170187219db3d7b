"""Time and peak memory of the PDF and Word exports (run from the repo root).

    .venv/bin/python -m bench.pdf_speed list 10000   # the issue list PDF of N issues
    .venv/bin/python -m bench.pdf_speed pack 1000    # the quarterly pack and last month's
                                                     # bulletin with N issues, PDF and Word
    GONGJIAN_INSTANCE=/path .venv/bin/python -m bench.pdf_speed demo   # the same on the demo

``make bench`` runs all three.

``list`` and ``pack`` build bench.dataset in a throwaway SQLite file first; ``demo`` uses
the instance's database after ``flask demo load``, and its pack is the last finished
quarter's, whose narrative the demo has approved. Each document is measured as its job
builds it: its HTML made from the data, then laid out as PDF (``pdf_…``) or written as a
Word file (``docx_…``); the two are measured apart, each with its own memory samples.

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


def _measure(label: str, build) -> None:
    """Run ``build()`` (returning (bytes, pages or None)) and print its figures."""
    started = time.perf_counter()
    cpu_before = _cpu()
    with MemorySampler() as memory:
        if os.environ.get("PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            data, pages = profiler.runcall(build)
            profiler.dump_stats(f"{os.environ['PROFILE']}.{label}")
        else:
            data, pages = build()
        elapsed = time.perf_counter() - started
    own_cpu, workers_cpu = (a - b for a, b in zip(_cpu(), cpu_before, strict=True))
    own, children = _peak_mb()
    print(f"{label}_seconds: {elapsed:.2f} s")
    print(f"{label}_bytes: {len(data)} B" + (f" ({pages} pages)" if pages else ""))
    # On a busy machine wall time says little: CPU time says what the work costs.
    print(
        f"{label}_cpu: {own_cpu:.2f} s here + {workers_cpu:.2f} s in workers"
        f" ({memory.cpu:.2f} s of it here spent sampling memory)"
    )
    print(f"{label}_peak_rss: {own:.0f} MB (workers {children:.0f} MB; the process's peak so far)")
    print(
        f"{label}_peak_total: {memory.peak_pss_kb / 1024:.0f} MB"
        f" (PSS of this process and its workers summed, sampled every {SAMPLE_EVERY * 1000:.0f} ms)"
    )
    print(
        f"{label}_peak_split: {memory.own_peak_pss_kb / 1024:.0f} MB here"
        f" + largest worker {memory.worker_peak_pss_kb / 1024:.0f} MB PSS"
        f" ({len(memory.workers_seen)} workers; RSS summed {memory.peak_rss_kb / 1024:.0f} MB)"
    )


def _documents(task_force_id: int, size: str, quarter) -> None:
    """The pack of ``quarter`` and last month's bulletin, each as PDF and as Word."""
    from app.core import clock
    from app.core.pdf import html_to_word
    from app.core.quarters import Month
    from app.reports import bulletin, service

    month = Month.of(clock.today()).previous()
    _measure(f"pdf_pack_{size}", lambda: service.pack_document(task_force_id, quarter))

    def pack_word():
        html = service.pack_html(task_force_id, quarter)
        return service.pack_word(task_force_id, quarter, html), None

    _measure(f"docx_pack_{size}", pack_word)
    _measure(f"pdf_bulletin_{size}", lambda: bulletin.bulletin_document(task_force_id, month)[:2])

    def bulletin_word():
        from app.extensions import db
        from app.people.models import TaskForce

        html = bulletin.bulletin_html(task_force_id, month)
        title = bulletin.title_of(db.session.get(TaskForce, task_force_id), month)
        return html_to_word(html, title=title), None

    _measure(f"docx_bulletin_{size}", bulletin_word)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "list"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    if what != "demo":
        folder = tempfile.mkdtemp(prefix="gj-pdf-speed-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the throwaway dataset
        os.environ["GONGJIAN_INSTANCE"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/speed.sqlite"

    from flask_babel import force_locale
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
        with task_force_scope(task_force.id), app.test_request_context(), force_locale("zh"):
            from weasyprint import HTML

            HTML(string="<p>warm</p>").write_pdf()  # fonts and WeasyPrint's own start-up
            if what == "list":

                def issue_list():
                    data = service.issue_list_pdf(admin, task_force.id, IssueFilter())
                    return data, data.count(b"/Type /Page\n") or data.count(b"/Type/Page")

                _measure(f"pdf_issue_list_{count}", issue_list)
            elif what == "demo":
                _documents(task_force.id, "demo", Quarter.of(clock.today()).previous())
            else:
                _documents(task_force.id, str(count), Quarter.of(clock.today()))


if __name__ == "__main__":
    main()
