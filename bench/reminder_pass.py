"""One full reminder pass over N items (default 100,000): ``python -m bench.reminder_pass``.

The items and their milestones are written to a throwaway SQLite file (or the database
named by ``DATABASE_URL``, analysed after the load as autovacuum would), then every rule
due today runs once, as the scheduler runs them: targets found with one query per rule,
one message per person, task force and rule listing their items. A second pass shows
that nothing is written twice, and what a pass with nothing new costs.
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import sys
import tempfile
import time


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = tempfile.mkdtemp(prefix="gj-reminders-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the throwaway dataset
    os.environ["GONGJIAN_INSTANCE"] = folder
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/reminders.sqlite")

    from app import create_app
    from app.extensions import db
    from app.notify import rules
    from bench import setup_db

    app = create_app()
    with app.app_context():
        setup_db.build(issues=count, year=False)
        started = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        first = rules.run_all()
        db.session.commit()  # the job's boundary: a pass is written when it is committed
        elapsed = time.perf_counter() - started
        used = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        second = rules.run_all()
        db.session.commit()
        again = time.perf_counter() - started
    items = sum(result.items for result in first)
    written = sum(result.written for result in first)
    rewritten = sum(result.written for result in second)
    cpu_seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    print(f"reminder_pass_{count}_seconds: {elapsed:.2f} s")
    print(f"reminder_pass_{count}_cpu: {cpu_seconds:.2f} s")
    print(f"reminder_pass_{count}_items: {items} items")
    print(f"reminder_pass_{count}_messages: {written} messages")
    print(f"reminder_pass_{count}_again_seconds: {again:.2f} s ({rewritten} written twice)")


if __name__ == "__main__":
    main()
