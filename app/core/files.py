"""Uploaded evidence files, shared by every feature that keeps them (items' attachments,
pilots' evidence, comments' files): the types allowed and their first bytes, the columns
a file's row has (``StoredFile``), and the check-and-write of an upload (``store_file``).

The bytes live in the database, in ``stored_file_chunk`` rows of at most
``CHUNK_BYTES`` each (SQLite BLOBs, PostgreSQL ``bytea``), keyed by the row's
``stored_name``: every host serving the application reads the same files, and
``flask backup`` carries them with the rest. An upload is read and written one chunk at a
time, and a download sent one chunk at a time, so no file is ever whole in memory. The
chunks are written in the request's transaction: a form refused, or a row the database
refuses, rolls them back with everything else.

``ATTACHMENT_DIR`` is only read to bring in the files of an installation that kept them
on the disk (the migration 0040 and ``flask files import``).
"""

from __future__ import annotations

import hashlib
import io
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, LargeBinary, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.core import clock
from app.core.errors import ValidationFailed
from app.extensions import db

ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
}


# The first bytes of each type, so a renamed executable is not stored as a "PDF".
MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".xlsx": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}

# The size of one stored piece of a file: small enough to hold a few in memory per
# request, large enough that a 10 MB file is 40 rows.
CHUNK_BYTES = 256 * 1024


class StoredFileChunk(db.Model):
    """One piece of an evidence file's bytes: ``seq`` 0, 1, 2 … in order."""

    __tablename__ = "stored_file_chunk"

    file_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


_chunks = StoredFileChunk.__table__


def attachment_dir() -> Path:
    """The folder where an installation from before 0040 kept its files (read only to
    bring them into the database)."""
    return Path(
        current_app.config["ATTACHMENT_DIR"] or Path(current_app.instance_path) / "attachments"
    )


@dataclass(frozen=True)
class SavedFile:
    name: str  # the name the user gave it, without folders
    stored_name: str
    content_type: str
    size: int
    sha256: str

    def columns(self, uploaded_by_id: int) -> dict:
        """The values of a ``StoredFile`` row naming this file."""
        return {
            "filename": self.name,
            "stored_name": self.stored_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_by_id": uploaded_by_id,
        }


def _refused_type() -> ValidationFailed:
    return ValidationFailed(
        _("Allowed file types: %(types)s.", types=", ".join(sorted(ALLOWED_TYPES))), "file"
    )


def _too_large(limit: int) -> ValidationFailed:
    return ValidationFailed(
        _("The file is larger than %(mb)d MB.", mb=math.ceil(limit / 1024 / 1024)), "file"
    )


