"""The forms of the token pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.api.models import READ, WRITE
from app.core.forms import EmailAddress, choices, one_line, optional_int

SCOPE_LABELS = {READ: _l("Read only"), WRITE: _l("Read and write")}
LIFETIMES = (30, 90, 180, 365)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[one_line],
        description=_l("What will use it, e.g. “OA sync” or “data warehouse”."),
    )
    scope = SelectField(_l("Access"), choices=choices(SCOPE_LABELS.items()), default=READ)
    task_force_id = SelectField(_l("Task force"), coerce=optional_int, validators=[Optional()])
    days = SelectField(_l("Valid for"), coerce=int, default=90)


class ServiceAccountForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(max=40)], filters=[one_line]
    )
    display_name = StringField(
        _l("Display name"), validators=[DataRequired(), Length(max=60)], filters=[one_line]
    )
    email = StringField(_l("E-mail"), validators=[DataRequired(), EmailAddress(), Length(max=254)])
    purpose = StringField(
        _l("Purpose"), validators=[Optional(), Length(max=200)], filters=[one_line]
    )
