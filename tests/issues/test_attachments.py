"""Evidence files: stored in the database (never under static/), within limits, served only
to the task force."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.files import read_chunks, stored_keys
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Attachment, Category
from tests.factories import make_issue

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture
def store(app, monkeypatch, tmp_path, look):
    """What the database holds of stored files: ``store()`` lists their keys. The folder
    of the files of old is set to an empty one, which must stay empty."""
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(folder))

    def keys() -> list[str]:
        assert not folder.exists() or not any(folder.iterdir()), "nothing on the disk"
        with look():
            return sorted(key for key in stored_keys() if not key.startswith("world-"))

    return keys


def upload(client, issue_id: int, name: str, content: bytes):
    return client.post(
        f"/issues/{issue_id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def content_of(look, key: str) -> bytes:
    with look():
        return b"".join(read_chunks(key))


def attachment_count(look) -> int:
    with look():
        return db.session.scalar(select(func.count(Attachment.id)))


def test_the_owner_uploads_a_pdf_and_a_viewer_downloads_the_same_bytes(world, store, login, look):
    response = upload(login("member"), world.issue_id, "验收报告.pdf", PDF)

    assert response.status_code == 302
    [key] = store()
    assert content_of(look, key) == PDF
    with look():
        attachment = db.session.scalar(
            select(Attachment).where(Attachment.filename == "验收报告.pdf")
        )
        attachment_id = attachment.id
        assert (attachment.stored_name, attachment.size) == (key, len(PDF))
        assert attachment.content_type == "application/pdf"
        assert attachment.uploaded_by_id == world.users["member"]

    download = login("viewer").get(f"/attachments/{attachment_id}", buffered=True)

    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"


def test_the_stored_name_does_not_come_from_the_upload(world, store, login):
    upload(login("member"), world.issue_id, "../../static/evil.pdf", PDF)

    [key] = store()
    assert "evil" not in key and "/" not in key
    assert not (STATIC / "evil.pdf").exists()


def test_a_user_of_another_task_force_cannot_download(world, store, login, look):
    upload(login("member"), world.issue_id, "验收报告.pdf", PDF)
    with look():
        attachment_id = db.session.scalar(
            select(Attachment.id).where(Attachment.filename == "验收报告.pdf")
        )

    response = login("stranger").get(f"/attachments/{attachment_id}", buffered=True)

    assert response.status_code == 404
    assert PDF not in response.data


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00 a program"),
        ("no-extension", PDF),
        ("报告.pdf", b"MZ\x90\x00 not a pdf at all"),
        ("截图.png", PDF),
        ("空文件.pdf", b""),
    ],
    ids=["executable", "no type", "pdf that is not a pdf", "png that is a pdf", "empty"],
)
def test_a_refused_file_is_not_stored(world, store, login, look, name, content):
    before = attachment_count(look)

    response = upload(login("member"), world.issue_id, name, content)

    assert response.status_code == 400
    assert store() == []
    assert attachment_count(look) == before


def test_a_file_over_the_size_limit_is_refused(app, monkeypatch, world, store, login, look):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(PDF) - 1)
    before = attachment_count(look)

    response = upload(login("member"), world.issue_id, "验收报告.pdf", PDF)

    assert response.status_code == 400
    assert store() == []
    assert attachment_count(look) == before


def test_a_file_at_the_size_limit_is_accepted(app, monkeypatch, world, store, login):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(PDF))

    assert upload(login("member"), world.issue_id, "验收报告.pdf", PDF).status_code == 302
    assert len(store()) == 1


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("stranger", 404)])
def test_only_those_who_work_on_the_item_upload(world, store, login, look, persona, status):
    before = attachment_count(look)

    response = upload(login(persona), world.issue_id, "验收报告.pdf", PDF)

    assert response.status_code == status
    assert store() == []
    assert attachment_count(look) == before


def test_a_member_who_does_not_work_on_the_item_cannot_upload(app, world, store, login):
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        issue_id = make_issue(category, owner_id=world.users["leader"]).id

    response = upload(login("member"), issue_id, "验收报告.pdf", PDF)

    assert response.status_code == 400  # refused on the form, like any other refusal
    assert store() == []
