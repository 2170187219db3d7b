"""evidence files in the database: their bytes in chunks (``stored_file_chunk``), the
files of ``ATTACHMENT_DIR`` moved in

Revision ID: 0040
Revises: 0035

Each file named by a row of ``attachment``, ``pilot_evidence`` or ``comment_file`` is
read from the folder a chunk at a time and written as rows of 256 KiB. A file missing
from the folder is named in the log and left out (its download answers 404, as it did);
``flask files import`` brings it in later from wherever it is found. The folder itself is
left as it was. The downgrade writes the files back into the folder.
"""

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0040"
down_revision = "0035"
branch_labels = None
depends_on = None

CHUNK_BYTES = 256 * 1024
TABLES = ("attachment", "comment_file", "pilot_evidence")
log = logging.getLogger("alembic.runtime.migration")

chunks = sa.table(
    "stored_file_chunk",
    sa.column("file_key", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("data", sa.LargeBinary),
)


def _folder() -> Path:
    from flask import current_app

    configured = current_app.config.get("ATTACHMENT_DIR")
    return Path(configured or Path(current_app.instance_path) / "attachments")


def _stored_names(bind) -> list[str]:
    names: list[str] = []
    for name in TABLES:
        table = sa.table(name, sa.column("stored_name", sa.String))
        names += bind.execute(sa.select(table.c.stored_name)).scalars().all()
    return names


def upgrade():
    op.create_table(
        "stored_file_chunk",
        sa.Column("file_key", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("file_key", "seq", name=op.f("pk_stored_file_chunk")),
    )
    if context.is_offline_mode():
        return  # SQL written out: the files are brought in by `flask files import`
    bind = op.get_bind()
    folder = _folder()
    moved = missing = 0
    for key in _stored_names(bind):
        path = folder / key
        if not path.is_file():
            missing += 1
            log.warning("evidence file %s is not in %s: left out", key, folder)
            continue
        with path.open("rb") as source:
            seq = 0
            while piece := source.read(CHUNK_BYTES):
                bind.execute(sa.insert(chunks).values(file_key=key, seq=seq, data=piece))
                seq += 1
        moved += 1
    if moved or missing:
        log.info("evidence files moved into the database: %d, missing: %d", moved, missing)


def downgrade():
    bind = op.get_bind()
    if not context.is_offline_mode():
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        for key in _stored_names(bind):
            path = folder / key
            if path.exists():
                continue
            query = sa.select(chunks.c.data).where(chunks.c.file_key == key)
            pieces = bind.execute(
                query.order_by(chunks.c.seq).execution_options(stream_results=True)
            ).scalars()
            first = next(pieces, None)
            if first is None:
                continue  # a file missing before the upgrade stays missing
            with path.open("wb") as target:
                target.write(first)
                for piece in pieces:
                    target.write(piece)
    op.drop_table("stored_file_chunk")
