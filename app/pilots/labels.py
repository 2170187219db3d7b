"""Words for the pilots' codes: stages, outcomes, rollout statuses."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l

STATUS_LABELS = {
    "planned": _l("Planned"),
    "running": pgettext_l("pilot stage", "Running"),
    "reviewing": _l("Under review"),
    "decided": _l("Decided: roll out"),
    "rolling_out": _l("Rolling out"),
    "completed": _l("Completed"),
    "stopped": _l("Stopped"),
}
# The button that moves a pilot into each stage.
MOVE_LABELS = {
    "running": _l("Start the pilot"),
    "reviewing": _l("Start the review"),
    "rolling_out": _l("Start the rollout"),
    "completed": _l("Complete"),
}
OUTCOME_LABELS = {
    "roll_out": _l("Roll out"),
    "extend": _l("Extend"),
    "stop": _l("Stop"),
}
ROLLOUT_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "not_applicable": _l("Not applicable"),
    "late": pgettext_l("rollout", "Late"),
    "pilot": _l("Pilot site"),
}


def register_history() -> None:
    """How the pilots' audit events read (core/history.py)."""
    from app.core import history

    history.register(
        "pilot",
        _l("Pilot"),
        actions={
            "created": _l("Pilot created"),
            "updated": _l("Pilot edited"),
            "status": _l("Stage changed"),
            "decided": _l("Pilot decided"),
            "evidence_added": _l("Evidence added"),
            "objective_added": _l("Objective added"),
            "result_recorded": _l("Result recorded"),
            "reviewed": _l("Review written"),
            "rollout_planned": _l("Rollout planned"),
            "rollout_updated": _l("Rollout updated"),
        },
        fields={
            "objective": _l("Objective"),
            "what_worked": _l("What worked"),
            "what_did_not": _l("What did not work"),
            "lessons": _l("Lessons"),
            "decision": _l("Decision"),
            "decision_rationale": _l("Rationale"),
            "decided_at": _l("Decided on"),
            "decided_by_id": _l("Decided by"),
            "units": _l("Units"),
            "done_on": _l("Done on"),
            "actual": _l("Actual"),
            "measured_on": _l("Measured on"),
            "evidence": _l("Evidence"),
        },
        values={
            "status": {**ROLLOUT_LABELS, **STATUS_LABELS},
            "decision": OUTCOME_LABELS,
            "decided_by_id": "user",
            "units": "org_unit",
        },
        names=("name",),
    )
