"""The job queue: work a request asks for and the worker does (a review pack, the list PDF).

A request adds a ``Job`` row (``enqueue``: flushed, committed with the request) and
answers at once; the page polls the row. The worker, a thread of the scheduler's process
(``flask scheduler run``, see ``core/scheduler.py``), claims queued jobs one at a time and
runs each kind's handler, which features register in their ``init_app``
(``register_job``). A handler's result, a file's bytes included, is kept on the row, so
any web host can serve it; finished rows are purged after ``KEEP_FINISHED``.

A claim is a lease: the claiming statement marks the row running, for this claim (a
token of its own in ``claimed_by``) until ``claimed_until``, and a heartbeat renews the
lease while the handler runs. A job whose worker died (its lease ran out) is taken over
by the next claim, at most ``MAX_ATTEMPTS`` times in all. The outcome is written only
under one's own claim, as the deliveries' are (``notify/delivery.py``): a worker that
lost its claim (a stall longer than the lease) drops what it did, and nobody's job is
built twice into the row.

Each job is a unit of work (``core/unit.py``): the runner commits what the handler did
together with the job's outcome, or rolls it back if the handler raises.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from flask import Flask, current_app
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.core import clock
from app.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
JOB_STATES = (QUEUED, RUNNING, DONE, FAILED)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
KEEP_FINISHED = timedelta(days=1)
IDLE_SECONDS = 1.0  # the worker's pause when the queue is empty

logger = logging.getLogger(__name__)


class Job(db.Model):
    """One piece of work asked for, its state, and once done its result."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_force.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    # What the handler made: a reference to a row of its own ("review_pack:12"), or a
    # file kept here (``output``, loaded only when downloaded).
    result: Mapped[str] = mapped_column(String(200), default="")
    output_name: Mapped[str] = mapped_column(String(200), default="")
    output_type: Mapped[str] = mapped_column(String(100), default="")
    output_size: Mapped[int | None]
    output: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_job_status_claimed_until", "status", "claimed_until"),)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


@dataclass(frozen=True)
class Outcome:
    """What a handler made: a reference, or a file to keep on the job's row."""

    result: str = ""
    output: bytes | None = None
    output_name: str = ""
    output_type: str = ""

    def values(self) -> dict:
        values = {"result": self.result[:200]}
        if self.output is not None:
            values.update(
                output=self.output,
                output_name=self.output_name[:200],
                output_type=self.output_type[:100],
                output_size=len(self.output),
            )
        return values


Handler = Callable[[Job], "Outcome | None"]
KINDS: dict[str, Handler] = {}


def register_job(kind: str, handler: Handler) -> None:
    """A kind of job and the function that does it (a feature's ``init_app``)."""
    KINDS[kind] = handler


def enqueue(
    kind: str,
    task_force_id: int | None = None,
    requested_by_id: int | None = None,
    payload: dict | None = None,
) -> Job:
    """Queue a job; flushed, and committed by the caller's boundary (the request's).

    :raise KeyError: for a kind nobody registered.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}: register it with register_job")
    job = Job(
        kind=kind,
        task_force_id=task_force_id,
        requested_by_id=requested_by_id,
        payload=payload or {},
        status=QUEUED,
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def in_progress(kind: str, task_force_id: int | None, requested_by_id: int | None, payload: dict):
    """The same job asked for by the same person and not finished yet, if any: a second
    click waits for the first instead of queuing the same work again."""
    candidates = db.session.scalars(
        select(Job)
        .where(
            Job.kind == kind,
            Job.task_force_id == task_force_id,
            Job.requested_by_id == requested_by_id,
            Job.status.in_((QUEUED, RUNNING)),
        )
        .order_by(Job.id.desc())
    )
    return next((job for job in candidates if job.payload == payload), None)


# --- claiming ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job_id: int
    token: str  # in ``claimed_by`` for as long as the claim is this one


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _claimable(table, now: datetime):
    c = table.c
    lost = and_(c.status == RUNNING, c.claimed_until < now, c.attempts < MAX_ATTEMPTS)
    return and_(or_(c.status == QUEUED, lost), c.kind.in_(list(KINDS)))


def _give_up_lost(now: datetime) -> None:
    """Jobs whose workers died ``MAX_ATTEMPTS`` times are failed, not taken again."""
    table = Job.__table__
    db.session.execute(
        table.update()
        .where(
            table.c.status == RUNNING,
            table.c.claimed_until < now,
            table.c.attempts >= MAX_ATTEMPTS,
        )
        .values(status=FAILED, error="lost: its worker stopped each time", finished_at=now)
    )


def claim_next(worker_id: str | None = None) -> Claim | None:
    """Claim the oldest queued job (or one whose lease ran out) in one statement, and
    commit the claim; None when there is none.

    PostgreSQL skips the rows other workers are claiming (``FOR UPDATE SKIP LOCKED``);
    SQLite has one writer at a time, so its one statement is atomic anyway. Either way
    the statement says which row it took (``RETURNING``), and two claimers never get the
    same job.
    """
    if not KINDS:
        return None
    table = Job.__table__
    now = clock.now()
    token = f"{worker_id or worker_name()}:{uuid4().hex[:12]}"[-100:]
    _give_up_lost(now)
    # Of its own alias: a subquery of the updated table would be correlated to it.
    inner = table.alias("candidate")
    candidate = select(inner.c.id).where(_claimable(inner, now)).order_by(inner.c.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        table.update()
        .where(table.c.id == candidate.scalar_subquery(), _claimable(table, now))
        .values(
            status=RUNNING,
            claimed_by=token,
            claimed_until=now + LEASE,
            attempts=table.c.attempts + 1,
            started_at=now,
            error="",
        )
        .returning(table.c.id)
    ).scalar()
    db.session.commit()
    return None if claimed is None else Claim(claimed, token)


def _mine(claim: Claim):
    table = Job.__table__
    return and_(table.c.id == claim.job_id, table.c.claimed_by == claim.token)


class _Heartbeat(threading.Thread):
    """Renews a claim's lease while its handler runs, over a connection of its own."""

    def __init__(self, engine, claim: Claim):
        super().__init__(name=f"job-{claim.job_id}-lease", daemon=True)
        self.engine, self.claim = engine, claim
        self.stopped = threading.Event()

    def run(self) -> None:
        table = Job.__table__
        while not self.stopped.wait(LEASE.total_seconds() / 3):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        table.update()
                        .where(_mine(self.claim))
                        .values(claimed_until=clock.now() + LEASE)
                    )
            except Exception:  # noqa: BLE001  (the next beat tries again)
                logger.exception("renewing the lease of job %s failed", self.claim.job_id)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def _error_text(error: Exception) -> str:
    return (getattr(error, "message", None) or str(error) or type(error).__name__)[:2000]


