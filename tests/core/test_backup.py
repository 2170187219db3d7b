"""``flask backup PATH`` and ``flask restore PATH``: a restore brings back what was backed up.

On SQLite the commands copy the database file through SQLite's backup API; on PostgreSQL
they run ``pg_dump`` and ``pg_restore``. The same tests run on both.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.people.models import User
from tests import factories


def usernames(look) -> set[str]:
    """What a fresh session finds in the database now."""
    with look():
        return set(db.session.scalars(select(User.username)))


def users_as_stored(look) -> list[tuple]:
    with look():
        rows = db.session.scalars(select(User).order_by(User.id))
        return [
            (u.id, u.username, u.email, u.display_name, u.password_hash, u.created_at) for u in rows
        ]


def backend(app) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def backup(look, runner, tmp_path):
    """A backup holding one user, ``before``, written with ``flask backup``."""
    with look():
        factories.make_user("before", display_name="备份前")
    path = tmp_path / "backups" / "gongjian.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"backup written to {path}" in result.output
    assert path.is_file() and path.stat().st_size > 0
    return path


def test_restore_brings_back_the_data_as_it_was_at_backup_time(backup, look, runner):
    at_backup = users_as_stored(look)
    with look():
        factories.make_user("after")
    assert usernames(look) == {"before", "after"}

    result = runner.invoke(args=["restore", "--yes", str(backup)])

    assert result.exit_code == 0, result.output
    assert f"restored from {backup}" in result.output
    assert users_as_stored(look) == at_backup
    assert usernames(look) == {"before"}
    with look():
        assert db.session.scalars(select(User.display_name)).one() == "备份前"
        # The app keeps working on the restored database.
        factories.make_user("after_restore")
    assert usernames(look) == {"before", "after_restore"}


def test_restore_asks_first_and_changes_nothing_when_told_no(backup, look, runner):
    with look():
        factories.make_user("after")

    result = runner.invoke(args=["restore", str(backup)], input="n\n")

    assert result.exit_code == 1
    assert "This replaces all data in the database. Continue?" in result.output
    assert "Aborted" in result.output
    assert usernames(look) == {"before", "after"}


@pytest.mark.parametrize(
    "content", [b"username,email\nbefore,before@example.test\n", b""], ids=["text", "empty"]
)
def test_restoring_a_file_that_is_not_a_backup_fails_and_keeps_the_data(
    app, look, runner, tmp_path, content
):
    with look():
        factories.make_user("kept")
    not_a_backup = tmp_path / "users.csv"
    not_a_backup.write_bytes(content)

    result = runner.invoke(args=["restore", "--yes", str(not_a_backup)])

    assert result.exit_code != 0
    assert "restored from" not in result.output
    if backend(app) == "sqlite":
        assert f"Error: {not_a_backup} is not a SQLite backup" in result.output
    else:
        assert "Error: pg_restore failed:" in result.output
    assert usernames(look) == {"kept"}


def test_restoring_a_missing_file_says_so(look, runner, tmp_path):
    with look():
        factories.make_user("kept")
    missing = tmp_path / "nowhere.backup"

    result = runner.invoke(args=["restore", "--yes", str(missing)])

    assert result.exit_code == 1
    assert f"Error: {missing} does not exist" in result.output
    assert usernames(look) == {"kept"}
