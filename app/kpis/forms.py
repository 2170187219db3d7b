"""Forms of the goal figures."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import VersionedForm, choices, one_line
from app.kpis.labels import DIRECTION_LABELS, UNIT_LABELS
from app.kpis.models import DIRECTIONS, UNITS

_NUMBER = _l("Enter a number.")


class KpiForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[one_line])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    unit = SelectField(_l("Unit"), choices=choices((u, UNIT_LABELS[u]) for u in UNITS))
    direction = SelectField(
        _l("Direction"), choices=choices((d, DIRECTION_LABELS[d]) for d in DIRECTIONS)
    )
    baseline = DecimalField(_l("Baseline"), validators=[InputRequired(message=_NUMBER)])
    baseline_on = DateField(_l("Baseline as of"), validators=[Optional()])
    target = DecimalField(_l("Target"), validators=[InputRequired(message=_NUMBER)])
    target_on = DateField(_l("Target date"), validators=[Optional()])
    issue_ids = SelectMultipleField(_l("Linked items"), coerce=int, validators=[Optional()])
    pilot_ids = SelectMultipleField(_l("Linked pilots"), coerce=int, validators=[Optional()])


class ReadingForm(FlaskForm):
    period = DateField(
        _l("Period (its last day)"), validators=[InputRequired(message=_l("Enter a date."))]
    )
    value = DecimalField(_l("Value"), validators=[InputRequired(message=_NUMBER)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)], filters=[one_line])


class ImportForm(FlaskForm):
    file = FileField(
        _l("Excel file (.xlsx)"), validators=[FileRequired(message=_l("Choose a file."))]
    )
