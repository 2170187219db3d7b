"""Domain errors that services raise and views turn into messages or error pages."""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError


class DomainError(Exception):
    """Base class. ``field`` names the form field the message belongs to, if any."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class StaleEdit(DomainError):
    """Someone else saved the record after this form was opened."""

    status = 409


class InvalidTransition(DomainError):
    status = 409


class ValidationFailed(DomainError):
    status = 400


class DuplicateKey(IntegrityError, ValidationFailed):
    """The database refused a unique key that someone else saved a moment before (two
    people creating the same thing at once). A validation error for the form; still an
    ``IntegrityError`` for code that retries on one (``app.core.conflicts``)."""

    def __init__(self, original: IntegrityError, message: str | None = None):
        super().__init__(
            original.statement,
            original.params,
            original.orig,
            hide_parameters=original.hide_parameters,
            ismulti=original.ismulti,
        )
        self.message = message or _duplicate_message()
        self.field = None


def _duplicate_message() -> str:
    return _(
        "Someone else saved the same entry a moment ago, so this one was not saved. "
        "Your input is kept below: check it against theirs, then save again."
    )


class ConfirmationRequired(DomainError):
    """The action has a consequence the user must accept first: the page shows ``message``
    (and ``details``, lines of what is at stake) and sends the action again confirmed.
    Refused by the service, not merely asked in the browser."""

    status = 409

    def __init__(self, message: str, details: list[str] | None = None, field: str | None = None):
        super().__init__(message, field)
        self.details = list(details or [])
