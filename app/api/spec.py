"""The OpenAPI 3.1 description, generated from the endpoints' schemas (flask-smorest),
and the blueprints that make up ``/api/v1``."""

from __future__ import annotations

import http

from flask import Flask, current_app, request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from app.api import problems
from app.api.auth import authenticate, bearer, vary_by_token
from app.api.schemas import ProblemSchema
from app.core.web import SELF_AUTHENTICATED
from app.extensions import csrf, limiter

PREFIX = "/api/v1"
BLUEPRINTS: list[Blueprint] = []

DESCRIPTION = """\
The problem list and what hangs off it, for the bank's other systems.

Every call carries a personal access token (`Authorization: Bearer gjp_…`), made on the
page "API tokens" of the account menu. A token acts as its owner, with the owner's
rights on the day of the call, narrowed to reading (`read`) or not (`write`) and to one
task force or all of the owner's. Choose among them with the `X-Task-Force` header (or a
`task_force` parameter); without one, the owner's current task force is used.

Dates are ISO 8601 (`2026-12-05`); instants carry the installation's offset
(`2026-12-05T10:30:00+08:00`). Lists are paged (`page`, `per_page` ≤ 100) with a `Link`
header and `links` in the body. Errors are RFC 9457 problem details
(`application/problem+json`). Edits carry the `version` they read (or `If-Match` with
the `ETag` of the read): a stale one answers 409 (412 for If-Match).
"""


class GongjianApi(Api):
    """flask-smorest's Api, answering errors as problems and only on the API's own
    blueprints (the application's pages keep their HTML error pages)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Each API blueprint installs its own (``problems.install``)."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _rate() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _caller() -> str:
    """Whom the rate limit counts: the token (its digest), else the address."""
    from app.api.tokens import digest

    raw = bearer()
    return "token:" + digest(raw)[:24] if raw else "address:" + (request.remote_addr or "")


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A blueprint of ``/api/v1``: a token on every call, problems for every error, no
    browser session and so no CSRF check."""
    bp = Blueprint(name, import_name, url_prefix=PREFIX, description=description)
    bp.before_request(authenticate)
    bp.after_request(vary_by_token)
    problems.install(bp)
    csrf.exempt(bp)
    limiter.limit(_rate, key_func=_caller)(bp)
    SELF_AUTHENTICATED.add(name)
    BLUEPRINTS.append(bp)
    return bp


def install(app: Flask) -> GongjianApi:
    """Register every API blueprint on ``app`` and describe them."""
    api = GongjianApi(
        app,
        spec_kwargs={
            "title": "Gongjian API",
            "version": "1",
            "openapi_version": "3.1.0",
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "gjp_…"}
    )
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
    _tidy(api.spec)
    app.extensions["gongjian_api"] = api
    return api


def tag_of(blueprint_name: str) -> str:
    """How the description names a blueprint's group: ``api_item_parts`` → "Item parts"."""
    return blueprint_name.removeprefix("api_").replace("_", " ").capitalize()


def _markdown(text: str) -> str:
    """Docstrings mark code as reStructuredText does (````x````); OpenAPI reads Markdown."""
    return text.replace("``", "`")


def _tidy(spec) -> None:
    """Readable group names and Markdown in the generated description."""
    for tag in spec._tags:
        tag["name"] = tag_of(tag["name"])
        tag["description"] = _markdown(tag.get("description") or "")
    for operations in spec._paths.values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            operation["tags"] = [tag_of(name) for name in operation.get("tags", [])]
            for key in ("summary", "description"):
                if key in operation:
                    operation[key] = _markdown(operation[key])


def openapi_document(app: Flask) -> dict:
    return app.extensions["gongjian_api"].spec.to_dict()
