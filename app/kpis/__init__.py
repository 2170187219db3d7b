"""Goal figures (KPIs) and their readings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Goal figures' pages and menu entry; the review pack's section; the org units'
    results for the scorecards."""
    from app.core import hooks, nav
    from app.kpis import breakdown_views as _breakdown_views  # noqa: F401  (its routes)
    from app.kpis import by_unit, review, views
    from app.kpis import grid_views as _grid  # noqa: F401  (adds its routes to views.bp)
    from app.kpis import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    hooks.REVIEW_SECTIONS.register(review.SECTION)
    from app.kpis import bulletin

    hooks.BULLETIN_SECTIONS.register(bulletin.SECTION)
    from app.kpis import facts

    hooks.REVIEW_FACTS.provide(facts.facts)
    hooks.UNIT_RESULTS.provide(by_unit.unit_results)

    from app.kpis import labels as _labels

    _labels.register_history()
