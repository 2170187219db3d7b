"""Escalations (提级) and their decisions, supervision (督导) and nudges (催办).

Members raise escalations on items they own or collaborate on, the leaders on any. An
escalation to the executive leader is decided by the executive leader or the leader; one
to the leader by the leader alone. Deciding writes the decision and applies it to the
issue (unblock, new deadline, new owner) in one unit of work, and tells the raiser and the
owner. A supervision escalation puts the item under the leader's supervision (组长督办)
until the leader lifts it. Services flush; the request's or the command's boundary commits
(``core.unit``). The package's modules hold one part each; this module is what the rest
of the application calls.
"""

from __future__ import annotations

from app.decisions.service.decisions import (
    DecisionInput,
    decide,
    schedule,
)
from app.decisions.service.escalations import (
    MAX_OPTIONS,
    EscalationInput,
    QueueRow,
    add_working_days,
    default_due_on,
    escalations_of_issue,
    first_pending_for_person,
    get_escalation,
    load_escalation,
    parse_options,
    pending_due_between,
    pending_for_agenda,
    pending_for_person,
    queue,
    raise_escalation,
    to_decide,
)
from app.decisions.service.meeting_links import (
    MEETING_KIND_ORDER,
    RECENT_MEETING_DAYS,
    UPCOMING_MEETING_DAYS,
    MeetingOptions,
    decisions_in_meeting,
    meeting_choice,
    meeting_options,
    meetings_by_id,
)
from app.decisions.service.register import (
    GroupFigures,
    RegisterFigures,
    RegisterFilter,
    RegisterPage,
    RegisterRow,
    figures_of_register,
    register_figures,
    register_page,
    register_rows,
    rows_of_register,
)
from app.decisions.service.supervision import (
    MAJOR_PRIORITIES,
    BoardPage,
    BoardRow,
    exec_board,
    issue_options,
    leader_board,
    lift_supervision,
    major_clause,
    nudge,
    nudge_count,
)

__all__ = [
    "BoardPage",
    "BoardRow",
    "DecisionInput",
    "EscalationInput",
    "GroupFigures",
    "MAJOR_PRIORITIES",
    "MAX_OPTIONS",
    "MEETING_KIND_ORDER",
    "MeetingOptions",
    "QueueRow",
    "RECENT_MEETING_DAYS",
    "RegisterFigures",
    "RegisterFilter",
    "RegisterPage",
    "RegisterRow",
    "UPCOMING_MEETING_DAYS",
    "add_working_days",
    "decide",
    "decisions_in_meeting",
    "default_due_on",
    "escalations_of_issue",
    "exec_board",
    "figures_of_register",
    "get_escalation",
    "issue_options",
    "leader_board",
    "lift_supervision",
    "load_escalation",
    "major_clause",
    "meeting_choice",
    "meeting_options",
    "meetings_by_id",
    "nudge",
    "nudge_count",
    "parse_options",
    "first_pending_for_person",
    "pending_due_between",
    "pending_for_agenda",
    "pending_for_person",
    "queue",
    "raise_escalation",
    "register_figures",
    "register_page",
    "register_rows",
    "rows_of_register",
    "schedule",
    "to_decide",
]
