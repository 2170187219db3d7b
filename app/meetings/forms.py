"""Forms of meetings. Shape here; meaning (roster, states) in the service."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.core.forms import VersionedForm, WebLink, choices, one_line, optional_int
from app.meetings.labels import CADENCE_LABELS, KIND_LABELS
from app.meetings.models import CADENCES, KINDS

_TIME = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Write the time as HH:MM."))


class SeriesForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[one_line])
    kind = SelectField(_l("Kind"), choices=choices((k, KIND_LABELS[k]) for k in KINDS))
    cadence = SelectField(_l("Cadence"), choices=choices((c, CADENCE_LABELS[c]) for c in CADENCES))
    rrule = StringField(
        _l("Recurrence rule (custom cadence)"), validators=[Optional(), Length(max=300)]
    )
    starts_on = DateField(_l("First meeting on"), validators=[InputRequired()])
    start_time = StringField(_l("Time"), default="09:30", validators=[DataRequired(), _TIME])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[InputRequired(), NumberRange(5, 600)]
    )
    chair_id = SelectField(_l("Chair"), coerce=optional_int, validators=[InputRequired()])
    attendee_ids = SelectMultipleField(
        _l("Attendees"), coerce=int, validators=[Optional()], render_kw={"data-picker": ""}
    )
    counterpart_user_ids = SelectMultipleField(
        _l("Counterparts: people (one-on-ones)"),
        coerce=int,
        validators=[Optional()],
        render_kw={"data-picker": ""},
    )
    counterpart_unit_ids = SelectMultipleField(
        _l("Counterparts: departments (one-on-ones)"), coerce=int, validators=[Optional()]
    )
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)], filters=[one_line])
    online_link = StringField(
        _l("Online link"), validators=[Optional(), Length(max=300), WebLink()]
    )
    agenda_template = TextAreaField(
        _l("Agenda template (one item a line)"), validators=[Optional(), Length(max=4000)]
    )


class MoveForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    start_time = StringField(_l("Time"), validators=[DataRequired(), _TIME])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)], filters=[one_line])


class AgendaItemForm(FlaskForm):
    title = StringField(
        _l("Agenda item"), validators=[DataRequired(), Length(max=300)], filters=[one_line]
    )
    section = StringField(
        _l("Section"), validators=[Optional(), Length(max=100)], filters=[one_line]
    )


class ActionForm(FlaskForm):
    title = StringField(
        _l("Action item"), validators=[DataRequired(), Length(max=300)], filters=[one_line]
    )
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    deadline = DateField(_l("Deadline"), validators=[Optional()])


class MinutesForm(VersionedForm):
    """The decisions; the minutes per agenda item come as ``minutes-<item id>`` fields."""

    decisions = TextAreaField(_l("Decisions"), validators=[Optional(), Length(max=20000)])


class ToIssueForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=optional_int, validators=[InputRequired()])
