"""A form sent twice is saved once.

A double click, a browser's retry or an impatient second press posts the same form
again a moment later. Every form that creates something (a progress update, a subtask,
an escalation …) carries a hidden key, new on every page shown; the view runs its
service inside ``once(location)``:

    with once(url_for("issues.issue_detail", issue_id=issue.id) + "#timeline"):
        service.add_progress(current_user, issue, note, percent)

The first post records the key (with who sent it and a digest of what it carried) in
the service's own transaction, so the key is saved exactly when the work is. A repeat
with the same key and the same input finds the record and is answered as the first was,
with a redirect to the same place, creating nothing; two posts at the very same instant
are told apart by the key's unique index. A post without a key (an old page, a script)
is simply saved. A person's records older than a day go when they next save a form
(``KEPT``): a retry comes within seconds, and nothing needs a scheduler for this.

The key is a slot in the rendered page, filled on the way out (``fill_keys``): pages
whose parts are cached still get a new key on every showing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import chain

from flask import request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, event, inspect, select

from app.core import clock
from app.core.models import IdempotencyKey
from app.extensions import db

FIELD = "idempotency_key"
KEPT = timedelta(days=1)
_SLOT = "\x1didempotency-key\x1d"
_SLOT_BYTES = _SLOT.encode()
_NOT_DIGESTED = {FIELD, "csrf_token"}


class AlreadySaved(Exception):
    """This form was saved before: answer with a redirect to ``location``."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


def key_field() -> Markup:
    """The hidden field for a template's form (a new key on every page shown)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{_SLOT}">')


def fill_keys(response):
    """``after_request``: give every key slot of an HTML page a key of its own."""
    if response.direct_passthrough or response.is_streamed or response.mimetype != "text/html":
        return response
    body = response.get_data()
    if _SLOT_BYTES in body:
        parts = body.split(_SLOT_BYTES)
        filled = [parts[0]]
        for part in parts[1:]:
            filled += [secrets.token_urlsafe(24).encode(), part]
        response.set_data(b"".join(filled))
    return response


def _posted_key() -> str | None:
    key = request.form.get(FIELD, "").strip()
    return key[:64] if key and current_user.is_authenticated else None


def _digest() -> str:
    """What this post asks for: its action and its input, files included. The same key
    with other input (a page sent again after going back and changing it) is a new post."""
    digest = hashlib.sha256(request.path.encode())
    for name in sorted(request.form):
        if name not in _NOT_DIGESTED:
            for value in request.form.getlist(name):
                digest.update(f"\x00{name}\x00{value}".encode())
    for name in sorted(request.files):
        for upload in request.files.getlist(name):
            digest.update(f"\x00{name}\x00{upload.filename}\x00".encode())
            for chunk in iter(lambda upload=upload: upload.stream.read(1 << 16), b""):
                digest.update(chunk)
            upload.stream.seek(0)
    return digest.hexdigest()


def _saved_location(user_id: int, key: str, digest: str) -> str | None:
    return db.session.scalar(
        select(IdempotencyKey.location).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.digest == digest,
        )
    )


def _forget_old_keys(user_id: int, now) -> None:
    old = (IdempotencyKey.user_id == user_id, IdempotencyKey.created_at < now - KEPT)
    # Looked for first: a write would take SQLite's lock before the service needs it.
    if db.session.scalar(select(IdempotencyKey.id).where(*old).limit(1)) is not None:
        db.session.execute(delete(IdempotencyKey).where(*old))


class Receipt:
    """What ``once`` yields: set ``location`` when the answer leads to what was created."""

    def __init__(self, row: IdempotencyKey | None):
        self._row = row

    @property
    def location(self) -> str | None:
        return self._row.location if self._row is not None else None

    @location.setter
    def location(self, value: str) -> None:
        if self._row is not None:
            self._row.location = value[:500]


@contextmanager
def once(location: str) -> Iterator[Receipt]:
    """Run the block (a service call) once per posted form: the key is saved with the
    block's work, by the request's commit (``core.unit``).

    :raise AlreadySaved: when this form was saved before; the app answers with a
        redirect to the place the first post led to.
    """
    key = _posted_key()
    if key is None:
        yield Receipt(None)
        return
    user_id = current_user.id
    digest = _digest()
    saved = _saved_location(user_id, key, digest)
    if saved is not None:
        raise AlreadySaved(saved)
    now = clock.now()
    _forget_old_keys(user_id, now)
    row = IdempotencyKey(
        user_id=user_id, key=key, digest=digest, location=location[:500], created_at=now
    )
    session = db.session()
    session.add(row)  # saved by the request's commit, with the work
    wrote = _Writes(session, row)
    try:
        yield Receipt(row)
    except Exception:
        # Nothing of a refused post is kept, its key least of all: the form may be sent
        # again, corrected. Unless the refusal was the key's own: the same form, saved
        # by a post a moment earlier.
        session.rollback()
        saved = _saved_location(user_id, key, digest)
        if saved is not None:
            raise AlreadySaved(saved) from None
        raise
    finally:
        wrote.stop()
    if not wrote.any(session, row):  # the block saved nothing: neither is the key
        if inspect(row).pending:
            session.expunge(row)
        else:
            session.delete(row)


class _Writes:
    """Whether a block wrote anything besides the key (flushed, executed, or held)."""

    def __init__(self, session, row: IdempotencyKey):
        self.seen = False
        self._session = session
        self._row = row
        event.listen(session, "before_flush", self._flushing)
        event.listen(session, "do_orm_execute", self._executing)

    def _flushing(self, session, flush_context, instances) -> None:
        if any(obj is not self._row for obj in chain(session.new, session.dirty, session.deleted)):
            self.seen = True

    def _executing(self, state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.seen = True

    def stop(self) -> None:
        event.remove(self._session, "before_flush", self._flushing)
        event.remove(self._session, "do_orm_execute", self._executing)

    def any(self, session, row: IdempotencyKey) -> bool:
        held = chain(session.new, session.dirty, session.deleted)
        return self.seen or any(obj is not row for obj in held)


def purge() -> int:
    """Forget everyone's keys older than a day (a command or a job may call it); returns
    how many."""
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEPT)
    )
    return result.rowcount
