"""The bulletins' work on the job queue (kind ``bulletin``) and their daily periodic job."""

from __future__ import annotations

from app.core import scheduler
from app.core.jobs import Job, Outcome
from app.core.scope import task_force_scope
from app.extensions import db
from app.reports import bulletin as service


def build_bulletin(job: Job) -> Outcome:
    """A bulletin queued by a leader or by the scheduler, built under the job's claim."""
    bulletin_id = job.payload["bulletin_id"]
    with task_force_scope(job.task_force_id):
        built = service.run_bulletin(
            bulletin_id, job.claimed_by or "", checkpoint=db.session.commit
        )
        status = service.status_of(built) if built is not None else "missing"
    return Outcome(result=f"bulletin:{bulletin_id} {status}")


def _monthly_bulletins() -> str:
    made = service.monthly_bulletins()
    return f"bulletins queued {len(made)}"


def periodic() -> list[scheduler.Job]:
    """Every day at BULLETIN_AT: last month's bulletins, from the first working day on."""
    return [scheduler.Job("monthly_bulletins", _monthly_bulletins, scheduler.at("BULLETIN_AT"))]
