"""The item's kind of thread, and its followers told of what the workflow does."""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy.orm import selectinload

from app.discussion.following import tell_followers
from app.discussion.kinds import ThreadKind
from app.issues.models import Issue


def _participants(issue: Issue) -> set[int]:
    people = {person.id for person in issue.collaborators}
    if issue.owner_id is not None:
        people.add(issue.owner_id)
    return people


ISSUE_KIND = ThreadKind(
    name="issue",
    model=Issue,
    read_action="issue.view",
    url=lambda issue: f"/issues/{issue.id}",
    title=lambda issue: f"{issue.code} {issue.title}",
    participants=_participants,
    options=(selectinload(Issue.collaborators),),
)


def tell_of_issue_event(
    actor, issue: Issue, kind: str, message: Callable[[], str], key: str, told: Collection[int], /
) -> list:
    """``hooks.ISSUE_EVENTS``: the item's followers hear of a status change (those the
    workflow told already are not told again)."""
    tell_followers(issue, kind, actor, message, key=key, told=told)
    return []
