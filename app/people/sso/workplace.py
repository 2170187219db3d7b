"""The OAuth flows of the workplace apps, as their vendors document them.

WeCom (企业微信): a QR code on a desktop (``login.work.weixin.qq.com/wwlogin/sso/login``,
``login_type=CorpApp``) or, in WeCom's own browser, the silent ``snsapi_base``
authorization (``open.weixin.qq.com/connect/oauth2/authorize``); then ``gettoken`` and
``auth/getuserinfo`` give the member's userid, ``user/get`` (or ``auth/getuserdetail``
with a user ticket) the mobile number.

DingTalk (钉钉): the new OAuth 2 (``login.dingtalk.com/oauth2/auth``), the user's token
(``api.dingtalk.com/v1.0/oauth2/userAccessToken``), the person (``/v1.0/contact/users/me``:
unionId, mobile), and the staff userid from the unionId (``oapi.dingtalk.com/gettoken``
then ``topapi/user/getbyunionid``).

Feishu (飞书): ``accounts.feishu.cn/open-apis/authen/v1/authorize`` with PKCE, the user's
token (``open.feishu.cn/open-apis/authen/v2/oauth/token``) and ``authen/v1/user_info``
(user_id, mobile).

Each vendor's hosts are settings (``WECOM_*_URL``, ``DINGTALK_*_URL``, ``FEISHU_*_URL``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import current_app
from flask_babel import get_locale

from app.core.sealing import unseal
from app.people.sso.identity import Identity, ProviderError, get_json, post_json
from app.people.sso.models import SignInProvider
from app.people.sso.providers import DINGTALK, FEISHU, WECOM, normal_mobile


def _url(setting: str, path: str, **query) -> str:
    base = current_app.config[setting].rstrip("/")
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def begin(provider: SignInProvider, redirect_uri: str, in_app: bool) -> tuple[str, dict]:
    """The address to send the browser to, and what the callback must check."""
    state = generate_token(32)
    pending = {"state": state}
    if provider.kind == WECOM:
        url = _wecom_url(provider, redirect_uri, state, in_app)
    elif provider.kind == DINGTALK:
        url = _url(
            "DINGTALK_LOGIN_URL",
            "/oauth2/auth",
            redirect_uri=redirect_uri,
            response_type="code",
            client_id=provider.client_id,
            scope="openid corpid",
            state=state,
            prompt="consent",
        )
    else:
        verifier = generate_token(64)
        pending["verifier"] = verifier
        url = _url(
            "FEISHU_ACCOUNTS_URL",
            "/open-apis/authen/v1/authorize",
            client_id=provider.client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
    return url, pending


def _wecom_url(provider: SignInProvider, redirect_uri: str, state: str, in_app: bool) -> str:
    if in_app:
        # Inside WeCom the member is known already: no page is shown.
        query = {
            "appid": provider.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": provider.agent_id,
        }
        return _url("WECOM_OAUTH_URL", "/connect/oauth2/authorize", **query) + "#wechat_redirect"
    lang = "en" if str(get_locale() or "zh").startswith("en") else "zh"
    return _url(
        "WECOM_LOGIN_URL",
        "/wwlogin/sso/login",
        login_type="CorpApp",
        appid=provider.client_id,
        agentid=provider.agent_id,
        redirect_uri=redirect_uri,
        state=state,
        lang=lang,
    )


def finish(provider: SignInProvider, pending: dict, code: str) -> Identity:
    """Who signed in, from the code the app sent back; :raise ProviderError:."""
    if provider.kind == WECOM:
        return _wecom(provider, code)
    if provider.kind == DINGTALK:
        return _dingtalk(provider, code)
    if provider.kind == FEISHU:
        return _feishu(provider, pending, code)
    raise ProviderError(provider.kind, "not a workplace app")


def _errcode(kind: str, data: dict, what: str) -> dict:
    if data.get("errcode", 0) != 0:
        raise ProviderError(kind, f"{what}: {data.get('errcode')} {data.get('errmsg', '')}")
    return data


def _wecom(provider: SignInProvider, code: str) -> Identity:
    token = _errcode(
        WECOM,
        get_json(
            WECOM,
            _url(
                "WECOM_API_URL",
                "/cgi-bin/gettoken",
                corpid=provider.client_id,
                corpsecret=unseal(provider.client_secret),
            ),
        ),
        "gettoken",
    )["access_token"]
    info = _errcode(
        WECOM,
        get_json(
            WECOM,
            _url("WECOM_API_URL", "/cgi-bin/auth/getuserinfo", access_token=token, code=code),
        ),
        "auth/getuserinfo",
    )
    userid = info.get("userid") or info.get("UserId") or ""
    if not userid:
        # Not a member of the enterprise (an outsider has only an openid).
        return Identity(kind=WECOM, subject="")
    mobile = ""
    if provider.link_by_mobile:
        mobile = _wecom_mobile(token, userid, info.get("user_ticket") or "")
    return Identity(kind=WECOM, subject=userid, mobile=normal_mobile(mobile))


def _wecom_mobile(token: str, userid: str, ticket: str) -> str:
    if ticket:
        detail = post_json(
            WECOM,
            _url("WECOM_API_URL", "/cgi-bin/auth/getuserdetail", access_token=token),
            json={"user_ticket": ticket},
        )
        if detail.get("errcode", 0) == 0 and detail.get("mobile"):
            return detail["mobile"]
    member = get_json(
        WECOM, _url("WECOM_API_URL", "/cgi-bin/user/get", access_token=token, userid=userid)
    )
    return member.get("mobile", "") if member.get("errcode", 0) == 0 else ""


def _dingtalk(provider: SignInProvider, code: str) -> Identity:
    secret = unseal(provider.client_secret)
    token = post_json(
        DINGTALK,
        _url("DINGTALK_API_URL", "/v1.0/oauth2/userAccessToken"),
        json={
            "clientId": provider.client_id,
            "clientSecret": secret,
            "code": code,
            "grantType": "authorization_code",
        },
    )
    if not token.get("accessToken"):
        raise ProviderError(
            DINGTALK, f"userAccessToken: {token.get('code')} {token.get('message')}"
        )
    me = get_json(
        DINGTALK,
        _url("DINGTALK_API_URL", "/v1.0/contact/users/me"),
        headers={"x-acs-dingtalk-access-token": token["accessToken"]},
    )
    if not me.get("unionId"):
        raise ProviderError(DINGTALK, f"users/me: {me.get('code')} {me.get('message')}")
    app_token = _errcode(
        DINGTALK,
        get_json(
            DINGTALK,
            _url("DINGTALK_OAPI_URL", "/gettoken", appkey=provider.client_id, appsecret=secret),
        ),
        "gettoken",
    )["access_token"]
    found = post_json(
        DINGTALK,
        _url("DINGTALK_OAPI_URL", "/topapi/user/getbyunionid", access_token=app_token),
        json={"unionid": me["unionId"]},
    )
    # Not found (60121): someone outside the organisation, with no staff userid.
    userid = (found.get("result") or {}).get("userid", "") if found.get("errcode") == 0 else ""
    mobile = me.get("mobile") or ""
    state_code = str(me.get("stateCode") or "86")
    if mobile and state_code != "86":
        mobile = state_code + mobile
    return Identity(kind=DINGTALK, subject=userid, mobile=normal_mobile(mobile))


def _feishu(provider: SignInProvider, pending: dict, code: str) -> Identity:
    token = post_json(
        FEISHU,
        _url("FEISHU_API_URL", "/open-apis/authen/v2/oauth/token"),
        json={
            "grant_type": "authorization_code",
            "client_id": provider.client_id,
            "client_secret": unseal(provider.client_secret),
            "code": code,
            "redirect_uri": pending["redirect_uri"],
            "code_verifier": pending["verifier"],
        },
    )
    if token.get("code", 0) != 0 or not token.get("access_token"):
        raise ProviderError(FEISHU, f"oauth/token: {token.get('code')} {token.get('error')}")
    info = get_json(
        FEISHU,
        _url("FEISHU_API_URL", "/open-apis/authen/v1/user_info"),
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    if info.get("code", 0) != 0:
        raise ProviderError(FEISHU, f"user_info: {info.get('code')} {info.get('msg')}")
    data = info.get("data") or {}
    return Identity(
        kind=FEISHU,
        subject=data.get("user_id") or "",
        mobile=normal_mobile(data.get("mobile") or ""),
    )
