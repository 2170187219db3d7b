"""Accounts, task forces, org units, memberships: login, roster and switching."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The people's pages, the administration under ``/admin`` and ``flask users``."""
    from app.people import admin_views, cli, views
    from app.people import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp, url_prefix="/admin")
    cli.register(app)
