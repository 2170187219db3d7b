"""Logging in and out, throttling, changing one's password, and the language of the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.models import AuditEvent
from app.extensions import db
from app.people.models import User
from tests.factories import PASSWORD, URL_VALUES, make_user
from tests.people.test_forms import Page

ENGLISH = {"Accept-Language": "en"}
WRONG = "not the password"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def wang(look):
    """An ordinary account: username wang, e-mail Wang.Fang@Example.com."""
    with look():
        return make_user("wang", email="Wang.Fang@Example.com", locale="en").id


def login(client, name: str, password: str = PASSWORD, address: str = "127.0.0.1", **data):
    return client.post(
        "/login",
        data={"login": name, "password": password, **data},
        headers=ENGLISH,
        environ_base={"REMOTE_ADDR": address},
    )


def is_logged_in(client, address: str = "127.0.0.1") -> bool:
    # The session is bound to the address it was opened from (session protection).
    return client.get("/", environ_base={"REMOTE_ADDR": address}).status_code == 200


# --- logging in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["wang", "WANG", "wang.fang@example.com", "WANG.FANG@EXAMPLE.COM", " wang "]
)
def test_user_logs_in_with_username_or_email_in_any_case(client, wang, name):
    response = login(client, name)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)


def test_login_records_the_time_of_the_last_login(client, look, wang):
    clock.set_now(START)
    login(client, "wang")
    with look():
        assert db.session.get(User, wang).last_login_at == START


def test_wrong_password_and_unknown_user_get_the_same_message(client, wang):
    wrong_password = Page(login(client, "wang", WRONG))
    unknown_user = Page(login(client, "nobody", WRONG))

    assert wrong_password.status == unknown_user.status == 401
    assert wrong_password.form_errors == unknown_user.form_errors
    assert wrong_password.form_errors == ["Username or password is not correct."]
    # Nothing on either page points at the field that was wrong.
    assert wrong_password.all_field_errors() == unknown_user.all_field_errors() == {}
    assert not is_logged_in(client)


def test_deactivated_account_cannot_log_in(client, look, wang):
    with look():
        db.session.get(User, wang).active = False
        db.session.commit()

    page = Page(login(client, "wang"))

    assert page.status == 401
    assert page.form_errors == ["Username or password is not correct."]
    assert not is_logged_in(client)


def test_deactivated_account_is_logged_out_on_its_next_request(client, look, wang):
    login(client, "wang")
    with look():
        db.session.get(User, wang).active = False
        db.session.commit()

    response = client.get("/")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


# --- throttling ----------------------------------------------------------------------------


def _fail_five_times(client, names, addresses):
    for name, address in zip(names, addresses, strict=True):
        assert login(client, name, WRONG, address).status_code == 401


def test_account_is_locked_after_five_failed_logins(client, wang):
    clock.set_now(START)
    # From five different places, so that no address is locked, only the account.
    _fail_five_times(client, ["wang"] * 5, [f"10.0.0.{i}" for i in range(5)])

    page = Page(login(client, "wang", PASSWORD, "10.0.0.99"))

    assert page.status == 429
    assert page.form_errors == ["Too many failed logins. Try again in 15 minutes."]
    assert not is_logged_in(client)


def test_failed_logins_by_email_and_by_username_lock_the_same_account(client, wang):
    clock.set_now(START)
    names = ["wang", "wang.fang@example.com", "WANG", "Wang.Fang@Example.com", "wang"]
    _fail_five_times(client, names, [f"10.0.0.{i}" for i in range(5)])

    for name in ("wang", "wang.fang@example.com"):
        assert login(client, name, PASSWORD, "10.0.0.99").status_code == 429


def test_account_lock_lifts_when_the_window_has_passed(client, wang):
    clock.set_now(START)
    _fail_five_times(client, ["wang"] * 5, [f"10.0.0.{i}" for i in range(5)])

    clock.set_now(START + timedelta(minutes=14))
    page = Page(login(client, "wang", PASSWORD, "10.0.0.99"))
    assert page.status == 429
    assert "Too many failed logins" in page.form_errors[0]

    clock.set_now(START + timedelta(minutes=15, seconds=1))
    assert login(client, "wang", PASSWORD, "10.0.0.99").status_code == 302
    assert is_logged_in(client, "10.0.0.99")


def test_failures_spread_over_more_than_the_window_do_not_lock(client, wang):
    clock.set_now(START)
    _fail_five_times(client, ["wang"] * 4 + ["nobody"], [f"10.0.0.{i}" for i in range(5)])
    clock.set_now(START + timedelta(minutes=16))
    assert login(client, "wang", WRONG, "10.0.0.5").status_code == 401

    assert login(client, "wang", PASSWORD, "10.0.0.6").status_code == 302


def test_address_is_locked_after_five_failed_logins_whatever_the_names(client, wang):
    clock.set_now(START)
    _fail_five_times(client, [f"guess{i}" for i in range(5)], ["10.9.9.9"] * 5)

    page = Page(login(client, "wang", PASSWORD, "10.9.9.9"))
    assert page.status == 429
    assert "Too many failed logins" in page.form_errors[0]

    # The account itself is not locked: from elsewhere, its owner gets in.
    assert login(client, "wang", PASSWORD, "10.1.1.1").status_code == 302


def test_address_lock_lifts_when_the_window_has_passed(client, wang):
    clock.set_now(START)
    _fail_five_times(client, [f"guess{i}" for i in range(5)], ["10.9.9.9"] * 5)

    clock.set_now(START + timedelta(minutes=16))

    assert login(client, "wang", PASSWORD, "10.9.9.9").status_code == 302


# --- logging out ---------------------------------------------------------------------------


def test_logout_ends_the_session(client, auth, wang):
    auth.login("wang")

    response = client.post("/logout")  # the browser asks for no language in particular

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    # Said in the language of the account that logged out.
    assert "You have logged out." in Page(client.get("/login", headers=ENGLISH)).alerts[0]
    assert not is_logged_in(client)


# --- changing one's password ---------------------------------------------------------------


def _password_events(look, user_id):
    with look():
        return db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "password_changed", AuditEvent.entity_id == user_id
            )
        ).all()


def test_password_change_with_a_wrong_current_password_changes_nothing(client, auth, look, wang):
    auth.login("wang")
    with look():
        old_hash = db.session.get(User, wang).password_hash

    page = Page(
        client.post(
            "/account/password",
            data={
                "current_password": WRONG,
                "new_password": "brand new 2",
                "confirm": "brand new 2",
            },
        )
    )

    assert page.status == 200
    assert page.errors("current_password") == ["The current password is not correct."]
    with look():
        assert db.session.get(User, wang).password_hash == old_hash
    assert _password_events(look, wang) == []


def test_password_change_replaces_the_old_password(app, client, auth, look, wang):
    auth.login("wang")

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand new 2",
            "confirm": "brand new 2",
        },
    )

    assert response.status_code == 302
    assert "Your password has been changed." in Page(client.get("/")).alerts[0]
    auth.logout()
    other = app.test_client()
    assert login(other, "wang", PASSWORD).status_code == 401
    assert login(other, "wang", "brand new 2").status_code == 302
    [event] = _password_events(look, wang)
    assert event.actor_id == wang


# --- who may see what ----------------------------------------------------------------------


def test_every_page_but_login_sends_anonymous_visitors_to_login(app, client, world):
    wrong = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments})[1]
        response = client.get(url, buffered=True)
        view = app.view_functions[rule.endpoint]
        if getattr(view, "is_public", False) and rule.endpoint != "people.login":
            # Public by design (a calendar feed authenticated by its secret token).
            if response.status_code in (302, 403) or response.status_code >= 500:
                wrong.append(f"{url}: {response.status_code}")
            continue
        if rule.endpoint == "people.login":
            if response.status_code != 200:
                wrong.append(f"{url}: {response.status_code}")
            continue
        location = urlsplit(response.headers.get("Location", ""))
        if response.status_code != 302 or location.path != "/login":
            wrong.append(f"{url}: {response.status_code} {location.geturl()}")
        elif parse_qs(location.query).get("next") != [url]:
            wrong.append(f"{url}: comes back to {parse_qs(location.query).get('next')}")
    assert wrong == []


def test_login_returns_to_the_page_first_asked_for(client, world):
    to_login = client.get("/roster").headers["Location"]
    form = Page(client.get(to_login))
    assert form.value("next") == "/roster"

    response = login(client, "member", next=form.value("next"))

    assert response.headers["Location"] == "/roster"
    assert client.get("/roster").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/roster",
        "http://evil",
        "https://evil.example/login",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_ignores_a_next_page_on_another_site(client, world, target):
    response = login(client, "member", next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example"])
def test_login_ignores_a_next_page_hidden_behind_control_characters(client, world, target):
    response = login(client, "member", next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- language ------------------------------------------------------------------------------


def _login_button(page: Page) -> str:
    [button] = [text for text in page.buttons if text in ("登录", "Log in")]
    return button


@pytest.mark.parametrize(
    ("accept_language", "button", "lang"),
    [
        ("en", "Log in", "en"),
        ("en-US,en;q=0.9", "Log in", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "登录", "zh-CN"),
        ("zh", "登录", "zh-CN"),
        ("fr-FR", "登录", "zh-CN"),
        (None, "登录", "zh-CN"),
    ],
)
def test_login_page_speaks_the_browser_language(client, accept_language, button, lang):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    page = Page(client.get("/login", headers=headers))

    assert _login_button(page) == button
    assert f'<html lang="{lang}">' in page.html


def test_anonymous_visitor_switches_language_for_the_session(client):
    assert _login_button(Page(client.get("/login"))) == "登录"

    response = client.post("/locale", data={"locale": "en", "next": "/login"})

    assert response.headers["Location"] == "/login"
    # The choice outweighs the browser's language, until switched back.
    assert _login_button(Page(client.get("/login", headers={"Accept-Language": "zh-CN"}))) == (
        "Log in"
    )
    client.post("/locale", data={"locale": "zh_CN", "next": "/login"})
    assert _login_button(Page(client.get("/login", headers=ENGLISH))) == "登录"


def test_language_switch_ignores_an_unknown_language(client):
    client.post("/locale", data={"locale": "en", "next": "/login"})

    client.post("/locale", data={"locale": "xx", "next": "/login"})

    assert _login_button(Page(client.get("/login"))) == "Log in"


def test_logged_in_user_keeps_their_language_on_the_account(app, client, auth, look):
    with look():
        user_id = make_user("li").id  # Chinese, the default
    auth.login("li")
    assert "修改密码" in client.get("/", headers=ENGLISH).get_data(as_text=True)

    client.post("/locale", data={"locale": "en", "next": "/"})

    with look():
        assert db.session.get(User, user_id).locale == "en"
    other = app.test_client()
    login(other, "li")
    page = other.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Change password" in page
    assert "修改密码" not in page
