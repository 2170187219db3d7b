"""The sign-in methods page (administrators): each provider's settings, secrets masked,
and each account's way in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError, NotFound
from app.core.forms import choices
from app.core.web import form_error, refusal_status, requires
from app.people import service as people
from app.people.sso import service
from app.people.sso.forms import CLIENT_ID_LABELS, SECRET_LABELS, ProviderForm, WayInForm
from app.people.sso.providers import KINDS, LABELS, LOCAL, OIDC, WAY_IN_LABELS, WECOM
from app.people.sso.views import redirect_uri

bp = Blueprint("sign_in_admin", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
@requires("signin.manage")
def overview():
    """Every way in at a glance, and the form that sets an account's way in."""
    form = WayInForm()
    form.user_id.choices = choices([("", "—")] + people.user_options())
    if request.method == "GET":  # from an account's page: that account, ready to change
        form.user_id.data = request.args.get("user_id", type=int)
    status = 200
    if form.validate_on_submit():
        try:
            user = people.get_user(form.user_id.data)
            changed = service.set_way_in(current_user, user, form.way_in.data)
        except NotFound:
            form.user_id.errors = [_("Choose an account.")]
            status = 400
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 400)
        else:
            if changed and form.way_in.data == LOCAL:
                flash(
                    _(
                        "%(name)s signs in with a password again: set one for them below.",
                        name=user.username,
                    ),
                    "warning",
                )
                return redirect(url_for("admin.edit_user", user_id=user.id))
            flash(_("Saved."), "success")
            return redirect(url_for("sign_in_admin.overview"))
    rows = [service.provider_or_blank(kind) for kind in KINDS]
    return render_template(
        "sso/admin.html",
        rows=rows,
        labels=LABELS,
        way_in_labels=WAY_IN_LABELS,
        accounts=service.accounts_by_way_in(current_user),
        form=form,
    ), status


@bp.route("/sign-in/<provider>", methods=["GET", "POST"])
@requires("signin.manage")
def edit(provider: str):
    if provider not in KINDS:
        abort(404)
    row = service.provider_or_blank(provider)
    form = ProviderForm(obj=row) if request.method == "GET" else ProviderForm()
    form.client_id.label.text = CLIENT_ID_LABELS[provider]
    form.client_secret.label.text = SECRET_LABELS[provider]
    if request.method == "GET":
        form.version.data = row.version
        form.client_secret.data = ""  # a secret is never sent back to the browser
    status = 200
    if form.validate_on_submit():
        data = service.ProviderInput(
            enabled=form.enabled.data,
            client_id=form.client_id.data or "",
            client_secret=form.client_secret.data or "",
            issuer=form.issuer.data or "",
            scopes=form.scopes.data or "",
            agent_id=form.agent_id.data or "",
            link_by_email=form.link_by_email.data,
            link_by_mobile=form.link_by_mobile.data,
        )
        try:
            service.save_provider(current_user, provider, data, form.version_value)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 400)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("sign_in_admin.overview"))
    form.client_secret.data = ""
    hidden = set()
    if provider != OIDC:
        hidden |= {"issuer", "scopes", "link_by_email"}
    if provider != WECOM:
        hidden.add("agent_id")
    return render_template(
        "sso/provider_form.html",
        form=form,
        row=row,
        label=LABELS[provider],
        hidden=hidden,
        masked=service.masked_secret(row),
        callback=redirect_uri(provider),
    ), status
