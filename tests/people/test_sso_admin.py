"""The sign-in methods page: each provider's settings with the secret sealed in the
database and masked on every page, the audit without secrets, each account's way in."""

from __future__ import annotations

from sqlalchemy import select

from app.core.models import AuditEvent
from app.core.sealing import is_sealed, unseal
from app.extensions import db
from app.people.models import User
from app.people.sso.models import SignInProvider
from tests import factories

SECRET = "s3cret-of-the-bank-idp-9876"


def _admin(app, auth):
    with app.app_context():
        factories.make_user("admin", role="admin")
    auth.login("admin")


def _save(client, **fields):
    data = {
        "enabled": "y",
        "issuer": "https://sso.bank.example/realms/staff",
        "scopes": "email profile",
        "client_id": "gongjian",
        "client_secret": SECRET,
        "version": "0",
    }
    data.update(fields)
    return client.post("/admin/sign-in/oidc", data=data)


def test_secret_is_sealed_in_the_database_and_masked_on_the_pages(app, client, auth, look):
    _admin(app, auth)
    assert _save(client).status_code == 302
    with look():
        row = db.session.scalar(select(SignInProvider))
        assert row.enabled and row.scopes == "openid email profile"
        assert is_sealed(row.client_secret) and SECRET not in row.client_secret
        assert unseal(row.client_secret) == SECRET
        version = row.version
    for url in ("/admin/sign-in/oidc", "/admin/sign-in", "/admin/audit"):
        page = client.get(url).get_data(as_text=True)
        assert SECRET not in page, url
    form = client.get("/admin/sign-in/oidc").get_data(as_text=True)
    assert "••••••••9876" in form
    # A blank secret keeps the stored one.
    assert (
        _save(client, client_secret="", client_id="gongjian-2", version=str(version)).status_code
        == 302
    )
    with look():
        row = db.session.scalar(select(SignInProvider))
        assert unseal(row.client_secret) == SECRET and row.client_id == "gongjian-2"
        events = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "configured").order_by(AuditEvent.id)
            )
        )
        assert len(events) == 2
        assert all(SECRET not in str(e.changes) for e in events)
        assert events[0].changes["client_secret"] == ["none", "replaced"]
        assert "client_secret" not in events[1].changes


def test_turning_on_needs_the_settings(app, client, auth, look):
    _admin(app, auth)
    refused = _save(client, issuer="", client_secret="")
    assert refused.status_code == 400
    refused = _save(client, issuer="http://sso.bank.example")
    assert refused.status_code == 400
    assert "https://" in refused.get_data(as_text=True)
    refused = client.post(
        "/admin/sign-in/wecom",
        data={"enabled": "y", "client_id": "ww1", "client_secret": "x" * 20, "version": "0"},
    )
    assert refused.status_code == 400  # no agent id
    with look():
        assert db.session.scalar(select(SignInProvider)) is None


def test_unknown_provider_page_is_404(app, client, auth):
    _admin(app, auth)
    assert client.get("/admin/sign-in/nonsense").status_code == 404


def test_way_in_is_set_per_account(app, client, auth, look):
    _admin(app, auth)
    with app.app_context():
        uid = factories.make_user("wang").id
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    # From the account's page, the way in is one click away, the account chosen already.
    account = client.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert f'href="/admin/sign-in?user_id={uid}"' in account
    chooser = client.get(f"/admin/sign-in?user_id={uid}").get_data(as_text=True)
    assert f'<option value="{uid}" selected>' in chooser
    assert (
        client.post("/admin/sign-in", data={"user_id": uid, "way_in": "wecom"}).status_code == 302
    )
    with look():
        user = db.session.get(User, uid)
        assert user.way_in == "wecom" and not user.check_password(factories.PASSWORD)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "way_in_changed"))
        assert event.changes == {"way_in": ["local", "wecom"]}
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "wang" in page and "企业微信" in page
    # The password no longer signs the account in.
    other = app.test_client()
    assert (
        other.post("/login", data={"login": "wang", "password": factories.PASSWORD}).status_code
        == 401
    )
    # Back to a password: on to the account's page to set one.
    back = client.post("/admin/sign-in", data={"user_id": uid, "way_in": "local"})
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/admin/users/{uid}")
    # Not one's own.
    own = client.post("/admin/sign-in", data={"user_id": admin_id, "way_in": "oidc"})
    assert own.status_code == 400
    with look():
        assert db.session.get(User, admin_id).way_in == "local"


def test_only_administrators(app, client, auth):
    with app.app_context():
        factories.make_user("wang")
    auth.login("wang")
    assert client.get("/admin/sign-in").status_code == 403
    assert client.get("/admin/sign-in/oidc").status_code == 403
    assert _save(client).status_code == 403
