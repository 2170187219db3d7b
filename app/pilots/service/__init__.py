"""Pilots' rules: lifecycle with its guards, objectives, review, decision, rollout, queries.

Every function takes the acting user, asks the permission table (``pilot.work`` and
``rollout.update`` with their rules about the object: the leaders act on any pilot; its
owner and the owners of its rollout tasks work on it), writes the audit event and
flushes; the caller's boundary commits (``core.unit``). The package re-exports its public
names: the lifecycle and the decision, objectives and the review, the rollout, coverage
and lights, and the queries.
"""

from __future__ import annotations

from app.pilots.service.figures import (
    Coverage,
    coverage_by_pilot,
    coverage_history,
    coverage_of,
    light_expression,
    light_of,
    rollout_light,
)
from app.pilots.service.lifecycle import (
    TRANSITIONS,
    PilotInput,
    allowed_transitions,
    change_status,
    create_pilot,
    decide,
    update_pilot,
)
from app.pilots.service.queries import (
    Matrix,
    PilotRow,
    evidence_of,
    get_evidence,
    get_objective,
    get_pilot,
    get_rollout,
    list_pilots,
    load_pilot,
    matrix,
    open_rollout_tasks,
    pilot_rows,
    pilots_for_issue,
    pilots_under_review,
    rollout_dates,
)
from app.pilots.service.review import (
    add_evidence,
    add_objective,
    readable_evidence,
    record_result,
    record_review,
)
from app.pilots.service.rollout import (
    RolloutInput,
    plan_rollout,
    update_rollout,
)

__all__ = [
    "Coverage",
    "Matrix",
    "PilotInput",
    "PilotRow",
    "RolloutInput",
    "TRANSITIONS",
    "add_evidence",
    "add_objective",
    "allowed_transitions",
    "change_status",
    "coverage_by_pilot",
    "coverage_history",
    "coverage_of",
    "create_pilot",
    "decide",
    "evidence_of",
    "readable_evidence",
    "get_evidence",
    "get_objective",
    "get_pilot",
    "get_rollout",
    "light_expression",
    "light_of",
    "list_pilots",
    "load_pilot",
    "matrix",
    "open_rollout_tasks",
    "pilot_rows",
    "pilots_for_issue",
    "pilots_under_review",
    "plan_rollout",
    "record_result",
    "record_review",
    "rollout_dates",
    "rollout_light",
    "update_pilot",
    "update_rollout",
]
