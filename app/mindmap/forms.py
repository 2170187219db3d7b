"""Forms of the mind map: uploads for map and spreadsheet imports, and the apply step."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired


class MapUploadForm(FlaskForm):
    file = FileField(
        _l("Mind map file (.xmind, .mm, .opml, .md)"),
        validators=[FileRequired(_l("Choose a file."))],
    )


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    keep_closed = BooleanField(_l("Keep closed items closed"), default=False)


class SheetForm(FlaskForm):
    """Read another sheet of the stored upload."""

    token = HiddenField(validators=[DataRequired()])
    sheet = SelectField(_l("Sheet"), coerce=int, validate_choice=False)


class SheetUploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))]
    )
