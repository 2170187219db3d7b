"""The battle map (作战图): the task force's home page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The battle map and its menu entry."""
    from app.core import nav
    from app.core.web import UrlPattern
    from app.dashboard import views

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    # Links by the hundred on one page: each address built once (core.web.UrlPattern).
    app.jinja_env.globals.setdefault("url_pattern", UrlPattern)
