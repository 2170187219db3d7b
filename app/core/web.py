"""What every view uses: the permission decorator, the public marker, form error mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any
from urllib.parse import quote, urlsplit

from flask import abort, current_app, flash, g, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.utils import get_content_type

from app.core.errors import DomainError, NotFound, StaleEdit
from app.core.files import read_chunks
from app.core.links import in_task_force
from app.core.permissions import can, roles_allowed
from app.core.unit import refuse


def requires(action: str, load: Callable[..., Any] | None = None):
    """Refuse the view unless the permission table grants ``action``.

    Without ``load`` the question is asked of the current task force. With ``load``, a
    function of the URL's values that returns the object the view acts on (``None`` or
    ``NotFound`` for none in the reader's scope), it is asked of that object: the roles
    of its task force and the action's per-object rule (``OBJECT_RULES``); the view is
    then called with the object first, then the URL's values.

    :raise 403: when the current user may not.
    :raise 404: when ``load`` finds nothing.
    Anonymous users never get here: ``login_required_everywhere`` sends them to log in.
    """
    roles_allowed(action)  # fail at import time on a typo

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            # The role first: a reader with no role here learns nothing of the object.
            if not can(current_user, action, g.get("task_force_id")):
                abort(403)
            if load is None:
                return view(*args, **kwargs)
            try:
                target = load(**kwargs)
            except NotFound:
                target = None
            if target is None:
                abort(404)
            if not can(current_user, action, target):
                abort(403)
            return view(target, *args, **kwargs)

        wrapped.required_action = action
        wrapped.loads_object = load is not None
        return wrapped

    return decorator


def current_task_force():
    """The task force the request works in.

    :raise 404: when the user has none (an admin or a person on no task force).
    """
    if g.get("task_force") is None:
        abort(404)
    return g.task_force


def _sole_task_force() -> int | None:
    # A reader on one task force needs no switching. For one on several, even a link of
    # the current task force names it: the page may be followed after they switched
    # elsewhere (in another tab, by a link on this very page).
    if len(g.get("my_task_forces", ())) > 1:
        return None
    return g.get("task_force_id")


def task_force_url(endpoint: str, task_force_id: int | None, **values) -> str:
    """``url_for`` for a row of a list across the reader's task forces, naming the row's
    task force (see ``core.links``)."""
    return in_task_force(url_for(endpoint, **values), task_force_id, _sole_task_force())


class UrlPattern:
    """``url_for`` once for many links that differ in one whole-number value (a row's id).

    Built once per page with a marker in the value's place and split around it; each
    link is then the two halves joined by the row's value, the very address ``url_for``
    would build (the value's place and the other values' order kept). In a template:
    ``{% set detail = url_pattern("issues.issue_detail", "issue_id") %}`` …
    ``{{ detail(issue.id) }}``.
    """

    _MARKER = 7_315_926_480_351  # a whole number no row has, for int converters too

    def __init__(self, endpoint: str, slot: str, **values) -> None:
        built = url_for(endpoint, **{slot: self._MARKER}, **values)
        self._head, marker, self._tail = built.partition(str(self._MARKER))
        if not marker or str(self._MARKER) in self._tail:
            raise ValueError(f"{endpoint}: {slot} is not in the address once")

    def __call__(self, value: int) -> str:
        return f"{self._head}{int(value)}{self._tail}"


def task_force_link(link: str | None, task_force_id: int | None) -> str | None:
    """A stored link (a notification's) naming the task force it belongs to."""
    return in_task_force(link, task_force_id, _sole_task_force())


@dataclass
class Across:
    """The reader's task forces a page across task forces covers (those where the page's
    action is allowed), and those its filter (``?task_force=<id>``) shows."""

    allowed: list  # TaskForce rows
    shown: list
    chosen: int | None  # the task force the filter picked, if any

    @property
    def ids(self) -> list[int]:
        return [task_force.id for task_force in self.shown]

    @property
    def names(self) -> dict[int, str]:
        return {task_force.id: task_force.name for task_force in self.allowed}

    @property
    def several(self) -> bool:
        """Worth a filter: the reader has more than one task force here."""
        return len(self.allowed) > 1

    @property
    def show_each(self) -> bool:
        """Worth naming each row's task force: the rows come from more than one."""
        return len(self.shown) > 1

    @cached_property
    def badges(self) -> dict[int, Markup]:
        """Each task force's ``task_force_badge`` (``_task_force.html``), drawn once for
        the page's many rows: empty where rows need not name their task force."""
        if not self.show_each:
            return _Badges()
        macros = current_app.jinja_env.get_template("_task_force.html").make_module()
        return _Badges({tf.id: Markup(macros.task_force_badge(self, tf.id)) for tf in self.allowed})


class _Badges(dict):
    """No badge for a task force the page does not name."""

    def __missing__(self, key) -> Markup:
        return Markup()


def across_task_forces(action: str) -> Across:
    """The reader's task forces where ``action`` is allowed, narrowed by the page's filter."""
    allowed = [tf for tf in g.get("my_task_forces", ()) if can(current_user, action, tf.id)]
    wanted = request.args.get("task_force", type=int)
    picked = [tf for tf in allowed if tf.id == wanted]
    return Across(allowed, picked or allowed, wanted if picked else None)


def public(view):
    """Mark a view as open to people who are not logged in."""
    view.is_public = True
    return view


def allowed_here(action: str) -> bool:
    """For templates: may the current user do ``action`` in the current task force?"""
    return can(current_user, action, g.get("task_force_id"))


# Blueprints that authenticate each request themselves and never read the browser's
# session (the REST API: a bearer token on every call, so no cookie and no CSRF hole).
SELF_AUTHENTICATED: set[str] = set()


# Address prefixes whose errors answer in their own form, not as the HTML error page:
# the REST API's problem details, for an address under it that matches no endpoint too.
OWN_ERROR_ANSWERS: dict[str, Callable] = {}


def own_error_answer(error):
    """The answer of the prefix that owns the request's address, or None."""
    for prefix, answer in OWN_ERROR_ANSWERS.items():
        if request.path == prefix.rstrip("/") or request.path.startswith(prefix):
            return answer(error)
    return None


def authenticates_itself() -> bool:
    """Whether the request goes to a blueprint that checks its own credentials: the
    browser's sign-in, task-force switching and CSRF check leave it alone."""
    return request.blueprint in SELF_AUTHENTICATED


def login_required_everywhere():
    """``before_request``: every endpoint but the public ones needs a login; a blueprint
    that authenticates itself (``SELF_AUTHENTICATED``) is let through to its own check."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    if authenticates_itself():
        return None

    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def form_error(form, error: DomainError) -> bool:
    """Put a service's error next to its field (or on the form); returns False for chaining.
    The request counts as refused: what the service flushed is rolled back (``core.unit``)."""
    refuse()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
    return False


def flash_refusal(error: DomainError, category: str = "danger") -> None:
    """Tell a service's refusal in a flash message (for a page that redirects after it);
    nothing the request flushed is kept."""
    refuse()
    flash(error.message, category)


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


def send_stored_file(row):
    """An uploaded evidence file (a ``core.files.StoredFile`` row), streamed from the
    database a chunk at a time: PDFs and pictures open in the browser, the rest download.
    Its SHA-256 is its ETag, so a browser that has it is answered 304.

    :raise 404: when the file's bytes are missing.
    """
    pieces = read_chunks(row.stored_name)
    if pieces is None:
        abort(404)
    filename, content_type = row.filename, row.content_type
    inline = content_type in ("application/pdf", "image/png", "image/jpeg")
    response = current_app.response_class(pieces, mimetype=content_type, direct_passthrough=True)
    response.content_length = row.size
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    response.last_modified = row.created_at
    response.set_etag(row.sha256)
    # The uploader's name as it was; the ASCII fallback keeps what it can, else says what
    # the file is ("证明.pdf" -> "evidence.pdf", not ".pdf").
    stem, dot, ext = filename.rpartition(".") if "." in filename else (filename, "", "")
    fallback = f"{_ascii_part(stem) or 'evidence'}{dot}{_ascii_part(ext)}"
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response.make_conditional(request)


# --- downloads ---------------------------------------------------------------------------------


def _ascii_part(text: str) -> str:
    """``text`` kept to letters, digits, dots and dashes (runs of anything else: one dash)."""
    kept = "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".-_") else "-" for ch in text)
    while "--" in kept:
        kept = kept.replace("--", "-")
    return kept.strip("-.")


def download_names(
    label: str, ascii_label: str, ext: str, code: str = "", ascii_code: str | None = None
) -> tuple[str, str]:
    """The two names of a download: ``<label>-<code>.<ext>`` as the reader reads it
    (``问题清单-2026-12-05.xlsx``) and an ASCII fallback that still names the file
    (``problem-list-2026-12-05.xlsx``). ``ascii_code`` defaults to ``code``'s ASCII part;
    a code with no ASCII left (a Chinese title) is left out of the fallback.
    """
    name = "-".join(part for part in (label.strip(), code.strip()) if part)
    name = name.replace("/", "-").replace("\\", "-")
    fallback_code = _ascii_part(code if ascii_code is None else ascii_code)
    fallback = "-".join(part for part in (_ascii_part(ascii_label), fallback_code) if part)
    return f"{name}.{ext}", f"{fallback or 'download'}.{ext}"


def attachment_headers(
    label: str, ascii_label: str, ext: str, code: str = "", ascii_code: str | None = None
) -> dict[str, str]:
    """The Content-Disposition of a download named by :func:`download_names` (RFC 6266:
    ``filename=`` for old clients, ``filename*=UTF-8''`` for the rest)."""

    name, fallback = download_names(label, ascii_label, ext, code, ascii_code)
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
    }


def download(
    data: bytes,
    mimetype: str,
    label: str,
    ascii_label: str,
    ext: str,
    code: str = "",
    ascii_code: str | None = None,
):
    """A response that downloads ``data`` under the one scheme of names (see above)."""

    return current_app.response_class(
        data,
        content_type=content_type(mimetype),
        headers=attachment_headers(label, ascii_label, ext, code, ascii_code),
    )


def content_type(mimetype: str) -> str:
    """The Content-Type of ``mimetype`` with one charset: text gets UTF-8 unless it names
    its own (Werkzeug would add a second to ``text/csv; charset=utf-8``)."""
    if "charset=" in mimetype.lower():
        return mimetype
    return get_content_type(mimetype, "utf-8")
