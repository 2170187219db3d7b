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


def register_history() -> None:
    """How escalations' and incentives' audit events read (core/history.py)."""
    from app.core import history

    history.register(
        "escalation",
        _l("Escalation"),
        actions={"raised": _l("Escalation raised"), "scheduled": _l("Scheduled")},
        fields={
            "kind": _l("Kind"),
            "level": _l("Level"),
            "decision": _l("Decision"),
            "scheduled_for": _l("Scheduled for"),
        },
        values={"kind": KIND_LABELS, "level": LEVEL_LABELS, "status": ESCALATION_STATUS_LABELS},
        names=("question",),
    )
    history.register(
        "instruction",
        _l("Leader's instruction"),
        actions={
            "written": _l("Instruction written"),
            "read": _l("Instruction read"),
            "answered": _l("Instruction answered"),
        },
        fields={"answer": _l("How it is carried out")},
    )
    history.register(
        "incentive",
        _l("Incentive"),
        actions={"recorded": _l("Incentive recorded")},
        fields={"polarity": _l("Polarity"), "kind": _l("Kind")},
        values={"polarity": POLARITY_LABELS, "kind": INCENTIVE_KIND_LABELS},
    )
    history.register(
        "issue",
        actions={
            "escalated": _l("Escalated"),
            "nudged": _l("Nudged"),
            "supervised": _l("Put under supervision"),
            "supervision_lifted": _l("Supervision lifted"),
        },
        fields={
            "escalation": _l("Escalation"),
            "supervised": _l("Under supervision"),
            "nudges": _l("Nudges"),
        },
        values={"escalation": "escalation"},
    )
    # An item's "escalated" event holds the escalation's id: it reads as its question.
    history.register_reference("escalation", "escalation", ("question",))
