"""What every view uses: the permission decorator, the public marker, form error mapping."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, request, send_file
from flask_login import current_user

from app.core.errors import DomainError, StaleEdit
from app.core.permissions import can, roles_allowed


def requires(action: str):
    """Refuse the view unless the permission table grants ``action`` in the current task force.

    :raise 403: when the current user's roles do not include the action.
    Anonymous users never get here: ``login_required_everywhere`` sends them to log in.
    """
    roles_allowed(action)  # fail at import time on a typo

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, action, g.get("task_force_id")):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def current_task_force():
    """The task force the request works in.

    :raise 404: when the user has none (an admin or a person on no task force).
    """
    if g.get("task_force") is None:
        abort(404)
    return g.task_force


def public(view):
    """Mark a view as open to people who are not logged in."""
    view.is_public = True
    return view


def allowed_here(action: str) -> bool:
    """For templates: may the current user do ``action`` in the current task force?"""
    return can(current_user, action, g.get("task_force_id"))


def login_required_everywhere():
    """``before_request``: every endpoint but the public ones needs a login."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def form_error(form, error: DomainError) -> bool:
    """Put a service's error next to its field (or on the form); returns False for chaining."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
    return False


def refusal_status(error: DomainError, otherwise: int = 400) -> int:
    """The status of a form page shown again after a service refused its input: 409 when
    someone else's save came first (the input kept, to apply again), else ``otherwise``."""
    return StaleEdit.status if isinstance(error, StaleEdit) else otherwise


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site may be a redirect target (after login, a language switch …).

    Browsers ignore tabs and newlines in URLs and read a backslash as a slash, so
    ``/\t/evil.example`` would leave the site: anything but a plain local path is refused.
    """
    if not target or not target.startswith("/") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    return target


def send_stored_file(path, content_type: str, filename: str):
    """An uploaded evidence file: PDFs and pictures open in the browser, the rest download.

    :raise 404: when the file is missing from the disk.
    """
    if not path.is_file():
        abort(404)
    inline = content_type in ("application/pdf", "image/png", "image/jpeg")
    return send_file(
        path, mimetype=content_type, as_attachment=not inline, download_name=filename, max_age=0
    )
