"""Reminders and notifications: rules that write the outbox, and delivery over channels."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The notifications' pages, ``flask reminders`` and ``flask scheduler``; the reminder
    rules about items, memberships and the weekly digest; the periodic jobs of the rules,
    the delivery pass and the purge of old login records; item events queued for the
    generic webhooks that carry them."""
    from app.core import hooks, reminders
    from app.core import scheduler as periodic
    from app.notify import cli, events, rules, scheduler, views
    from app.notify import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    cli.register(app)
    for rule in rules.OWN_RULES:
        reminders.RULES.register(rule)
    periodic.PERIODIC.register(scheduler.jobs)
    hooks.ITEM_EVENTS.provide(events.queue_item_event)
    _register_history()


def _register_history() -> None:
    """How channels' and deliveries' audit events read (core/history.py)."""
    from flask_babel import lazy_gettext as _l

    from app.core import history
    from app.notify.events import EVENT_LABELS
    from app.notify.forms import CHANNEL_KIND_LABELS

    history.register(
        "notify_channel",
        _l("Channel"),
        actions={
            "channel.create": _l("Channel added"),
            "channel.edit": _l("Channel edited"),
            "channel.test": _l("Channel tested"),
            "channel.secret": _l("Signing secret renewed"),
        },
        fields={
            "result": _l("Result"),
            "kind": _l("Kind"),
            "url": _l("Address"),
            "secret": _l("Signing secret"),
            "enabled": _l("Enabled"),
            "events": _l("Item events"),
            "task_force_id": _l("Task force"),
        },
        values={
            "result": {"ok": _l("Succeeded"), "failed": _l("Failed")},
            "kind": dict(CHANNEL_KIND_LABELS),
            "events": dict(EVENT_LABELS),
            "task_force_id": "task_force",
        },
        names=("name",),
    )
    history.register_reference("task_force", "task_force", ("name",))
    history.register(
        "notify_delivery",
        _l("Delivery"),
        actions={"delivery.retry": _l("Delivery retried")},
        fields={"due_at": _l("Due at"), "attempts": _l("Attempts")},
    )
    history.register(
        "user",
        actions={"notification.preferences": _l("Notification settings changed")},
        fields={
            "channels": _l("Channels"),
            "muted_rules": _l("Muted reminders"),
            "quiet_hours": _l("Quiet hours"),
        },
    )
