"""The thread's forms: a comment, an edit of one, its deletion, following."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from app.core.forms import VersionedForm, optional_int
from app.discussion.service import LONGEST_COMMENT


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[Length(max=LONGEST_COMMENT)],
        description=_l(
            "Markdown. Type @ and a name, its pinyin or its initials to mention a member."
        ),
    )
    quote_id = HiddenField(filters=[optional_int])
    file = FileField(_l("Attach a file (optional)"))


class EditCommentForm(VersionedForm):
    body = TextAreaField(_l("Comment"), validators=[Length(max=LONGEST_COMMENT)])


class DeleteCommentForm(VersionedForm):
    pass


class FollowForm(FlaskForm):
    following = HiddenField()
