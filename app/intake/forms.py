"""Forms of the intake queue."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import VersionedForm, one_line, optional_int


class SubmissionForm(FlaskForm):
    task_force_id = SelectField(_l("Task force"), coerce=optional_int, validators=[DataRequired()])
    title = StringField(
        _l("Problem or suggestion"),
        validators=[DataRequired(), Length(max=200)],
        filters=[one_line],
    )
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=10000)])
    category_id = SelectField(_l("Dimension"), coerce=optional_int, validators=[Optional()])
    org_unit_id = SelectField(_l("Org unit"), coerce=optional_int, validators=[Optional()])
    show_name = BooleanField(_l("Members may see my name"), default=True)


class MergeForm(VersionedForm):
    issue_id = SelectField(_l("Existing item"), coerce=optional_int, validators=[DataRequired()])


class DeclineForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
