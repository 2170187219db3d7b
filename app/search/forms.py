"""The search's query and filters: GET parameters, so a search is a link one can share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from app.core.forms import optional_int
from app.search.tokens import MAX_QUERY


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[lambda v: (v or "").strip()[:MAX_QUERY]])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    force = SelectField(_l("Task force"), coerce=optional_int, validators=[Optional()])
    person = SelectField(_l("Person"), coerce=optional_int, validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
