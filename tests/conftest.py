"""Fixtures: one migrated database per run, emptied after every test.

The database is SQLite in a temporary folder, or the one named by TEST_DATABASE_URL
(``.ci/run`` sets it to PostgreSQL). The schema comes from the migrations, exactly as in
production, so a test run also proves that ``flask db upgrade`` works on that engine.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.core import clock
from app.core.freshness import fragment_cache
from app.core.scope import unscoped
from app.extensions import db
from tests import factories

PASSWORD = factories.PASSWORD


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return (
            url.replace("postgresql://", "postgresql+psycopg://", 1)
            if url.startswith("postgresql://")
            else url
        )
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _drop_everything() -> None:
    """Start from an empty database, whatever an earlier run left behind."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    os.environ.setdefault("GONGJIAN_INSTANCE", str(tmp_path_factory.mktemp("instance")))
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=_database_url(tmp_path_factory),
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Every test starts with empty tables and a running clock."""
    yield
    clock.set_now(None)
    with app.app_context():
        fragment_cache().clear()  # the emptied tables start their versions again at 1
        db.session.remove()
        with unscoped():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()


@pytest.fixture(autouse=True)
def _api_answers_as_described(app):
    """Every REST API answer a test receives must fit the generated OpenAPI document
    (tests/openapi_check.py); a test whose calls got answers that do not fails."""
    from flask import request_finished

    from tests.openapi_check import check

    failures: list[str] = []

    def checked(sender, response, **extra):
        check(sender, response, failures)

    request_finished.connect(checked, app)
    yield
    request_finished.disconnect(checked, app)
    assert failures == [], "API answers that do not fit openapi.json"


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context(), unscoped():
        yield app


@pytest.fixture
def commit():
    """The boundary of a test that calls services directly (services flush, never
    commit; ``app.core.unit``): ``commit()`` keeps what they did, as the end of a request
    or a command would, where the test then looks from another connection or request."""
    return db.session.commit


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    """Logs a test client in and out, like flaskr's AuthActions."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        response = self.client.post("/login", data={"login": username, "password": password})
        assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login(app):
    """A new test client logged in as a persona (or any username): one per person, for
    tests where several people act in turn."""

    def login_as(username: str):
        client = app.test_client()
        response = client.post("/login", data={"login": username, "password": PASSWORD})
        assert response.status_code == 302, f"login of {username} failed"
        return client

    return login_as


@pytest.fixture
def world(app):
    """Two task forces with one person in every role on the first; see factories.build_world."""
    with app.app_context(), unscoped():
        return factories.build_world()


@contextmanager
def in_app(app):
    """Look at the database from a test that otherwise talks HTTP."""
    with app.app_context(), unscoped():
        yield
        db.session.remove()


@pytest.fixture
def look(app):
    return lambda: in_app(app)


@pytest.fixture
def race(monkeypatch):
    """Two requests that save one record at the same instant (tests/races.py)."""
    from tests.races import Race

    return Race(monkeypatch)
