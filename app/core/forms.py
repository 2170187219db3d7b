"""Form helpers shared by every feature."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from threading import Lock
from urllib.parse import urlsplit

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import Input, TextArea

# Characters that break a one-line text: C0 and C1 controls (newline, tab, NUL …) and the
# Unicode line and paragraph separators; each run of them becomes one space.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Bidirectional embeddings, overrides and isolates: they can make a name read backwards.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def one_line(value):
    """A name or title as one line of text: control characters, line breaks and tabs
    become a space, bidirectional overrides go, and the ends are trimmed.

    The one helper for every one-line name or title: forms use it as a filter
    (``filters=[one_line]``) and models run it on every assignment of such an attribute
    (``app.core.models.one_line_attributes``). Anything but text (``None``) passes as is.
    """
    if not isinstance(value, str):
        return value
    if _BIDI.search(value):
        value = _BIDI.sub("", value)
    return _BREAKS.sub(" ", value).strip()


WEB_LINK_MESSAGE = _l("Only http:// and https:// links are accepted.")


def is_web_link(text: str) -> bool:
    """Whether ``text`` is an absolute http:// or https:// address (a meeting's online
    link): ``javascript:``, ``data:`` and other schemes are not."""
    if not text or text != text.strip() or _BREAKS.search(text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


class WebLink:
    """Form validator: empty, or an http(s) address (see ``is_web_link``)."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if value and not is_web_link(value):
            raise ValidationError(self.message or WEB_LINK_MESSAGE)


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """``[(value, label), …]`` as WTForms' select choices; label may be a lazy string."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_int(value):
    """Coerce a select's value to int, with the empty option meaning ``None``."""
    if value in (None, "", "None"):
        return None
    return int(value)


class EmailAddress:
    """An e-mail address as banks' intranets use them: ``name@host``, where the host may
    be an internal name such as ``mail.bank.local``. Shape only; no DNS look-up."""

    _label = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    _shape = re.compile(rf"^[^@\s\"'<>,;]+@{_label}(?:\.{_label})*$")

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if value and not self._shape.match(value):
            raise ValidationError(self.message or field.gettext("Not a valid e-mail address."))


class VersionedForm(FlaskForm):
    """A form that edits a row with a version number: the version it was shown with comes
    back in a hidden field, so a stale edit is refused (``core.service.check_version``)."""

    version = HiddenField()

    @property
    def version_value(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


# --- rendering ---------------------------------------------------------------------------

# A blank field (nothing in it, no error) renders the same every time for its id, name,
# attributes, checks and language: WTForms' widget builds it afresh, a fifth of the time
# of a page of forms (an item's page holds six). Kept here once per worker, this many.
_BLANK_KEPT_AT_MOST = 2048
_blank: OrderedDict[tuple, Markup] = OrderedDict()
_blank_lock = Lock()


def _attributes(attributes: dict | None) -> tuple:
    return tuple(sorted((name, str(value)) for name, value in (attributes or {}).items()))


def _kept_blank(key: tuple, render: Callable[[], Markup]) -> Markup:
    with _blank_lock:
        found = _blank.get(key)
        if found is not None:
            _blank.move_to_end(key)
            return found
    made = render()
    with _blank_lock:
        _blank[key] = made
        while len(_blank) > _BLANK_KEPT_AT_MOST:
            _blank.popitem(last=False)
    return made


def field_html(field, **attributes) -> Markup:
    """``field(**attributes)``, as WTForms renders it; a blank text, date, number or
    text-area field is rendered once and kept (see ``_blank``)."""
    blank = (
        isinstance(field.widget, (Input, TextArea))
        and field.data in (None, "")
        and not field.raw_data
        and not field.errors
        and getattr(field, "_datalist", None) is None
    )
    if not blank:
        return field(**attributes)
    key = (
        "field",
        type(field.widget),
        getattr(field.widget, "input_type", None),
        field.id,
        field.name,
        field.type,
        _attributes(attributes),
        _attributes(field.render_kw),
        _attributes(vars(field.flags)),
        str(get_locale()),
    )
    return _kept_blank(key, lambda: field(**attributes))


def label_html(field, **attributes) -> Markup:
    """``field.label(**attributes)``, rendered once per text and kept."""
    label = field.label
    key = ("label", label.field_id, str(label.text), _attributes(attributes))
    return _kept_blank(key, lambda: label(**attributes))
