"""The pages of personal access tokens (API 令牌) and of the administrator's service
accounts. A new token's secret is shown on the answer to its form, once."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import tokens
from app.api.forms import LIFETIMES, SCOPE_LABELS, ServiceAccountForm, TokenForm
from app.core import clock
from app.core.errors import DomainError, NotFound
from app.core.forms import choices
from app.core.scope import unscoped
from app.core.web import flash_refusal, form_error, refusal_status, requires
from app.extensions import db
from app.people.models import User
from app.people.service import available_task_forces

bp = Blueprint("api_tokens", __name__)


def _token_form(owner: User, *, blank: bool = False) -> TokenForm:
    """The form of a new token of ``owner``; ``blank``: empty again after one was made."""
    form = TokenForm(formdata=None) if blank else TokenForm()
    longest = current_app.config["API_TOKEN_MAX_DAYS"]
    days = sorted({d for d in LIFETIMES if d <= longest} | {longest})
    form.days.choices = choices((d, _("%(num)d days", num=d)) for d in days)
    with unscoped():
        mine = available_task_forces(owner)
    form.task_force_id.choices = choices(
        [("", _("All of the account's task forces"))] + [(tf.id, tf.name) for tf in mine]
    )
    return form


def _token_input(form: TokenForm) -> tokens.TokenInput:
    return tokens.TokenInput(
        name=form.name.data or "",
        scope=form.scope.data,
        days=form.days.data,
        task_force_id=form.task_force_id.data,
    )


def _tokens_page(owner: User, form: TokenForm, secret: str | None = None, status: int = 200):
    response = render_template(
        "api/tokens.html",
        owner=owner,
        form=form,
        tokens=tokens.tokens_of(owner),
        secret=secret,
        scope_labels=SCOPE_LABELS,
        now=clock.now(),
        service=owner.id != current_user.id,
    )
    return response, status


def _create_for(owner: User):
    form = _token_form(owner)
    if not form.validate_on_submit():
        return _tokens_page(owner, form, status=400 if form.is_submitted() else 200)
    try:
        _token, secret = tokens.create_token(current_user, owner, _token_input(form))
    except DomainError as error:
        form_error(form, error)
        return _tokens_page(owner, form, status=refusal_status(error))
    return _tokens_page(owner, _token_form(owner, blank=True), secret=secret, status=201)


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@requires("account.edit")
def my_tokens():
    """My tokens: make one (its secret shown this once), see when each was last used."""
    return _create_for(current_user)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@requires("account.edit")
def revoke(token_id: int):
    try:
        token = tokens.get_token(token_id)
        owner_id = token.user_id
        tokens.revoke_token(current_user, token)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("api_tokens.my_tokens"))
    flash(_("The token %(prefix)s… no longer works.", prefix=token.prefix), "success")
    if owner_id != current_user.id:
        return redirect(url_for("api_tokens.service_account_tokens", user_id=owner_id))
    return redirect(url_for("api_tokens.my_tokens"))


@bp.route("/admin/service-accounts", methods=["GET", "POST"])
@requires("user.manage")
def service_accounts():
    """Accounts for programs: made here, put on task forces by the roster, given tokens."""
    form = ServiceAccountForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = tokens.create_service_account(
                current_user,
                tokens.ServiceAccountInput(
                    username=form.username.data,
                    display_name=form.display_name.data,
                    email=form.email.data,
                    purpose=form.purpose.data or "",
                ),
            )
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(
                _("Service account created. Put it on a task force, then give it a token."),
                "success",
            )
            return redirect(url_for("api_tokens.service_account_tokens", user_id=account.user_id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "api/service_accounts.html", form=form, accounts=tokens.service_accounts()
    ), status


@bp.route("/admin/service-accounts/<int:user_id>/tokens", methods=["GET", "POST"])
@requires("user.manage")
def service_account_tokens(user_id: int):
    owner = db.session.get(User, user_id)
    if owner is None or not tokens.is_service_account(owner):
        abort(404)
    return _create_for(owner)
