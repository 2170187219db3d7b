"""Words for the KPIs' codes."""

from flask_babel import lazy_gettext as _l

UNIT_LABELS = {
    "yi_yuan": _l("100 million yuan"),
    "percent": "%",
    "count": _l("count"),
}
DIRECTION_LABELS = {
    "up": _l("Higher is better"),
    "down": _l("Lower is better"),
}


def register_history() -> None:
    """How goal figures' audit events read (core/history.py)."""
    from app.core import history

    history.register(
        "kpi",
        _l("Goal figure"),
        actions={
            "reading_added": _l("Reading added"),
            "reading_replaced": _l("Reading corrected"),
            "reading_removed": _l("Reading removed"),
            "readings_imported": _l("Readings imported"),
        },
        fields={"unit": _l("Unit"), "direction": _l("Direction")},
        values={"unit": UNIT_LABELS, "direction": DIRECTION_LABELS},
        names=("name",),
    )
