"""Words for the codes: statuses, priorities, sources, lights."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "new": _l("To analyse"),
    "planning": _l("Planning"),
    "in_progress": _l("In progress"),
    "verifying": _l("Awaiting verification"),
    "closed": _l("Closed"),
    "blocked": _l("Blocked"),
    "dropped": _l("Dropped"),
}
PRIORITY_LABELS = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}
SOURCE_LABELS = {
    "research": _l("Research"),
    "meeting": _l("Meeting"),
    "intake": _l("Frontline intake"),
    "escalation": _l("Escalation"),
    "other": _l("Other"),
}
LIGHT_LABELS = {
    "red": _l("Red"),
    "yellow": _l("Yellow"),
    "green": _l("Green"),
    "grey": _l("Done"),
}
ACTION_PRIORITY_LABELS = {1: _l("P1 · act first"), 2: _l("P2"), 3: _l("P3 · later")}
