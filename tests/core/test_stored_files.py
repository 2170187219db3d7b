"""Evidence files kept in the database (``core/files.py``): written and read a chunk at a
time, refused as before, taken back with a refused form or a deleted comment; the
migration 0040 moves the files of ``ATTACHMENT_DIR`` in, ``flask files import`` brings in
those it missed, ``flask files check`` reads every file back."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.core.errors import ValidationFailed
from app.core.files import (
    CHUNK_BYTES,
    StoredFileChunk,
    named_files,
    read_chunks,
    store_file,
    stored_keys,
    verify,
)
from app.discussion.models import Comment, CommentFile
from app.extensions import db
from app.issues.models import Attachment

# A PDF of two and a half chunks: its header, then bytes that do not compress.
BIG_PDF = b"%PDF-1.7\n" + os.urandom(CHUNK_BYTES * 5 // 2)


class Trickle:
    """An upload's stream that cannot seek and hands out at most 100,000 bytes a read,
    noting how much was asked each time."""

    def __init__(self, data: bytes):
        self.data, self.at, self.asked = data, 0, []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        size = min(100_000, len(self.data) - self.at if size < 0 else size)
        piece = self.data[self.at : self.at + size]
        self.at += len(piece)
        return piece


def post_file(client, url: str, content: bytes, name: str, **fields):
    """A multipart form built in memory (the test client spools a large one to a
    temporary file that it leaves open)."""
    upload = FileStorage(
        io.BytesIO(content), filename=name, content_type="application/octet-stream"
    )
    boundary, body = encode_multipart({"file": upload, **fields})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def chunk_sizes(look, key: str) -> list[int]:
    with look():
        return list(
            db.session.scalars(
                select(func.length(StoredFileChunk.data))
                .where(StoredFileChunk.file_key == key)
                .order_by(StoredFileChunk.seq)
            )
        )


def test_a_file_of_several_chunks_goes_in_and_comes_out_a_chunk_at_a_time(world, login, look):
    client = login("member")
    response = post_file(client, f"/issues/{world.issue_id}/attachments", BIG_PDF, "大文件.pdf")
    assert response.status_code == 302
    with look():
        row = db.session.scalar(select(Attachment).where(Attachment.filename == "大文件.pdf"))
        attachment_id, key, sha256 = row.id, row.stored_name, row.sha256
    assert sha256 == hashlib.sha256(BIG_PDF).hexdigest()
    assert chunk_sizes(look, key) == [CHUNK_BYTES, CHUNK_BYTES, len(BIG_PDF) - 2 * CHUNK_BYTES]

    reader = login("viewer")
    download = reader.get(f"/attachments/{attachment_id}")
    pieces = list(download.response)  # as the server sends them
    download.close()
    assert [len(p) for p in pieces] == chunk_sizes(look, key)
    assert b"".join(pieces) == BIG_PDF
    assert download.headers["Content-Length"] == str(len(BIG_PDF))
    assert download.headers["ETag"] == f'"{sha256}"'
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert "no-cache" in download.headers["Cache-Control"]

    again = reader.get(f"/attachments/{attachment_id}", headers={"If-None-Match": f'"{sha256}"'})
    assert again.status_code == 304 and again.data == b""


def test_a_stream_is_read_a_chunk_at_a_time_and_one_over_the_limit_leaves_nothing(
    app, ctx, monkeypatch, commit
):
    limit = 2 * CHUNK_BYTES + 10
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", limit)
    fits = Trickle(b"%PDF" + b"x" * (limit - 4))
    saved = store_file("刚好.pdf", fits)
    assert saved.size == limit and max(fits.asked) <= CHUNK_BYTES
    commit()  # a download reads what is committed
    assert b"".join(read_chunks(saved.stored_name)) == fits.data

    too_large = Trickle(b"%PDF" + b"x" * (limit - 3))
    with pytest.raises(ValidationFailed, match="文件超过 1 MB"):
        store_file("太大.pdf", too_large)
    assert max(too_large.asked) <= CHUNK_BYTES
    assert stored_keys() == {saved.stored_name}  # the pieces written before are gone
    db.session.rollback()


def test_a_deleted_comment_takes_its_file_with_it(world, login, look):
    client = login("member")
    client.post(
        f"/threads/issue/{world.issue_id}/comments",
        data={"body": "见附件", "file": (io.BytesIO(b"a,b\n1,2\n"), "数据.csv")},
        content_type="multipart/form-data",
    )
    with look():
        row = db.session.scalar(select(CommentFile).where(CommentFile.filename == "数据.csv"))
        key, comment_id = row.stored_name, row.comment_id
        version = db.session.get(Comment, comment_id).version
        assert key in stored_keys()

    response = client.post(f"/comments/{comment_id}/delete", data={"version": version})

    assert response.status_code == 302
    with look():
        assert key not in stored_keys()
        assert db.session.get(CommentFile, row.id) is None


def test_the_migration_moves_the_folders_files_in_and_import_brings_the_rest(
    app, world, look, monkeypatch, tmp_path
):
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(folder))
    with look():
        before = {named.key: named for named in named_files()}
        contents = {key: b"".join(read_chunks(key)) for key in before}
    assert len(before) == 3  # the world's item, pilot and comment files
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            db.session.remove()
            downgrade(revision="0035")  # back to files on the disk: written out
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == contents
        away = "world-pilot-evidence.pdf"
        (folder / away).rename(tmp_path / away)
        with app.app_context():
            upgrade()
    finally:
        with app.app_context():
            upgrade()  # whatever happened, the next test finds the schema at its head

    with look():
        outcomes = {named.key: verify(named) for named in named_files()}
    assert outcomes == {key: ("missing" if key == away else "ok") for key in before}
    checked = runner.invoke(args=["files", "check"])
    assert checked.exit_code == 1
    assert f"missing: {away}" in checked.output

    (tmp_path / away).write_bytes(b"%PDF-1.4 another file")
    differs = runner.invoke(args=["files", "import", "--from", str(tmp_path)])
    assert "imported: 0, not found: 0, differs: 1" in differs.output
    (tmp_path / away).write_bytes(contents[away])
    imported = runner.invoke(args=["files", "import", "--from", str(tmp_path)])
    assert imported.exit_code == 0, imported.output
    assert "imported: 1, not found: 0, differs: 0" in imported.output

    checked = runner.invoke(args=["files", "check"])
    assert checked.exit_code == 0, checked.output
    assert "ok: 3, missing: 0, damaged: 0, without a row: 0" in checked.output
