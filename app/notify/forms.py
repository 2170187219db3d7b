"""Forms for a person's notification settings and the admin's channels."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields import TimeField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import choices, one_line
from app.notify.models import CHANNEL_KINDS, DINGTALK, EMAIL, FEISHU, WEBHOOK, WECOM

CHANNEL_KIND_LABELS = {
    EMAIL: _l("E-mail (SMTP from settings)"),
    WECOM: _l("WeCom group robot"),
    DINGTALK: _l("DingTalk robot"),
    FEISHU: _l("Feishu bot"),
    WEBHOOK: _l("Generic JSON webhook"),
}


class PreferencesForm(FlaskForm):
    channels = SelectMultipleField(_l("Channels"), coerce=int, validate_choice=False)
    rules = SelectMultipleField(pgettext_l("settings heading", "Reminders"), validate_choice=False)
    quiet_start = TimeField(_l("Quiet hours from"), validators=[Optional()])
    quiet_end = TimeField(_l("Quiet hours until"), validators=[Optional()])


class ChannelForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[one_line])
    kind = SelectField(
        _l("Kind"), choices=choices((k, CHANNEL_KIND_LABELS[k]) for k in CHANNEL_KINDS)
    )
    url = StringField(
        _l("Webhook address"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "The robot's full URL, including its access token. A robot only at its vendor's "
            "address over HTTPS, unless the server's settings allow an intranet gateway."
        ),
    )
    secret = PasswordField(
        _l("Signing secret"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "DingTalk or Feishu signing secret. A generic webhook gets one made and shown "
            "once if you leave it empty. Leave empty to keep the stored one."
        ),
    )
    clear_secret = BooleanField(_l("Remove the stored secret"))
    enabled = BooleanField(_l("Enabled"), default=True)
    # A generic webhook's item events, of one task force (choices set by the view).
    task_force_id = SelectField(
        _l("Task force whose items it tells of"),
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        validate_choice=False,
    )
    events = SelectMultipleField(_l("Item events"), validate_choice=False)
