"""Meetings: cadences, agendas built from the data, minutes, action items, calendar."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Meetings' pages and menu entries; action items in "my items", the meetings others
    may point at, meetings on an item's page, the calendar's meetings and deadlines; the
    review pack's section; the reminders of meetings and the digest's meetings this week."""
    from app.core import hooks, nav
    from app.core import reminders as reminder_rules
    from app.meetings import calendar, reminders, review, views
    from app.meetings import models as _models  # noqa: F401  (registers the tables)

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    hooks.MY_ITEMS.provide(views._my_action_items, reads={"action_item", "meeting"})
    hooks.MEETING_CHOICES.provide(views._meeting_choices)
    hooks.ISSUE_PANELS.provide(
        views._meetings_of_issue,
        reads={"meeting", "agenda_item", "action_item", "subtask", "user"},
    )
    # A discussion on each meeting; its chair follows it.
    from app import discussion
    from app.meetings.models import Meeting

    discussion.register_kind(
        discussion.ThreadKind(
            name="meeting",
            model=Meeting,
            read_action="meeting.view",
            url=lambda m: f"/meetings/{m.id}",
            title=lambda m: m.title,
            participants=lambda m: {m.chair_id},
        )
    )
    hooks.CALENDAR.provide(
        calendar.meeting_events,
        reads={"meeting", "meeting_attendance", "user", "org_unit"},
    )
    hooks.CALENDAR.provide(calendar.issue_events)
    hooks.REVIEW_SECTIONS.register(review.SECTION)
    from app.meetings import facts

    hooks.REVIEW_FACTS.provide(facts.facts)
    for rule in reminders.RULES:
        reminder_rules.RULES.register(rule)
    reminder_rules.add_digest_section(reminders.MEETINGS_THIS_WEEK)

    from app.meetings import labels as _labels

    _labels.register_history()
