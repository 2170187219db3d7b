"""An action item turned into an item or a subtask is one unit of work: the new item (or
subtask) and the action item's link to it are kept together or not at all."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select

from app.core import audit
from app.core.errors import InvalidTransition
from app.core.scope import unscoped
from app.core.unit import committing
from app.extensions import db
from app.issues.models import Issue, Subtask
from app.meetings import service
from app.meetings.models import ActionItem, Meeting
from app.people.models import User
from tests.meetings.conftest import TODAY
from tests.meetings.helpers import make_action, make_meeting, make_series

TITLE = "梳理重点客户名单并分派"


@pytest.fixture
def action(app, world):
    """An open action item of today's progress meeting, owned by the member."""
    with app.app_context(), unscoped():
        meeting = make_meeting(make_series(world), TODAY, invited=[world.users["leader"]])
        return make_action(meeting, TITLE, owner_id=world.users["member"]).id


@pytest.fixture
def linking_fails(monkeypatch):
    """The step after the item was made (the action item's audit entry) fails."""

    class Failing:
        def __getattr__(self, name):
            return getattr(audit, name)

        def record(self, actor, action, *args, **kwargs):
            if action in ("action_to_issue", "action_to_subtask"):
                raise InvalidTransition("the link could not be written")
            return audit.record(actor, action, *args, **kwargs)

    for convert in (service.action_to_issue, service.action_to_subtask):
        monkeypatch.setattr(sys.modules[convert.__module__], "audit", Failing())


def _state(look, action_id) -> tuple[ActionItem, int, int]:
    with look(), unscoped():
        row = db.session.get(ActionItem, action_id)
        items = db.session.scalar(select(func.count(Issue.id)).where(Issue.title == TITLE))
        subtasks = db.session.scalar(select(func.count(Subtask.id)).where(Subtask.title == TITLE))
        db.session.expunge(row)
        return row, items, subtasks


def _code(look, world) -> str:
    with look(), unscoped():
        return db.session.get(Issue, world.issue_id).code


# --- through a request -----------------------------------------------------------------------


def test_an_action_item_becomes_an_item_that_it_links_to(login, look, world, action):
    response = login("leader").post(
        f"/meetings/actions/{action}/issue", data={f"category_id-{action}": world.category_id}
    )

    assert response.status_code == 302
    row, items, _subtasks = _state(look, action)
    assert items == 1
    with look(), unscoped():
        issue = db.session.scalars(select(Issue).where(Issue.title == TITLE)).one()
        assert (row.issue_id, issue.source) == (issue.id, "meeting")


def test_no_item_is_left_when_linking_the_action_item_fails(
    login, look, world, action, linking_fails
):
    leader = login("leader")

    response = leader.post(
        f"/meetings/actions/{action}/issue", data={f"category_id-{action}": world.category_id}
    )

    assert response.status_code == 302
    assert "the link could not be written" in leader.get(response.headers["Location"]).get_data(
        as_text=True
    )
    row, items, _subtasks = _state(look, action)
    assert (items, row.issue_id) == (0, None)


def test_an_action_item_becomes_a_subtask_that_it_links_to(login, look, world, action):
    response = login("leader").post(
        f"/meetings/actions/{action}/subtask",
        data={f"issue_code-{action}": _code(look, world)},
    )

    assert response.status_code == 302
    row, _items, subtasks = _state(look, action)
    assert subtasks == 1
    assert row.issue_id == world.issue_id and row.subtask_id is not None


def test_no_subtask_is_left_when_linking_the_action_item_fails(
    login, look, world, action, linking_fails
):
    response = login("leader").post(
        f"/meetings/actions/{action}/subtask",
        data={f"issue_code-{action}": _code(look, world)},
    )

    assert response.status_code == 302
    row, _items, subtasks = _state(look, action)
    assert (subtasks, row.subtask_id, row.issue_id) == (0, None, None)


def test_the_decisions_typed_stay_when_the_conversion_after_them_is_refused(
    login, look, world, action, linking_fails
):
    with look(), unscoped():
        meeting = db.session.get(ActionItem, action).meeting
        meeting_id, version = meeting.id, meeting.version

    response = login("leader").post(
        f"/meetings/actions/{action}/issue",
        data={
            f"category_id-{action}": world.category_id,
            "decisions": "纳入下月重点",
            "version": str(version),
        },
    )

    assert response.status_code == 302
    row, items, _subtasks = _state(look, action)
    assert (items, row.issue_id) == (0, None)
    with look(), unscoped():
        # The typing is a unit of its own, kept before the conversion ran.
        assert db.session.get(Meeting, meeting_id).decisions == "纳入下月重点"


# --- through a command's boundary ------------------------------------------------------------


def test_a_command_keeps_the_item_and_the_link_together(app, look, world, action):
    with app.app_context(), unscoped(), committing():
        leader = db.session.get(User, world.users["leader"])
        service.action_to_issue(leader, db.session.get(ActionItem, action), world.category_id)

    row, items, _subtasks = _state(look, action)
    assert items == 1 and row.issue_id is not None


def test_a_command_that_fails_after_the_subtask_was_made_keeps_neither(
    app, look, world, action, linking_fails
):
    with app.app_context(), unscoped():
        leader = db.session.get(User, world.users["leader"])
        with pytest.raises(InvalidTransition), committing():
            service.action_to_subtask(leader, db.session.get(ActionItem, action), world.issue_id)

    row, _items, subtasks = _state(look, action)
    assert (subtasks, row.subtask_id, row.issue_id) == (0, None, None)
