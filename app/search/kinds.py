"""The kinds of rows one can find, for every feature (the search sits on the top floor
and reads them all). Each result is read with the same action that opens its page."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l

from app.decisions.models import Decision, Escalation
from app.discussion.kinds import KINDS as THREAD_KINDS
from app.discussion.models import Comment
from app.intake.models import Submission
from app.issues.models import Issue, Milestone, ProgressUpdate, Subtask
from app.kpis.models import Kpi
from app.meetings.models import ActionItem, AgendaItem, Meeting
from app.pilots.models import Pilot
from app.search.registry import Document, Kind, joined, register

# The page of each object a result may belong to, from its id.
PAGES = {
    "issue": ("issues.issue_detail", "issue_id"),
    "escalation": ("decisions.escalation", "escalation_id"),
    "meeting": ("meetings.meeting_detail", "meeting_id"),
    "pilot": ("pilots.pilot_detail", "pilot_id"),
    "kpi": ("kpis.kpi_detail", "kpi_id"),
}


def page_of(kind: str, ident: int | None, **args) -> str:
    endpoint, arg = PAGES[kind]
    return url_for(endpoint, **{arg: ident}, **args)


def _own(kind: str):
    return lambda entry: page_of(kind, entry.object_id)


def _parent(entry) -> str:
    return page_of(entry.parent_kind, entry.parent_id)


def _issue(issue: Issue) -> Document:
    return Document(
        f"{issue.code} {issue.title}",
        joined(issue.description, issue.solution),
        issue.task_force_id,
        "issue.view",
        issue.owner_id,
        issue.created_at,
        ("issue", issue.id),
    )


def _on_issue(title: str, body: str, person_id: int | None):
    def document(row) -> Document:
        return Document(
            title, body, row.task_force_id, "issue.view", person_id, row.created_at,
            ("issue", row.issue_id),
        )  # fmt: skip

    return document


def _comment(comment: Comment) -> Document | None:
    thread = THREAD_KINDS.get(comment.target_kind)
    if comment.deleted_at is not None or thread is None or comment.target_kind not in PAGES:
        return None
    return Document(
        "",
        comment.body,
        comment.task_force_id,
        thread.read_action,
        comment.author_id,
        comment.created_at,
        (comment.target_kind, comment.target_id),
    )


def _comment_link(entry) -> str:
    return page_of(entry.parent_kind, entry.parent_id, comment=entry.object_id)


def _meeting(meeting: Meeting) -> Document:
    return Document(
        meeting.title, meeting.decisions, meeting.task_force_id, "meeting.view",
        meeting.chair_id, meeting.starts_at, ("meeting", meeting.id),
    )  # fmt: skip


def _agenda_item(item: AgendaItem) -> Document | None:
    if not item.minutes:
        return None  # an agenda line without minutes is found through its meeting
    return Document(
        item.title, item.minutes, item.task_force_id, "meeting.view", None, None,
        ("meeting", item.meeting_id),
    )  # fmt: skip


def _action_item(item: ActionItem) -> Document:
    return Document(
        item.title, "", item.task_force_id, "meeting.view", item.owner_id, item.created_at,
        ("meeting", item.meeting_id),
    )  # fmt: skip


def _escalation(escalation: Escalation) -> Document:
    return Document(
        "", joined(escalation.question, escalation.recommendation), escalation.task_force_id,
        "escalation.view", escalation.raised_by_id, escalation.raised_at,
        ("issue", escalation.issue_id),
    )  # fmt: skip


def _decision(decision: Decision) -> Document:
    return Document(
        "", joined(decision.text, decision.chosen_option, decision.rationale),
        decision.task_force_id, "escalation.view", decision.decided_by_id, decision.decided_at,
        ("escalation", decision.escalation_id),
    )  # fmt: skip


def _pilot(pilot: Pilot) -> Document:
    body = joined(
        pilot.measure, pilot.what_worked, pilot.what_did_not, pilot.lessons,
        pilot.decision_rationale,
    )  # fmt: skip
    return Document(
        pilot.name, body, pilot.task_force_id, "pilot.view", pilot.owner_id, pilot.created_at,
        ("pilot", pilot.id),
    )  # fmt: skip


def _kpi(kpi: Kpi) -> Document:
    return Document(
        kpi.name, kpi.description, kpi.task_force_id, "kpi.view", None, kpi.created_at,
        ("kpi", kpi.id),
    )  # fmt: skip


def _submission(submission: Submission) -> Document:
    # Read by those who triage; its submitter finds their own (service.visible).
    return Document(
        submission.title, submission.description, submission.task_force_id, "intake.triage",
        submission.submitter_id, submission.created_at,
    )  # fmt: skip


def _submission_link(entry) -> str:
    if entry.view_here:
        return url_for("intake.triage", submission_id=entry.object_id)
    return url_for("intake.mine")


def register_all() -> None:
    """Every feature's rows, in the order the kind filter lists them."""
    register(Kind("issue", pgettext_l("search kind", "Items"), Issue, _issue, _own("issue"), 10))
    register(
        Kind(
            "progress_update", _l("Progress notes"), ProgressUpdate,
            lambda note: _on_issue("", note.note, note.author_id)(note), _parent, 20,
        )
    )  # fmt: skip
    register(Kind("comment", _l("Comments"), Comment, _comment, _comment_link, 30))
    register(
        Kind(
            "milestone", _l("Milestones"), Milestone,
            lambda row: _on_issue(row.title, "", None)(row), _parent, 40,
        )
    )  # fmt: skip
    register(
        Kind(
            "subtask", _l("Subtasks"), Subtask,
            lambda row: _on_issue(row.title, "", row.owner_id)(row), _parent, 41,
        )
    )  # fmt: skip
    register(Kind("meeting", _l("Meetings and minutes"), Meeting, _meeting, _own("meeting"), 50))
    register(Kind("agenda_item", _l("Minutes"), AgendaItem, _agenda_item, _parent, 51))
    register(Kind("action_item", _l("Action items"), ActionItem, _action_item, _parent, 52))
    register(Kind("escalation", _l("Escalations"), Escalation, _escalation, _own("escalation"), 60))
    register(
        Kind("decision", pgettext_l("search kind", "Decisions"), Decision, _decision, _parent, 61)
    )
    register(Kind("pilot", _l("Pilots"), Pilot, _pilot, _own("pilot"), 70))
    register(Kind("kpi", _l("Goal figures"), Kpi, _kpi, _own("kpi"), 80))
    register(
        Kind(
            "intake_submission", pgettext_l("search kind", "Frontline submissions"),
            Submission, _submission, _submission_link, 90,
        )
    )  # fmt: skip
