"""Words for the codes: statuses, priorities, sources, lights."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "new": _l("To analyse"),
    "planning": _l("Planning"),
    "in_progress": _l("In progress"),
    "verifying": _l("Awaiting verification"),
    "closed": _l("Closed"),
    "blocked": _l("Blocked"),
    "dropped": _l("Dropped"),
}
PRIORITY_LABELS = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}
SOURCE_LABELS = {
    "research": _l("Research"),
    "meeting": _l("Meeting"),
    "intake": _l("Frontline intake"),
    "escalation": _l("Escalation"),
    "other": _l("Other"),
}
LIGHT_LABELS = {
    "red": _l("Red"),
    "yellow": _l("Yellow"),
    "green": _l("Green"),
    "grey": _l("Done"),
}
# A link (关联) as the item at hand reads it (service/relations.py).
LINK_LABELS = {
    "blocks": _l("Blocks"),
    "blocked_by": _l("Blocked by"),
    "relates": _l("Related to"),
    "duplicates": _l("Duplicate of"),
    "duplicated_by": _l("Duplicated by"),
}
ACTION_PRIORITY_LABELS = {1: _l("P1 · act first"), 2: _l("P2"), 3: _l("P3 · later")}


def register_history() -> None:
    """How the problem list's audit events read (core/history.py)."""
    from app.core import history

    history.register_reference("user", "user", ("display_name",))
    history.register_reference("category", "category", ("name",))
    history.register_reference("issue", "issue", ("code",))
    history.register(
        "category",
        _l("Category"),
        actions={"reordered": _l("Reordered")},
        fields={"parent_id": _l("Parent category"), "position": _l("Position")},
        values={"parent_id": "category"},
        names=("name",),
    )
    history.register(
        "saved_view",
        _l("Shared view"),
        actions={"renamed": _l("Renamed"), "deleted": _l("Deleted")},
        fields={"query": _l("Filter"), "name": _l("Name")},
        names=("name",),
    )
    history.register(
        "issue",
        _l("Item"),
        actions={
            "created": _l("Item created"),
            "updated": _l("Item edited"),
            "status_changed": _l("Status changed"),
            "acknowledged": _l("Acknowledged"),
            "reassigned": _l("Reassigned"),
            "rescheduled": _l("Deadline moved"),
            "progress": _l("Progress reported"),
            "milestone_added": _l("Milestone added"),
            "milestone_done": _l("Milestone reached"),
            "milestone_reopened": _l("Milestone reopened"),
            "milestone_rescheduled": _l("Milestone moved"),
            "subtask_added": _l("Subtask added"),
            "subtask_done": _l("Subtask done"),
            "subtask_reopened": _l("Subtask reopened"),
            "attachment_added": _l("Evidence file added"),
            "action": _l("Meeting action item"),
            "decided": _l("Decision applied"),
            "linked": _l("Link added"),
            "unlinked": _l("Link removed"),
        },
        fields={
            "title": _l("Title"),
            "description": _l("Description"),
            "solution": _l("Solution"),
            "category_id": _l("Category"),
            "deadline": _l("Deadline"),
            "priority": _l("Priority"),
            "major": _l("Major item"),
            "source": _l("Source"),
            "status_reason": _l("Reason"),
            "percent": _l("Progress (%)"),
            "milestone": _l("Milestone"),
            "subtask": _l("Subtask"),
            "verification_note": _l("Verification note"),
            "collaborators": _l("Collaborators"),
            "attachment": _l("Evidence file"),
            "link_kind": _l("Link"),
            "linked_issue": _l("Linked item"),
        },
        values={
            "status": STATUS_LABELS,
            "priority": PRIORITY_LABELS,
            "source": SOURCE_LABELS,
            "light": LIGHT_LABELS,
            "category_id": "category",
            "collaborators": "user",
            "link_kind": LINK_LABELS,
            "linked_issue": "issue",
        },
        names=("code", "title"),
    )