def run_claimed(claim: Claim) -> str:
    """Run a claimed job's handler and keep its outcome under the claim: the handler's
    work and the job's state are committed together. Returns the job's state (or
    "lost" when the claim had been taken over)."""
    job = db.session.get(Job, claim.job_id)
    heartbeat = _Heartbeat(db.engine, claim)
    heartbeat.start()
    try:
        outcome = KINDS[job.kind](job) or Outcome()
    except Exception as error:  # noqa: BLE001  (recorded for the person waiting)
        db.session.rollback()
        current_app.logger.exception("job %s (%s) failed", claim.job_id, job.kind)
        values = {"status": FAILED, "error": _error_text(error)}
    else:
        values = {"status": DONE, **outcome.values()}
    finally:
        heartbeat.stop()
    values.update(finished_at=clock.now(), claimed_until=None)
    written = db.session.execute(Job.__table__.update().where(_mine(claim)).values(**values))
    if written.rowcount != 1:
        db.session.rollback()  # another worker took it over: its outcome counts
        return "lost"
    db.session.commit()
    return values["status"]


def run_pending(app: Flask | None = None, worker_id: str | None = None) -> int:
    """Claim and run jobs until none is left; returns how many ran. The worker's loop,
    and in tests and commands the queue run at once through the same code."""
    app = app or current_app._get_current_object()
    count = 0
    while True:
        with app.app_context():
            claim = claim_next(worker_id)
            if claim is None:
                db.session.remove()
                return count
            try:
                run_claimed(claim)
            finally:
                db.session.remove()
        count += 1


class Worker(threading.Thread):
    """The queue's worker in the scheduler's process: runs jobs as they come."""

    def __init__(self, app: Flask, worker_id: str | None = None):
        super().__init__(name="job-worker", daemon=True)
        self.app, self.worker_id = app, worker_id or worker_name()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                ran = run_pending(self.app, self.worker_id)
            except Exception:  # noqa: BLE001  (the database may be back at the next try)
                self.app.logger.exception("the job worker could not claim a job")
                ran = 0
            if not ran:
                self.stopped.wait(IDLE_SECONDS)

    def stop(self) -> None:
        self.stopped.set()


# --- reading and purging ----------------------------------------------------------------


def get_job(job_id: int, kind: str, task_force_id: int | None) -> Job | None:
    """A job of ``kind`` in the task force, or None."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != kind or job.task_force_id != task_force_id:
        return None
    return job


def purge_finished() -> str:
    """The periodic purge: finished jobs (and the files they kept) after KEEP_FINISHED."""
    before = clock.now() - KEEP_FINISHED
    table = Job.__table__
    gone = db.session.execute(
        table.delete().where(table.c.status.in_((DONE, FAILED)), table.c.finished_at < before)
    ).rowcount
    return f"finished jobs purged {gone}"
