"""The sign-in methods page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import VersionedForm, choices, one_line, optional_int
from app.people.sso.providers import DINGTALK, FEISHU, OIDC, WAY_IN_LABELS, WECOM

# What each vendor calls the application's id and secret.
CLIENT_ID_LABELS = {
    OIDC: _l("Client ID"),
    WECOM: _l("Corp ID"),
    DINGTALK: _l("Client ID (AppKey)"),
    FEISHU: _l("App ID"),
}
SECRET_LABELS = {
    OIDC: _l("Client secret"),
    WECOM: _l("Application secret"),
    DINGTALK: _l("Client secret (AppSecret)"),
    FEISHU: _l("App secret"),
}


class ProviderForm(VersionedForm):
    enabled = BooleanField(_l("Offer this way in on the login page"))
    issuer = StringField(
        _l("Issuer"),
        validators=[Optional(), Length(max=500)],
        filters=[one_line],
        description=_l(
            "The identity provider's address; its settings are read from "
            "<issuer>/.well-known/openid-configuration."
        ),
    )
    scopes = StringField(
        _l("Scopes"),
        validators=[Optional(), Length(max=300)],
        filters=[one_line],
        description=_l("Separated by spaces; openid is always asked for."),
    )
    client_id = StringField(validators=[Optional(), Length(max=200)], filters=[one_line])
    client_secret = PasswordField(
        validators=[Optional(), Length(max=500)],
        description=_l("Leave empty to keep the stored secret."),
    )
    agent_id = StringField(
        _l("Agent ID"), validators=[Optional(), Length(max=64)], filters=[one_line]
    )
    link_by_email = BooleanField(
        _l("At the first sign-in, find the account by the e-mail address the provider verified")
    )
    link_by_mobile = BooleanField(_l("At the first sign-in, find the account by its mobile number"))


class WayInForm(FlaskForm):
    user_id = SelectField(_l("Account"), coerce=optional_int, validators=[DataRequired()])
    way_in = SelectField(
        _l("Way in"), choices=choices(WAY_IN_LABELS.items()), validators=[DataRequired()]
    )
