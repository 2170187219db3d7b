"""``/api/v1/me``: who the token acts as, what it may do, which task forces it reaches."""

from __future__ import annotations

from flask import g
from flask_login import current_user
from marshmallow import Schema, fields

from app.api.auth import current_token, reachable_task_forces
from app.api.models import SCOPES
from app.api.schemas import LocalDateTime
from app.api.spec import api_blueprint
from app.core.web import requires

bp = api_blueprint("api_me", __name__, "The token and its owner.")


class TokenInfoSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scope = fields.String(required=True, metadata={"enum": list(SCOPES)})
    task_force_id = fields.Integer(allow_none=True, required=True)
    expires_at = LocalDateTime(required=True)


class TaskForceRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    token = fields.Nested(TokenInfoSchema, required=True)
    task_force_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The task force this call works in."},
    )
    task_forces = fields.List(fields.Nested(TaskForceRefSchema), required=True)


@bp.route("/me", methods=["GET"])
@requires("home.view")
@bp.response(200, MeSchema)
def me():
    """The token's owner and the task forces the token reaches (``X-Task-Force`` picks)."""
    forces = [
        {"id": tf.id, "name": tf.name, "roles": sorted(current_user.roles_in(tf.id))}
        for tf in reachable_task_forces()
    ]
    return {
        "id": current_user.id,
        "username": current_user.username,
        "display_name": current_user.display_name,
        "token": current_token(),
        "task_force_id": g.get("task_force_id"),
        "task_forces": forces,
    }
