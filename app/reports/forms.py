from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from app.core.forms import VersionedForm


class PackForm(FlaskForm):
    quarter = SelectField(_l("Quarter"), validators=[InputRequired()], validate_choice=True)


class NarrativeForm(VersionedForm):
    """The narrative's sections (keys of ``reports.narrative.SECTIONS``), as Markdown."""

    results = TextAreaField(_l("Main results"), validators=[Optional()])
    problems = TextAreaField(_l("Problems and shortfalls"), validators=[Optional()])
    practices = TextAreaField(_l("Practices and typical cases"), validators=[Optional()])
    mechanisms = TextAreaField(
        _l("Assessment of the working mechanisms (“four keeps” and “short, flat, fast”)"),
        validators=[Optional()],
    )
    plan = TextAreaField(_l("Next quarter's work plan"), validators=[Optional()])
    decisions = TextAreaField(_l("Matters submitted for decision"), validators=[Optional()])
    assessment = TextAreaField(_l("Assessment conclusions"), validators=[Optional()])


class ApproveForm(VersionedForm):
    instruction = TextAreaField(_l("Leader's instruction (optional)"), validators=[Optional()])


class WithdrawForm(VersionedForm):
    pass


class StartForm(FlaskForm):
    pass
