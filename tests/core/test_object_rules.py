"""The permission table's rules about one object, walked as every role in every relation.

``test_permissions_matrix.py`` walks every route as every role; this walks
``OBJECT_RULES``: for each action with a rule, each task-force role, and each way a person
can stand to an object (owner, collaborator, chair, owner of a rollout task, owner of the
pilot, none), what ``can(user, action, obj)`` answers. A rule added to the table without a
line below fails the suite until it is given one.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.permissions import (
    EXEC_LEADER,
    LEADER,
    MEMBER,
    OBJECT_RULES,
    TASK_FORCE_ROLES,
    TEMP_MEMBER,
    VIEWER,
    can,
)

TF = 7
ME = 1
OTHER = 2
RELATIONS = ("none", "owner", "collaborator", "chair", "rollout_owner", "pilot_owner")
RUNS = {LEADER, EXEC_LEADER}
WORKS = {MEMBER, TEMP_MEMBER}

# action -> (relations that grant a member, roles granted whatever the relation, object kind)
EXPECTED = {
    "issue.work": ({"owner", "collaborator"}, RUNS, "item"),
    "escalation.raise": ({"owner", "collaborator"}, RUNS, "item"),
    "meeting.run": ({"chair"}, RUNS, "meeting"),
    "instruction.answer": ({"owner"}, RUNS, "instruction"),
    "pilot.work": ({"owner", "rollout_owner"}, RUNS, "pilot"),
    "rollout.update": ({"owner", "pilot_owner"}, RUNS, "rollout"),
}


class Person:
    is_authenticated = True

    def __init__(self, role: str | None):
        self.id = ME
        self.role = role

    def roles_in(self, task_force_id):
        return {self.role} if self.role and task_force_id == TF else set()


def _obj(kind: str, relation: str, level: str = LEADER):
    mine = lambda wanted: ME if relation == wanted else OTHER  # noqa: E731
    return SimpleNamespace(
        task_force_id=TF,
        owner_id=mine("owner"),
        collaborators=[SimpleNamespace(id=ME)] if relation == "collaborator" else [],
        chair_id=mine("chair"),
        rollouts=[SimpleNamespace(owner_id=mine("rollout_owner"))],
        pilot=SimpleNamespace(owner_id=mine("pilot_owner")),
        level=level,
        kind=kind,
    )


def test_every_object_rule_is_walked():
    assert set(OBJECT_RULES) == set(EXPECTED) | {
        "escalation.decide",
        "extension.request",
        "extension.decide",
    }


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", TASK_FORCE_ROLES)
@pytest.mark.parametrize("relation", RELATIONS)
def test_an_object_rule_answers_as_the_table_says(action, role, relation):
    relations, roles, kind = EXPECTED[action]
    expected = role in roles or (role in WORKS and relation in relations)
    assert can(Person(role), action, _obj(kind, relation)) is expected


@pytest.mark.parametrize("role", TASK_FORCE_ROLES)
@pytest.mark.parametrize("level", [LEADER, EXEC_LEADER])
def test_an_escalation_is_decided_at_its_level(role, level):
    expected = role == LEADER or (role == EXEC_LEADER and level == EXEC_LEADER)
    assert can(Person(role), "escalation.decide", _obj("escalation", "owner", level)) is expected


@pytest.mark.parametrize("role", TASK_FORCE_ROLES)
@pytest.mark.parametrize("relation", RELATIONS)
def test_only_the_owner_asks_for_a_later_deadline(role, relation):
    """Issue 17: the owner asks, whatever their role on the task force; a collaborator
    or a leader who does not own the item does not; a viewer never does."""
    expected = relation == "owner" and role in WORKS | RUNS
    assert can(Person(role), "extension.request", _obj("item", relation)) is expected


@pytest.mark.parametrize("role", TASK_FORCE_ROLES)
@pytest.mark.parametrize("level", [LEADER, EXEC_LEADER])
def test_an_extension_is_decided_at_the_item_s_level(role, level):
    """The leader alone for a major item (level "leader"), either leader otherwise."""
    expected = role == LEADER or (role == EXEC_LEADER and level == EXEC_LEADER)
    assert can(Person(role), "extension.decide", _obj("extension", "owner", level)) is expected


@pytest.mark.parametrize("action", sorted(OBJECT_RULES))
def test_no_rule_grants_outside_the_object_s_task_force(action):
    stranger = Person(LEADER)
    obj = _obj("any", "owner")
    obj.task_force_id = TF + 1
    assert can(stranger, action, obj) is False


def test_a_viewer_owning_an_item_may_still_not_work_on_it():
    assert can(Person(VIEWER), "issue.work", _obj("item", "owner")) is False


def test_a_task_force_question_ignores_the_object_rule():
    """Asked of a task force (the menu, a page's buttons), the role decides alone."""
    assert can(Person(MEMBER), "issue.work", TF) is True
    assert can(Person(MEMBER), "issue.work", _obj("item", "none")) is False
