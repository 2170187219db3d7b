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
