"""Words for the states of a submission."""

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "submitted": _l("Awaiting triage"),
    "accepted": _l("Accepted as a new item"),
    "merged": _l("Merged into an item"),
    "declined": _l("Declined"),
}


def register_history() -> None:
    """How submissions' audit events read (core/history.py)."""
    from app.core import history

    history.register(
        "intake_submission",
        _l("Submission"),
        actions={
            "submitted": _l("Submitted"),
            "accepted": _l("Accepted"),
            "declined": _l("Declined"),
            "merged": _l("Merged"),
        },
        values={"state": STATE_LABELS},
        names=("title",),
    )
    history.register("issue", actions={"intake_merged": _l("Submission merged in")})
