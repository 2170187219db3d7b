"""``flask backup`` carries every byte of the installation: the evidence files are rows.

Items' attachments, pilots' evidence and comments' files are uploaded through the app,
backed up, and restored into a fresh, empty database (SQLite: a new file; PostgreSQL: a
database of this run's own, created and dropped here); a second application on it then
serves every file with the SHA-256 it had.
"""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app import create_app
from app.core.files import CHUNK_BYTES, named_files
from app.core.scope import unscoped
from app.discussion.models import CommentFile
from app.extensions import db
from app.issues.models import Attachment
from app.pilots.models import PilotEvidence
from tests.factories import PASSWORD

UPLOADS = [
    # (where it is posted, its name, its bytes): several chunks, one, a small one.
    ("issue", "验收报告.pdf", b"%PDF-1.7\n" + os.urandom(CHUNK_BYTES * 2 + 1234)),
    ("issue", "现场照片.png", b"\x89PNG\r\n\x1a\n" + os.urandom(CHUNK_BYTES)),
    ("pilot", "复盘材料.docx", b"PK\x03\x04" + os.urandom(300_000)),
    ("comment", "口径说明.txt", "口径以总行为准。\n".encode() * 1000),
]
DOWNLOADS = {Attachment: "/attachments/{}", PilotEvidence: "/pilot-evidence/{}"}
DOWNLOADS[CommentFile] = "/comment-files/{}"


def signed_in(app, username: str = "leader"):
    client = app.test_client()
    response = client.post("/login", data={"login": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def post_file(client, url: str, name: str, content: bytes, **fields) -> None:
    upload = FileStorage(io.BytesIO(content), filename=name)
    boundary, body = encode_multipart({"file": upload, **fields})
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def every_file(app) -> dict[str, str]:
    """Every file a row names, downloaded through ``app``: its URL and SHA-256."""
    with app.app_context(), unscoped():
        urls = [
            DOWNLOADS[model].format(row_id)
            for model in DOWNLOADS
            for row_id in db.session.scalars(db.select(model.id))
        ]
        db.session.remove()
    client = signed_in(app)
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        digest = hashlib.sha256()
        for piece in response.response:  # as sent, a chunk at a time
            digest.update(piece)
        response.close()
        found[url] = digest.hexdigest()
    return found


@pytest.fixture
def fresh_url(app, tmp_path):
    """The address of a new, empty database on the engine under test."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{url.database}_restore"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_a_backup_restored_into_a_fresh_database_serves_every_file_as_it_was(
    app, world, tmp_path, fresh_url
):
    member = signed_in(app, "member")
    for where, name, content in UPLOADS:
        url = {
            "issue": f"/issues/{world.issue_id}/attachments",
            "pilot": f"/pilots/{world.ids['pilot']}/evidence",
            "comment": f"/threads/issue/{world.issue_id}/comments",
        }[where]
        post_file(member, url, name, content, **({"body": "见附件"} if where == "comment" else {}))
    uploaded = {hashlib.sha256(content).hexdigest() for _where, _name, content in UPLOADS}
    before = every_file(app)
    assert len(before) == len(UPLOADS) + 3  # and the world's own three
    assert uploaded <= set(before.values())

    backup = tmp_path / "gongjian.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "attachments").exists()

    fresh = create_app("testing", SQLALCHEMY_DATABASE_URI=fresh_url, WTF_CSRF_ENABLED=False)
    try:
        restored = fresh.test_cli_runner().invoke(args=["restore", "--yes", str(backup)])
        assert restored.exit_code == 0, restored.output
        assert every_file(fresh) == before
        checked = fresh.test_cli_runner().invoke(args=["files", "check"])
        assert checked.exit_code == 0, checked.output
        assert f"ok: {len(before)}, missing: 0, damaged: 0" in checked.output
        with fresh.app_context():
            assert len(named_files()) == len(before)
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()
