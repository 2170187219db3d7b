"""Words for the codes of meetings."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l

KIND_LABELS = {
    "progress": _l("Monthly progress meeting"),
    "one_on_one": _l("One-on-one"),
    "review": _l("Quarterly review"),
}
CADENCE_LABELS = {
    "weekly": _l("Weekly"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "custom": _l("Custom rule"),
}
STATE_LABELS = {
    "planned": _l("Planned"),
    "held": _l("Held"),
    "published": _l("Minutes published"),
    "cancelled": _l("Cancelled"),
}
ATTENDANCE_LABELS = {
    "present": _l("Present"),
    "late": pgettext_l("attendance", "Late"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}
EVENT_LABELS = {
    "meeting": _l("Meeting"),
    "deadline": _l("Deadline"),
    "milestone": _l("Milestone"),
    # The kinds other features put on the calendar (hooks.CALENDAR): decisions, pilots.
    "escalation": _l("Escalation"),
    "rollout": _l("Rollout"),
}


def register_history() -> None:
    """How meetings' audit events read (core/history.py)."""
    from app.core import history

    history.register(
        "meeting_series",
        _l("Meeting series"),
        actions={"planned": _l("Meetings planned")},
        fields={
            "kind": _l("Kind"),
            "cadence": _l("Cadence"),
            "rrule": _l("Custom rule"),
            "place": _l("Place"),
            "start_time": _l("Start time"),
            "chair_id": _l("Chair"),
        },
        values={"kind": KIND_LABELS, "cadence": CADENCE_LABELS, "chair_id": "user"},
        names=("name",),
    )
    history.register(
        "meeting",
        _l("Meeting"),
        actions={
            "held": _l("Meeting held"),
            "published": _l("Minutes published"),
            "cancelled": _l("Meeting cancelled"),
            "moved": _l("Meeting moved"),
            "attendance": _l("Attendance recorded"),
            "agenda_built": _l("Agenda built"),
            "agenda_item_added": _l("Agenda item added"),
            "agenda_item_removed": _l("Agenda item removed"),
            "agenda_reordered": _l("Agenda reordered"),
            "action": _l("Action item edited"),
            "action_added": _l("Action item added"),
            "action_done": _l("Action item done"),
            "action_reopened": _l("Action item reopened"),
            "action_to_issue": _l("Action item made an item"),
            "action_to_subtask": _l("Action item made a subtask"),
        },
        fields={
            "decisions": _l("Decisions"),
            "starts_at": _l("Starts at"),
            "place": _l("Place"),
            "minutes": _l("Minutes"),
        },
        values={"status": STATE_LABELS, "kind": KIND_LABELS},
        names=("title",),
    )
