"""Single sign-on, the whole round trip against a local provider (tests/people/
sso_provider.py): the app sends the browser there, the provider sends it back with a
code, and the app trades the code and checks what it gets, through Authlib for real."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.core.models import AuditEvent
from app.core.sealing import seal
from app.extensions import db
from app.people.models import User
from app.people.sso.models import SignInProvider
from tests import factories
from tests.people import sso_provider as idp

APP_BASE = "http://localhost"
WECOM_UA = "Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/8.0 wxwork/4.1.0 Language/zh"
DINGTALK_UA = "Mozilla/5.0 (Linux; Android 13) AppleWebKit Chrome/110 DingTalk/7.0.40"
FEISHU_UA = "Mozilla/5.0 (iPhone) AppleWebKit Lark/7.10.0 LarkLocale/zh_CN"


@pytest.fixture(scope="module")
def running():
    server = idp.Running()
    yield server
    server.stop()


@pytest.fixture
def provider(app, running, monkeypatch):
    """The local provider, with the app pointed at it and every way in set up."""
    return idp.set_up(app, running.provider, APP_BASE, monkeypatch)


def _user(app, username: str, **fields) -> int:
    with app.app_context():
        return factories.make_user(username, **fields).id


def round_trip(client, kind: str, agent: str | None = None, **query):
    """The browser's way: to the app, on to the provider, back to the app."""
    headers = {"User-Agent": agent} if agent else {}
    out = client.get(f"/login/sso/{kind}", headers=headers, query_string=query)
    assert out.status_code == 302, out.get_data(as_text=True)
    at_provider = requests.get(out.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["Location"]
    assert back.startswith(f"{APP_BASE}/login/sso/{kind}/callback?")
    return client.get(back, headers=headers)


def _signed_in_as(client, look, user_id: int, agent: str | None = None) -> bool:
    # The same browser: a session is bound to its browser (Flask-Login's protection).
    page = client.get("/account/password", headers={"User-Agent": agent} if agent else {})
    if page.status_code != 200:
        return False
    with look():
        return db.session.get(User, user_id).last_login_at is not None


# --- OpenID Connect ------------------------------------------------------------------------


def test_oidc_signs_in_the_linked_account(app, client, look, provider):
    uid = _user(app, "wang", way_in="oidc", oidc_subject="sub-wang")
    provider.person = {"sub": "sub-wang", "email": "x@elsewhere.test", "email_verified": True}
    back = round_trip(client, "oidc", next="/roster")
    assert back.status_code == 302
    assert back.headers["Location"] == "/roster"
    assert _signed_in_as(client, look, uid)
    assert "/oidc/jwks" in provider.calls and "/oidc/token" in provider.calls


def test_oidc_authorization_request_carries_state_nonce_and_pkce(app, client, provider):
    out = client.get("/login/sso/oidc")
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{APP_BASE}/login/sso/oidc/callback"]


def test_oidc_first_sign_in_links_by_verified_email_when_allowed(app, client, look, provider):
    uid = _user(app, "li", way_in="oidc", email="li@bank.test")
    provider.person = {"sub": "sub-li", "email": "LI@bank.test", "email_verified": True}
    # Not allowed yet: refused, nothing linked.
    refused = round_trip(client, "oidc")
    assert refused.status_code == 403
    assert "此账号尚未开通，请联系管理员" in refused.get_data(as_text=True)
    with look():
        db.session.execute(
            db.update(SignInProvider)
            .where(SignInProvider.kind == "oidc")
            .values(link_by_email=True)
        )
        db.session.commit()
    provider.person = {"sub": "sub-li", "email": "LI@bank.test", "email_verified": False}
    assert round_trip(client, "oidc").status_code == 403  # not verified: not believed
    provider.person = {"sub": "sub-li", "email": "LI@bank.test", "email_verified": True}
    assert round_trip(client, "oidc").status_code == 302
    with look():
        user = db.session.get(User, uid)
        assert user.oidc_subject == "sub-li"
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"sso_linked", "login"} <= actions


def test_oidc_never_matches_by_display_name(app, client, provider):
    _user(app, "zhao", way_in="oidc", display_name="赵六")
    provider.person = {"sub": "sub-zhao", "name": "赵六", "email": "z@x.test"}
    assert round_trip(client, "oidc").status_code == 403


def test_unknown_person_is_refused_and_nothing_is_created(app, client, look, provider):
    provider.person = {"sub": "nobody", "email": "nobody@bank.test", "email_verified": True}
    with look():
        before = db.session.scalar(select(db.func.count(User.id)))
    refused = round_trip(client, "oidc")
    assert refused.status_code == 403
    assert "此账号尚未开通，请联系管理员" in refused.get_data(as_text=True)
    with look():
        assert db.session.scalar(select(db.func.count(User.id))) == before
    assert client.get("/account/password").status_code == 302  # not signed in


