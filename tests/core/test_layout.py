"""The menu bar is kept once rendered, yet every request sees its own reader, roles,
task forces, language, page, CSRF token and unread count."""

from __future__ import annotations

import re

from app.core import outbox
from app.extensions import db
from app.people.models import Membership, TaskForce, User
from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')  # the login form's
MENU_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _menu(html: str) -> str:
    return html[html.index("<nav") : html.index("</nav>")]


def test_each_reader_sees_their_own_name_and_entries(app, world, look):
    with look():
        names = {p: db.session.get(User, world.users[p]).display_name for p in ("leader", "viewer")}
    leader = _menu(_client(app, "leader").get("/issues").get_data(as_text=True))
    viewer = _menu(_client(app, "viewer").get("/issues").get_data(as_text=True))
    admin = _menu(_client(app, "admin").get("/issues").get_data(as_text=True))
    assert names["leader"] in leader and names["leader"] not in viewer
    assert names["viewer"] in viewer
    assert 'href="/admin/users"' in admin
    assert 'href="/admin/users"' not in leader and 'href="/admin/users"' not in viewer


def test_the_lit_entry_follows_the_page(app, world):
    client = _client(app, "leader")
    on_list = _menu(client.get("/issues").get_data(as_text=True))
    on_meetings = _menu(client.get("/meetings").get_data(as_text=True))
    on_mine = _menu(client.get("/my").get_data(as_text=True))
    assert re.search(r'dropdown-item active" href="/issues"', on_list)
    assert not re.search(r'item active" href="/issues"', on_meetings)
    assert re.search(r'dropdown-item active" href="/meetings"', on_meetings)
    # Only the entry that names the page lights up: "My items", not "Problem list" too.
    assert re.search(r'dropdown-item active" href="/my"', on_mine)
    assert not re.search(r'item active" href="/issues"', on_mine)


def test_a_renamed_task_force_and_a_new_role_show_at_once(app, world, look):
    client = _client(app, "member")
    client.get("/issues")  # the menu is kept now
    with look():
        db.session.get(TaskForce, world.task_force_id).name = "改名后的攻坚小组"
        db.session.get(Membership, world.memberships["member"]).role = "viewer"
        db.session.commit()
    menu = _menu(client.get("/issues").get_data(as_text=True))
    assert "改名后的攻坚小组" in menu
    with look():
        db.session.get(Membership, world.memberships["member"]).role = "leader"
        db.session.commit()
    assert 'href="/roster"' in _menu(client.get("/issues").get_data(as_text=True))


def test_the_language_switch_returns_to_this_very_page(app, world):
    client = _client(app, "leader")
    first = client.get("/issues?light=red").get_data(as_text=True)
    second = client.get("/issues?priority=high").get_data(as_text=True)
    assert 'name="next" value="/issues?light=red"' in first
    assert 'name="next" value="/issues?priority=high"' in second


def test_the_language_changes_the_menu(app, world):
    client = _client(app, "leader")
    assert "问题清单" in _menu(client.get("/issues").get_data(as_text=True))
    client.post("/locale", data={"locale": "en", "next": "/issues"})
    menu = _menu(client.get("/issues").get_data(as_text=True))
    assert "Problem list" in menu and "问题清单" not in menu


def test_the_unread_count_is_this_moments(app, world, look):
    client = _client(app, "leader")
    assert "unread-badge" not in client.get("/issues").get_data(as_text=True)
    with look():
        outbox.notify(world.users["leader"], "nudge", "请更新进度", unique_key="layout-test")
        db.session.commit()
    assert 'data-testid="unread-badge">1<' in client.get("/issues").get_data(as_text=True)


def test_the_menus_forms_carry_this_sessions_token(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    sessions = []
    for _ in range(2):
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post(
            "/login",
            data={"login": "leader", "password": PASSWORD, "csrf_token": TOKEN.search(login)[1]},
        )
        menu = _menu(client.get("/issues").get_data(as_text=True))
        sessions.append((client, MENU_TOKEN.findall(menu)))
    (first, first_tokens), (second, second_tokens) = sessions
    assert first_tokens and second_tokens and first_tokens[0] != second_tokens[0]
    # The other session's token is refused; this session's logs out.
    assert first.post("/logout", data={"csrf_token": second_tokens[-1]}).status_code == 400
    assert first.post("/logout", data={"csrf_token": first_tokens[-1]}).status_code == 302
