"""Signing in through a provider: the way there (``/login/sso/<provider>``) and back
(``/login/sso/<provider>/callback``), ending where a password sign-in ends (the second
step when the account has one, then a fresh session)."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.core.web import public, safe_next
from app.extensions import limiter
from app.people.sso import oidc, service, workplace
from app.people.sso.identity import ProviderError
from app.people.sso.providers import BUTTONS, KINDS, LABELS, OIDC, in_app
from app.people.two_factor_views import after_password

bp = Blueprint("sso", __name__)

PENDING = "sso_pending"
# How long the provider's page may take before the sign-in must start again.
PENDING_MINUTES = 10
HOME = "dashboard.battle_map"


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def redirect_uri(kind: str) -> str:
    """The callback's one address, from BASE_URL: the provider checks it exactly."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("sso.callback", provider=kind)


def _provider_or_404(kind: str):
    provider = service.enabled_provider(kind) if kind in KINDS else None
    if provider is None:
        abort(404)
    return provider


@bp.get("/login/sso/<provider>")
@public
@limiter.limit(_login_rate_limit)
def start(provider: str):
    """Off to the provider, with a fresh state (and nonce and PKCE verifier)."""
    if current_user.is_authenticated:
        return redirect(url_for(HOME))
    row = _provider_or_404(provider)
    target = redirect_uri(provider)
    try:
        if provider == OIDC:
            url, pending = oidc.begin(row, target)
        else:
            url, pending = workplace.begin(row, target, in_app(provider, request.user_agent.string))
    except ProviderError as error:
        current_app.logger.warning("sign-in through %s: %s", provider, error.detail)
        return _refused(error.message, 502)
    session[PENDING] = {
        **pending,
        "kind": provider,
        "redirect_uri": target,
        "next": safe_next(request.args.get("next"), ""),
        "since": clock.now().timestamp(),
    }
    return redirect(url)


@bp.get("/login/sso/<provider>/callback")
@public
@limiter.limit(_login_rate_limit)
def callback(provider: str):
    """Back from the provider: the state checked, the code traded, the account found."""
    row = _provider_or_404(provider)
    pending = session.pop(PENDING, None)
    if not _state_matches(pending, provider):
        return _refused(_expired_message(), 400)
    code = request.args.get("code") or request.args.get("authCode") or ""
    if not code:
        # The person declined at the provider (or the provider refused them).
        return _refused(_declined_message(provider), 400)
    try:
        if provider == OIDC:
            identity = oidc.finish(row, pending, code)
        else:
            identity = workplace.finish(row, pending, code)
    except ProviderError as error:
        current_app.logger.warning("sign-in through %s: %s", provider, error.detail)
        return _refused(error.message, 502)
    try:
        user = service.find_account(row, identity)
    except service.SignInRefused as refusal:
        # For the administrator who is asked why: who the provider said it was.
        current_app.logger.info(
            "sign-in through %s refused for %r: %s", provider, identity.subject, refusal.message
        )
        return _refused(refusal.message, refusal.status)
    return after_password(user, False, pending.get("next") or "")


def _state_matches(pending, kind: str) -> bool:
    if not isinstance(pending, dict) or pending.get("kind") != kind:
        return False
    if clock.now().timestamp() - pending.get("since", 0) > PENDING_MINUTES * 60:
        return False
    state = request.args.get("state", "")
    return bool(state) and hmac.compare_digest(state.encode(), str(pending.get("state")).encode())


def _expired_message() -> str:
    return _(
        "This sign-in could not be checked: it took too long, or it did not start from "
        "this browser. Start again from the login page."
    )


def _declined_message(kind: str) -> str:
    return _("%(provider)s did not sign you in.", provider=LABELS[kind])


def _refused(message: str, status: int):
    return render_template("sso/refused.html", message=message), status


def silent_sign_in():
    """``before_request``: the login page opened inside WeCom, DingTalk or Feishu goes
    straight to that app's sign-in, which asks nothing there. ``?local=1`` (the link on
    a refusal page) shows the login page itself."""
    if request.endpoint != "people.login" or request.method != "GET":
        return None
    if request.args.get("local") or current_user.is_authenticated:
        return None
    agent = request.user_agent.string
    for kind in service.enabled_kinds():
        if kind != OIDC and in_app(kind, agent):
            return redirect(url_for("sso.start", provider=kind, next=request.args.get("next", "")))
    return None


def login_buttons() -> list[dict]:
    """For the login page: a button per way in the administrator has turned on."""
    nxt = request.args.get("next", "")
    return [
        {
            "kind": kind,
            "label": BUTTONS[kind],
            "url": url_for("sso.start", provider=kind, next=nxt or None),
        }
        for kind in service.enabled_kinds()
    ]
