"""Forms of the mind map: uploads for map and spreadsheet imports, and the apply step."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired


class MapUploadForm(FlaskForm):
    file = FileField(
        _l("Mind map file (.xmind, .mm, .opml, .md)"),
        validators=[FileRequired(_l("Choose a file."))],
    )


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class SheetUploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))]
    )
