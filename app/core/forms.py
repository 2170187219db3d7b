"""Form helpers shared by every feature."""

from __future__ import annotations

import re
from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


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
