"""Pilots (试点) and their rollout (复制推广)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Pilots' pages and menu entry; rollout tasks in "my items", pilots on an item's page,
    pilots under review on the agenda, rollout dates on the calendar; the review pack's
    section."""
    from app.core import hooks, nav
    from app.pilots import models as _models  # noqa: F401  (registers the tables)
    from app.pilots import review, views

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    hooks.MY_ITEMS.provide(views._my_rollout_tasks, reads={"rollout_task", "pilot", "org_unit"})
    hooks.ISSUE_PANELS.provide(views._pilots_of_issue, reads={"pilot", "pilot_issue"})
    # A discussion on each pilot; its owner follows it.
    from app import discussion
    from app.pilots.models import Pilot

    discussion.register_kind(
        discussion.ThreadKind(
            name="pilot",
            model=Pilot,
            read_action="pilot.view",
            url=lambda p: f"/pilots/{p.id}",
            title=lambda p: p.name,
            participants=lambda p: {p.owner_id} - {None},
        )
    )
    hooks.AGENDA.provide(views._pilots_under_review)
    hooks.CALENDAR.provide(views._rollout_dates, reads={"rollout_task", "pilot", "org_unit"})
    hooks.REVIEW_SECTIONS.register(review.SECTION)
    from app.pilots import facts

    hooks.REVIEW_FACTS.provide(facts.facts)

    from app.pilots import labels as _labels

    _labels.register_history()
