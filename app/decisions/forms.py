"""Forms of escalations, supervision, scorecards and incentives."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import VersionedForm, choices, one_line, optional_int
from app.decisions.labels import (
    ESCALATION_STATUS_LABELS,
    INCENTIVE_KIND_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    POLARITY_LABELS,
)
from app.decisions.models import INCENTIVE_KINDS, KINDS, LEVELS, POLARITIES


class EscalationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices((k, KIND_LABELS[k]) for k in KINDS))
    level = SelectField(_l("Escalate to"), choices=choices((lv, LEVEL_LABELS[lv]) for lv in LEVELS))
    question = TextAreaField(
        _l("Question to decide"), validators=[DataRequired(), Length(max=5000)]
    )
    options = TextAreaField(_l("Options (one per line)"), validators=[Optional(), Length(max=5000)])
    recommendation = TextAreaField(_l("Recommendation"), validators=[Optional(), Length(max=5000)])
    due_on = DateField(_l("Decision due by"), validators=[Optional()])


class DecisionForm(VersionedForm):
    text = TextAreaField(_l("Decision"), validators=[DataRequired(), Length(max=5000)])
    chosen_option = SelectField(_l("Chosen option"), validators=[Optional()])
    rationale = TextAreaField(_l("Rationale"), validators=[Optional(), Length(max=5000)])
    unblock = BooleanField(_l("Unblock the item"))
    new_deadline = DateField(_l("New deadline"), validators=[Optional()])
    new_owner_id = SelectField(_l("New owner"), coerce=optional_int, validators=[Optional()])
    meeting_id = SelectField(_l("In which meeting"), coerce=optional_int, validators=[Optional()])


class ScheduleForm(FlaskForm):
    meeting_id = SelectField(_l("Meeting"), coerce=optional_int, validators=[Optional()])
    day = DateField(_l("Or a meeting day"), validators=[Optional()])
    # "1" when the decider accepted a meeting after the decision's due date.
    confirm = HiddenField()


class NudgeForm(FlaskForm):
    note = StringField(
        _l("Note to the owner"), validators=[Optional(), Length(max=300)], filters=[one_line]
    )


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    kind = SelectField(
        _l("Kind"),
        choices=choices([("", "—")] + [(k, KIND_LABELS[k]) for k in KINDS]),
        validators=[Optional()],
    )
    level = SelectField(
        _l("Level"),
        choices=choices([("", "—")] + [(lv, LEVEL_LABELS[lv]) for lv in LEVELS]),
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=choices([("", "—")] + list(ESCALATION_STATUS_LABELS.items())),
        validators=[Optional()],
    )
    raised_from = DateField(_l("Raised from"), validators=[Optional()])
    raised_to = DateField(_l("Raised to"), validators=[Optional()])


class ScorecardForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    by = SelectField(
        _l("Per"),
        choices=choices(
            [("member", pgettext_l("scorecard tab", "Member")), ("unit", _l("Org unit"))]
        ),
        validators=[Optional()],
    )
    sort = StringField(validators=[Optional(), Length(max=30)])


class IncentiveForm(FlaskForm):
    polarity = SelectField(
        _l("Direction"), choices=choices((p, POLARITY_LABELS[p]) for p in POLARITIES)
    )
    kind = SelectField(
        _l("Type"), choices=choices((k, INCENTIVE_KIND_LABELS[k]) for k in INCENTIVE_KINDS)
    )
    user_id = SelectField(_l("Person"), coerce=optional_int, validators=[Optional()])
    org_unit_id = SelectField(_l("Org unit"), coerce=optional_int, validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    issue_id = SelectField(_l("Related item"), coerce=optional_int, validators=[Optional()])
    awarded_on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date."))])
