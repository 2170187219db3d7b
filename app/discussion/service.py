"""Comments: posting (with mentions, a quote and files), editing within the window,
deleting, and reading a thread one page at a time.

A comment is as visible as its object: reading a thread asks the object's read action;
writing asks ``discussion.comment`` of the object's task force (viewers and frontline
staff read, and may not write; a temporary member may while the membership lasts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core import audit, clock, hooks
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.core.files import SavedFile, discard, kept_only_if_saved, store_file
from app.core.outbox import tell
from app.core.permissions import authorize, can
from app.core.service import check_version
from app.discussion import mentions
from app.discussion.following import follow_automatically, followers
from app.discussion.kinds import ThreadKind, kind_named
from app.discussion.models import Comment, CommentFile
from app.extensions import db
from app.people.models import User

PAGE_SIZE = 20
EDIT_WINDOW = timedelta(minutes=15)
LONGEST_COMMENT = 10_000
EXCERPT = 80


def excerpt(text: str, size: int = EXCERPT) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= size else line[:size] + "…"


# --- loading ---------------------------------------------------------------------------


def load_target(actor: User, kind_name: str, target_id: int) -> tuple[ThreadKind, Any]:
    """The object a thread is about, in the reader's task force.

    :raise NotFound: for an unknown kind or an object not in scope.
    :raise PermissionDenied: unless ``actor`` may read the object.
    """
    kind = kind_named(kind_name)
    target = kind.load(target_id) if kind else None
    if target is None:
        raise NotFound(_("Not found."))
    authorize(actor, kind.read_action, target)
    return kind, target


def get_comment(actor: User, comment_id: int) -> tuple[Comment, ThreadKind, Any]:
    """A comment with its object; it is as visible as the object."""
    comment = db.session.scalar(select(Comment).where(Comment.id == comment_id))
    if comment is None:
        raise NotFound(_("Not found."))
    kind, target = load_target(actor, comment.target_kind, comment.target_id)
    return comment, kind, target


def get_file(actor: User, file_id: int) -> CommentFile:
    """A comment's file, to download (``core.web.send_stored_file``); as visible as the
    comment's object.

    :raise NotFound: for no such file, or one of a deleted comment.
    """
    row = db.session.scalar(select(CommentFile).where(CommentFile.id == file_id))
    if row is None:
        raise NotFound(_("Not found."))
    comment, _kind, _target = get_comment(actor, row.comment_id)
    if comment.deleted:
        raise NotFound(_("Not found."))
    return row


# --- writing ---------------------------------------------------------------------------


def may_comment(user: User, target: Any) -> bool:
    return can(user, "discussion.comment", target.task_force_id)


def _require_comment(actor: User, kind: ThreadKind, target: Any) -> None:
    authorize(actor, kind.read_action, target)
    authorize(
        actor,
        "discussion.comment",
        target.task_force_id,
        message=_("Viewers and frontline staff can read the discussion, not write in it."),
    )


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write a comment."), "body")
    if len(body) > LONGEST_COMMENT:
        raise ValidationFailed(
            _("A comment holds at most %(n)d characters.", n=LONGEST_COMMENT), "body"
        )
    return body


def _check_mentions(target: Any, body: str) -> mentions.Mentions:
    found = mentions.find(target.task_force_id, body)
    if found.outsiders:
        raise ValidationFailed(
            _(
                "%(names)s is not on this task force and cannot be mentioned: they could "
                "not read the comment. Remove the mention, or ask the leader to add them.",
                names="、".join(found.outsiders),
            ),
            "body",
        )
    return found


def _check_rate(actor: User) -> None:
    limit = current_app.config["COMMENTS_PER_MINUTE"]
    if not limit:
        return
    now = clock.now()
    recent = db.session.scalar(
        select(func.count(Comment.id)).where(
            Comment.author_id == actor.id,
            Comment.created_at > now - timedelta(minutes=1),
            Comment.created_at <= now,
        )
    )
    if recent >= limit:
        raise ValidationFailed(
            _(
                "You posted %(n)d comments in the last minute. Wait a moment and post again.",
                n=recent,
            ),
            "body",
        )


@dataclass
class Upload:
    filename: str
    content: bytes | BinaryIO  # an upload's stream, read a chunk at a time


@dataclass
class NewComment:
    body: str
    quote_id: int | None = None
    files: list[Upload] = field(default_factory=list)


def post_comment(actor: User, kind: ThreadKind, target: Any, data: NewComment) -> Comment:
    """Add a comment; tell the people it mentions and the object's followers.

    :raise PermissionDenied: for a reader who may not write here.
    :raise ValidationFailed: for an empty or too long text, a mention of someone off the
        task force, a quote from another thread, a file the evidence rules refuse, or
        too many comments in a minute.
    """
    _require_comment(actor, kind, target)
    body = _check_body(data.body)
    found = _check_mentions(target, body)
    _check_rate(actor)
    quote = None
    if data.quote_id is not None:
        quote = db.session.scalar(select(Comment).where(Comment.id == data.quote_id))
        if quote is None or (quote.target_kind, quote.target_id) != (kind.name, target.id):
            raise ValidationFailed(_("The quoted comment is not in this discussion."), "body")
    comment = Comment(
        task_force_id=target.task_force_id,
        target_kind=kind.name,
        target_id=target.id,
        author_id=actor.id,
        body=body,
        quote_id=quote.id if quote else None,
        mentioned=found.people,
    )
    db.session.add(comment)
    db.session.flush()
    _attach(actor, comment, [store_file(u.filename, u.content) for u in data.files])
    # The audit names the comment, never its text: a deleted comment's text is gone
    # everywhere, the item's history included (the log cannot be changed afterwards).
    audit.record(actor, "commented", target, {"comment": [None, f"#{comment.id}"]})
    follow_automatically(target, [actor.id], mentioned=False)
    follow_automatically(target, [p.id for p in found.people], mentioned=True)
    db.session.flush()
    _tell_of(actor, kind, target, comment, found.people)
    if kind.name == "issue":  # systems outside hear of an item's comments (webhooks)
        said = {"comment_id": comment.id, "text": comment.body}
        hooks.ITEM_EVENTS.collect(hooks.ItemEvent("commented", actor, target, said))
    return comment


def _attach(actor: User, comment: Comment, stored: list[SavedFile]) -> None:
    for saved in stored:
        with kept_only_if_saved(saved):
            db.session.add(
                CommentFile(
                    task_force_id=comment.task_force_id,
                    comment_id=comment.id,
                    **saved.columns(actor.id),
                )
            )
            db.session.flush()


def comment_url(kind: ThreadKind, target: Any, comment_id: int) -> str:
    """The comment on its object's page: ``/issues/12?comment=34#comment-34``."""
    return f"{kind.url(target)}?comment={comment_id}#comment-{comment_id}"


