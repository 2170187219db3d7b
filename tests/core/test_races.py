"""Two people saving one record at the same instant: the database lets one through, the
other gets the form back (409) with what they typed, and nobody sees a server error.

Each case opens the edit page in two browsers, types something different in each and
presses "Save" in both at once (``tests/races.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from app.pilots.models import REVIEWING, Pilot
from tests.forms import form_on

PASSWORD = "correct horse 1"


@dataclass
class Case:
    name: str
    people: tuple[str, str]
    page: Callable  # world -> the URL of the page with the form
    field: str | Callable  # the field the two people type in (or world -> its name)
    holding: str | None = None  # a field that picks the form on the page, if not ``field``
    choose: dict | None = None  # what else both people choose on the form
    setup: Callable | None = None  # world -> None: puts the record in the state the form needs
    creates: Callable | None = None  # world -> how many rows the save creates (must be one)

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("category", ("leader", "exec_leader"), lambda w: f"/categories/{w.category_id}", "name"),
    Case("issue", ("leader", "exec_leader"), lambda w: f"/issues/{w.issue_id}/edit", "title"),
    Case(
        "issue status",
        ("leader", "exec_leader"),
        lambda w: f"/issues/{w.issue_id}",
        "reason",
        choose={"status": "blocked"},
    ),
    Case("user", ("admin", "admin"), lambda w: f"/admin/users/{w.users['member']}", "display_name"),
    Case("org unit", ("admin", "admin"), lambda w: f"/admin/org-units/{w.org_unit_id}", "name"),
    Case(
        "task force (admin)",
        ("admin", "admin"),
        lambda w: f"/admin/task-forces/{w.task_force_id}",
        "goal",
    ),
    Case("task force (leader)", ("leader", "leader"), lambda w: "/task-force/edit", "goal"),
    Case(
        "series",
        ("leader", "exec_leader"),
        lambda w: f"/meetings/series/{w.ids['series']}/edit",
        "place",
    ),
    Case(
        "meeting minutes",
        ("leader", "exec_leader"),
        lambda w: f"/meetings/{w.ids['meeting']}",
        lambda w: f"minutes-{w.ids['agenda_item']}",
    ),
    Case(
        "meeting decisions",
        ("leader", "exec_leader"),
        lambda w: f"/meetings/{w.ids['meeting']}",
        "decisions",
    ),
    Case(
        "escalation decision",
        ("leader", "exec_leader"),
        lambda w: f"/escalations/{w.ids['escalation']}",
        "text",
        holding="rationale",
    ),
    Case("pilot", ("leader", "exec_leader"), lambda w: f"/pilots/{w.ids['pilot']}/edit", "name"),
    Case(
        "pilot decision",
        ("leader", "exec_leader"),
        lambda w: f"/pilots/{w.ids['pilot']}",
        "rationale",
        holding="outcome",
        choose={"outcome": "stop"},
        setup=lambda w: _pilot_under_review(w),
    ),
    Case(
        "rollout task",
        ("leader", "exec_leader"),
        lambda w: f"/pilots/{w.ids['pilot']}",
        "notes",
    ),
    Case("kpi", ("leader", "exec_leader"), lambda w: f"/kpis/{w.ids['kpi']}/edit", "name"),
    Case(
        "intake decline",
        ("leader", "exec_leader"),
        lambda w: f"/intake/{w.ids['submission']}",
        "reason",
    ),
    Case(
        "intake accept",
        ("leader", "exec_leader"),
        lambda w: f"/intake/{w.ids['submission']}",
        "title",
        holding="priority",
        choose={"category_id": "world"},
        creates=lambda w: db.session.scalar(
            select(func.count(Issue.id)).where(Issue.source == "intake")
        ),
    ),
]


def _pilot_under_review(world) -> None:
    pilot = db.session.get(Pilot, world.ids["pilot"])
    pilot.status, pilot.decision = REVIEWING, None
    db.session.commit()


def _in_a_box(text: str, page: str) -> bool:
    """Is ``text`` the value of a field, or the content of a text box, on ``page``?"""
    return f'value="{text}"' in page or re.search(rf">(\r?\n)?{re.escape(text)}</textarea>", page)


def _browser(app, persona: str):
    client = app.test_client()
    response = client.post("/login", data={"login": persona, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("case", CASES, ids=str)
def test_two_saves_at_once_answer_one_success_and_one_conflict_with_the_input_kept(
    app, world, race, case
):
    if case.setup:
        with app.app_context(), unscoped():
            case.setup(world)
    url = case.page(world)
    field = case.field(world) if callable(case.field) else case.field
    browsers = [_browser(app, persona) for persona in case.people]
    forms = [form_on(b.get(url).get_data(as_text=True), case.holding or field) for b in browsers]
    typed = [f"{case.name}·甲方所填", f"{case.name}·乙方所填"]
    chosen = {
        name: str(world.category_id) if value == "world" else value
        for name, value in (case.choose or {}).items()
    }

    def save(i: int):
        data = MultiDict(forms[i].filled({**chosen, field: typed[i]}))
        return lambda: browsers[i].post(forms[i].action or url, data=data)

    responses = race.run(save(0), save(1))
    codes = [r.status_code for r in responses]
    assert sorted(codes) == [302, 409], codes
    loser = codes.index(409)
    page = responses[loser].get_data(as_text=True)
    # What the loser typed is still in a box on the page, to save again or to copy.
    assert _in_a_box(typed[loser], page)
    assert typed[1 - loser] in browsers[loser].get(url).get_data(as_text=True)  # theirs saved
    if case.creates:
        with app.app_context(), unscoped():
            assert case.creates(world) == 1


# Creating one thing twice at once: both checked that the name was free, the database
# refuses the second; that person gets the form back with a message and their input.
CREATES = [
    Case(
        "kpi",
        ("leader", "exec_leader"),
        lambda w: "/kpis/new",
        "description",
        holding="name",
        choose={"baseline": "100", "target": "200"},
    ),
    Case(
        "task force",
        ("admin", "admin"),
        lambda w: "/admin/task-forces/new",
        "goal",
        holding="name",
        choose={"starts_on": "2026-01-05"},
    ),
]


@pytest.mark.parametrize("case", CREATES, ids=str)
def test_two_people_creating_the_same_thing_at_once_get_one_and_a_message(app, world, race, case):
    url = case.page(world)
    browsers = [_browser(app, persona) for persona in case.people]
    forms = [form_on(b.get(url).get_data(as_text=True), case.holding) for b in browsers]
    typed = [f"{case.name}·甲方所填", f"{case.name}·乙方所填"]
    same = {case.holding: "同时新建的同一名称", **(case.choose or {})}

    def save(i: int):
        data = MultiDict(forms[i].filled({**same, case.field: typed[i]}))
        return lambda: browsers[i].post(forms[i].action or url, data=data)

    responses = race.run(save(0), save(1), at="flush")
    codes = [r.status_code for r in responses]
    assert 302 in codes, [_errors(r) for r in responses]
    loser = 1 - codes.index(302)
    assert codes[loser] in (200, 400)  # the form again, like any refused input
    page = responses[loser].get_data(as_text=True)
    assert 'data-testid="form-errors"' in page
    assert _in_a_box(typed[loser], page) and _in_a_box(same[case.holding], page)


def _errors(response):
    html = response.get_data(as_text=True)
    return re.findall(r'invalid-feedback">([^<]+)<', html) + re.findall(
        r'form-errors">(.*?)</div>', html, re.S
    )


def test_switching_task_force_while_the_account_is_saved_elsewhere_succeeds(
    app, world, monkeypatch
):
    """Another tab, or an administrator, saves the account between the moment this request
    read it and the switch: the switch is no edit of the account and goes through."""
    from app.people.service import task_forces as people

    browser = _browser(app, "leader")
    leader = world.users["leader"]
    real = people.available_task_forces

    def saved_elsewhere_meanwhile(user):
        with db.engine.begin() as other:
            other.execute(
                update(User.__table__)
                .where(User.__table__.c.id == leader)
                .values(version=User.__table__.c.version + 1)
            )
        return real(user)

    monkeypatch.setattr(people, "available_task_forces", saved_elsewhere_meanwhile)
    response = browser.post(f"/switch/{world.task_force_id}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, leader).current_task_force_id == world.task_force_id


def test_a_persons_own_preferences_do_not_make_an_open_account_form_stale(app, world):
    browser = _browser(app, "leader")
    leader = world.users["leader"]
    with app.app_context():
        version = db.session.get(User, leader).version
    browser.post(f"/switch/{world.task_force_id}")
    browser.post("/locale", data={"locale": "en", "next": "/"})
    with app.app_context():
        user = db.session.get(User, leader)
        assert (user.current_task_force_id, user.locale) == (world.task_force_id, "en")
        assert user.version == version


def test_two_items_created_in_one_dimension_at_once_get_two_numbers(app, world, race):
    browsers = [_browser(app, persona) for persona in ("leader", "member")]
    forms = [form_on(b.get("/issues/new").get_data(as_text=True), "title") for b in browsers]

    def create(i: int):
        typed = {"title": f"同时新建{i}", "category_id": str(world.category_id)}
        data = MultiDict(forms[i].filled(typed))
        return lambda: browsers[i].post("/issues/new", data=data)

    responses = race.run(create(0), create(1), at="flush")
    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context(), unscoped():
        codes = db.session.scalars(select(Issue.code).where(Issue.title.like("同时新建%"))).all()
    assert len(set(codes)) == 2


def test_adding_items_does_not_make_an_open_dimension_form_stale(app, world):
    """Numbering an item is no edit of its dimension: the leader editing it saves."""
    leader, member = _browser(app, "leader"), _browser(app, "member")
    url = f"/categories/{world.category_id}"
    form = form_on(leader.get(url).get_data(as_text=True), "name")
    new = form_on(member.get("/issues/new").get_data(as_text=True), "title")
    typed = {"title": "新问题", "category_id": str(world.category_id)}
    assert member.post("/issues/new", data=MultiDict(new.filled(typed))).status_code == 302
    saved = leader.post(url, data=MultiDict(form.filled({"description": "客户端各项问题"})))
    assert saved.status_code == 302
