"""Discussion (讨论) and following (关注): a thread with @mentions on every item,
escalation, pilot and meeting, and the followers told of what happens to them.

This floor sits above ``issues`` and below the middle-floor features: it registers the
item's kind of thread itself; decisions, pilots and meetings register theirs
(``register_kind``) in their own ``init_app``, and call ``tell_followers``.
"""

from __future__ import annotations

from flask import Flask

from app.discussion.following import tell_followers
from app.discussion.kinds import ThreadKind, register_kind

__all__ = ["ThreadKind", "init_app", "register_kind", "tell_followers"]


def init_app(app: Flask) -> None:
    """The thread's routes, its panel on pages, the item's kind of thread, followers told
    of an item's status changes, and how its audit events read."""
    from app.core import hooks
    from app.discussion import issues as on_items
    from app.discussion import labels, views
    from app.discussion import models as _models  # noqa: F401  (registers the tables)

    if "discussion" not in app.blueprints:
        app.register_blueprint(views.bp)
    app.jinja_env.globals["thread_panel"] = views.thread_panel
    register_kind(on_items.ISSUE_KIND)
    hooks.ISSUE_EVENTS.provide(on_items.tell_of_issue_event)
    labels.register_history()
