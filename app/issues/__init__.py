"""The problem list (问题清单): categories, issues, their workflow and traffic lights."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The problem list's pages and menu entries."""
    from app.core import nav
    from app.issues import bulk_views, saved_views, views
    from app.issues import link_views as _link_views  # noqa: F401  (adds its routes)
    from app.issues import links as _links  # noqa: F401  (registers the table)
    from app.issues import models as _models  # noqa: F401  (registers the tables)
    from app.issues import saved_view_models as _saved  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)  # with bulk_views' routes, imported above
    app.register_blueprint(saved_views.bp)
    bulk_views.init_app(app)
    for item in views.NAV_ITEMS:
        nav.register(item)

    from app.issues import labels as _labels

    _labels.register_history()
