"""The stream's filters: GET parameters, so a filtered stream is a link one can share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from app.core.forms import optional_int


class ActivityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    who = SelectField(_l("Person"), coerce=optional_int, validators=[Optional()])
    dimension = SelectField(_l("Dimension"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
