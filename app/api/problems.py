"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API answers the same way: ``type`` (a URN naming the kind of
problem, ``about:blank`` for a plain HTTP status), ``title`` (the status's words),
``status``, ``detail`` (what went wrong, in the caller's language), and where they apply
``errors`` (field -> messages, for input refused field by field) and ``details`` (the
lines of what is at stake, for a confirmation the caller must give).
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, default_exceptions

from app.core.errors import (
    ConfirmationRequired,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleEdit,
    ValidationFailed,
)
from app.extensions import db

MEDIA_TYPE = "application/problem+json"
URN = "urn:gongjian:problem:"


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Not signed in"),
        403: _("Access denied"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        412: _("Precondition failed"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Input refused"),
        428: _("Precondition required"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
    }


def _details() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Send a valid personal access token: Authorization: Bearer gjp_…"),
        403: _("You are not allowed to do this."),
        404: _("There is nothing here, or it belongs to another task force."),
        405: _("This address does not answer this method."),
        409: _("The record was changed by someone else. Read it again and retry."),
        412: _("The record was changed since you read it (If-Match). Read it again and retry."),
        413: _("The request is larger than this site accepts."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some of the input was refused; see errors."),
        428: _("Say which version you read: the version field, or If-Match."),
        429: _("Too many requests in a short time. Wait and try again."),
        500: _("The server hit an error. It has been logged; please try again."),
    }


def problem(
    status: int,
    detail: str | None = None,
    kind: str | None = None,
    headers: dict | None = None,
    **extra,
):
    """A problem-details response."""
    body = {
        "type": URN + kind if kind else "about:blank",
        "title": _titles().get(status, _("Error")),
        "status": status,
        "detail": detail or _details().get(status, ""),
        "instance": request.path,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="gongjian"')
    return response


_KINDS = (
    (ConfirmationRequired, "confirmation-required"),
    (StaleEdit, "stale-edit"),
    (InvalidTransition, "invalid-transition"),
    (PermissionDenied, "permission-denied"),
    (NotFound, "not-found"),
    (ValidationFailed, "validation-failed"),
)


def domain_problem(error: DomainError):
    """A service's refusal: its status, its message; a field's message under ``errors``."""
    db.session.rollback()
    kind = next((name for cls, name in _KINDS if isinstance(error, cls)), "domain-error")
    if isinstance(error, NotFound):
        return problem(404, kind=kind)  # the same answer whether it exists elsewhere or not
    if isinstance(error, StaleEdit):  # the pages' words speak of a form kept below
        return problem(409, _details()[409], kind)
    status = error.status
    if isinstance(error, ValidationFailed):
        status = 409 if isinstance(error, IntegrityError) else 422
        kind = "duplicate" if isinstance(error, IntegrityError) else kind
    errors = {error.field: [error.message]} if error.field else None
    details = error.details if isinstance(error, ConfirmationRequired) else None
    return problem(status, error.message, kind, errors=errors, details=details)


def http_problem(error: HTTPException):
    db.session.rollback()
    code = error.code or 500
    headers = {}
    if code == 429:
        # Flask-Limiter's answer carries the wait; say it even when its headers are off.
        retry = error.get_response().headers.get("Retry-After") if error.response else None
        headers["Retry-After"] = retry or "60"
    if code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages"))
    detail = None if code in (404, 401, 403, 429, 405) else getattr(error, "description", None)
    if code == 422 or errors:
        detail = None
    kind = getattr(error, "problem_kind", None)
    return problem(
        code, getattr(error, "problem_detail", None) or detail, kind, headers, errors=errors
    )


def _field_errors(messages) -> dict | None:
    """webargs' ``{location: {field: messages}}`` as ``{field: [message, …]}`` (the
    messages of a list's or a nested object's parts gathered under the field)."""
    if not messages:
        return None
    flat: dict = {}
    for location in messages.values():
        if isinstance(location, dict):
            for field, found in location.items():
                flat[str(field)] = _strings(found)
    return flat or None


def _strings(found) -> list[str]:
    if isinstance(found, dict):
        return [text for part in found.values() for text in _strings(part)]
    if isinstance(found, (list, tuple)):
        return [text for part in found for text in _strings(part)]
    return [_in_callers_words(str(found))]


def _fixed_messages() -> dict[str, str]:
    """marshmallow's own messages (English in the library), in the caller's language."""
    return {
        "Missing data for required field.": _("Required."),
        "Field may not be null.": _("May not be empty (null)."),
        "Unknown field.": _("Unknown field."),
        "Invalid input type.": _("Not the expected kind of value."),
        "Not a valid string.": _("Not text."),
        "Not a valid integer.": _("Not a whole number."),
        "Not a valid number.": _("Not a number."),
        "Not a valid boolean.": _("Not true or false."),
        "Not a valid date.": _("Not a date (YYYY-MM-DD)."),
        "Not a valid datetime.": _("Not a date and time (ISO 8601)."),
        "Not a valid list.": _("Not a list."),
        "Not a valid mapping type.": _("Not an object."),
        "Not a valid email address.": _("Not an e-mail address."),
        "Invalid value.": _("Not an allowed value."),
    }


_PATTERNS = (
    (re.compile(r"Must be one of: (?P<choices>.*)\.$"), "one_of"),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\.$"), "longer"),
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\.$"), "shorter"),
    (re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"), "length"),
    (re.compile(r"Must be greater than or equal to (?P<min>\S+) and less than or equal to "
                r"(?P<max>\S+)\.$"), "range"),
    (re.compile(r"Must be greater than or equal to (?P<min>\S+)\.$"), "at_least"),
    (re.compile(r"Must be less than or equal to (?P<max>\S+)\.$"), "at_most"),
)  # fmt: skip


def _patterned(kind: str, values: dict) -> str:
    words = {
        "one_of": lambda: _("One of: %(choices)s.", **values),
        "longer": lambda: _("At most %(max)s characters.", **values),
        "shorter": lambda: _("At least %(min)s characters.", **values),
        "length": lambda: _("Between %(min)s and %(max)s long.", **values),
        "range": lambda: _("From %(min)s to %(max)s.", **values),
        "at_least": lambda: _("At least %(min)s.", **values),
        "at_most": lambda: _("At most %(max)s.", **values),
    }
    return words[kind]()


def _in_callers_words(message: str) -> str:
    """A field's message as the caller reads it: the services' own are translated
    already; the schema library's are looked up here."""
    fixed = _fixed_messages().get(message)
    if fixed:
        return fixed
    for pattern, kind in _PATTERNS:
        found = pattern.match(message)
        if found:
            return _patterned(kind, found.groupdict())
    return message


def stale_problem(error):
    db.session.rollback()
    return problem(409, _details()[409], "stale-edit")


def integrity_problem(error: IntegrityError):
    if isinstance(error, DomainError):
        return domain_problem(error)
    db.session.rollback()
    return problem(409, kind="conflict")


def server_problem(error: Exception):
    current_app.logger.exception("API request failed", exc_info=error)
    db.session.rollback()
    return problem(500)


def install(bp: Blueprint) -> None:
    """Every error of ``bp`` answered as a problem."""
    bp.register_error_handler(DomainError, domain_problem)
    bp.register_error_handler(HTTPException, http_problem)
    # Per status too: the application's own error pages are registered per status, and
    # Flask prefers an application's handler for a status over a blueprint's for a class.
    for code in default_exceptions:
        bp.register_error_handler(code, http_problem)
    bp.register_error_handler(StaleDataError, stale_problem)
    bp.register_error_handler(IntegrityError, integrity_problem)
    bp.register_error_handler(Exception, server_problem)


def abort_problem(status: int, detail: str | None = None, kind: str | None = None):
    """Stop the request with a problem of ``status``."""
    error = default_exceptions[status]()
    error.problem_detail = detail
    error.problem_kind = kind
    raise error
