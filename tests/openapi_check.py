"""Every answer of the REST API that the suite receives is checked against the OpenAPI
document the application generates (openapi-core): status, media type, headers and
body must be what the description promises. ``tests/conftest.py`` runs the check."""

from __future__ import annotations

import json

from flask import Flask, request
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

API_PREFIX = "/api/v1/"
# Pages of the site under the prefix (the document itself and its browser).
NOT_CALLS = ("/api/v1/openapi.json", "/api/v1/docs")

_documents: dict[int, OpenAPI] = {}


def document(app: Flask) -> OpenAPI:
    from app.api.spec import openapi_document

    if id(app) not in _documents:
        with app.app_context():
            config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
            _documents[id(app)] = OpenAPI.from_dict(openapi_document(app), config=config)
    return _documents[id(app)]


def is_call(path: str) -> bool:
    return path.startswith(API_PREFIX) and path not in NOT_CALLS


def check(app: Flask, response, failures: list) -> None:
    """``request_finished``: check the answer of an API call, note what does not fit."""
    if not is_call(request.path) or request.url_rule is None:
        return
    try:
        document(app).validate_response(
            WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
        )
    except Exception as error:  # noqa: BLE001 - every kind of mismatch is a failure
        detail = getattr(error, "__cause__", None) or error
        failures.append(
            f"{request.method} {request.full_path} -> {response.status_code}: "
            f"{type(error).__name__}: {detail}; body {response.get_data(as_text=True)[:300]}"
        )