def _tell_of(
    actor: User, kind: ThreadKind, target: Any, comment: Comment, mentioned: list[User]
) -> None:
    """The mentioned people are told they are; the other followers that a comment came.
    One message per person for the comment, whatever they are."""
    link = comment_url(kind, target, comment.id)
    title = kind.title(target)
    text = excerpt(comment.body)
    told: set[int] = {actor.id}
    for person in mentioned:
        if person.id in told:
            continue
        told.add(person.id)
        tell(
            person,
            "mention",
            lambda: _(
                "%(who)s mentioned you on %(title)s: %(text)s",
                who=actor.display_name,
                title=title,
                text=text,
            ),
            f"comment:{comment.id}:{person.id}",
            link,
            target,
            target.task_force_id,
        )
    others = followers(target) - told
    for person in db.session.scalars(select(User).where(User.id.in_(others))):
        tell(
            person,
            "comment",
            lambda: _(
                "%(who)s commented on %(title)s: %(text)s",
                who=actor.display_name,
                title=title,
                text=text,
            ),
            f"comment:{comment.id}:{person.id}",
            link,
            target,
            target.task_force_id,
        )


def _require_author(actor: User, comment: Comment, kind: ThreadKind, target: Any) -> None:
    _require_comment(actor, kind, target)
    if comment.author_id != actor.id:
        raise PermissionDenied(_("Only its author can change a comment."))
    if comment.deleted:
        raise ValidationFailed(_("This comment was deleted."), "body")


