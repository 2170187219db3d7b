"""Uploaded evidence files, shared by every feature that keeps them (items' attachments,
pilots' evidence): the types allowed and their first bytes, the folder under the
instance (never under ``static/``), the columns a file's row has (``StoredFile``), and the
check-and-write of an upload (``store_file``) with its undo should the row not be saved.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.core import clock
from app.core.errors import ValidationFailed

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


def attachment_dir() -> Path:
    folder = Path(
        current_app.config["ATTACHMENT_DIR"] or Path(current_app.instance_path) / "attachments"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def store_file(filename: str, content: bytes) -> SavedFile:
    """Check an uploaded evidence file and write it under ``attachment_dir``.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    name = Path(filename or "").name.strip()
    suffix = Path(name).suffix.lower()
    if not name or suffix not in ALLOWED_TYPES:
        raise ValidationFailed(
            _("Allowed file types: %(types)s.", types=", ".join(sorted(ALLOWED_TYPES))), "file"
        )
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not content:
        raise ValidationFailed(_("The file is empty."), "file")
    if len(content) > limit:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.", mb=math.ceil(limit / 1024 / 1024)), "file"
        )
    if suffix in MAGIC and not content.startswith(MAGIC[suffix]):
        raise ValidationFailed(_("The file's content does not match its type."), "file")
    stored = f"{uuid.uuid4().hex}{suffix}"
    (attachment_dir() / stored).write_bytes(content)
    return SavedFile(
        name=name[:200],
        stored_name=stored,
        content_type=ALLOWED_TYPES[suffix],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


@contextmanager
def kept_only_if_saved(stored: SavedFile) -> Iterator[None]:
    """A file written before its row is saved goes again if the save fails (it lost a
    race, say): no file on the disk that no row names."""
    try:
        yield
    except BaseException:
        (attachment_dir() / stored.stored_name).unlink(missing_ok=True)
        raise


class StoredFile:
    """The columns of an uploaded file's row, kept by ``store_file`` under the instance
    folder: items' attachments and pilots' evidence."""

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
