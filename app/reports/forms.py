from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired


class PackForm(FlaskForm):
    quarter = SelectField(_l("Quarter"), validators=[InputRequired()], validate_choice=True)
