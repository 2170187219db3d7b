"""Form helpers shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """``[(value, label), …]`` as WTForms' select choices; label may be a lazy string."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_int(value):
    """Coerce a select's value to int, with the empty option meaning ``None``."""
    if value in (None, "", "None"):
        return None
    return int(value)
