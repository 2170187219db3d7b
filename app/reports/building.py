"""Documents the worker builds — review packs and bulletins (``models.BuiltDocument``) —
from the request to the snapshot, one way for every kind.

A request adds a row, queued (``request``): one per task force and period is queued or
being built at a time, and while one is, asking again answers with it. The job that
builds it claims the row (``claim``) under the job queue's claim, or a token of its own
for the scheduler's inline build; a row left running by another claim (its worker died,
and the queue gave the job to this one once its lease ran out) is taken over, but only
with a job's claim. Only the claim named on the row writes progress, a failure or the
result (``Build``), so a worker that comes back after losing its claim writes nothing.
``checkpoint`` is the job's commit, handed in by the job: the claim, each step of
progress and the outcome are seen by the page that polls while it builds; nothing here
commits on its own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.core import audit, clock
from app.core.errors import DuplicateKey, NotFound
from app.core.permissions import authorize
from app.extensions import db
from app.people.models import User
from app.reports.models import DONE, FAILED, QUEUED, RUNNING, BuiltDocument

# A running document whose heartbeat is older than this was lost with its process.
STALE_AFTER = timedelta(minutes=10)

Checkpoint = Callable[[], None]


def status_of(row: BuiltDocument) -> str:
    """The state to show: a queued or running one with no sign of life has failed."""
    if row.status in (QUEUED, RUNNING):
        last = row.heartbeat_at or row.requested_at
        if last < clock.now() - STALE_AFTER:
            return FAILED
    return row.status


def alive(model: type[BuiltDocument]):
    """SQL: done, or queued or running with a recent sign of life."""
    return or_(
        model.status == DONE,
        and_(
            model.status.in_((QUEUED, RUNNING)),
            func.coalesce(model.heartbeat_at, model.requested_at) >= clock.now() - STALE_AFTER,
        ),
    )


def still_to_make(model: type[BuiltDocument], period: str) -> list[int]:
    """The task forces not archived for which the scheduler has not made the document of
    ``period`` yet (done, or queued or being built and alive): a second run, or a second
    scheduler, makes none twice; a failed one is made again. Those people asked for do
    not count."""
    from app.core.scope import unscoped
    from app.people.models import TaskForce

    with unscoped():
        taken = (
            select(model.task_force_id)
            .where(
                getattr(model, model.PERIOD) == period,
                model.requested_by_id.is_(None),
                alive(model),
            )
            .scalar_subquery()
        )
        return list(
            db.session.scalars(
                select(TaskForce.id)
                .where(TaskForce.archived_at.is_(None), TaskForce.id.not_in(taken))
                .order_by(TaskForce.id)
            )
        )


def _of_period(model: type[BuiltDocument], task_force_id: int, period: str):
    return model.task_force_id == task_force_id, getattr(model, model.PERIOD) == period


def request(
    model: type[BuiltDocument], actor: User | None, task_force_id: int, period: str
) -> tuple[BuiltDocument, bool]:
    """Queue the next version for ``period``: (the row, True); while one of the period is
    queued or being built, (that one, False), whoever asks. One whose process died is
    failed and no longer holds the period; the database's partial unique index settles
    two asking at the same moment. ``actor`` None is the scheduler. The caller checks the
    permission and the period."""
    where = _of_period(model, task_force_id, period)
    for attempt in range(3):
        current = db.session.scalars(
            select(model).where(*where, model.status.in_((QUEUED, RUNNING)))
        ).first()
        if current is not None:
            if status_of(current) != FAILED:
                return current, False
            _update(
                model,
                current.id,
                status=FAILED,
                error="lost: its process stopped before it finished",
                finished_at=clock.now(),
            )
        last = db.session.scalar(select(func.max(model.number)).where(*where))
        row = model(
            task_force_id=task_force_id,
            number=(last or 0) + 1,
            status=QUEUED,
            requested_by_id=actor.id if actor else None,
            requested_at=clock.now(),
            **{model.PERIOD: period},
        )
        db.session.add(row)
        try:
            db.session.flush()
        except (IntegrityError, DuplicateKey):  # another request queued one, or took
            db.session.rollback()  # this version number (the session rolled back already)
            if attempt == 2:
                raise
            continue
        changes = {model.PERIOD: [None, period], "number": [None, row.number]}
        audit.record(
            actor, f"{model.NOUN}_requested", row, changes, summary=f"{period} v{row.number}"
        )
        return row, True
    raise AssertionError("unreachable")


def _update(model: type[BuiltDocument], row_id: int, *where, **values) -> int:
    table = model.__table__
    return db.session.execute(
        table.update().where(table.c.id == row_id, *where).values(**values)
    ).rowcount


class Build:
    """A claimed build of one row: what it may write, under its own claim only."""

    def __init__(self, model: type[BuiltDocument], row_id: int, claim: str, checkpoint):
        self.model, self.row_id, self.claim, self.checkpoint = model, row_id, claim, checkpoint
        table = model.__table__
        self.mine = (table.c.built_by == claim, table.c.status == RUNNING)

    def progress(self, percent: int) -> None:
        _update(self.model, self.row_id, *self.mine, progress=percent, heartbeat_at=clock.now())
        self.checkpoint()

    def fail(self, error: Exception) -> BuiltDocument:
        db.session.rollback()
        values = {"status": FAILED, "error": str(error)[:2000], "finished_at": clock.now()}
        _update(self.model, self.row_id, *self.mine, **values)
        self.checkpoint()
        return db.session.get(self.model, self.row_id)

    def store(self, content: bytes, pages: int, word: bytes, **extra) -> BuiltDocument | None:
        """Keep the files and mark the row done; None when another claim took it over
        meanwhile (its build counts, this one is dropped). Audited; the caller's
        checkpoint commits."""
        digest = hashlib.sha256(content).hexdigest()
        written = _update(
            self.model,
            self.row_id,
            *self.mine,
            content=content,
            sha256=digest,
            size=len(content),
            pages=pages,
            docx=word,
            docx_size=len(word),
            progress=100,
            status=DONE,
            finished_at=clock.now(),
            **extra,
        )
        if not written:
            db.session.rollback()
            return None
        row = db.session.get(self.model, self.row_id)
        db.session.refresh(row)
        period = getattr(row, self.model.PERIOD)
        audit.record(
            row.requested_by,
            f"{self.model.NOUN}_generated",
            row,
            {"sha256": [None, digest]},
            summary=f"{period} v{row.number}",
        )
        return row


def claim(
    model: type[BuiltDocument], row_id: int, job_claim: str | None, checkpoint: Checkpoint
) -> Build | None:
    """Claim the row in one statement, so that of two threads or processes given it one
    builds it: the build, or None when there was nothing to take. A queued row is taken;
    with a job's claim, also one left running under another claim."""
    table = model.__table__
    claimable = table.c.status == QUEUED
    if job_claim:
        claimable = or_(claimable, and_(table.c.status == RUNNING, table.c.built_by != job_claim))
    token = job_claim or secrets.token_hex(16)
    now = clock.now()
    claimed = _update(
        model,
        row_id,
        claimable,
        status=RUNNING,
        built_by=token,
        started_at=now,
        heartbeat_at=now,
        progress=5,
    )
    checkpoint()
    return Build(model, row_id, token, checkpoint) if claimed else None


