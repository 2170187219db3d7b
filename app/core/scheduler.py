"""The scheduler: the periodic jobs every feature registers, with times from settings.

A feature registers its periodic jobs in its ``init_app`` (``PERIODIC.register``: a
function that lists them, read when the scheduler is built, so that a job per reminder
rule sees every feature's rules). ``flask scheduler run`` runs them as their own process
(production: one, or more for safety: they send nothing twice), together with the worker
of the job queue (``core/jobs.py``); ``flask scheduler serve`` (``make run``) starts both
in the background of the local development server. Nothing starts at import time, and
tests never start it.

Each run is recorded in ``notify_job_run`` (job, host, start, end, outcome or error),
which the deliveries page shows. Duplicates are prevented where it matters, in the data:
outbox rows and deliveries have unique keys, and deliveries are claimed before sending.
A run is a unit of work of its own (``core/unit.py``): ``run_job`` commits what the job
did, or rolls it back if the job raises.
"""

from __future__ import annotations

import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.extensions import db

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class JobRun(db.Model):
    """One run of a scheduled job: when, by which host, what it did or why it failed."""

    __tablename__ = "notify_job_run"  # the name it had when notify ran the scheduler

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    host: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    trigger: Callable[[Flask], object]  # app -> an APScheduler trigger
    # The delivery pass runs every minute: its idle runs are not worth a row each.
    log_idle: bool = True


class _Sources:
    """The functions that list each feature's periodic jobs, in registration order."""

    def __init__(self) -> None:
        self._sources: list[Callable[[], list[Job]]] = []

    def register(self, source: Callable[[], list[Job]]) -> None:
        if source not in self._sources:  # init_app may run more than once
            self._sources.append(source)

    def jobs(self) -> list[Job]:
        return [job for source in self._sources for job in source()]


PERIODIC = _Sources()


def at(setting: str, day_of_week: str | None = None):
    """A trigger at the time of day in ``setting`` ("HH:MM", in ``TIMEZONE``)."""

    def trigger(app: Flask):
        hour, minute = app.config[setting].split(":")
        return CronTrigger(
            hour=int(hour),
            minute=int(minute),
            day_of_week=day_of_week,
            timezone=app.config["TIMEZONE"],
        )

    return trigger


def every(setting: str):
    """A trigger every ``setting`` seconds."""
    return lambda app: IntervalTrigger(seconds=app.config[setting])


def jobs() -> list[Job]:
    """Every periodic job every feature registered."""
    return PERIODIC.jobs()


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
            db.session.commit()  # the job's work: this run is its unit of work
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
            run.outcome = ("" if outcome is None else str(outcome))[:2000]
            run.error = error
        db.session.commit()
        db.session.remove()
        return run_id


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
