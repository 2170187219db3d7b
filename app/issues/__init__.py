"""The problem list (问题清单): categories, issues, their workflow and traffic lights."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The problem list's pages and menu entries."""
    from app.core import nav
    from app.issues import models as _models  # noqa: F401  (registers the tables)
    from app.issues import saved_view_models as _saved  # noqa: F401
    from app.issues import saved_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(saved_views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)

    from app.issues import labels as _labels

    _labels.register_history()
