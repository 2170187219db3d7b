"""``flask backup PATH`` and ``flask restore PATH``: consistent copies of the database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from app.core import files
from app.core.database import refresh_statistics
from app.core.freshness import restart_versions
from app.core.unit import committing
from app.extensions import db


def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("an in-memory SQLite database cannot be backed up")
    return url.database


def _pg_env_args(url) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database]
    return env, args


def _run_pg_tool(command: list[str], env: dict) -> None:
    """:raise click.ClickException: with the tool's own message when it fails."""
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise click.ClickException(
            f"{command[0]} failed: " + (detail[-1] if detail else f"exit {result.returncode}")
        )


def backup_database(target: Path) -> None:
    """Write a consistent copy while the app runs.

    SQLite: the online backup API (readers and writers may keep working).
    PostgreSQL: ``pg_dump`` in its custom format, which is a consistent snapshot.
    """
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(str(target))
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        if shutil.which("pg_dump") is None:
            raise click.ClickException("pg_dump is not installed (Debian: postgresql-client)")
        env, args = _pg_env_args(url)
        _run_pg_tool(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env
        )
    else:
        raise click.ClickException(f"no backup for {url.get_backend_name()}")


def restore_database(source: Path) -> None:
    """Replace the database's contents with a backup made by ``backup_database``."""
    if not source.is_file():
        raise click.ClickException(f"{source} does not exist")
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(str(source))
        try:
            # An empty file opens as an empty database: copying it would wipe everything.
            migrated = src.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
        except sqlite3.DatabaseError as error:
            src.close()
            raise click.ClickException(f"{source} is not a SQLite backup: {error}") from None
        if migrated is None:
            src.close()
            raise click.ClickException(
                f"{source} is not a SQLite backup: it has no alembic_version table"
            )
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            with dest:
                src.backup(dest)
        finally:
            dest.close()
            src.close()
    elif url.get_backend_name() == "postgresql":
        if shutil.which("pg_restore") is None:
            raise click.ClickException("pg_restore is not installed (Debian: postgresql-client)")
        env, args = _pg_env_args(url)
        _run_pg_tool(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(source),
            ],
            env,
        )
    else:
        raise click.ClickException(f"no restore for {url.get_backend_name()}")


def register(app: Flask) -> None:
    register_files(app)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent copy of the database to PATH."""
        backup_database(path)
        click.echo(f"backup written to {path}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database with the backup at PATH."""
        if not yes:
            click.confirm("This replaces all data in the database. Continue?", abort=True)
        restore_database(path)
        restart_versions()
        refresh_statistics()  # SQLite's planner's statistics of the restored rows
        click.echo(f"restored from {path}; restart the server and the scheduler")


def register_files(app: Flask) -> None:
    @app.cli.group("files")
    def files_group() -> None:
        """The evidence files kept in the database."""

    @files_group.command("import")
    @click.option(
        "--from",
        "folder",
        type=click.Path(file_okay=False, path_type=Path),
        help="The folder to read (default: ATTACHMENT_DIR).",
    )
    def import_command(folder: Path | None) -> None:
        """Bring into the database the files that rows name but that have no bytes there
        yet, from the folder where they were kept on the disk (one commit per file)."""
        folder = folder or files.attachment_dir()
        have = files.stored_keys()
        counts = {"imported": 0, "not found": 0, "differs": 0}
        for named in files.named_files():
            if named.key in have:
                continue
            path = folder / named.key
            if not path.is_file():
                counts["not found"] += 1
                click.echo(f"not found: {path}", err=True)
                continue
            with committing():
                kept = files.import_file(named, path)
            counts["imported" if kept else "differs"] += 1
            if not kept:
                click.echo(f"not the file its row recorded (size or SHA-256): {path}", err=True)
        click.echo(", ".join(f"{what}: {n}" for what, n in counts.items()))

    @files_group.command("check")
    def check_command() -> None:
        """Read every stored file and compare its size and SHA-256 with its row's;
        name the chunks that no row names. Fails when anything is wrong."""
        named = files.named_files()
        counts = {"ok": 0, "missing": 0, "damaged": 0}
        for entry in named:
            outcome = files.verify(entry)
            counts[outcome] += 1
            if outcome != "ok":
                click.echo(f"{outcome}: {entry.key}", err=True)
        orphans = files.stored_keys() - {entry.key for entry in named}
        for key in sorted(orphans):
            click.echo(f"no row names: {key}", err=True)
        summary = ", ".join(f"{what}: {n}" for what, n in counts.items())
        click.echo(f"{summary}, without a row: {len(orphans)}")
        if counts["missing"] or counts["damaged"] or orphans:
            raise click.exceptions.Exit(1)
