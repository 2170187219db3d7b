"""Single sign-on: the bank's identity provider (OpenID Connect) and the workplace apps
(WeCom, DingTalk, Feishu), each set up by an administrator on the sign-in methods page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The sign-in routes, the administrator's page, the login page's buttons, the
    silent sign-in inside the workplace apps, and how the audit events read."""
    from app.people.sso import admin_views, views
    from app.people.sso import models as _models  # noqa: F401  (registers the table)

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp, url_prefix="/admin")
    app.add_template_global(views.login_buttons, "sso_login_buttons")
    app.before_request(views.silent_sign_in)
    _register_history()


def _register_history() -> None:
    from flask_babel import lazy_gettext as _l

    from app.core import history
    from app.people.sso.providers import LABELS

    history.register(
        "user",
        actions={
            "way_in_changed": _l("Way in changed"),
            "sso_linked": _l("Linked at the first single sign-on"),
        },
        fields={"oidc_subject": _l("Identity provider's subject")},
    )
    history.register(
        "sign_in_provider",
        _l("Sign-in method"),
        actions={"configured": _l("Settings changed")},
        fields={
            "kind": _l("Sign-in method"),
            "enabled": _l("Offered on the login page"),
            "issuer": _l("Issuer"),
            "scopes": _l("Scopes"),
            "client_id": _l("Client ID"),
            "client_secret": _l("Secret"),
            "agent_id": _l("Agent ID"),
            "link_by_email": _l("Found once by verified e-mail"),
            "link_by_mobile": _l("Found once by mobile number"),
        },
        values={
            "kind": LABELS,
            "client_secret": {
                "none": _l("not set"),
                "set": _l("set"),
                "replaced": _l("replaced"),
            },
        },
    )
