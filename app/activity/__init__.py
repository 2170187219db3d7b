"""The activity stream (动态): who did what in the task force, and what I follow.

Read from the audit log that every service already writes; records nothing itself.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The stream's pages and its menu entry."""
    from app.activity import views
    from app.core import nav

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
