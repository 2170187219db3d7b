"""Map import: preview, apply in one go, re-import changes nothing, hostile uploads refused."""

from __future__ import annotations

import io
import json
import re
import zipfile

from sqlalchemy import func, select

from app.core.models import AuditEvent
from app.extensions import db
from app.issues.models import Category, Issue

MAP = """# 非存AUM攻坚

## 客户端

- 代发客户
  - 代发资金留存率低 !2
    工资到账当日流出
  - 代发客户画像缺失
- 理财到期客户

## 渠道端

- 手机银行
  - 理财专区入口深
"""


def upload(client, name: str, data: bytes, url: str = "/mindmap/import"):
    return client.post(
        url,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', response.text)
    if match is None:
        match = re.search(r'value="([0-9a-f]{32})"', response.text)
    assert match, response.text[:2000]
    return match.group(1)


def counts(look, world):
    with look():
        categories = db.session.scalar(
            select(func.count(Category.id)).where(Category.task_force_id == world.task_force_id)
        )
        items = db.session.scalar(
            select(func.count(Issue.id)).where(Issue.task_force_id == world.task_force_id)
        )
    return categories, items


def test_preview_then_apply_creates_the_tree(login, world, look):
    client = login("leader")
    before = counts(look, world)
    response = upload(client, "框架.md", MAP.encode())
    assert response.status_code == 200
    assert "导入预览" in response.text or "Import preview" in response.text
    assert "代发资金留存率低" in response.text
    assert counts(look, world) == before  # a preview writes nothing
    token = token_of(response)
    applied = client.post("/mindmap/import/apply", data={"token": token})
    assert applied.status_code == 302 and applied.headers["Location"].endswith("/mindmap")
    with look():
        by_name = {c.name: c for c in db.session.scalars(select(Category))}
        assert {"渠道端", "代发客户", "手机银行"} <= set(by_name)
        # "客户端" existed in the world: matched, not duplicated.
        assert (
            db.session.scalar(select(func.count(Category.id)).where(Category.name == "客户端")) == 1
        )
        assert by_name["代发客户"].parent_id == by_name["客户端"].id
        # A dimension's leaf stays a category; leaves below become items.
        item = db.session.scalar(select(Issue).where(Issue.title == "代发资金留存率低"))
        assert item.category_id == by_name["代发客户"].id
        assert item.description == "工资到账当日流出"
        assert item.priority == "high"
        assert item.code.startswith("KH-")
        assert by_name["渠道端"].code_prefix  # new dimensions number their items
        leaf = db.session.scalar(select(Issue).where(Issue.title == "理财到期客户"))
        assert leaf.category_id == by_name["客户端"].id
        # Topic order is kept.
        items = db.session.scalars(
            select(Issue.title)
            .where(Issue.category_id == by_name["代发客户"].id)
            .order_by(Issue.id)
        ).all()
        assert items == ["代发资金留存率低", "代发客户画像缺失"]
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "imported")
            )
            == 7
        )
    # The same map again: nothing new, nothing changed.
    again = upload(client, "框架.md", MAP.encode())
    assert 'data-testid="nothing-to-do"' in again.text
    after = counts(look, world)
    client.post("/mindmap/import/apply", data={"token": token_of(again)})
    assert counts(look, world) == after


def test_a_changed_map_updates_and_adds_and_lists_removed_nodes(login, world, look):
    client = login("leader")
    client.post(
        "/mindmap/import/apply", data={"token": token_of(upload(client, "m.md", MAP.encode()))}
    )
    changed = (
        MAP.replace("工资到账当日流出", "工资到账后三日内流出")
        .replace("- 理财到期客户\n", "- 理财到期客户\n- 存量客户\n")
        .replace("  - 代发客户画像缺失\n", "")
    )
    response = upload(client, "m.md", changed.encode())
    assert response.status_code == 200
    assert 'data-testid="preview-removed"' in response.text
    removed = response.text.split('data-testid="preview-removed"')[1]
    assert "代发客户画像缺失" in removed
    client.post("/mindmap/import/apply", data={"token": token_of(response)})
    with look():
        item = db.session.scalar(select(Issue).where(Issue.title == "代发资金留存率低"))
        assert item.description == "工资到账后三日内流出"
        # Never deleted silently.
        assert db.session.scalar(select(Issue).where(Issue.title == "代发客户画像缺失"))
        assert db.session.scalar(select(Issue).where(Issue.title == "存量客户"))


def test_the_real_xmind_samples_import(login, world, look, sample):
    client = login("leader")
    for name in ("xmind_zen.xmind", "xmind_pro.xmind"):
        response = upload(client, name, sample(name))
        assert response.status_code == 200, response.text[:500]
        client.post("/mindmap/import/apply", data={"token": token_of(response)})
    with look():
        note = db.session.scalar(select(Issue).where(Issue.title == "note topic"))
        assert note.description == "note info\nnew line of note"
        assert db.session.scalar(select(Category).where(Category.name == "topic 1"))
        makers = db.session.scalar(select(Issue).where(Issue.title == "makers topic"))
        assert makers.priority == "high"


