"""Words for the pilots' codes: stages, outcomes, rollout statuses."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "planned": _l("Planned"),
    "running": _l("Running"),
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
    "late": _l("Late"),
    "pilot": _l("Pilot site"),
}
