"""Mind map of the problem framework; map and spreadsheet import and export."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The mind map's pages and menu entry."""
    from app.core import nav
    from app.mindmap import views

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
