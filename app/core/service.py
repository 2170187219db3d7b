"""Small helpers every feature's service layer shares."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import StaleEdit


def stale_message() -> str:
    return _(
        "Someone else saved this record while you were editing it. Your input is "
        "kept below; reload the page to see their changes, then apply yours again."
    )


def check_version(obj, version: int | None) -> None:
    """:raise StaleEdit: when ``obj`` was saved by someone else since ``version`` was read.

    Two saves that pass this check at the same instant are told apart by the database:
    the second one's flush raises ``StaleEdit`` too (``app.core.conflicts``).
    """
    if version is not None and obj.version != version:
        raise StaleEdit(stale_message())
