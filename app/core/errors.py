"""Domain errors that services raise and views turn into messages or error pages."""


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


class ConfirmationRequired(DomainError):
    """The action has a consequence the user must accept first: the page shows ``message``
    (and ``details``, lines of what is at stake) and sends the action again confirmed.
    Refused by the service, not merely asked in the browser."""

    status = 409

    def __init__(self, message: str, details: list[str] | None = None, field: str | None = None):
        super().__init__(message, field)
        self.details = list(details or [])
