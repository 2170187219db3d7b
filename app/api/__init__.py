"""The REST API (``/api/v1``): personal access tokens, the endpoints over the features'
own services and permission table, and their OpenAPI 3.1 description."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The token pages, the API's blueprints and their description, how tokens' audit
    events read."""
    from app.api import categories as _categories  # noqa: F401  (adds its blueprint)
    from app.api import decisions as _decisions  # noqa: F401  (adds its blueprint)
    from app.api import docs, problems, spec, token_views
    from app.api import item_parts as _item_parts  # noqa: F401  (adds its blueprint)
    from app.api import items as _items  # noqa: F401  (adds its blueprint)
    from app.api import kpis as _kpis  # noqa: F401  (adds its blueprint)
    from app.api import me as _me  # noqa: F401  (adds its blueprint)
    from app.api import meetings as _meetings  # noqa: F401  (adds its blueprint)
    from app.api import models as _models  # noqa: F401  (registers the tables)
    from app.api import pilots as _pilots  # noqa: F401  (adds its blueprint)
    from app.core import web

    app.register_blueprint(token_views.bp)
    app.register_blueprint(docs.bp)
    spec.install(app)
    # Chinese in the answers as UTF-8, readable as it is in a log or a terminal.
    app.json.ensure_ascii = False
    # An address under /api/v1/ that no endpoint answers is a problem too, not a page.
    web.OWN_ERROR_ANSWERS[spec.PREFIX + "/"] = problems.http_problem
    _register_history()


def _register_history() -> None:
    from flask_babel import lazy_gettext as _l

    from app.api.forms import SCOPE_LABELS
    from app.core import history

    history.register(
        "api_token",
        _l("API token"),
        actions={"created": _l("Token created"), "revoked": _l("Token revoked")},
        fields={"scope": _l("Access"), "user_id": _l("Account")},
        values={"scope": SCOPE_LABELS, "user_id": "user"},
        names=("name",),
    )
