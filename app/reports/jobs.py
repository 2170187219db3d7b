"""The reports' work on the job queue (``core/jobs.py``) and their periodic job.

The worker runs these outside any request: each handler opens the task force's scope,
the requester's language, and an empty request for the templates (the layout's helpers
and ``url_for`` read one).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import clock
from app.core.jobs import Job, Outcome
from app.core.scheduler import Job as PeriodicJob
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import User
from app.reports import service


def build_pack(job: Job) -> Outcome:
    """A pack asked for from the reports page: built and stored on its own row."""
    pack_id = job.payload["pack_id"]
    with task_force_scope(job.task_force_id):
        pack = service.run_pack(pack_id, db.session.commit, job.claimed_by or None)
        status = service.status_of(pack) if pack is not None else "missing"
    return Outcome(result=f"review_pack:{pack_id} {status}")


def build_issue_list_pdf(job: Job) -> Outcome:
    """The problem list as PDF under the filter the list page had, as its reader sees it."""
    from app.issues.filtering import filter_form, filter_from_args

    actor = db.session.get(User, job.requested_by_id)
    locale = actor.locale if actor and actor.locale else current_app.config["BABEL_DEFAULT_LOCALE"]
    args = job.payload.get("args", {})
    with (
        current_app.test_request_context(query_string=args),
        force_locale(locale),
        task_force_scope(job.task_force_id),
    ):
        filters = filter_from_args(filter_form(job.task_force_id))
        data = service.issue_list_pdf(actor, job.task_force_id, filters)
        name = f"{_('Problem list')}-{clock.today().isoformat()}.pdf"
    return Outcome(output=data, output_name=name, output_type="application/pdf")


def _review_packs() -> str:
    made = service.quarter_end_packs(checkpoint=db.session.commit)
    return f"packs made {len(made)}"


def _quarter_start(app):
    """The first day of each quarter (1 January, April, July, October) at REVIEW_PACK_AT."""
    from apscheduler.triggers.cron import CronTrigger

    hour, minute = app.config["REVIEW_PACK_AT"].split(":")
    return CronTrigger(
        month="1,4,7,10",
        day=1,
        hour=int(hour),
        minute=int(minute),
        timezone=app.config["TIMEZONE"],
    )


def periodic() -> list[PeriodicJob]:
    """The quarter's review packs: on the first day of a quarter, before the rules' daily
    run (so the reminder that a pack is ready finds it)."""
    return [PeriodicJob("review_packs", _review_packs, _quarter_start)]
