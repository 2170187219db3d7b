"""Words for the codes of meetings."""

from flask_babel import lazy_gettext as _l

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
    "late": _l("Late"),
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