def editable_until(comment: Comment):
    return comment.created_at + EDIT_WINDOW


def may_edit(user: User, comment: Comment) -> bool:
    return (
        comment.author_id == getattr(user, "id", None)
        and not comment.deleted
        and clock.now() <= editable_until(comment)
    )


def edit_comment(actor: User, comment_id: int, body: str, version: int | None) -> Comment:
    """Change a comment's text, by its author within ``EDIT_WINDOW`` of posting it.

    People it newly mentions are told (and must be on the task force).
    :raise StaleEdit: when it changed since ``version`` was read.
    """
    comment, kind, target = get_comment(actor, comment_id)
    _require_author(actor, comment, kind, target)
    if clock.now() > editable_until(comment):
        raise ValidationFailed(
            _("A comment can be edited for %(n)d minutes after it is posted.", n=15), "body"
        )
    check_version(comment, version)
    body = _check_body(body)
    found = _check_mentions(target, body)
    if body == comment.body:
        return comment
    before = {person.id for person in comment.mentioned}
    new = [person for person in found.people if person.id not in before]
    comment.body = body
    comment.edited_at = clock.now()
    comment.mentioned = found.people
    audit.record(actor, "comment_edited", target, {"comment": [f"#{comment.id}", f"#{comment.id}"]})
    follow_automatically(target, [p.id for p in new], mentioned=True)
    db.session.flush()  # a save that lost a race is refused here (StaleEdit)
    link = comment_url(kind, target, comment.id)
    for person in new:
        if person.id == actor.id:
            continue
        tell(
            person,
            "mention",
            lambda: _(
                "%(who)s mentioned you on %(title)s: %(text)s",
                who=actor.display_name,
                title=kind.title(target),
                text=excerpt(body),
            ),
            f"comment:{comment.id}:{person.id}",
            link,
            target,
            target.task_force_id,
        )
    return comment


def delete_comment(actor: User, comment_id: int, version: int | None = None) -> Comment:
    """Delete a comment by its author: its place stays ("deleted"), its text and files go."""
    comment, kind, target = get_comment(actor, comment_id)
    _require_author(actor, comment, kind, target)
    check_version(comment, version)
    audit.record(actor, "comment_deleted", target, {"comment": [f"#{comment.id}", None]})
    comment.body = ""
    comment.deleted_at = clock.now()
    comment.mentioned = []
    for row in list(comment.files):
        discard(row.stored_name)
        db.session.delete(row)
    db.session.flush()
    return comment


# --- reading ---------------------------------------------------------------------------


@dataclass
class ThreadPage:
    comments: list[Comment]
    page: int
    pages: int
    total: int


def thread_page(
    kind: ThreadKind, target: Any, page: int | None = None, comment_id: int | None = None
) -> ThreadPage:
    """One page of the thread, oldest first, as a conversation reads; with no page asked,
    the newest page, or the page holding ``comment_id``. A fixed number of queries."""
    where = (Comment.target_kind == kind.name, Comment.target_id == target.id)
    total = db.session.scalar(select(func.count(Comment.id)).where(*where))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if comment_id is not None and page is None:
        before = db.session.scalar(
            select(func.count(Comment.id)).where(*where, Comment.id < comment_id)
        )
        page = before // PAGE_SIZE + 1
    page = pages if page is None else min(max(page, 1), pages)
    comments = list(
        db.session.scalars(
            select(Comment)
            .options(
                selectinload(Comment.author),
                selectinload(Comment.files),
                selectinload(Comment.quote).selectinload(Comment.author),
            )
            .where(*where)
            .order_by(Comment.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return ThreadPage(comments=comments, page=page, pages=pages, total=total)
