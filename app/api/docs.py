"""The API's description for people: the OpenAPI document and a page that browses it.
Both are pages of the site (a signed-in browser reads them), not calls of the API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from app.api.spec import PREFIX, openapi_document
from app.core.web import requires

bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)


@bp.get("/openapi.json")
@requires("home.view")
def openapi_json():
    """The OpenAPI 3.1 description of ``/api/v1``, generated from the code."""
    return jsonify(openapi_document(current_app))


@bp.get("/docs")
@requires("home.view")
def browse():
    """The description, browsable (Swagger UI, served from ``static/vendor``)."""
    return render_template("api/docs.html")
