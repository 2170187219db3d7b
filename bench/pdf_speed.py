"""Time and peak memory of the PDF exports, for issue 10's targets (run from the repo root).

    .venv/bin/python -m bench.pdf_speed list 10000   # the issue list PDF of N issues
    .venv/bin/python -m bench.pdf_speed pack 1000    # the quarterly pack with N issues
    GONGJIAN_INSTANCE=/path .venv/bin/python -m bench.pdf_speed demo   # the demo's pack

``make bench`` runs all three.

``list`` and ``pack`` build bench.dataset in a throwaway SQLite file first; ``demo`` uses
the instance's database after ``flask demo load``. Peak memory is the largest resident
set of this process and of its worker processes (ru_maxrss).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "list"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    if what != "demo":
        folder = tempfile.mkdtemp(prefix="gj-pdf-speed-")
        os.environ["GONGJIAN_INSTANCE"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/speed.sqlite"

    from flask_migrate import upgrade
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
            upgrade()
            from bench import dataset

            with unscoped():
                dataset.build(issues=count)
        with unscoped():
            task_force = db.session.scalars(select(TaskForce).order_by(TaskForce.id)).first()
            admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        with task_force_scope(task_force.id), app.test_request_context():
            from weasyprint import HTML

            HTML(string="<p>warm</p>").write_pdf()  # fonts and WeasyPrint's own start-up
            started = time.perf_counter()
            cpu_before = _cpu()
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
    print(f"{label}_cpu: {own_cpu:.2f} s here + {workers_cpu:.2f} s in workers")
    print(f"{label}_peak_rss: {own:.0f} MB (workers {children:.0f} MB)")


if __name__ == "__main__":
    main()
