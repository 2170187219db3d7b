"""A local identity provider for the single sign-on tests: a real HTTP server on
127.0.0.1 that answers as each vendor documents.

- OpenID Connect under ``/oidc``: discovery, authorize (S256 PKCE required, the redirect
  URI checked exactly), token (client secret, code once, verifier), JWKS (an RS256 key
  made for the run), userinfo.
- WeCom: ``/wwlogin/sso/login`` (QR code) and ``/connect/oauth2/authorize`` (in the app),
  ``/cgi-bin/gettoken``, ``/cgi-bin/auth/getuserinfo``, ``/cgi-bin/user/get``.
- DingTalk: ``/oauth2/auth``, ``/v1.0/oauth2/userAccessToken``, ``/v1.0/contact/users/me``,
  ``/gettoken``, ``/topapi/user/getbyunionid``.
- Feishu: ``/open-apis/authen/v1/authorize`` (PKCE), ``/open-apis/authen/v2/oauth/token``,
  ``/open-apis/authen/v1/user_info``.

The "person at the provider" is whoever the test puts in ``provider.person`` (the
provider's sign-in page consents at once); ``provider.tamper`` spoils the next ID token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from app.core import clock

CLIENT_ID = "gongjian-test"
CLIENT_SECRET = "oidc-secret-0123456789"
WECOM_CORP = "ww-corp-1"
WECOM_AGENT = "1000002"
WECOM_SECRET = "wecom-secret-0123456789"
DINGTALK_KEY = "dingkey1"
DINGTALK_SECRET = "dingtalk-secret-0123456789"
FEISHU_APP = "cli_test"
FEISHU_SECRET = "feishu-secret-0123456789"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Provider:
    base: str = ""
    # The one redirect URI registered per kind; set by the test.
    redirect_uris: dict = field(default_factory=dict)
    person: dict = field(default_factory=dict)
    tamper: str = ""
    codes: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))

    @property
    def issuer(self) -> str:
        return self.base + "/oidc"

    def _code(self, kind: str, **extra) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"kind": kind, "person": dict(self.person), **extra}
        return code

    def _back(self, kind: str, redirect_uri: str, state: str, code_name: str = "code", **extra):
        if redirect_uri != self.redirect_uris.get(kind):
            abort(400, "redirect_uri is not the registered one")
        code = self._code(kind, redirect_uri=redirect_uri, **extra)
        query = {code_name: code, "state": state}
        if code_name != "code":
            query["code"] = code
        return redirect(f"{redirect_uri}?{urlencode(query)}")

    def _take(self, code: str, kind: str) -> dict:
        grant = self.codes.pop(code, None)  # a code is good once
        if grant is None or grant["kind"] != kind:
            abort(400, "bad code")
        return grant

    def _token(self, person: dict) -> str:
        token = secrets.token_urlsafe(16)
        self.tokens[token] = person
        return token


def build(provider: Provider) -> Flask:
    app = Flask("sso_provider")

    @app.before_request
    def note():
        provider.calls.append(request.path)

    _oidc(app, provider)
    _wecom(app, provider)
    _dingtalk(app, provider)
    _feishu(app, provider)
    return app


def _oidc(app: Flask, p: Provider) -> None:
    @app.get("/oidc/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=p.issuer,
            authorization_endpoint=p.issuer + "/authorize",
            token_endpoint=p.issuer + "/token",
            jwks_uri=p.issuer + "/jwks",
            userinfo_endpoint=p.issuer + "/userinfo",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
        )

    @app.get("/oidc/authorize")
    def authorize():
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            abort(400, "unknown client")
        if "openid" not in args.get("scope", "").split():
            abort(400, "no openid scope")
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            abort(400, "PKCE required")
        return p._back(
            "oidc",
            args.get("redirect_uri", ""),
            args.get("state", ""),
            nonce=args.get("nonce"),
            challenge=args["code_challenge"],
        )

    @app.post("/oidc/token")
    def token():
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client"), 401
        form = request.form
        grant = p.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or grant is None:
            return jsonify(error="invalid_grant"), 400
        p.codes.pop(form["code"])
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return jsonify(error="invalid_grant", error_description="redirect_uri"), 400
        if s256(form.get("code_verifier", "")) != grant["challenge"]:
            return jsonify(error="invalid_grant", error_description="code_verifier"), 400
        access = p._token(grant["person"])
        return jsonify(
            access_token=access,
            token_type="Bearer",
            expires_in=3600,
            id_token=_id_token(p, grant),
        )

    @app.get("/oidc/jwks")
    def jwks():
        return jsonify(keys=[p.key.as_dict(private=False)])

    @app.get("/oidc/userinfo")
    def userinfo():
        person = p.tokens.get(request.headers.get("Authorization", "")[len("Bearer ") :])
        if person is None:
            abort(401)
        return jsonify({k: v for k, v in person.items() if k != "userid"})


def _id_token(p: Provider, grant: dict) -> str:
    now = int(clock.now().timestamp())
    person = grant["person"]
    claims = {
        "iss": p.issuer,
        "sub": person["sub"],
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": grant["nonce"],
    }
    for name in ("email", "email_verified", "name"):
        if name in person:
            claims[name] = person[name]
    tamper, p.tamper = p.tamper, ""
    if tamper == "nonce":
        claims["nonce"] = "not-the-nonce"
    elif tamper == "audience":
        claims["aud"] = "someone-else"
    elif tamper == "issuer":
        claims["iss"] = "https://evil.example"
    elif tamper == "expired":
        claims["iat"], claims["exp"] = now - 7200, now - 3600
    key = p.other_key if tamper == "signature" else p.key
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _wecom(app: Flask, p: Provider) -> None:
    def back():
        args = request.args
        if args.get("appid") != WECOM_CORP or args.get("agentid") != WECOM_AGENT:
            abort(400, "unknown corp or agent")
        return p._back("wecom", args.get("redirect_uri", ""), args.get("state", ""))

    @app.get("/wwlogin/sso/login")
    def wecom_qr():
        if request.args.get("login_type") != "CorpApp":
            abort(400)
        return back()

    @app.get("/connect/oauth2/authorize")
    def wecom_in_app():
        if request.args.get("scope") != "snsapi_base":
            abort(400)
        return back()

    @app.get("/cgi-bin/gettoken")
    def wecom_token():
        args = request.args
        if (args.get("corpid"), args.get("corpsecret")) != (WECOM_CORP, WECOM_SECRET):
            return jsonify(errcode=40001, errmsg="invalid credential")
        return jsonify(errcode=0, errmsg="ok", access_token="wecom-app-token", expires_in=7200)

    @app.get("/cgi-bin/auth/getuserinfo")
    def wecom_userinfo():
        if request.args.get("access_token") != "wecom-app-token":
            return jsonify(errcode=40014, errmsg="invalid access_token")
        grant = p.codes.pop(request.args.get("code", ""), None)
        if grant is None or grant["kind"] != "wecom":
            return jsonify(errcode=40029, errmsg="invalid code")
        person = grant["person"]
        if "userid" not in person:
            return jsonify(errcode=0, errmsg="ok", openid="o-outsider")
        return jsonify(errcode=0, errmsg="ok", userid=person["userid"])

    @app.get("/cgi-bin/user/get")
    def wecom_user():
        if request.args.get("access_token") != "wecom-app-token":
            return jsonify(errcode=40014, errmsg="invalid access_token")
        person = p.person if p.person.get("userid") == request.args.get("userid") else None
        if person is None:
            return jsonify(errcode=60111, errmsg="userid not found")
        return jsonify(
            errcode=0, errmsg="ok", userid=person["userid"], mobile=person.get("mobile", "")
        )


def _dingtalk(app: Flask, p: Provider) -> None:
    @app.get("/oauth2/auth")
    def ding_auth():
        args = request.args
        if args.get("client_id") != DINGTALK_KEY or args.get("response_type") != "code":
            abort(400)
        return p._back("dingtalk", args.get("redirect_uri", ""), args.get("state", ""), "authCode")

    @app.post("/v1.0/oauth2/userAccessToken")
    def ding_token():
        body = request.get_json()
        if (body.get("clientId"), body.get("clientSecret")) != (DINGTALK_KEY, DINGTALK_SECRET):
            return jsonify(code="invalidClientSecret", message="bad secret"), 400
        grant = p.codes.pop(body.get("code", ""), None)
        if grant is None or body.get("grantType") != "authorization_code":
            return jsonify(code="invalidAuthCode", message="bad code"), 400
        return jsonify(
            accessToken=p._token(grant["person"]), refreshToken="r", expireIn=7200, corpId="c"
        )

    @app.get("/v1.0/contact/users/me")
    def ding_me():
        person = p.tokens.get(request.headers.get("x-acs-dingtalk-access-token", ""))
        if person is None:
            return jsonify(code="InvalidAuthentication", message="bad token"), 401
        return jsonify(
            nick=person.get("name", ""),
            unionId=person["unionid"],
            openId="open-1",
            mobile=person.get("mobile", ""),
            stateCode="86",
        )

    @app.get("/gettoken")
    def ding_app_token():
        args = request.args
        if (args.get("appkey"), args.get("appsecret")) != (DINGTALK_KEY, DINGTALK_SECRET):
            return jsonify(errcode=40089, errmsg="invalid appkey or appsecret")
        return jsonify(errcode=0, errmsg="ok", access_token="ding-app-token", expires_in=7200)

    @app.post("/topapi/user/getbyunionid")
    def ding_by_union():
        if request.args.get("access_token") != "ding-app-token":
            return jsonify(errcode=88, errmsg="invalid token")
        unionid = (request.get_json() or {}).get("unionid")
        if p.person.get("unionid") != unionid or "userid" not in p.person:
            return jsonify(errcode=60121, errmsg="user not found")
        return jsonify(
            errcode=0, errmsg="ok", result={"contact_type": 0, "userid": p.person["userid"]}
        )


def _feishu(app: Flask, p: Provider) -> None:
    @app.get("/open-apis/authen/v1/authorize")
    def feishu_auth():
        args = request.args
        if args.get("client_id") != FEISHU_APP or args.get("code_challenge_method") != "S256":
            abort(400)
        return p._back(
            "feishu",
            args.get("redirect_uri", ""),
            args.get("state", ""),
            challenge=args.get("code_challenge"),
        )

    @app.post("/open-apis/authen/v2/oauth/token")
    def feishu_token():
        body = request.get_json()
        if (body.get("client_id"), body.get("client_secret")) != (FEISHU_APP, FEISHU_SECRET):
            return jsonify(code=20002, error="invalid_client"), 400
        grant = p.codes.pop(body.get("code", ""), None)
        if grant is None or body.get("redirect_uri") != grant["redirect_uri"]:
            return jsonify(code=20003, error="invalid_grant"), 400
        if s256(body.get("code_verifier", "")) != grant["challenge"]:
            return jsonify(code=20003, error="invalid_grant"), 400
        return jsonify(
            code=0, access_token=p._token(grant["person"]), expires_in=7200, token_type="Bearer"
        )

    @app.get("/open-apis/authen/v1/user_info")
    def feishu_user():
        person = p.tokens.get(request.headers.get("Authorization", "")[len("Bearer ") :])
        if person is None:
            return jsonify(code=99991663, msg="invalid access token"), 401
        data = {"name": person.get("name", ""), "open_id": "ou_1", "union_id": "on_1"}
        if "userid" in person:
            data["user_id"] = person["userid"]
        if person.get("mobile"):
            data["mobile"] = "+86" + person["mobile"]
        return jsonify(code=0, msg="success", data=data)


class Running:
    """The provider served on a free loopback port in a thread."""

    def __init__(self):
        self.provider = Provider()
        self.server = make_server("127.0.0.1", 0, build(self.provider), threaded=True)
        self.provider.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="sso-provider", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


HOST_SETTINGS = (
    "WECOM_LOGIN_URL",
    "WECOM_OAUTH_URL",
    "WECOM_API_URL",
    "DINGTALK_LOGIN_URL",
    "DINGTALK_API_URL",
    "DINGTALK_OAPI_URL",
    "FEISHU_ACCOUNTS_URL",
    "FEISHU_API_URL",
)


def set_up(app, p: Provider, app_base: str, monkeypatch) -> Provider:
    """Point the app at the provider (``app_base``: the app's BASE_URL) and turn every
    way in on with the provider's credentials."""
    from app.core.sealing import seal
    from app.extensions import db
    from app.people.sso.models import SignInProvider

    p.person, p.tamper, p.codes, p.tokens, p.calls = {}, "", {}, {}, []
    monkeypatch.setitem(app.config, "BASE_URL", app_base)
    for name in HOST_SETTINGS:
        monkeypatch.setitem(app.config, name, p.base)
    p.redirect_uris = {
        kind: f"{app_base}/login/sso/{kind}/callback"
        for kind in ("oidc", "wecom", "dingtalk", "feishu")
    }
    rows = [
        SignInProvider(
            kind="oidc",
            enabled=True,
            issuer=p.issuer,
            scopes="openid email profile",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        ),
        SignInProvider(
            kind="wecom",
            enabled=True,
            client_id=WECOM_CORP,
            agent_id=WECOM_AGENT,
            client_secret=WECOM_SECRET,
        ),
        SignInProvider(
            kind="dingtalk", enabled=True, client_id=DINGTALK_KEY, client_secret=DINGTALK_SECRET
        ),
        SignInProvider(
            kind="feishu", enabled=True, client_id=FEISHU_APP, client_secret=FEISHU_SECRET
        ),
    ]
    with app.app_context():
        for row in rows:
            row.client_secret = seal(row.client_secret)
        db.session.add_all(rows)
        db.session.commit()
    return p
