"""Optimistic locking on the API: the ``version`` a client read, sent back in the body,
or the ``ETag`` of its read sent back as ``If-Match``."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.api.problems import abort_problem


def etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


def expected_version(obj, sent: int | None) -> int:
    """The version the client says it read.

    :raise 412: when ``If-Match`` names another version than the record's.
    :raise 428: when the client says neither.
    """
    match = request.headers.get("If-Match")
    if match:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in match.split(",")}
        if "*" not in tags and str(obj.version) not in tags:
            abort_problem(412, kind="stale-edit")
        return obj.version if sent is None else sent
    if sent is None:
        abort_problem(
            428, _("Say which version you read: the version field, or If-Match."), "version-missing"
        )
    return sent
