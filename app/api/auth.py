"""Who calls: a personal access token on every request (``Authorization: Bearer gjp_…``).

No cookie is read on the API: a browser's session does not open it, so no page of
another site can make a signed-in browser write through it (no CSRF to guard). The
token's owner becomes ``current_user`` for the request, with the owner's roles of the
day; the task force is the token's own, or the one the call names (``X-Task-Force``
header or ``task_force`` parameter) among those the owner is on, or the owner's current
one. Every scoped query then sees that task force only (``core/scope.py``).
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from app.api import tokens
from app.api.models import ApiToken
from app.api.problems import problem
from app.core import audit, clock
from app.core.scope import set_scope, unscoped
from app.people.models import User
from app.people.service import available_task_forces, resolve_current_task_force

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TASK_FORCE_HEADER = "X-Task-Force"


def _invalid(detail: str):
    return problem(
        401,
        detail,
        "invalid-token",
        headers={"WWW-Authenticate": 'Bearer realm="gongjian", error="invalid_token"'},
    )


def bearer() -> str | None:
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" and raw.strip() else None


def authenticate():
    """``before_request`` of every API blueprint: the token, the reader, the scope."""
    raw = bearer()
    if raw is None:
        return problem(401, kind="token-missing")
    now = clock.now()
    with unscoped():
        token = tokens.recognise(raw, now)
    if token is None:
        return _invalid(_("This token is unknown, expired or revoked."))
    user = token.user
    g._login_user = user  # Flask-Login's current_user, for this request only
    g.api_token = token
    audit.through_token(token.id)
    with unscoped():
        tokens.note_use(token, request.remote_addr or "", now)
    if request.method not in SAFE_METHODS and not token.writes:
        return problem(403, _("This token may only read."), "read-only-token")
    refused = _enter_task_force(user, token)
    if refused is not None:
        return refused
    return None


def _enter_task_force(user: User, token: ApiToken):
    with unscoped():
        mine = available_task_forces(user)
    if token.task_force_id is not None:
        mine = [tf for tf in mine if tf.id == token.task_force_id]
    named = request.headers.get(TASK_FORCE_HEADER) or request.args.get("task_force")
    if named:
        chosen = next((tf for tf in mine if str(tf.id) == named.strip()), None)
        if chosen is None:
            return problem(
                404,
                _("This task force is not one this token reaches."),
                "unknown-task-force",
            )
    elif token.task_force_id is not None:
        chosen = mine[0] if mine else None
    else:
        with unscoped():
            chosen = resolve_current_task_force(user, mine)
    g.my_task_forces = mine
    g.task_force = chosen
    g.task_force_id = chosen.id if chosen else None
    g.scope_token = set_scope(g.task_force_id)
    return None


def reachable_task_forces() -> list:
    return list(g.get("my_task_forces", ()))


def current_token() -> ApiToken:
    return g.api_token


def vary_by_token(response):
    """``after_request``: an answer depends on the token that asked."""
    response.vary.add("Authorization")
    return response
