"""Reminders and notifications: rules that write the outbox, and delivery over channels."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The notifications' pages, ``flask reminders`` and ``flask scheduler``; the reminder
    rules about items, memberships and the weekly digest; the periodic jobs of the rules,
    the delivery pass and the purge of old login records."""
    from app.core import reminders
    from app.core import scheduler as periodic
    from app.notify import cli, rules, scheduler, views
    from app.notify import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    cli.register(app)
    for rule in rules.OWN_RULES:
        reminders.RULES.register(rule)
    periodic.PERIODIC.register(scheduler.jobs)
