"""Forms of the problem list. Shape here; meaning (roster, workflow) in the service."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.core.forms import VersionedForm, choices, one_line, optional_int
from app.issues.labels import (
    ACTION_PRIORITY_LABELS,
    LINK_LABELS,
    PRIORITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
)
from app.issues.models import PRIORITIES, SOURCES, STATUSES


class CategoryForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[one_line])
    parent_id = SelectField(_l("Part of"), coerce=optional_int, validators=[Optional()])
    code_prefix = StringField(
        _l("Code prefix (top-level dimensions)"),
        validators=[
            Optional(),
            Length(max=10),
            Regexp(r"^[A-Za-z]+$", message=_l("Letters only, e.g. KH.")),
        ],
    )
    action_priority = SelectField(
        _l("Action priority"),
        coerce=int,
        choices=choices(ACTION_PRIORITY_LABELS.items()),
        default=2,
    )
    description = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=1000)])


class IssueForm(VersionedForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200)], filters=[one_line]
    )
    category_id = SelectField(_l("Category"), coerce=optional_int, validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    solution = TextAreaField(_l("Solution"), validators=[Optional(), Length(max=20000)])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    collaborator_ids = SelectMultipleField(
        _l("Collaborators"), coerce=int, validators=[Optional()], render_kw={"data-picker": ""}
    )
    org_unit_id = SelectField(_l("Lead unit"), coerce=optional_int, validators=[Optional()])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    priority = SelectField(
        _l("Priority"),
        choices=choices((p, PRIORITY_LABELS[p]) for p in PRIORITIES),
        default="medium",
    )
    major = BooleanField(_l("Major item (supervised by the leader)"))
    source = SelectField(
        _l("Source"), choices=choices((s, SOURCE_LABELS[s]) for s in SOURCES), default="research"
    )


class StatusForm(VersionedForm):
    status = SelectField(_l("New status"), choices=choices((s, STATUS_LABELS[s]) for s in STATUSES))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    verification_note = TextAreaField(
        _l("Verification note"), validators=[Optional(), Length(max=5000)]
    )
    # "1" when the closer accepted closing an item with open milestones or subtasks.
    confirm = HiddenField()
    # Dropping only: the item kept, when this one is a duplicate of it (code or title).
    duplicate_of = StringField(
        _l("Duplicate of"),
        validators=[Optional(), Length(max=300)],
        filters=[one_line],
        render_kw={"list": "item-choices", "autocomplete": "off"},
    )


class LinkForm(FlaskForm):
    """A link from the item at hand to another item, picked by code or title."""

    kind = SelectField(
        _l("Link"),
        choices=choices(
            (k, LINK_LABELS[k]) for k in ("blocks", "blocked_by", "relates", "duplicates")
        ),
    )
    other = StringField(
        _l("Item"),
        validators=[DataRequired(), Length(max=300)],
        filters=[one_line],
        render_kw={"list": "item-choices", "autocomplete": "off"},
    )


class ProgressForm(FlaskForm):
    note = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=5000)])
    percent = IntegerField(_l("Percent done"), validators=[Optional(), NumberRange(min=0, max=100)])


class SubtaskForm(FlaskForm):
    title = StringField(
        _l("Subtask"), validators=[DataRequired(), Length(max=200)], filters=[one_line]
    )
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    deadline = DateField(_l("Deadline"), validators=[Optional()])


class MilestoneForm(FlaskForm):
    title = StringField(
        _l("Milestone"), validators=[DataRequired(), Length(max=200)], filters=[one_line]
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Enter a date."))])


class RescheduleForm(FlaskForm):
    due_on = DateField(_l("New due date"), validators=[InputRequired(message=_l("Enter a date."))])


class AttachmentForm(FlaskForm):
    file = FileField(_l("Evidence file"), validators=[FileRequired(message=_l("Choose a file."))])


class DoneForm(FlaskForm):
    done = HiddenField()


class FilterForm(FlaskForm):
    """The list's filters; read from the query string so a URL can be shared."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), coerce=optional_int, validators=[Optional()])
    owner = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    org_unit = SelectField(_l("Lead unit"), coerce=optional_int, validators=[Optional()])
    status = SelectMultipleField(
        _l("Status"),
        choices=choices((s, STATUS_LABELS[s]) for s in STATUSES),
        validators=[Optional()],
    )
    priority = SelectMultipleField(
        _l("Priority"),
        choices=choices((p, PRIORITY_LABELS[p]) for p in PRIORITIES),
        validators=[Optional()],
    )
    light = SelectField(_l("Light"), validators=[Optional()])
    major = SelectField(_l("Major"), validators=[Optional()])
    deadline_from = DateField(_l("Deadline from"), validators=[Optional()])
    deadline_to = DateField(_l("Deadline to"), validators=[Optional()])
    unacknowledged = BooleanField(_l("Not acknowledged"))
    open = BooleanField(_l("Open only"))
    path = SelectField(_l("Path defined"), validators=[Optional()])
    delayed = SelectField(_l("Deadline extended"), validators=[Optional()])
    sort = SelectField(_l("Sort"), validators=[Optional()])
