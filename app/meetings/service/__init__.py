"""The rules of meetings: series and their occurrences, the agenda built from the data,
attendance, minutes, publishing, action items, figures for the review.

Every function that writes takes the acting user, checks the permission table (and, for
running a meeting, its rule about the meeting: the chair and the leaders run it; attendees
read) and writes the audit event; it flushes at most, and the request's or the command's
boundary commits (``core.unit``). The package's modules hold one part each; this module
is what the rest of the application calls.
"""

from __future__ import annotations

from app.meetings.service.actions import (
    action_to_issue,
    action_to_subtask,
    actions_of,
    add_action,
    get_action,
    issue_by_code,
    open_actions_of,
    set_action_done,
)
from app.meetings.service.agenda import (
    add_agenda_item,
    adopt_agenda,
    agenda_items,
    build_agenda,
    get_agenda_item,
    grouped,
    move_agenda_item,
    remove_agenda_item,
)
from app.meetings.service.cadence import (
    CoverageRow,
    Figures,
    coverage,
    figures,
)
from app.meetings.service.links import (
    IssueMeeting,
    meeting_choices,
    meetings_of_issue,
)
from app.meetings.service.minutes import (
    TypedRecord,
    attendance,
    keep_typed,
    mark_all_present,
    mark_held,
    publish_minutes,
    record_attendance,
    save_minutes,
)
from app.meetings.service.occurrences import (
    cancel_meeting,
    get_meeting,
    is_future,
    load_meeting,
    move_meeting,
    previous_meeting,
)
from app.meetings.service.series import (
    PLAN_AHEAD,
    SeriesInput,
    create_series,
    get_series,
    list_series,
    occurrence_days,
    plan_ahead,
    plan_occurrences,
    recurrence,
    series_meetings,
    upcoming_and_recent,
    update_series,
)

__all__ = [
    "CoverageRow",
    "Figures",
    "IssueMeeting",
    "PLAN_AHEAD",
    "SeriesInput",
    "TypedRecord",
    "action_to_issue",
    "action_to_subtask",
    "actions_of",
    "add_action",
    "add_agenda_item",
    "adopt_agenda",
    "agenda_items",
    "attendance",
    "build_agenda",
    "cancel_meeting",
    "coverage",
    "create_series",
    "figures",
    "get_action",
    "get_agenda_item",
    "get_meeting",
    "get_series",
    "grouped",
    "is_future",
    "issue_by_code",
    "keep_typed",
    "list_series",
    "load_meeting",
    "mark_all_present",
    "mark_held",
    "meeting_choices",
    "meetings_of_issue",
    "move_agenda_item",
    "move_meeting",
    "occurrence_days",
    "open_actions_of",
    "plan_ahead",
    "plan_occurrences",
    "previous_meeting",
    "publish_minutes",
    "record_attendance",
    "recurrence",
    "remove_agenda_item",
    "save_minutes",
    "series_meetings",
    "set_action_done",
    "upcoming_and_recent",
    "update_series",
]
