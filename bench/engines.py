"""The two databases of the bench: a throwaway SQLite file, or a PostgreSQL database of
its own on 127.0.0.1:5432 (made, then dropped), the server started the way ``.ci/run``
starts it when it is down."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
_PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def pg_ready() -> bool:
    """Whether the PostgreSQL server answers on 127.0.0.1:5432."""
    try:
        return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0
    except FileNotFoundError:  # no client tools: try a connection instead
        import psycopg

        try:
            psycopg.connect(_PG_ADMIN, connect_timeout=3).close()
        except psycopg.OperationalError:
            return False
        return True


def start_pg() -> bool:
    """Start the local cluster if it is down, as ``.ci/run`` does; whether it answers."""
    if pg_ready():
        return True
    clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if not clusters:
        return False
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "start"],
        capture_output=True,
    )
    for _ in range(30):
        if pg_ready():
            return True
        time.sleep(1)
    return False


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(statement)


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A fresh database ``name`` on the local server for the block; its URL. Dropped
    afterwards (the bench's connections are gone by then; any left are ended)."""
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def database(engine: str, name: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database of ``engine`` ("sqlite" or "postgresql") for the block."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / (name + '.sqlite')}"
        return
    with pg_database(name) as url:
        yield url


def engine_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"
