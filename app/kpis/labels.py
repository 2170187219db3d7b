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

BREAKDOWN_LABELS = {"quarter": _l("By quarter"), "month": _l("By month")}
AGGREGATION_LABELS = {
    "sum": _l("Sum of the units"),
    "weighted": _l("Average weighted by each unit's weight"),
    "ratio": _l("Ratio recomputed from the units' numerators and denominators"),
}
LIGHT_LABELS = {
    "green": _l("On pace"),
    "yellow": _l("Slightly behind"),
    "red": _l("Behind pace"),
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
            "breakdown_set": _l("Breakdown set"),
            "targets_set": _l("Unit targets changed"),
            "targets_imported": _l("Unit targets imported"),
            "unit_readings_set": _l("Unit readings entered"),
            "unit_readings_imported": _l("Unit readings imported"),
        },
        fields={
            "unit": _l("Unit"),
            "direction": _l("Direction"),
            "breakdown": _l("Breakdown"),
            "aggregation": _l("Roll-up"),
            "tolerance": _l("Tolerance (points)"),
            "units": _l("Org units"),
        },
        values={
            "unit": UNIT_LABELS,
            "direction": DIRECTION_LABELS,
            "breakdown": BREAKDOWN_LABELS,
            "aggregation": AGGREGATION_LABELS,
        },
        names=("name",),
    )
