"""Saved views (视图) of the problem list and the board: personal and shared, the default
a person's list opens with, a leader's change seen by everyone, one task force's views
never shown in another, and names refused with the input kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.models import AuditEvent
from app.extensions import db
from app.issues.saved_view_models import SavedView, SavedViewDefault
from app.people.models import TaskForce, User
from tests.conftest import in_app
from tests.factories import make_membership


def _save(client, name, query="light=red", **extra):
    data = {"name": name, "query": query, "target": "list", **extra}
    return client.post("/issues/views", data=data)


def _views(app, **where) -> list[SavedView]:
    with in_app(app):
        rows = db.session.scalars(select(SavedView).filter_by(**where).order_by(SavedView.id))
        return [(v.id, v.name, v.shared, v.owner_id, v.query, v.task_force_id) for v in rows]


def _menu_names(client, url="/issues?view=none") -> dict[str, list[str]]:
    html = client.get(url).get_data(as_text=True)
    menu = html.split('data-testid="saved-views-menu"', 1)[1].split("</ul>", 1)[0]

    def names(testid):
        found = re.findall(rf'data-testid="{testid}">([^<]+)<', menu)
        return [n.strip() for n in found]

    return {"mine": names("my-view"), "shared": names("shared-view")}


def test_a_member_saves_a_personal_view_that_only_they_see(app, world, login):
    member = login("member")
    response = _save(member, "红灯事项", query="sort=deadline&light=red&view=3&page=2")
    assert response.status_code == 302
    [(view_id, name, shared, owner, query, tf)] = _views(app, name="红灯事项")
    assert (shared, owner, tf) == (False, world.users["member"], world.task_force_id)
    # Known filter parameters only, in a stable order; not the page, not a view.
    assert query == "light=red&sort=deadline"
    assert response.headers["Location"] == f"/issues?{query}&view={view_id}"

    page = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "红灯事项</strong>" in page  # the menu names the view opened
    assert "红灯事项" in _menu_names(member)["mine"]
    for other in ("leader", "viewer"):
        assert "红灯事项" not in str(_menu_names(login(other)))
    # Nor may another person open it to change it.
    assert login("leader").post(f"/issues/views/{view_id}/delete", data={}).status_code == 404
    assert _views(app, name="红灯事项")


@pytest.mark.parametrize("persona", ["member", "viewer", "temp_member"])
def test_only_the_leaders_share_views(app, world, login, persona):
    client = login(persona)
    assert 'name="shared"' not in client.get("/issues?view=none").get_data(as_text=True)
    response = _save(client, "全组视图", shared="y")
    assert response.status_code == 400
    assert _said(app, response.get_data(as_text=True), "Only the leaders share views.")
    assert _views(app, name="全组视图") == []
    assert not _shared_audit(app)


def _shared_audit(app) -> list[tuple[str, dict]]:
    with in_app(app):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "saved_view").order_by(AuditEvent.id)
        )
        return [(e.action, e.changes) for e in events]


@pytest.mark.parametrize("persona", ["leader", "exec_leader"])
def test_a_leaders_shared_view_and_its_change_are_seen_by_everyone(app, world, login, persona):
    leader = login(persona)
    response = _save(leader, "重大事项", query="major=yes", shared="y")
    assert response.status_code == 302
    [(view_id, _name, shared, *_rest)] = _views(app, name="重大事项")
    assert shared is True
    member = login("member")
    assert _menu_names(member)["shared"] == ["重大事项"]
    assert f"/issues?major=yes&amp;view={view_id}" in member.get("/issues?view=none").get_data(
        as_text=True
    )

    with in_app(app):
        version = db.session.get(SavedView, view_id).version
    response = leader.post(
        f"/issues/views/{view_id}/update",
        data={"query": "major=yes&light=red", "version": version, "target": "board"},
    )
    assert response.headers["Location"] == f"/board?light=red&major=yes&view={view_id}"
    # The member's menu now opens the view with the leader's new filter.
    assert f"/issues?light=red&amp;major=yes&amp;view={view_id}" in member.get(
        "/issues?view=none"
    ).get_data(as_text=True)
    # The member may not change it.
    refused = member.post(
        f"/issues/views/{view_id}/rename", data={"name": "改名", "version": version + 1}
    )
    assert refused.status_code == 400
    assert _views(app, id=view_id)[0][1] == "重大事项"
    assert [action for action, _changes in _shared_audit(app)] == ["created", "updated"]


def test_the_default_view_opens_the_list_and_the_board_and_clear_shows_everything(
    app, world, login
):
    member = login("member")
    _save(member, "红灯", query="light=red", make_default="y")
    [(view_id, *_rest)] = _views(app, name="红灯")
    opened = member.get("/issues")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/issues?light=red&view={view_id}"
    assert member.get("/board").headers["Location"] == f"/board?light=red&view={view_id}"
    everything = member.get("/issues?view=none")
    assert everything.status_code == 200
    assert "view=none" in everything.get_data(as_text=True)  # the clear link keeps it so
    # Someone else's list opens as before.
    assert login("leader").get("/issues").status_code == 200

    member.post(f"/issues/views/{view_id}/default", data={"on": "0"})
    assert member.get("/issues").status_code == 200


def test_deleting_a_shared_view_drops_it_from_everyones_default(app, world, login):
    leader = login("leader")
    _save(leader, "本周到期", query="sort=deadline", shared="y")
    [(view_id, *_rest)] = _views(app, name="本周到期")
    member = login("member")
    member.post(f"/issues/views/{view_id}/default", data={"on": "1"})
    assert member.get("/issues").headers["Location"] == f"/issues?sort=deadline&view={view_id}"
    with in_app(app):
        version = db.session.get(SavedView, view_id).version
    assert member.post(f"/issues/views/{view_id}/delete", data={"version": version}).status_code
    assert _views(app, id=view_id)  # not the member's to delete
    leader.post(f"/issues/views/{view_id}/delete", data={"version": version})
    assert _views(app, id=view_id) == []
    with in_app(app):
        assert db.session.scalars(select(SavedViewDefault)).all() == []
    assert member.get("/issues").status_code == 200
    assert [action for action, _changes in _shared_audit(app)] == ["created", "deleted"]


def test_each_task_force_keeps_its_own_views(app, world, login):
    with in_app(app):
        member = db.session.get(User, world.users["member"])
        other = db.session.get(TaskForce, world.other_task_force_id)
        make_membership(member, other, "member")
        db.session.commit()
    client = login("member")
    client.post(f"/switch/{world.task_force_id}")
    _save(client, "第一组的", query="light=red")
    [(first_id, _n, _s, _o, _q, tf)] = _views(app, name="第一组的")
    assert tf == world.task_force_id
    client.post(f"/switch/{world.other_task_force_id}")
    assert _menu_names(client) == {"mine": [], "shared": []}
    _save(client, "第二组的", query="sort=title")
    [(second_id, _n, _s, _o, _q, tf)] = _views(app, name="第二组的")
    assert tf == world.other_task_force_id
    assert _menu_names(client)["mine"] == ["第二组的"]
    # The first task force's view is not found from the second, whatever its id.
    assert client.post(f"/issues/views/{first_id}/delete", data={}).status_code == 404
    assert "第一组的" not in client.get(f"/issues?view={first_id}").get_data(as_text=True)
    # A stranger of the other task force never sees the first's shared views.
    _save(login("leader"), "全组共享", query="", shared="y")
    assert "全组共享" not in str(_menu_names(login("stranger")))
    client.post(f"/switch/{world.task_force_id}")
    assert _menu_names(client) == {"mine": ["我的红灯", "第一组的"], "shared": ["全组共享"]}
    assert second_id != first_id


def test_bad_names_are_refused_and_the_input_kept(app, world, login):
    member = login("member")
    assert _save(member, "我的视图").status_code == 302
    too_long = "长" * 41
    for name, message, values in (
        ("   ", "Give the view a name.", {}),
        (too_long, "A view name is at most %(n)d characters long.", {"n": 40}),
        ("我的视图", "You already have a view of this name.", {}),
    ):
        response = _save(member, name, query="light=yellow")
        assert response.status_code == 400, name
        page = response.get_data(as_text=True)
        assert _said(app, page, message, **values), name
        assert 'value="light=yellow"' in page  # the filter is kept with the form
        if name.strip():
            assert f'value="{name}"' in page
    assert [v[1] for v in _views(app)] == ["我的红灯", "我的视图"]
    # Another person, or the task force, may use the same name.
    assert _save(login("viewer"), "我的视图").status_code == 302
    leader = login("leader")
    assert _save(leader, "我的视图", shared="y").status_code == 302
    assert _save(leader, "我的视图", shared="y").status_code == 400
    # A rename to a taken name is refused with the name kept.
    _save(member, "另一个")
    [(view_id, *_rest)] = _views(app, name="另一个")
    response = member.post(
        f"/issues/views/{view_id}/rename", data={"name": "我的视图", "version": 1}
    )
    assert response.status_code == 400
    assert _views(app, id=view_id)[0][1] == "另一个"


def test_a_filter_that_no_longer_fits_is_not_saved(app, world, login):
    response = _save(login("member"), "离开的人", query="owner=999999")
    assert response.status_code == 400
    assert _views(app, name="离开的人") == []


def _said(app, page: str, english: str, **values) -> bool:
    """Does ``page`` say ``english`` (a message id), in Chinese or in English?"""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        chinese = gettext(english, **values)
    return (english % values if values else english) in page or chinese in page


def test_the_menu_offers_to_update_the_view_opened_once_its_filter_changed(app, world, login):
    member = login("member")
    view_id = world.ids["saved_view"]  # the member's own, light=red
    assert 'data-testid="update-current-view"' not in member.get(
        f"/issues?light=red&view={view_id}"
    ).get_data(as_text=True)
    page = member.get(f"/issues?light=red&sort=title&view={view_id}").get_data(as_text=True)
    assert 'data-testid="update-current-view"' in page
    assert 'value="light=red&amp;sort=title"' in page
    response = member.post(
        f"/issues/views/{view_id}/update", data={"query": "light=red&sort=title", "version": 1}
    )
    assert response.headers["Location"] == f"/issues?light=red&sort=title&view={view_id}"
    assert _views(app, id=view_id)[0][4] == "light=red&sort=title"
    # Someone else who opens a view of theirs is never offered to change it.
    leader = login("leader")
    assert "update-current-view" not in leader.get(
        f"/issues?light=red&sort=deadline&view={view_id}"
    ).get_data(as_text=True)
    # A stale version is refused: the view keeps what the member saved.
    stale = member.post(f"/issues/views/{view_id}/update", data={"query": "", "version": 1})
    assert stale.status_code == 302
    assert _views(app, id=view_id)[0][4] == "light=red&sort=title"
