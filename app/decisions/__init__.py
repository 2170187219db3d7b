"""Escalations and the decision register, supervision and nudges, scorecards and incentives."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Escalations' pages and menu entries; their panels on items and meetings, "my items",
    due dates on the calendar, pending ones on the agenda; the review pack's sections; the
    reminder of overdue escalations and the digest's decisions due."""
    from app.core import hooks, nav
    from app.core import reminders as reminder_rules
    from app.decisions import models as _models  # noqa: F401  (registers the tables)
    from app.decisions import reminders, review, views

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    hooks.ISSUE_PANELS.provide(views._escalation_panel)
    hooks.MY_ITEMS.provide(views._my_escalations)
    hooks.CALENDAR.provide(views._escalation_due_dates)
    hooks.AGENDA.provide(views._pending_escalations)
    hooks.MEETING_PANELS.provide(views._decisions_of_meeting)
    for section in review.SECTIONS:
        hooks.REVIEW_SECTIONS.register(section)
    reminder_rules.RULES.register(reminders.ESCALATION_OVERDUE)
    reminder_rules.add_digest_section(reminders.DECISIONS_DUE)
    # A discussion on each escalation; its raiser follows it.
    from sqlalchemy.orm import joinedload

    from app import discussion
    from app.decisions.models import Escalation

    discussion.register_kind(
        discussion.ThreadKind(
            name="escalation",
            model=Escalation,
            read_action="escalation.view",
            url=lambda e: f"/escalations/{e.id}",
            title=lambda e: f"{e.issue.code} {' '.join(e.question.split())[:40]}",
            participants=lambda e: {e.raised_by_id},
            options=(joinedload(Escalation.issue),),
        )
    )

    from app.decisions import labels as _labels

    _labels.register_history()
