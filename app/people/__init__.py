"""Accounts, task forces, org units, memberships: login, roster and switching."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The people's pages, the administration under ``/admin`` and ``flask users``."""
    from app.people import admin_views, cli, two_factor_views, views
    from app.people import models as _models  # noqa: F401  (registers the tables)
    from app.people.forms import way_in_label

    if not 0 <= app.config["TWO_FACTOR_REMEMBER_DAYS"] <= 30:
        raise RuntimeError("TWO_FACTOR_REMEMBER_DAYS must be between 0 and 30.")
    app.register_blueprint(views.bp)
    app.register_blueprint(two_factor_views.bp)
    app.register_blueprint(admin_views.bp, url_prefix="/admin")
    app.add_template_global(way_in_label, "way_in_label")
    cli.register(app)
    _register_history()
    from app.people import sso

    sso.init_app(app)


def _register_history() -> None:
    """How accounts', task forces' and org units' audit events read (core/history.py)."""
    from flask_babel import lazy_gettext as _l

    from app.core import history
    from app.people.forms import ORG_UNIT_KIND_LABELS, WAY_IN_LABELS

    history.register_reference("user", "user", ("display_name",))
    history.register_reference("org_unit", "org_unit", ("name",))
    history.register(
        "user",
        _l("Account"),
        actions={
            "login": _l("Signed in"),
            "activated": _l("Account activated"),
            "deactivated": _l("Account deactivated"),
            "password_changed": _l("Password changed"),
            "password_reset": _l("Password reset"),
            "signed_out_everywhere": _l("Signed out everywhere"),
            "sessions_ended": _l("Signed out everywhere by an administrator"),
            "two_factor_enabled": _l("Two-factor sign-in turned on"),
            "two_factor_disabled": _l("Two-factor sign-in turned off"),
            "two_factor_reset": _l("Two-factor sign-in reset by an administrator"),
            "recovery_code_used": _l("Signed in with a recovery code"),
            "recovery_codes_renewed": _l("New recovery codes made"),
            "device_forgotten": _l("Remembered device forgotten"),
            "provisioned": _l("Account made at the first sign-in with the bank directory"),
            "directory_synced": _l("Updated from the bank directory"),
        },
        fields={
            "username": _l("Username"),
            "email": _l("E-mail"),
            "display_name": _l("Display name"),
            "locale": _l("Language"),
            "mobile": _l("Mobile number"),
            "wecom_userid": _l("WeCom user ID"),
            "dingtalk_userid": _l("DingTalk user ID"),
            "feishu_user_id": _l("Feishu user ID"),
            "org_unit_id": _l("Org unit"),
            "way_in": _l("Way in"),
        },
        values={"way_in": WAY_IN_LABELS},
        names=("display_name",),
    )
    history.register(
        "org_unit",
        _l("Org unit"),
        fields={"kind": _l("Kind"), "parent_id": _l("Parent unit")},
        values={"kind": ORG_UNIT_KIND_LABELS, "parent_id": "org_unit"},
        names=("name",),
    )
    history.register(
        "task_force",
        _l("Task force"),
        fields={"goal": _l("Goal")},
        names=("name",),
    )
    history.register(
        "membership",
        _l("Membership"),
        actions={
            "joined": _l("Joined"),
            "left": _l("Left"),
            "role_changed": _l("Role changed"),
        },
        fields={
            "joined_on": _l("Joined on"),
            "left_on": _l("Left on"),
            "until": _l("Until"),
            "user_id": _l("Person"),
        },
        values={"user_id": "user"},
    )
