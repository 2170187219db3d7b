"""The shared ground floor: clock, permissions, scoping, audit, outbox, i18n, caching."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shared tables and data versions, the ground floor's pages, backup and restore;
    the job queue's table and its periodic purge; the rate limits' counters' purge."""
    from app.core import cli, scheduler, views
    from app.core import files as _files  # noqa: F401  (the stored files' chunks)
    from app.core import freshness as _freshness  # noqa: F401  (data versions)
    from app.core import jobs as _jobs  # noqa: F401  (registers the table)
    from app.core import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    cli.register(app)
    _history(app)
    scheduler.PERIODIC.register(_periodic)


def _history(app: Flask) -> None:
    from app.core import history
    from app.core.permissions import ROLE_LABELS

    history.register(values={"role": ROLE_LABELS})
    app.jinja_env.globals["history_lines"] = history.describe


def _periodic():
    from app.core import database, jobs, ratelimit, scheduler

    daily = scheduler.at("REMINDER_DAILY_AT")
    return [
        scheduler.Job("purge_jobs", jobs.purge_finished, daily),
        scheduler.Job("purge_rate_limits", ratelimit.purge_expired, daily),
        scheduler.Job("refresh_statistics", database.refresh_statistics, daily),
    ]
