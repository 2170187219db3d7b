"""Logging in and out, throttling, changing one's password, and the language of the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import AuditEvent, Notification
from app.core.web import SELF_AUTHENTICATED
from app.extensions import db
from app.people.models import LoginAttempt, User
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


def _fail_from(client, address: str, times: int, start: int = 0) -> None:
    for i in range(start, start + times):
        assert login(client, f"guess{i}", WRONG, address).status_code == 401


def test_an_address_is_slowed_down_not_locked_after_many_failures(client, wang):
    """Behind a bank's proxy everyone shares an address: failures from it make the next
    try wait 1, 2, 4 … seconds; no account is locked for it."""
    clock.set_now(START)
    _fail_from(client, "10.9.9.9", 10)

    page = Page(login(client, "wang", PASSWORD, "10.9.9.9"))
    assert page.status == 429
    assert page.form_errors == ["Too many failed logins from this address. Wait 1 second."]

    clock.set_now(START + timedelta(seconds=1))
    _fail_from(client, "10.9.9.9", 1, start=10)
    assert Page(login(client, "wang", PASSWORD, "10.9.9.9")).form_errors == [
        "Too many failed logins from this address. Wait 2 seconds."
    ]
    # The account itself is not locked: from elsewhere its owner gets straight in, and
    # from the busy address as soon as the wait is over.
    assert login(client, "wang", PASSWORD, "10.1.1.1").status_code == 302
    clock.set_now(START + timedelta(seconds=3))
    assert login(app_client(client), "wang", PASSWORD, "10.9.9.9").status_code == 302


def app_client(client):
    return client.application.test_client()


def test_the_wait_from_an_address_is_capped(app, client, wang, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_MAX_DELAY_SECONDS", 30)
    clock.set_now(START)
    for n in range(20):
        clock.set_now(START + timedelta(minutes=n // 3, seconds=31 * n))
        login(client, f"guess{n}", WRONG, "10.9.9.9")
    page = Page(login(client, "wang", PASSWORD, "10.9.9.9"))
    assert page.status == 429
    assert "Wait 30 seconds" in page.form_errors[0]


def test_the_wait_ends_with_the_window(client, wang):
    clock.set_now(START)
    _fail_from(client, "10.9.9.9", 10)
    assert login(client, "wang", PASSWORD, "10.9.9.9").status_code == 429
    clock.set_now(START + timedelta(minutes=16))
    assert login(client, "wang", PASSWORD, "10.9.9.9").status_code == 302


def test_behind_a_proxy_each_person_is_counted_by_their_own_address(app, wang, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app import create_app

    proxied = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        WTF_CSRF_ENABLED=False,
        PROXY_HOPS=1,
    )
    assert isinstance(proxied.wsgi_app, ProxyFix)
    client = proxied.test_client()
    clock.set_now(START)
    for n in range(12):
        client.post(
            "/login",
            data={"login": f"guess{n}", "password": WRONG},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": "172.16.5.5", **ENGLISH},
        )
    # Another person behind the same proxy is not slowed down by the first one's guesses.
    response = client.post(
        "/login",
        data={"login": "wang", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "172.16.7.7", **ENGLISH},
    )
    assert response.status_code == 302
    with proxied.app_context():
        addresses = set(db.session.scalars(select(LoginAttempt.address)))
        db.session.remove()
        db.engine.dispose()  # the second app's connections, closed before it goes
    assert addresses == {"172.16.5.5", "172.16.7.7"}


def test_the_owner_is_told_when_their_account_is_locked(client, look, wang):
    clock.set_now(START)
    _fail_five_times(client, ["wang"] * 5, [f"10.0.0.{i}" for i in range(5)])
    with look():
        [told] = db.session.scalars(
            select(Notification).where(
                Notification.recipient_id == wang, Notification.kind == "account_locked"
            )
        ).all()
    assert "locked for 15 minutes after 5 failed logins" in told.text
    assert "10.0.0.4" in told.text


def test_an_unknown_name_costs_a_password_check_like_a_known_one(client, wang, monkeypatch):
    from app.people.service import sign_in as service

    checked = []
    real = service.check_password_hash
    monkeypatch.setattr(
        service, "check_password_hash", lambda *args: checked.append(1) or real(*args)
    )
    assert login(client, "nobody-at-all", WRONG).status_code == 401
    assert checked == [1]


def test_old_login_attempts_and_ended_sessions_are_purged(look, client, wang):
    from app.people import service

    clock.set_now(START)
    login(client, "wang", WRONG)
    assert login(client, "wang", PASSWORD).status_code == 302
    client.post("/logout")
    clock.set_now(START + timedelta(days=91))
    with look():
        assert service.purge_login_records(days=90) == (2, 1)
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0


# --- logging out ---------------------------------------------------------------------------


def test_logout_ends_the_session(client, auth, wang):
    auth.login("wang")

    response = client.post("/logout")  # the browser asks for no language in particular

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    # Said in the language of the account that logged out.
    assert "You have logged out." in Page(client.get("/login", headers=ENGLISH)).alerts[0]
    assert not is_logged_in(client)


def _cookies(client) -> dict:
    return {c.key: c.value for c in client._cookies.values()}


def _browser_with(app, cookies: dict):
    """Another browser holding copies of the cookies (stolen, or kept from before)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_a_copied_session_cookie_dies_at_logout(app, client, auth, wang):
    auth.login("wang")
    copied = _cookies(client)
    assert is_logged_in(_browser_with(app, copied))
    client.post("/logout")
    assert not is_logged_in(_browser_with(app, copied))


