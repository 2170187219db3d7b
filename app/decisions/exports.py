"""The decision register as an Excel workbook (openpyxl), Chinese headers first.

Every row goes through ``app.core.sheets.append_row``: text typed by people that a
spreadsheet would run is a quote-prefixed text cell (shown as typed, never run), and text
longer than a cell holds is cut with a note.
"""

from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _

from app.core import clock
from app.core.sheets import append_row
from app.decisions.labels import ESCALATION_STATUS_LABELS, KIND_LABELS, LEVEL_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _meeting_text(meeting) -> str:
    return f"{meeting.day.isoformat()} {meeting.label}" if meeting else ""


def register_workbook(rows, meetings: dict | None = None) -> bytes:
    """The register's rows; ``meetings`` by id (``hooks.MeetingChoice``) name the meeting
    each decision was taken in."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Decision register")[:31]
    headers = [
        _("Item"),
        _("Title"),
        _("Kind"),
        _("Level"),
        _("Question"),
        _("Options"),
        _("Recommendation"),
        _("Raised by"),
        _("Raised on"),
        _("Due"),
        _("Status"),
        _("Decision"),
        _("Chosen option"),
        _("Rationale"),
        _("Decided by"),
        _("Decided on"),
        _("Days to decision"),
        _("Overdue"),
        _("Decided in"),
    ]
    sheet.append(headers)
    for row in rows:
        escalation, decision = row.escalation, row.decision
        meeting = (meetings or {}).get(decision.meeting_id) if decision else None
        append_row(
            sheet,
            (
                escalation.issue.code,
                escalation.issue.title,
                str(KIND_LABELS[escalation.kind]),
                str(LEVEL_LABELS[escalation.level]),
                escalation.question,
                "\n".join(escalation.options),
                escalation.recommendation,
                escalation.raised_by.display_name,
                clock.local_date(escalation.raised_at),
                escalation.due_on,
                str(ESCALATION_STATUS_LABELS[escalation.status]),
                decision.text if decision else "",
                decision.chosen_option if decision else "",
                decision.rationale if decision else "",
                row.decider_name or "",
                clock.local_date(decision.decided_at) if decision else None,
                row.days_to_decision,
                _("Yes") if row.overdue else _("No"),
                _meeting_text(meeting),
            ),
        )
    widths = [10, 30, 12, 10, 40, 30, 30, 10, 12, 12, 10, 40, 20, 30, 10, 12, 10, 8, 30]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
