"""The scheduler: every periodic job in one list, with times from settings.

``flask scheduler run`` runs it as its own process (production: one, or more for
safety: they send nothing twice); ``flask scheduler serve`` (``make run``) starts it in
the background of the local development server. Nothing starts at import time, and
tests never start it.

Each run is recorded in ``notify_job_run`` (job, host, start, end, outcome or error),
which the deliveries page shows. Duplicates are prevented where it matters, in the data:
outbox rows and deliveries have unique keys, and deliveries are claimed before sending.
"""

from __future__ import annotations

import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.core import clock, idempotency
from app.extensions import db
from app.notify import delivery, rules
from app.notify.models import JobRun
from app.people.service import purge_login_records

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    trigger: Callable[[Flask], object]  # app -> an APScheduler trigger
    # The delivery pass runs every minute: its idle runs are not worth a row each.
    log_idle: bool = True


def _at(setting: str, day_of_week: str | None = None):
    def trigger(app: Flask):
        hour, minute = app.config[setting].split(":")
        return CronTrigger(
            hour=int(hour),
            minute=int(minute),
            day_of_week=day_of_week,
            timezone=app.config["TIMEZONE"],
        )

    return trigger


def _every(setting: str):
    return lambda app: IntervalTrigger(seconds=app.config[setting])


def _rule_job(rule: rules.Rule) -> Job:
    if rule.weekday is None:
        when = _at("REMINDER_DAILY_AT")
    else:
        when = _at("REMINDER_DIGEST_AT", DAYS[rule.weekday])
    return Job(f"rule:{rule.name}", lambda: rules.run_rule(rule.name), when)


def _quarter_start(app: Flask):
    """The first day of each quarter (1 January, April, July, October) at REVIEW_PACK_AT."""
    hour, minute = app.config["REVIEW_PACK_AT"].split(":")
    return CronTrigger(
        month="1,4,7,10",
        day=1,
        hour=int(hour),
        minute=int(minute),
        timezone=app.config["TIMEZONE"],
    )


def _review_packs() -> str:
    from app.reports.service import quarter_end_packs  # reports is a sibling: read lazily

    made = quarter_end_packs()
    return f"packs made {len(made)}"


def _purge_login_records() -> str:
    attempts, sessions = purge_login_records()
    keys = idempotency.purge()
    return f"login attempts purged {attempts}, sessions {sessions}, form keys {keys}"


def jobs() -> list[Job]:
    """Every periodic job: one per reminder rule, the delivery pass, the quarter's review
    packs (on the first day of a quarter, before the rules' daily run), and the daily
    purge of old login attempts, ended sessions and used form keys."""
    return [_rule_job(rule) for rule in rules.RULES] + [
        Job("deliver", delivery.deliver_due, _every("DELIVERY_INTERVAL_SECONDS"), log_idle=False),
        Job("review_packs", _review_packs, _quarter_start),
        Job("purge_login_records", _purge_login_records, _at("REMINDER_DAILY_AT")),
    ]


def run_job(app: Flask, job: Job) -> int | None:
    """Run one job in its own app context and record the run; returns the run's id.

    The run is written when the job starts, so one that never finishes shows as such.
    """
    with app.app_context():
        run = JobRun(job=job.name, host=socket.gethostname()[:100], started_at=clock.now())
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        try:
            outcome = job.run()
        except Exception:  # noqa: BLE001  (recorded, and the scheduler keeps going)
            db.session.rollback()
            app.logger.exception("job %s failed", job.name)
            outcome, error = None, traceback.format_exc()[-4000:]
        else:
            error = ""
        run = db.session.get(JobRun, run_id)
        if not error and not job.log_idle and getattr(outcome, "idle", False):
            db.session.delete(run)
            run_id = None
        else:
            run.finished_at = clock.now()
            run.outcome = str(_describe(outcome))[:2000]
            run.error = error
        db.session.commit()
        db.session.remove()
        return run_id


def _describe(outcome) -> str:
    if isinstance(outcome, rules.RuleResult):
        return f"matched {outcome.matched} ({outcome.items} items), written {outcome.written}"
    return "" if outcome is None else str(outcome)


def build(app: Flask, background: bool):
    """A scheduler with every job added; the caller starts it."""
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(timezone=app.config["TIMEZONE"])
    for job in jobs():
        scheduler.add_job(
            run_job,
            trigger=job.trigger(app),
            args=(app, job),
            id=job.name,
            name=job.name,
            coalesce=True,  # after downtime, one catch-up run, not one per missed time
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
    return scheduler
