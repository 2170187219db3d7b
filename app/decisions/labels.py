"""Words for the codes of escalations, decisions and incentives."""

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "communication": _l("Escalated communication"),
    "decision": _l("Escalated decision"),
    "supervision": _l("Escalated supervision"),
}
LEVEL_LABELS = {
    "exec_leader": _l("Executive leader"),
    "leader": _l("Leader"),
}
ESCALATION_STATUS_LABELS = {
    "pending": _l("Awaiting decision"),
    "decided": _l("Decided"),
}
POLARITY_LABELS = {
    "positive": _l("Positive"),
    "negative": _l("Negative"),
}
INCENTIVE_KIND_LABELS = {
    "commendation": _l("Commendation"),
    "bonus": _l("Performance bonus"),
    "promotion": _l("Promotion recommendation"),
    "criticism": _l("Criticism"),
    "deduction": _l("Performance deduction"),
    "other": _l("Other"),
}