@pytest.mark.parametrize("tamper", ["nonce", "signature", "audience", "issuer", "expired"])
def test_a_spoiled_id_token_is_refused(app, client, provider, tamper):
    _user(app, "wang", way_in="oidc", oidc_subject="sub-wang")
    provider.person = {"sub": "sub-wang"}
    provider.tamper = tamper
    back = round_trip(client, "oidc")
    assert back.status_code == 502
    assert client.get("/account/password").status_code == 302


def test_state_mismatch_is_refused(app, client, look, provider):
    uid = _user(app, "wang", way_in="oidc", oidc_subject="sub-wang")
    provider.person = {"sub": "sub-wang"}
    out = client.get("/login/sso/oidc")
    back = requests.get(out.headers["Location"], allow_redirects=False, timeout=10)
    forged = back.headers["Location"].replace("state=", "state=x")
    refused = client.get(forged)
    assert refused.status_code == 400
    assert "Start again" in refused.get_data(as_text=True) or "重新" in refused.get_data(
        as_text=True
    )
    with look():
        assert db.session.get(User, uid).last_login_at is None
    # A callback from a browser that never started a sign-in: refused too.
    other = app.test_client()
    assert other.get(back.headers["Location"]).status_code == 400


def test_the_code_is_useless_without_the_browsers_pkce_verifier(app, client, provider):
    """A code caught on its way back, replayed from another browser that started a
    sign-in of its own, fails: its state and verifier are not the ones of the code."""
    _user(app, "wang", way_in="oidc", oidc_subject="sub-wang")
    provider.person = {"sub": "sub-wang"}
    victim = client.get("/login/sso/oidc")
    back = requests.get(victim.headers["Location"], allow_redirects=False, timeout=10)
    attacker = app.test_client()
    started = attacker.get("/login/sso/oidc")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    replay = attacker.get(f"/login/sso/oidc/callback?code={code}&state={state}")
    assert replay.status_code == 502
    assert attacker.get("/account/password").status_code == 302


def test_deactivated_account_is_refused(app, client, provider):
    _user(app, "wang", way_in="oidc", oidc_subject="sub-wang", active=False)
    provider.person = {"sub": "sub-wang"}
    refused = round_trip(client, "oidc")
    assert refused.status_code == 403
    assert "停用" in refused.get_data(as_text=True)


def test_a_local_account_is_not_signed_in_by_sso(app, client, provider):
    """An account whose way in is its password is not signed in by a provider, even
    when the provider's id of the person is on it (set for the robots)."""
    _user(app, "wang", wecom_userid="wang")
    provider.person = {"userid": "wang"}
    refused = round_trip(client, "wecom")
    assert refused.status_code == 403
    assert "本地密码" in refused.get_data(as_text=True)


def test_two_factor_is_still_asked(app, client, provider):
    from app.core import clock
    from app.people.models import TwoFactor

    uid = _user(app, "wang", way_in="oidc", oidc_subject="sub-wang")
    with app.app_context():
        db.session.add(TwoFactor(user_id=uid, secret="JBSWY3DPEHPK3PXP", enabled_at=clock.now()))
        db.session.commit()
    provider.person = {"sub": "sub-wang"}
    back = round_trip(client, "oidc")
    assert back.status_code == 302
    assert back.headers["Location"].endswith("/login/two-factor")
    assert client.get("/account/password").status_code == 302


# --- WeCom, DingTalk, Feishu --------------------------------------------------------------


def test_wecom_qr_code_on_a_desktop(app, client, look, provider):
    uid = _user(app, "chen", way_in="wecom", wecom_userid="ChenYi")
    provider.person = {"userid": "ChenYi"}
    out = client.get("/login/sso/wecom")
    assert "/wwlogin/sso/login?" in out.headers["Location"]
    assert round_trip(client, "wecom").status_code == 302
    assert _signed_in_as(client, look, uid)


def test_wecom_silent_in_its_own_browser(app, client, look, provider):
    uid = _user(app, "chen", way_in="wecom", wecom_userid="ChenYi")
    provider.person = {"userid": "ChenYi"}
    # The login page opened inside WeCom goes straight to WeCom's silent sign-in.
    page = client.get("/login", headers={"User-Agent": WECOM_UA})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login/sso/wecom")
    out = client.get(page.headers["Location"], headers={"User-Agent": WECOM_UA})
    location = out.headers["Location"]
    assert "/connect/oauth2/authorize?" in location and location.endswith("#wechat_redirect")
    assert "scope=snsapi_base" in location
    back = requests.get(location.split("#")[0], allow_redirects=False, timeout=10)
    assert client.get(back.headers["Location"]).status_code == 302
    assert _signed_in_as(client, look, uid)
    # ?local=1 shows the login page itself (the link on a refusal page).
    other = app.test_client()
    assert other.get("/login?local=1", headers={"User-Agent": WECOM_UA}).status_code == 200


