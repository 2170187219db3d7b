"""The page layout's menu bar, kept once rendered.

Every page prints the menu: the task-force switcher, the entries the reader's roles
allow, the account menu. Rendering it took a third of a cached page's time, and it
changes only with the reader, their roles, their task forces, the language and the kind
of page (which entry is lit). It is kept per process under a key of exactly those; the
parts that change with every request — the CSRF token, the page to return to after a
change of language, the unread count — are slots filled in afterwards.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.core.freshness import FragmentCache, worker_cache
from app.core.i18n import current_locale

_CSRF = "\x1dcsrf\x1d"
_NEXT = "\x1dnext\x1d"
_UNREAD = "\x1dunread\x1d"
_BADGE = "badge rounded-pill text-bg-danger"


def _cache() -> FragmentCache:
    return worker_cache("navbar", "NAVBAR_CACHE_SIZE", 512)


def _key() -> tuple:
    task_force = g.get("task_force")
    task_force_id = task_force.id if task_force is not None else None
    return (
        str(current_locale()),
        current_user.id,
        current_user.display_name,
        current_user.is_admin,
        tuple(sorted(current_user.roles_in(task_force_id))),
        (task_force_id, task_force.name) if task_force is not None else None,
        tuple((tf.id, tf.name) for tf in g.get("my_task_forces", ())),
        request.endpoint,
    )


def _render() -> str:
    context = {"csrf_slot": _CSRF, "next_slot": _NEXT, "unread_slot": _UNREAD}
    current_app.update_template_context(context)
    return current_app.jinja_env.get_template("_navbar.html").render(context)


def navbar() -> Markup:
    """The menu bar for this request (call only for a logged-in reader)."""
    html = _cache().get_or_build(_key(), _render)
    unread = g.get("unread_notifications") or 0
    badge = f'<span class="{_BADGE}" data-testid="unread-badge">{unread}</span>' if unread else ""
    back = request.full_path if request.query_string else request.path
    return Markup(
        html.replace(_CSRF, str(escape(generate_csrf())))
        .replace(_NEXT, str(escape(back)))
        .replace(_UNREAD, badge)
    )
