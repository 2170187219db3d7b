"""One unit of work: services flush, the boundary commits (``app.core.unit``).

Each test writes a row inside a request, lets the boundary decide, and then looks from a
fresh application context (a new session, so only what was committed is there).
"""

from __future__ import annotations

import pytest
from flask import Response
from sqlalchemy import event, func, select, text

from app.core import unit
from app.core.errors import ValidationFailed
from app.core.scope import unscoped
from app.core.web import flash_refusal, form_error
from app.extensions import db
from app.people.models import OrgUnit, User
from tests import factories


def _units_named(app, name: str) -> int:
    with app.app_context(), unscoped():
        count = db.session.scalar(select(func.count(OrgUnit.id)).where(OrgUnit.name == name))
        db.session.remove()
        return count


def _add_unit(name: str) -> None:
    db.session.add(OrgUnit(name=name, kind="branch"))
    db.session.flush()  # as a service does: flushed, never committed


def _answer(app, method: str, status: int, work, name: str) -> Response:
    with app.test_request_context("/x", method=method), unscoped():
        work(name)
        response = unit.commit_at_boundary(Response(status=status))
        db.session.remove()
        return response


@pytest.mark.parametrize("status", [200, 302])
def test_a_successful_post_keeps_its_work(app, status):
    _answer(app, "POST", status, _add_unit, "kept")
    assert _units_named(app, "kept") == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 500])
def test_an_error_answer_keeps_nothing(app, status):
    _answer(app, "POST", status, _add_unit, "dropped")
    assert _units_named(app, "dropped") == 0


def test_a_refusal_shown_on_the_form_keeps_nothing(app):
    class Form:
        form_errors: list = []

    def refused_work(name):
        _add_unit(name)
        form_error(Form(), ValidationFailed("no"))

    _answer(app, "POST", 200, refused_work, "refused")
    assert _units_named(app, "refused") == 0


def test_a_refusal_told_in_a_flash_keeps_nothing(app):
    def refused_work(name):
        _add_unit(name)
        flash_refusal(ValidationFailed("no"))

    _answer(app, "POST", 302, refused_work, "flashed")
    assert _units_named(app, "flashed") == 0


def test_a_read_commits_nothing_and_a_write_on_a_get_is_kept(app):
    commits = []
    listener = lambda session: commits.append(session)  # noqa: E731
    event.listen(db.session, "after_commit", listener)
    postgresql = _engine(app).dialect.name == "postgresql"
    try:
        _answer(app, "GET", 200, lambda name: db.session.scalar(select(OrgUnit.id)), "read")
        # On PostgreSQL a read ends with a commit of nothing (its prepared statements stay).
        assert len(commits) == (1 if postgresql else 0)
        _answer(app, "GET", 200, _add_unit, "marked")
        assert len(commits) == (2 if postgresql else 1)
    finally:
        event.remove(db.session, "after_commit", listener)
    assert _units_named(app, "marked") == 1


def _engine(app):
    with app.app_context():
        return db.engine


def _ends(app, work) -> list[str]:
    """How a GET's transaction ended on the connection: "commit" or "rollback"."""
    ends: list[str] = []
    on_commit = lambda conn: ends.append("commit")  # noqa: E731
    on_rollback = lambda conn: ends.append("rollback")  # noqa: E731
    engine = _engine(app)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        _answer(app, "GET", 200, work, "")
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)
    return ends


def test_on_postgresql_a_read_keeps_its_prepared_statements_and_a_sent_write_is_rolled_back(app):
    """psycopg forgets its prepared statements at a rollback: a read ends with a commit,
    so a page's statements are parsed and planned once per connection, not per page."""
    if _engine(app).dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    seen = {}

    def read_often(_name):
        for _ in range(6):  # psycopg prepares a statement at its fifth run
            db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == "prepared?"))
        seen["driver"] = db.session.connection().connection.dbapi_connection

    assert _ends(app, read_often) == ["commit"]
    driver = seen["driver"]
    try:
        with driver.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
    finally:
        driver.rollback()
    assert any("org_unit.name" in statement for statement in prepared)

    def sent_write(_name):
        db.session.scalar(select(OrgUnit.id))
        db.session.execute(text("UPDATE org_unit SET name = name WHERE id = -1"))

    assert _ends(app, sent_write) == ["rollback"]


def test_a_conflict_at_the_commit_answers_409_and_keeps_nothing(app):
    with app.app_context(), unscoped():
        factories.make_user("taken")
        db.session.commit()

    def clashing(name):
        _add_unit(name)
        db.session.add(User(username="taken", display_name="x", password_hash="x"))

    with app.test_request_context("/x", method="POST"), unscoped():
        clashing("clash")
        response = unit.commit_at_boundary(Response(status=302))
        assert response.status_code == 409
        db.session.remove()
    assert _units_named(app, "clash") == 0


def test_committing_keeps_a_command_s_work_or_none_of_it(app):
    with app.app_context(), unscoped():
        with unit.committing():
            _add_unit("command")
        with pytest.raises(RuntimeError), unit.committing():
            _add_unit("failed command")
            raise RuntimeError("stop")
        db.session.remove()
    assert _units_named(app, "command") == 1
    assert _units_named(app, "failed command") == 0


# The boundaries that commit: the request's, a command's, a job's (the runners, and the
# delivery pass, which commits each claim and outcome on purpose: ARCHITECTURE.md, "Jobs").
BOUNDARIES = {
    "__init__.py",  # a switch of task force named on a request: its own unit, first
    "meetings/views.py",  # what was typed on a meeting's page, kept before its action runs
    "people/views.py",  # a refused login still counts towards the lock-out
    "people/two_factor_views.py",  # a refused second-step code counts towards it too
    "core/unit.py",
    "core/jobs.py",
    "core/scheduler.py",
    "notify/delivery.py",
}


def test_nothing_but_a_boundary_commits():
    """The rule itself: no module of the application calls commit but the boundaries."""
    import pathlib

    root = pathlib.Path(__file__).parents[2] / "app"
    committing = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "session.commit()" in path.read_text(encoding="utf-8")
    }
    assert committing - BOUNDARIES == set()
