"""Headers, CSRF, cookies and secrets."""

import pytest

from app import create_app


def test_every_response_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(app, world, auth, client):
    auth.login("admin")
    for url in ("/", "/roster", "/admin/users", "/admin/org-units", "/login"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page
        assert " onclick=" not in page and " onsubmit=" not in page
        assert 'style="' not in page


def test_a_form_without_the_csrf_token_is_refused(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    response = client.post("/login", data={"login": "leader", "password": "x"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True) or "表单已过期" in response.get_data(
        as_text=True
    )


def test_a_form_with_the_csrf_token_is_accepted(app, world, monkeypatch):
    import re

    from tests.factories import PASSWORD

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"login": "leader", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    # Long but not random: refused by its entropy, not its length.
    for weak in ("x" * 64, "abcd" * 16, "0123456789" * 4):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production")


STRONG_KEY = "kR3v_9QpZt2LmXw7Yb0NcHs4Ue8JfA6Dg1PoIyT5aVqWlEr"


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    app = create_app("production", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_sends_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.delenv("HSTS", raising=False)
    app = create_app("production", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_too_large_upload_gets_the_bilingual_error_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post(
        "/login", data={"login": "x" * 5000, "password": "y"}, headers={"Accept-Language": "zh"}
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "文件过大" in page and "<html" in page
    english = client.post(
        "/login", data={"login": "x" * 5000, "password": "y"}, headers={"Accept-Language": "en"}
    )
    assert "File too large" in english.get_data(as_text=True)