def test_wecom_first_sign_in_by_mobile_links_the_userid(app, client, look, provider):
    uid = _user(app, "chen", way_in="wecom", mobile="138 0013 8000")
    with look():
        db.session.execute(
            db.update(SignInProvider)
            .where(SignInProvider.kind == "wecom")
            .values(link_by_mobile=True)
        )
        db.session.commit()
    provider.person = {"userid": "ChenYi", "mobile": "13800138000"}
    assert round_trip(client, "wecom").status_code == 302
    with look():
        assert db.session.get(User, uid).wecom_userid == "ChenYi"


def test_wecom_outsider_is_refused(app, client, provider):
    provider.person = {}  # not a member: WeCom gives an openid only
    assert round_trip(client, "wecom").status_code == 403


def test_dingtalk_signs_in_by_userid(app, client, look, provider):
    uid = _user(app, "sun", way_in="dingtalk", dingtalk_userid="manager4220")
    provider.person = {"unionid": "u-sun", "userid": "manager4220", "mobile": "13900001111"}
    out = client.get("/login/sso/dingtalk")
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["scope"] == ["openid corpid"] and query["response_type"] == ["code"]
    assert round_trip(client, "dingtalk", agent=DINGTALK_UA).status_code == 302
    assert _signed_in_as(client, look, uid, DINGTALK_UA)
    assert "/topapi/user/getbyunionid" in provider.calls


def test_dingtalk_silent_in_its_own_browser(app, client, provider):
    _user(app, "sun", way_in="dingtalk", dingtalk_userid="manager4220")
    page = client.get("/login", headers={"User-Agent": DINGTALK_UA})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login/sso/dingtalk")


def test_dingtalk_by_mobile_when_allowed(app, client, look, provider):
    uid = _user(app, "sun", way_in="dingtalk", mobile="+86 139-0000-1111")
    with look():
        db.session.execute(
            db.update(SignInProvider)
            .where(SignInProvider.kind == "dingtalk")
            .values(link_by_mobile=True)
        )
        db.session.commit()
    provider.person = {"unionid": "u-sun", "userid": "manager4220", "mobile": "13900001111"}
    assert round_trip(client, "dingtalk").status_code == 302
    with look():
        assert db.session.get(User, uid).dingtalk_userid == "manager4220"


def test_feishu_signs_in_with_pkce(app, client, look, provider):
    uid = _user(app, "zhou", way_in="feishu", feishu_user_id="5d9bdxxx")
    provider.person = {"userid": "5d9bdxxx", "mobile": "13700000000"}
    out = client.get("/login/sso/feishu")
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert round_trip(client, "feishu", agent=FEISHU_UA).status_code == 302
    assert _signed_in_as(client, look, uid, FEISHU_UA)


def test_feishu_unknown_user_refused(app, client, provider):
    _user(app, "zhou", way_in="feishu", feishu_user_id="5d9bdxxx")
    provider.person = {"userid": "someone-else"}
    assert round_trip(client, "feishu").status_code == 403


def test_wrong_secret_is_a_clear_error(app, client, look, provider):
    _user(app, "sun", way_in="dingtalk", dingtalk_userid="manager4220")
    with look():
        db.session.execute(
            db.update(SignInProvider)
            .where(SignInProvider.kind == "dingtalk")
            .values(client_secret=seal("wrong-secret-000000"))
        )
        db.session.commit()
    provider.person = {"unionid": "u-sun", "userid": "manager4220"}
    failed = round_trip(client, "dingtalk")
    assert failed.status_code == 502
    assert "钉钉" in failed.get_data(as_text=True)


# --- the login page and a provider turned off -----------------------------------------------


def test_buttons_only_for_enabled_providers(app, client, look, provider):
    page = client.get("/login?local=1").get_data(as_text=True)
    for kind in ("oidc", "wecom", "dingtalk", "feishu"):
        assert f'data-sso="{kind}"' in page
    with look():
        db.session.execute(
            db.update(SignInProvider).where(SignInProvider.kind == "feishu").values(enabled=False)
        )
        db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert 'data-sso="feishu"' not in page and 'data-sso="wecom"' in page
    assert client.get("/login/sso/feishu").status_code == 404
    assert client.get("/login/sso/feishu/callback?code=a&state=b").status_code == 404
    assert client.get("/login", headers={"User-Agent": FEISHU_UA}).status_code == 200


def test_no_provider_no_buttons(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'data-testid="sso-buttons"' not in page
    assert client.get("/login/sso/oidc").status_code == 404
    assert client.get("/login/sso/nonsense").status_code == 404
