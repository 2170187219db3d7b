"""Escalations and the decision register, supervision and nudges, scorecards and incentives."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Escalations' pages and menu entries; their panels on items and meetings, "my items",
    due dates on the calendar, pending ones on the agenda; the leaders' instructions (批示)
    at the top of an item and deadline extension requests (延期申请) in its panels; the
    review pack's sections; the reminders of overdue escalations and unanswered
    instructions, and the digest's decisions due."""
    from app.core import hooks, nav
    from app.core import reminders as reminder_rules
    from app.decisions import (
        extension_review,
        extension_views,
        instruction_views,
        reminders,
        review,
        views,
    )
    from app.decisions import extensions as _extensions  # noqa: F401  (registers the table)
    from app.decisions import instructions as _instructions  # noqa: F401  (the table)
    from app.decisions import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    app.register_blueprint(instruction_views.bp)
    app.register_blueprint(extension_views.bp)
    # The item's panels are kept on its page until a table they read changes.
    hooks.ISSUE_BANNERS.provide(
        instruction_views.issue_banner, reads={"instruction", "escalation", "user"}
    )
    for item in views.NAV_ITEMS:
        nav.register(item)
    # The deadline's extensions first: the original deadline stays in view near the top.
    hooks.ISSUE_PANELS.provide(
        extension_views._extension_panel, reads={"deadline_extension", "user"}
    )
    hooks.ISSUE_PANELS.provide(
        views._escalation_panel, reads={"escalation", "decision", "nudge", "user"}
    )
    # Of the items, their headings alone: a progress note leaves these kept.
    hooks.MY_ITEMS.provide(views._my_escalations, reads={"escalation", "issue:heading"})
    hooks.MY_ITEMS.provide(
        extension_views._my_extensions, reads={"deadline_extension", "issue:heading", "user"}
    )
    hooks.CALENDAR.provide(views._escalation_due_dates, reads={"escalation", "issue:heading"})
    hooks.AGENDA.provide(views._pending_escalations)
    hooks.MEETING_PANELS.provide(views._decisions_of_meeting)
    for section in review.SECTIONS:
        hooks.REVIEW_SECTIONS.register(section)
    hooks.REVIEW_SECTIONS.register(extension_review.SECTION)
    from app.decisions import bulletin

    for section in bulletin.SECTIONS:
        hooks.BULLETIN_SECTIONS.register(section)
    from app.decisions import facts

    hooks.REVIEW_FACTS.provide(facts.facts)
    reminder_rules.RULES.register(reminders.ESCALATION_OVERDUE)
    reminder_rules.RULES.register(reminders.INSTRUCTION_UNANSWERED)
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
    extension_views.register_history()
