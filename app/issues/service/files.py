"""Evidence files attached to an item: checked, stored on the disk, and named by a row."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core import audit
from app.core.errors import ValidationFailed
from app.core.permissions import authorize
from app.extensions import db
from app.issues.models import Attachment, Issue
from app.issues.service.rules import _db_get, _require_work, require_open
from app.people.models import User

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
class StoredFile:
    name: str  # the name the user gave it, without folders
    stored_name: str
    content_type: str
    size: int
    sha256: str


def store_file(filename: str, content: bytes) -> StoredFile:
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
    return StoredFile(
        name=name[:200],
        stored_name=stored,
        content_type=ALLOWED_TYPES[suffix],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


@contextmanager
def kept_only_if_saved(stored: StoredFile) -> Iterator[None]:
    """A file written before its row is saved goes again if the save fails (it lost a
    race, say): no file on the disk that no row names."""
    try:
        yield
    except BaseException:
        (attachment_dir() / stored.stored_name).unlink(missing_ok=True)
        raise


def add_attachment(actor: User, issue: Issue, filename: str, content: bytes) -> Attachment:
    """Store an evidence file.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    _require_work(actor, issue)
    require_open(issue)
    stored = store_file(filename, content)
    with kept_only_if_saved(stored):
        attachment = Attachment(
            task_force_id=issue.task_force_id,
            issue_id=issue.id,
            filename=stored.name,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=actor.id,
        )
        db.session.add(attachment)
        db.session.flush()
        audit.record(
            actor,
            "attachment_added",
            issue,
            {"attachment": [None, attachment.filename]},
            summary=issue.code,
        )
        db.session.flush()  # a row the database refuses takes its file with it
    return attachment


def attachment_path(actor: User, attachment: Attachment) -> Path:
    """:raise PermissionDenied: unless ``actor`` may read the item."""
    authorize(actor, "issue.view", attachment.task_force_id)
    return attachment_dir() / attachment.stored_name


def get_attachment(attachment_id) -> Attachment:
    return _db_get(Attachment, attachment_id)
