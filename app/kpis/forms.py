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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import VersionedForm, choices, one_line
from app.kpis.labels import AGGREGATION_LABELS, BREAKDOWN_LABELS, DIRECTION_LABELS, UNIT_LABELS
from app.kpis.models import AGGREGATIONS, BREAKDOWN_PERIODS, DIRECTIONS, UNITS

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


class BreakdownForm(VersionedForm):
    """How a KPI is broken down: its periods, its roll-up rule, its tolerance, its units."""

    kind = SelectField(
        _l("Periods"),
        choices=choices(
            [("", _l("Not broken down"))] + [(k, BREAKDOWN_LABELS[k]) for k in BREAKDOWN_PERIODS]
        ),
    )
    aggregation = SelectField(
        _l("The task force's figure is"),
        choices=choices((a, AGGREGATION_LABELS[a]) for a in AGGREGATIONS),
    )
    tolerance = DecimalField(
        _l("Yellow within (points of attainment)"),
        places=None,
        validators=[
            InputRequired(message=_NUMBER),
            NumberRange(min=0, max=100, message=_l("Between 0 and 100.")),
        ],
    )
    unit_ids = SelectMultipleField(
        _l("Org units that carry it"),
        coerce=int,
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
