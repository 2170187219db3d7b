"""Two-factor sign-in's pages: the second step of a sign-in, enrolment (at sign-in for an
administrator who must, or from the account page), recovery codes, remembered browsers,
turning it off, and an administrator's reset.

Between the password and the second step a person is half signed in: the Flask session
holds who (``PENDING``) and nothing else, no ``UserSession`` exists and Flask-Login
knows nobody, so every page but these few sends the browser to the login page.
"""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user
from markupsafe import Markup

from app.core import clock
from app.core.errors import DomainError
from app.core.web import flash_refusal, form_error, public, requires, safe_next
from app.extensions import db, limiter
from app.people import service
from app.people.forms import TwoFactorConfirmForm, TwoFactorDisableForm, TwoFactorStepForm
from app.people.models import User
from app.people.service import two_factor

bp = Blueprint("two_factor", __name__)

# The home page (the battle map) is drawn by a higher floor; it is named, not imported.
HOME = "dashboard.battle_map"
PENDING = "two_factor_pending"
# How long the second step waits after the password.
PENDING_MINUTES = 10
DEVICE_COOKIE = "gj_device"
ACCOUNT_PAGE = "people.change_password"


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address() -> str:
    return request.remote_addr or "unknown"


def throttled_message(locked: service.LoginThrottled) -> str:
    if locked.account:
        return ngettext(
            "Too many failed logins. Try again in %(num)d minute.",
            "Too many failed logins. Try again in %(num)d minutes.",
            locked.minutes,
        )
    return ngettext(
        "Too many failed logins from this address. Wait %(num)d second.",
        "Too many failed logins from this address. Wait %(num)d seconds.",
        locked.seconds,
    )


def sign_in_browser(user: User, remember: bool) -> None:
    """A fresh session for a fresh sign-in: nothing of the anonymous session (its CSRF
    token included) carries over, and the browser gets a session row of its own."""
    session.clear()
    service.start_session(user, request.remote_addr or "")
    login_user(user, remember=remember)


def after_password(user: User, remember: bool, next_url: str):
    """The answer once the password is right: signed in; or on to the second step; or,
    for an administrator without two-factor sign-in, on to enrolment."""
    if two_factor.is_enabled(user):
        if two_factor.device_remembered(user, request.cookies.get(DEVICE_COOKIE)):
            return _finish(user, remember, next_url)
        return _pend(user, remember, next_url, "code")
    if two_factor.must_enrol(user):
        return _pend(user, remember, next_url, "enrol")
    return _finish(user, remember, next_url)


def _pend(user: User, remember: bool, next_url: str, stage: str):
    locale = session.get("locale")
    session.clear()  # a fresh session here too: nothing anonymous carries over
    if locale:
        session["locale"] = locale
    session[PENDING] = {
        "user_id": user.id,
        "remember": bool(remember),
        "next": next_url or "",
        "stage": stage,
        "since": clock.now().timestamp(),
    }
    target = "two_factor.enrol_at_sign_in" if stage == "enrol" else "two_factor.step"
    return redirect(url_for(target))


def _pending_or_away(stage: str):
    """(the half-signed-in person at ``stage``, None), or (None, where the browser goes
    instead: home when signed in already, else the login page)."""
    if current_user.is_authenticated:
        return None, redirect(url_for(HOME))
    user = _pending_user(stage)
    return (user, None) if user is not None else (None, redirect(url_for("people.login")))


def _pending_user(stage: str) -> User | None:
    """The half-signed-in person at ``stage``, unless the wait ran out."""
    state = session.get(PENDING)
    if not isinstance(state, dict) or state.get("stage") != stage:
        return None
    if clock.now().timestamp() - state.get("since", 0) > PENDING_MINUTES * 60:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, state.get("user_id"))
    if user is None or not user.active:
        session.pop(PENDING, None)
        return None
    return user


def _finish(user: User, remember: bool, next_url: str):
    service.complete_sign_in(user)
    sign_in_browser(user, remember)
    return redirect(safe_next(next_url, url_for(HOME)))


def _no_store(response):
    """Secrets and recovery codes stay out of every cache and the back button's copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _device_label(agent: str) -> str:
    """ "Chrome · Windows": enough to recognise a browser in the list."""
    browsers = (
        ("MicroMessenger", "WeChat"),
        ("Edg/", "Edge"),
        ("Firefox", "Firefox"),
        ("Chrome", "Chrome"),
        ("Safari", "Safari"),
    )
    systems = (
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in agent), "")
    system = next((name for mark, name in systems if mark in agent), "")
    return " · ".join(part for part in (browser, system) if part)


def qr_svg(uri: str) -> Markup:
    """The otpauth address as an inline SVG QR code (no request leaves the page)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno's own markup, the address is percent-encoded