def _read_piece(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _length(stream: BinaryIO) -> int | None:
    """What is left to read of a stream that can seek (an upload), else None."""
    try:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def store_file(filename: str, content: bytes | BinaryIO) -> SavedFile:
    """Check an uploaded evidence file and write it into the database, a chunk at a time.

    ``content`` is the file's bytes or a binary stream (an upload's ``stream``: read
    piece by piece, never whole). The chunks belong to the caller's transaction: they are
    kept only if it commits (see ``kept_only_if_saved``).

    :raise ValidationFailed: for an empty or too large file or a type not on the list
        (nothing written).
    """
    name = Path(filename or "").name.strip()
    suffix = Path(name).suffix.lower()
    if not name or suffix not in ALLOWED_TYPES:
        raise _refused_type()
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    length = _length(stream)
    first = _read_piece(stream, CHUNK_BYTES)
    if not first:
        raise ValidationFailed(_("The file is empty."), "file")
    if length is not None and length > limit:
        raise _too_large(limit)
    if suffix in MAGIC and not first.startswith(MAGIC[suffix]):
        raise ValidationFailed(_("The file's content does not match its type."), "file")
    stored = f"{uuid.uuid4().hex}{suffix}"
    try:
        size, sha256 = write_chunks(stored, stream, first, limit)
    except ValidationFailed:
        discard(stored)
        raise
    return SavedFile(
        name=name[:200],
        stored_name=stored,
        content_type=ALLOWED_TYPES[suffix],
        size=size,
        sha256=sha256,
    )


def write_chunks(
    key: str, stream: BinaryIO, first: bytes = b"", limit: int | None = None
) -> tuple[int, str]:
    """Write ``first`` and the rest of ``stream`` as the chunks of ``key`` in the
    session's transaction; the size and SHA-256 of what was written.

    :raise ValidationFailed: once more than ``limit`` bytes have come (a stream that
        could not tell its length); the caller discards what was written.
    """
    digest = hashlib.sha256()
    size, seq = 0, 0
    piece = first or _read_piece(stream, CHUNK_BYTES)
    while piece:
        size += len(piece)
        if limit is not None and size > limit:
            raise _too_large(limit)
        digest.update(piece)
        db.session.execute(insert(_chunks), {"file_key": key, "seq": seq, "data": piece})
        seq += 1
        piece = _read_piece(stream, CHUNK_BYTES)
    return size, digest.hexdigest()


def discard(key: str) -> None:
    """Delete a file's chunks, in the session's transaction (its row is deleted)."""
    db.session.execute(delete(_chunks).where(_chunks.c.file_key == key))


def has_content(key: str) -> bool:
    return db.session.scalar(select(func.count()).where(_chunks.c.file_key == key)) > 0


@contextmanager
def kept_only_if_saved(stored: SavedFile) -> Iterator[None]:
    """A file written before its row is saved goes again if the save fails (it lost a
    race, say): no chunks that no row names. A failed flush has already rolled the
    transaction back, chunks and all; anything else is undone here."""
    try:
        yield
    except BaseException:
        if db.session.is_active:
            discard(stored.stored_name)
        raise


def read_chunks(key: str) -> Iterator[bytes] | None:
    """The bytes of a stored file, one chunk at a time; None when it has none.

    The first chunk is read in the request's session (so a missing file is known before
    anything is sent); the others each with a short connection of their own, so that a
    slow download holds no transaction and can run after the request's session is gone.
    """
    first = db.session.scalar(
        select(_chunks.c.data).where(_chunks.c.file_key == key, _chunks.c.seq == 0)
    )
    if first is None:
        return None
    engine = db.engine

    def pieces() -> Iterator[bytes]:
        yield bytes(first)
        seq = 1
        while True:
            with engine.connect() as connection:
                data = connection.execute(
                    select(_chunks.c.data).where(_chunks.c.file_key == key, _chunks.c.seq == seq)
                ).scalar()
            if data is None:
                return
            yield bytes(data)
            seq += 1

    return pieces()


def stored_file_models() -> list[type]:
    """Every model whose rows name a stored file (the features' ``StoredFile`` tables)."""
    models = (mapper.class_ for mapper in db.Model.registry.mappers)
    return sorted(
        (model for model in models if issubclass(model, StoredFile)),
        key=lambda model: model.__tablename__,
    )


@dataclass(frozen=True)
class NamedFile:
    """A file as its row names it."""

    key: str  # its stored_name
    size: int
    sha256: str


def named_files() -> list[NamedFile]:
    """Every file a row names, in every ``StoredFile`` table."""
    found: list[NamedFile] = []
    for model in stored_file_models():
        table = model.__table__
        rows = db.session.execute(
            select(table.c.stored_name, table.c.size, table.c.sha256).order_by(table.c.id)
        )
        found += [NamedFile(*row) for row in rows]
    return found


def stored_keys() -> set[str]:
    """The keys that have chunks."""
    return set(db.session.scalars(select(_chunks.c.file_key).distinct()))


def import_file(named: NamedFile, path: Path) -> bool:
    """Write the file at ``path`` as ``named``'s chunks, in the session's transaction;
    False (nothing kept) when its size or SHA-256 is not the one its row recorded."""
    with path.open("rb") as source:
        size, sha256 = write_chunks(named.key, source)
    if (size, sha256) != (named.size, named.sha256):
        discard(named.key)
        return False
    return True


def verify(named: NamedFile) -> str:
    """``ok``, ``missing`` (no chunks) or ``damaged`` (not the size or SHA-256 its row
    recorded), read a chunk at a time."""
    pieces = read_chunks(named.key)
    if pieces is None:
        return "missing"
    digest, size = hashlib.sha256(), 0
    for piece in pieces:
        digest.update(piece)
        size += len(piece)
    return "ok" if (size, digest.hexdigest()) == (named.size, named.sha256) else "damaged"


class StoredFile:
    """The columns of an uploaded file's row, its bytes kept by ``store_file`` in
    ``stored_file_chunk`` under ``stored_name``: items' attachments, pilots' evidence,
    comments' files."""

    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @declared_attr
    def uploaded_by(cls) -> Mapped[User | None]:  # noqa: F821  (the people floor's, by name)
        return relationship("User")
