"""Forms of the pilots. Shape here; meaning (roster, lifecycle) in the service."""

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

from app.core.forms import VersionedForm, choices, one_line, optional_int
from app.pilots.labels import OUTCOME_LABELS, ROLLOUT_LABELS
from app.pilots.models import OUTCOMES, ROLLOUT_STATUSES


class PilotForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[one_line])
    measure = TextAreaField(_l("The measure tested"), validators=[Optional(), Length(max=20000)])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    unit_ids = SelectMultipleField(_l("Pilot org units"), coerce=int, validators=[Optional()])
    issue_ids = SelectMultipleField(_l("Linked items"), coerce=int, validators=[Optional()])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])


class StageForm(VersionedForm):
    target = StringField(validators=[DataRequired()])


class ObjectiveForm(FlaskForm):
    title = StringField(
        _l("Objective"), validators=[DataRequired(), Length(max=200)], filters=[one_line]
    )
    metric = StringField(
        _l("Metric (unit)"), validators=[Optional(), Length(max=60)], filters=[one_line]
    )
    baseline = DecimalField(_l("Baseline"), validators=[Optional()])
    target = DecimalField(_l("Target"), validators=[Optional()])


class ResultForm(FlaskForm):
    actual = DecimalField(_l("Actual"), validators=[InputRequired(message=_l("Enter a number."))])
    measured_on = DateField(_l("Measured on"), validators=[Optional()])


class ReviewForm(FlaskForm):
    what_worked = TextAreaField(_l("What worked"), validators=[Optional(), Length(max=20000)])
    what_did_not = TextAreaField(_l("What did not"), validators=[Optional(), Length(max=20000)])
    lessons = TextAreaField(_l("Lessons"), validators=[Optional(), Length(max=20000)])


class EvidenceForm(FlaskForm):
    file = FileField(_l("Evidence file"), validators=[FileRequired(message=_l("Choose a file."))])


class DecisionForm(VersionedForm):
    outcome = SelectField(
        _l("Decision"),
        choices=choices((o, OUTCOME_LABELS[o]) for o in OUTCOMES),
        validators=[DataRequired()],
    )
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=20000)])
    planned_end = DateField(_l("New planned end (to extend)"), validators=[Optional()])


class RolloutPlanForm(FlaskForm):
    unit_ids = SelectMultipleField(_l("Target org units"), coerce=int, validators=[DataRequired()])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    planned_on = DateField(_l("Planned date"), validators=[Optional()])


class RolloutForm(VersionedForm):
    status = SelectField(
        _l("Status"),
        choices=choices((s, ROLLOUT_LABELS[s]) for s in ROLLOUT_STATUSES),
        validators=[DataRequired()],
    )
    planned_on = DateField(_l("Planned date"), validators=[Optional()])
    # Kept as it was unless changed; the service checks a new owner against the roster.
    owner_id = SelectField(
        _l("Owner"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])
