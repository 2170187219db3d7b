"""Front-line submissions (调研意见) and their triage."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The intake queue's pages and menu entries; the review pack's section."""
    from app.core import hooks, nav
    from app.intake import models as _models  # noqa: F401  (registers the tables)
    from app.intake import review, views

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    hooks.REVIEW_SECTIONS.register(review.SECTION)

    from app.intake import labels as _labels

    _labels.register_history()