def test_a_preview_belongs_to_its_user_and_cannot_be_forged(login, world, look):
    leader = login("leader")
    token = token_of(upload(leader, "m.md", MAP.encode()))
    other = login("exec_leader")
    before = counts(look, world)
    assert other.post("/mindmap/import/apply", data={"token": token}).status_code == 404
    assert (
        other.post("/mindmap/import/apply", data={"token": "../../etc/passwd"}).status_code == 404
    )
    assert counts(look, world) == before


def test_members_may_not_import(login, world):
    client = login("member")
    assert upload(client, "m.md", MAP.encode()).status_code == 403


def test_bad_files_get_a_message_and_nothing_is_written(login, world, look):
    client = login("leader")
    client.post("/language", data={"locale": "en"})
    before = counts(look, world)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.json", b"[" + b" " * (40 * 1024 * 1024) + b"]")
    for name, data in (
        ("bomb.xmind", bomb.getvalue()),
        ("map.docx", b"whatever"),
        ("empty.md", "# 只有中心\n".encode()),
        (
            "evil.mm",
            b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><map><node TEXT="&x;"/></map>',
        ),
        ("damaged.xmind", b"PK\x03\x04 broken"),
    ):
        response = upload(client, name, data)
        assert response.status_code == 400, name
        assert "invalid-feedback" in response.text, name
    assert counts(look, world) == before


def test_upload_size_limits(app, login, world, look, monkeypatch):
    client = login("leader")
    monkeypatch.setitem(app.config, "MINDMAP_MAX_UPLOAD_BYTES", 100 * 1024)
    big = b"# x\n" + b"- a\n" * (50 * 1024)
    response = upload(client, "big.md", big)
    assert response.status_code == 400
    assert "100 KB" in response.text
    # 50 MB: refused by the server before the view reads it.
    boundary = "x" * 20
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="huge.xmind"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\0" * (50 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/mindmap/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413


def test_preview_json_survives_on_the_server_only(app, login, world):
    client = login("leader")
    token = token_of(upload(client, "m.md", MAP.encode()))
    from pathlib import Path

    stored = Path(app.instance_path) / "mindmap-imports" / f"{token}.json"
    record = json.loads(stored.read_text("utf-8"))
    assert record["user_id"] == world.users["leader"]
    assert record["tree"]["title"] == "非存AUM攻坚"
    client.post("/mindmap/import/apply", data={"token": token})
    assert not stored.exists()


def test_a_closed_item_the_map_would_change_is_left_as_it_is(login, world, look):
    client = login("leader")
    client.post(
        "/mindmap/import/apply", data={"token": token_of(upload(client, "m.md", MAP.encode()))}
    )
    with look():
        item = db.session.scalar(select(Issue).where(Issue.title == "代发资金留存率低"))
        item.status = "closed"
        db.session.commit()
    changed = MAP.replace("工资到账当日流出", "工资到账后三日内流出")

    response = upload(client, "m.md", changed.encode())

    assert 'data-testid="preview-locked"' in response.text
    assert 'data-testid="nothing-to-do"' in response.text  # nothing else would change
    client.post("/mindmap/import/apply", data={"token": token_of(response)})
    with look():
        item = db.session.scalar(select(Issue).where(Issue.title == "代发资金留存率低"))
        assert item.description == "工资到账当日流出"


def upload_body(client, name: str, data: bytes):
    """``upload`` with the multipart body written here: the test client would spool a
    file over 500 KB to a temporary file it never closes."""
    boundary = "hostile-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/mindmap/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_map_nested_3000_deep_is_refused_on_the_form_in_both_languages(login, world, look):
    from tests import hostile

    client = login("leader")
    before = counts(look, world)
    files = {
        "deep.xmind": hostile.deep_xmind_zen(),
        "deep8.xmind": hostile.deep_xmind8(),
        "deep.mm": hostile.deep_freemind(),
        "deep.opml": hostile.deep_opml(),
        "deep.md": hostile.deep_markdown(),
    }
    for name, data in files.items():
        response = upload_body(client, name, data)
        assert response.status_code == 400, name
        assert 'data-testid="map-upload"' in response.text and "invalid-feedback" in response.text
        assert "导图层级超过 12 层。" in response.text, name
    client.post("/locale", data={"locale": "en"})
    response = upload_body(client, "deep.opml", files["deep.opml"])
    assert response.status_code == 400
    assert "The map is nested deeper than 12 levels." in response.text
    assert counts(look, world) == before


def test_a_note_longer_than_the_limit_is_refused_on_the_form(app, login, world, look, monkeypatch):
    monkeypatch.setitem(app.config, "MINDMAP_MAX_NOTE_CHARS", 1000)
    client = login("leader")
    before = counts(look, world)
    text = "# 中心\n\n## 客户端\n\n" + "很长的说明。\n" * 300
    response = upload(client, "long.md", text.encode())
    assert response.status_code == 400
    assert "“客户端”的备注超过 1000 字" in response.text
    assert counts(look, world) == before
