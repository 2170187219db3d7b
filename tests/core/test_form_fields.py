"""Form fields rendered through ``core.forms.field_html`` and ``label_html``: what WTForms
renders, in either language, whether the field is blank (kept once rendered) or not."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core import forms


class _Sample(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    percent = IntegerField(_l("Progress"), validators=[Optional(), NumberRange(0, 100)])
    note = TextAreaField(_l("Note"), render_kw={"placeholder": _l("What moved?")})
    major = BooleanField(_l("Major"))
    version = HiddenField()


def _both(field, **attributes):
    return forms.field_html(field, **attributes), field(**attributes)


def test_blank_and_filled_fields_render_as_wtforms_does_in_both_languages(app):
    for locale in ("zh_CN", "en"):
        with app.test_request_context("/"), force_locale(locale):
            blank = _Sample(meta={"csrf": False})
            for field in blank:
                for attributes in ({"class_": "form-control"}, {"class_": "x", "rows": 4}):
                    first, wtforms_made = _both(field, **attributes)
                    assert first == wtforms_made
                    assert forms.field_html(field, **attributes) == wtforms_made  # kept
                assert forms.label_html(field, class_="form-label") == field.label(
                    class_="form-label"
                )
            filled = _Sample(
                meta={"csrf": False},
                data={"title": "资金归集", "due_on": date(2026, 12, 31), "percent": 40},
            )
            filled.note.data, filled.major.data, filled.version.data = "已推进", True, "3"
            for field in filled:
                assert _both(field, class_="form-control")[0] == field(class_="form-control")


def test_the_label_and_placeholder_follow_the_language(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            english = _Sample(meta={"csrf": False})
            english_note = forms.field_html(english.note, class_="form-control")
            english_label = forms.label_html(english.title, class_="form-label")
        with force_locale("zh_CN"):
            chinese = _Sample(meta={"csrf": False})
            chinese_note = forms.field_html(chinese.note, class_="form-control")
            chinese_label = forms.label_html(chinese.title, class_="form-label")
    assert "What moved?" in english_note
    assert chinese_note == chinese.note(class_="form-control")
    assert english_label != chinese_label
    assert chinese_label == '<label class="form-label" for="title">标题</label>'


def test_a_field_with_an_error_or_typed_input_is_rendered_afresh(app):
    with app.test_request_context("/", method="POST", data={"due_on": "不是日期"}):
        form = _Sample(meta={"csrf": False})
        assert not form.validate()
        assert form.due_on.errors
        assert forms.field_html(form.due_on, class_="form-control") == form.due_on(
            class_="form-control"
        )
        assert 'value="不是日期"' in forms.field_html(form.due_on, class_="form-control")
