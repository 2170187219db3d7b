"""Words for the states of a submission."""

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "submitted": _l("Awaiting triage"),
    "accepted": _l("Accepted as a new item"),
    "merged": _l("Merged into an item"),
    "declined": _l("Declined"),
}