# --- the second step ---------------------------------------------------------------------


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def step():
    user, elsewhere = _pending_or_away("code")
    if user is None:
        return elsewhere
    form = TwoFactorStepForm()
    days = current_app.config["TWO_FACTOR_REMEMBER_DAYS"]
    status = 200
    if form.validate_on_submit():
        try:
            recovery = two_factor.verify_second_step(user, form.code.data, _address())
        except service.LoginThrottled as locked:
            form.form_errors.append(throttled_message(locked))
            status = 429
        except service.LoginRefused:
            # The failed try counts towards the lock-out although the answer is a
            # refusal (which the boundary would roll back): it is kept here.
            db.session.commit()
            form.form_errors.append(_("The code is not correct."))
            status = 401
        else:
            return _second_step_passed(user, recovery, remember_device=form.remember.data)
    return render_template("people/two_factor_step.html", form=form, days=days), status


def _second_step_passed(user: User, recovery: bool, remember_device: bool):
    state = session[PENDING]
    token = None
    if remember_device:
        token = two_factor.remember_device(user, _device_label(request.user_agent.string))
    response = _finish(user, state["remember"], state["next"])
    if recovery:
        left = two_factor.recovery_codes_left(user)
        flash(
            ngettext(
                "You signed in with a recovery code; %(num)d is left. "
                "Make new ones on your account page.",
                "You signed in with a recovery code; %(num)d are left. "
                "Make new ones on your account page.",
                left,
            ),
            "warning",
        )
    if token is not None:
        value, expires = token
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            expires=expires,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.post("/login/two-factor/cancel")
@public
def cancel():
    """Leave a half-finished sign-in: back to the login page."""
    session.pop(PENDING, None)
    return redirect(url_for("people.login"))


# --- enrolment -----------------------------------------------------------------------------


@bp.route("/login/two-factor/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def enrol_at_sign_in():
    """An administrator without two-factor sign-in enrols before anything else."""
    user, elsewhere = _pending_or_away("enrol")
    if user is None:
        return elsewhere
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except DomainError as error:
            form_error(form, error)
        else:
            session[PENDING] = {**session[PENDING], "stage": "enrolled"}
            page = render_template(
                "people/two_factor_codes.html", codes=codes, at_sign_in=True, fresh=True
            )
            return _no_store(make_response(page))
    enrolment = two_factor.begin_enrolment(user)
    page = render_template(
        "people/two_factor_enrol.html",
        form=form,
        enrolment=enrolment,
        qr=qr_svg(enrolment.uri),
        at_sign_in=True,
    )
    return _no_store(make_response(page))


@bp.post("/login/two-factor/continue")
@public
def finish_enrolment():
    """The recovery codes are noted: the sign-in that enrolment interrupted completes."""
    user, elsewhere = _pending_or_away("enrolled")
    if user is None:
        return elsewhere
    state = session[PENDING]
    return _finish(user, state["remember"], state["next"])


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires("account.edit")
def enrol():
    user = current_user._get_current_object()
    if two_factor.is_enabled(user):
        return redirect(url_for(ACCOUNT_PAGE))
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except DomainError as error:
            form_error(form, error)
        else:
            page = render_template("people/two_factor_codes.html", codes=codes, fresh=True)
            return _no_store(make_response(page))
    enrolment = two_factor.begin_enrolment(user)
    page = render_template(
        "people/two_factor_enrol.html", form=form, enrolment=enrolment, qr=qr_svg(enrolment.uri)
    )
    return _no_store(make_response(page))


# --- with two-factor sign-in on -------------------------------------------------------------


def account_card(user: User) -> dict:
    """What the account page's two-factor card shows."""
    enabled = two_factor.is_enabled(user)
    return {
        "enabled": enabled,
        "required": two_factor.is_required(user),
        "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
        "devices": two_factor.remembered_devices(user) if enabled else [],
        "disable_form": TwoFactorDisableForm(),
    }


@bp.post("/account/two-factor/recovery-codes")
@requires("account.edit")
def renew_recovery_codes():
    try:
        codes = two_factor.regenerate_recovery_codes(current_user._get_current_object())
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for(ACCOUNT_PAGE))
    page = render_template("people/two_factor_codes.html", codes=codes, fresh=False)
    return _no_store(make_response(page))


@bp.post("/account/two-factor/devices/forget")
@requires("account.edit")
def forget_device():
    device_id = request.form.get("device_id", type=int)
    try:
        two_factor.forget_device(current_user._get_current_object(), device_id or 0)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("That device will ask for a code again."), "success")
    return redirect(url_for(ACCOUNT_PAGE))


@bp.post("/account/two-factor/off")
@requires("account.edit")
def disable():
    form = TwoFactorDisableForm()
    if not form.validate_on_submit():
        flash(_("Enter your password to turn two-factor sign-in off."), "danger")
        return redirect(url_for(ACCOUNT_PAGE))
    try:
        two_factor.disable_two_factor(current_user._get_current_object(), form.password.data)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for(ACCOUNT_PAGE))


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@requires("account.two_factor.reset")
def reset(user_id: int):
    """An administrator turns off someone's two-factor sign-in (a lost phone)."""
    user = service.get_user(user_id)
    try:
        two_factor.reset_two_factor(current_user, user)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(
            _(
                "Two-factor sign-in of %(name)s is off; they can turn it on again.",
                name=user.username,
            ),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))
