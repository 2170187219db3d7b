"""The discussion's part of the test world: a comment by "member" on the item, with a
file, so every thread route has something to act on."""

from __future__ import annotations

from app.discussion.models import Comment, CommentFile
from app.extensions import db
from tests.factories import store_bytes

URL_VALUES: dict = {
    "thread_kind": lambda w: "issue",
    "target_id": lambda w: w.issue_id,
    "comment_id": lambda w: w.ids["comment"],
    "comment_file_id": lambda w: w.ids["comment_file"],
}


def build(world) -> None:
    comment = Comment(
        task_force_id=world.task_force_id,
        target_kind="issue",
        target_id=world.issue_id,
        author_id=world.users["member"],
        body="归集口径请组长确认",
    )
    db.session.add(comment)
    db.session.flush()
    stored = "world-comment.pdf"
    size, sha256 = store_bytes(stored, b"%PDF-1.4 comment")
    row = CommentFile(
        task_force_id=world.task_force_id,
        comment_id=comment.id,
        filename="口径.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=size,
        sha256=sha256,
    )
    db.session.add(row)
    db.session.commit()
    world.ids["comment"] = comment.id
    world.ids["comment_file"] = row.id