def test_a_remember_me_cookie_dies_at_logout_and_lasts_fourteen_days(app, client, wang):
    clock.set_now(START)
    login(client, "wang", remember="y")
    remembered = {"remember_token": _cookies(client)["remember_token"]}
    assert is_logged_in(_browser_with(app, remembered))
    clock.set_now(START + timedelta(days=14, minutes=1))
    assert not is_logged_in(_browser_with(app, remembered))


def test_a_password_change_signs_out_every_other_browser(app, client, auth, wang):
    clock.set_now(START)
    other = app.test_client()
    login(other, "wang", remember="y")
    taken = _cookies(other)
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
    assert is_logged_in(client)  # the browser that changed it carries on
    assert not is_logged_in(other)
    assert not is_logged_in(_browser_with(app, taken))
    remembered = {"remember_token": taken["remember_token"]}
    assert not is_logged_in(_browser_with(app, remembered), "10.7.7.7")


def test_an_administrators_reset_and_a_deactivation_sign_the_person_out(app, look, commit, wang):
    from app.people import service

    browser = app.test_client()
    assert login(browser, "wang").status_code == 302
    with look():
        admin = make_user("root", role="admin").id
        service.reset_password(
            db.session.get(User, admin), db.session.get(User, wang), "reset by admin 1"
        )
        commit()
    assert not is_logged_in(browser)
    assert login(browser, "wang", "reset by admin 1").status_code == 302
    with look():
        service.set_user_active(db.session.get(User, admin), db.session.get(User, wang), False)
        commit()
    assert not is_logged_in(browser)


def test_sign_out_everywhere(app, client, auth, wang):
    phone = app.test_client()
    login(phone, "wang")
    auth.login("wang")
    page = client.get("/account/password", headers=ENGLISH).get_data(as_text=True)
    assert 'data-testid="sign-out-everywhere"' in page
    response = client.post("/account/sessions/end")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert not is_logged_in(phone)


def test_an_administrator_ends_every_session_of_a_person(app, client, look, wang):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "wang")
    login(phone, "wang")
    with look():
        make_user("root", role="admin")
    login(client, "root")
    page = client.get(f"/admin/users/{wang}", headers=ENGLISH).get_data(as_text=True)
    assert 'data-testid="sessions-admin"' in page and ">2</span>" in page

    response = client.post(f"/admin/users/{wang}/sessions/end")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "wang 已在 2 个浏览器上退出登录。" in page
    assert not is_logged_in(laptop) and not is_logged_in(phone)
    with look():
        events = db.session.scalars(select(AuditEvent.action)).all()
        assert "sessions_ended" in events
    assert login(laptop, "wang").status_code == 302


def test_logging_in_starts_a_new_session(client, wang):
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    login(client, "wang")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"].startswith(f"{wang}:")


def test_six_browsers_sign_in_to_one_account_at_once(app, wang):
    import threading

    barrier = threading.Barrier(6)
    codes = []

    def sign_in(n: int) -> None:
        browser = app.test_client()
        barrier.wait(timeout=10)
        codes.append(login(browser, "wang", address=f"10.2.0.{n}").status_code)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == [302] * 6


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

SIGN_IN_STEPS = {"two_factor.step", "two_factor.enrol_at_sign_in"}


def test_every_page_but_login_sends_anonymous_visitors_to_login(app, client, world):
    wrong = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments})[1]
        response = client.get(url, buffered=True)
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.split(".")[0] in SELF_AUTHENTICATED:
            # The REST API: no browser session opens it; without a token, a 401 problem.
            if response.status_code != 401 or response.mimetype != "application/problem+json":
                wrong.append(f"{url}: {response.status_code} {response.mimetype}")
            continue
        if rule.endpoint in SIGN_IN_STEPS:
            # The second step and enrolment at sign-in: nothing to do without a password.
            if response.status_code != 302 or response.headers["Location"] != "/login":
                wrong.append(f"{url}: {response.status_code}")
            continue
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
