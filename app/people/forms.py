"""Forms for login, accounts, task forces, org units and the roster.

Forms check shape (required, length, format); services check meaning (unique names,
date order, permissions) and their errors come back onto the same fields.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.core.forms import EmailAddress, VersionedForm, choices, one_line, optional_int
from app.core.permissions import GLOBAL_ROLES, ROLE_LABELS, TASK_FORCE_ROLES
from app.people.models import ORG_UNIT_KINDS

ORG_UNIT_KIND_LABELS = {
    "hq_department": _l("HQ department"),
    "branch": _l("Branch"),
    "sub_branch": _l("Sub-branch"),
}
# Each account's one way in (User.way_in), as the administrator's pages name it.
WAY_IN_LABELS = {
    "local": _l("Local password"),
    "ldap": _l("Bank directory"),
    "oidc": _l("Unified identity (OpenID Connect)"),
    "wecom": _l("WeCom"),
    "dingtalk": _l("DingTalk"),
    "feishu": _l("Feishu"),
}


def way_in_label(way_in: str) -> str:
    return str(WAY_IN_LABELS.get(way_in, way_in))


LANGUAGE_CHOICES = [("zh_CN", "中文"), ("en", "English")]


class LoginForm(FlaskForm):
    login = StringField(_l("Username or e-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in"))
    next = HiddenField()


class TwoFactorStepForm(FlaskForm):
    """The second step of a sign-in: a code from the app, or a recovery code."""

    code = StringField(
        _l("Verification code or recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"},
    )
    remember = BooleanField()


class TwoFactorConfirmForm(FlaskForm):
    """The first code from the authenticator app, to turn two-factor sign-in on."""

    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=128)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class LocaleForm(FlaskForm):
    locale = SelectField(choices=choices(LANGUAGE_CHOICES), validators=[DataRequired()])
    next = HiddenField()


class UserForm(VersionedForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=40),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message=_l("Use letters, digits, dot, dash and underscore only."),
            ),
        ],
    )
    email = StringField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Length(max=254),
            EmailAddress(message=_l("Not a valid e-mail address.")),
        ],
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=60)], filters=[one_line]
    )
    role = SelectField(
        _l("Bank-wide role"),
        choices=choices((r, ROLE_LABELS[r]) for r in GLOBAL_ROLES),
        default="staff",
    )
    org_unit_id = SelectField(_l("Org unit"), coerce=optional_int, validators=[Optional()])
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_CHOICES), default="zh_CN")
    # Who the robots mention (@) in this person's messages; shown on no other page.
    mobile = StringField(
        _l("Mobile number"),
        validators=[Optional(), Length(max=25)],
        description=_l("11 digits, or + country code and digits."),
    )
    wecom_userid = StringField(
        _l("WeCom user ID"), validators=[Optional(), Length(max=64)], filters=[one_line]
    )
    dingtalk_userid = StringField(
        _l("DingTalk user ID"), validators=[Optional(), Length(max=64)], filters=[one_line]
    )
    feishu_user_id = StringField(
        _l("Feishu user ID"),
        validators=[Optional(), Length(max=64)],
        filters=[one_line],
        description=_l("The person's user ID in Feishu, or their ID starting with ou_."),
    )


class UserCreateForm(UserForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)])


class TaskForceForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[one_line])
    goal = TextAreaField(_l("Goal"), validators=[DataRequired(), Length(max=2000)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Enter a date."))])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])


class TaskForceCreateForm(TaskForceForm):
    leader_id = SelectField(_l("Leader"), coerce=optional_int, validators=[Optional()])


class OrgUnitForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[one_line])
    kind = SelectField(
        _l("Kind"), choices=choices((k, ORG_UNIT_KIND_LABELS[k]) for k in ORG_UNIT_KINDS)
    )
    parent_id = SelectField(_l("Part of"), coerce=optional_int, validators=[Optional()])
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
    )


class MemberAddForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=optional_int, validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=choices((r, ROLE_LABELS[r]) for r in TASK_FORCE_ROLES))
    org_unit_id = SelectField(_l("Org unit"), coerce=optional_int, validators=[Optional()])
    joined_on = DateField(_l("Joins on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on (temporary members)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)], filters=[one_line])


class RoleChangeForm(FlaskForm):
    role = SelectField(
        _l("New role"), choices=choices((r, ROLE_LABELS[r]) for r in TASK_FORCE_ROLES)
    )
    ends_on = DateField(_l("Ends on (temporary members)"), validators=[Optional()])


class EndMembershipForm(FlaskForm):
    note = StringField(_l("Reason"), validators=[Optional(), Length(max=200)], filters=[one_line])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    entity_type = SelectField(pgettext_l("audit", "Record"), validators=[Optional()])
    actor_id = SelectField(_l("Who"), coerce=optional_int, validators=[Optional()])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