def listed(model: type[BuiltDocument], actor: User, task_force_id: int) -> list:
    """Every version of the task force, newest period and version first."""
    from sqlalchemy.orm import joinedload

    authorize(actor, "report.view", task_force_id)
    return list(
        db.session.scalars(
            select(model)
            .where(model.task_force_id == task_force_id)
            .options(joinedload(model.requested_by))
            .order_by(getattr(model, model.PERIOD).desc(), model.number.desc())
        )
    )


def get(model: type[BuiltDocument], actor: User, row_id) -> BuiltDocument:
    """:raise NotFound: for an unknown id or another task force's."""
    from app.core.scope import get_in_scope

    row = get_in_scope(db.session, model, row_id)
    authorize(actor, "report.view", row.task_force_id)
    return row


def pdf_of(actor: User, row: BuiltDocument) -> bytes:
    """The stored PDF. :raise NotFound: while it is not done."""
    authorize(actor, "report.view", row.task_force_id)
    if row.status != DONE:
        raise NotFound(f"{row.__tablename__} not ready")
    return row.content


def word_of(actor: User, row: BuiltDocument) -> bytes:
    """The stored Word file. :raise NotFound: while it is not done, or for a pack made
    before packs had one."""
    authorize(actor, "report.view", row.task_force_id)
    if row.status != DONE or not row.docx_size:
        raise NotFound("no Word file")
    return row.docx
