"""Evidence files attached to an item: checked and stored by ``core/files.py``, named by
a row."""

from __future__ import annotations

from typing import BinaryIO

from app.core import audit
from app.core.files import kept_only_if_saved, store_file
from app.core.permissions import authorize
from app.extensions import db
from app.issues.models import Attachment, Issue
from app.issues.service.rules import _db_get, _require_work, require_open
from app.people.models import User


def add_attachment(
    actor: User, issue: Issue, filename: str, content: bytes | BinaryIO
) -> Attachment:
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
            **stored.columns(actor.id),
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
        db.session.flush()  # a row the database refuses takes its chunks with it
    return attachment


def readable_attachment(actor: User, attachment: Attachment) -> Attachment:
    """The attachment, to download (``core.web.send_stored_file``).

    :raise PermissionDenied: unless ``actor`` may read the item.
    """
    authorize(actor, "issue.view", attachment.task_force_id)
    return attachment


def get_attachment(attachment_id) -> Attachment:
    return _db_get(Attachment, attachment_id)
