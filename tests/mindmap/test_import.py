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
from tests import factories

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


# --- every topic kept, matched by code, title or position ------------------------------------


def node(title: str, *children, **values):
    from app.mindmap.formats import MapNode

    return MapNode(title=title, children=list(children), **values)


def empty_task_force(name: str = "新建攻坚小组"):
    """A task force of its own with one leader, nothing in it: (task force id, leader)."""
    task_force = factories.make_task_force(name)
    leader = factories.make_user(f"lead-{task_force.id}")
    factories.make_membership(leader, task_force, "leader")
    return task_force.id, leader


def rows_of(plan, kind=None):
    return [r for r in plan.rows if kind is None or r.kind == kind]


def test_same_named_siblings_are_two_items_and_come_back_by_position(ctx, commit):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    tf, leader = empty_task_force()
    commit()
    root = node("中心", node("客户端", node("c / a"), node("c / a"), node("c / a", note="第三个")))
    plan = plan_import(tf, root)
    assert [r.state for r in rows_of(plan, "issue")] == ["new", "new", "new"]
    _Apply(leader, tf, plan, keep_closed=False).run()
    commit()
    items = db.session.scalars(select(Issue).where(Issue.task_force_id == tf).order_by(Issue.id))
    assert [(i.title, i.description) for i in items] == [
        ("c / a", ""),
        ("c / a", ""),
        ("c / a", "第三个"),
    ]
    again = plan_import(tf, root)
    assert [(r.rule, r.state) for r in rows_of(again, "issue")] == [("position", "unchanged")] * 3
    assert again.rows[0].rule == "path" and not again.removed and not again.has_changes
    # One of them deleted in the map: the first two stay matched, the third is "not in the map".
    fewer = plan_import(tf, node("中心", node("客户端", node("c / a"), node("c / a"))))
    assert [r.rule for r in rows_of(fewer, "issue")] == ["position", "position"]
    assert [r.path for r in fewer.removed] == [("客户端", "c / a")]


def test_an_item_is_matched_by_its_code_first_then_by_title(ctx, commit):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    tf, leader = empty_task_force()
    top = factories.make_category(tf, "客户端", prefix="KH")
    sub = factories.make_category(tf, "代发客户", parent=top)
    renamed = factories.make_issue(sub, "代发资金留存率低", code="KH-001")
    kept = factories.make_issue(sub, "代发客户画像缺失", code="KH-002")
    moved = factories.make_issue(top, "理财到期客户", code="KH-003")
    commit()
    root = node(
        "中心",
        node(
            "客户端",
            node("代发客户", node("代发资金当日流出", code="KH-001"), node("代发客户画像缺失")),
            node("存量客户", node("理财到期客户", code="KH-003")),
        ),
    )
    plan = plan_import(tf, root)
    items = {r.title: r for r in rows_of(plan, "issue")}
    assert (items["代发资金当日流出"].rule, items["代发资金当日流出"].changes) == (
        "code",
        ["title"],
    )
    assert (items["代发客户画像缺失"].rule, items["代发客户画像缺失"].state) == (
        "title",
        "unchanged",
    )
    assert (items["理财到期客户"].rule, items["理财到期客户"].changes) == ("code", ["category"])
    assert not plan.removed
    _Apply(leader, tf, plan, keep_closed=False).run()
    commit()
    assert db.session.get(Issue, renamed.id).title == "代发资金当日流出"
    new_sub = db.session.scalar(select(Category).where(Category.name == "存量客户"))
    assert db.session.get(Issue, moved.id).category_id == new_sub.id
    assert db.session.get(Issue, kept.id).title == "代发客户画像缺失"
    assert not plan_import(tf, root).has_changes
    # A code of another task force's export that happens to exist here, on an unrelated
    # item elsewhere, does not overwrite it.
    stranger = plan_import(tf, node("中心", node("渠道端", node("手机银行", code="KH-002"))))
    row = rows_of(stranger, "issue")[0]
    assert (row.rule, row.state, row.renumbered) == ("", "new", "KH-002")


def test_a_category_renamed_in_the_map_is_matched_by_its_id(ctx, commit, person, world):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    tf, leader = empty_task_force()
    top = factories.make_category(tf, "客户端", prefix="KH")
    sub = factories.make_category(tf, "代发客户", parent=top)
    factories.make_issue(sub, "代发资金留存率低", code="KH-001")
    commit()
    root = node(
        "中心",
        node(
            "客户端",
            node(
                "代发工资客户",
                node("代发资金留存率低", code="KH-001"),
                kind="category",
                ref=str(sub.id),
            ),
            kind="category",
            ref=str(top.id),
        ),
    )
    plan = plan_import(tf, root)
    renamed = plan.rows[1]
    assert (renamed.rule, renamed.state, renamed.changes) == ("ref", "changed", ["name"])
    assert not plan.removed and plan.count("category", "new") == 0
    _Apply(leader, tf, plan, keep_closed=False).run()
    commit()
    assert db.session.get(Category, sub.id).name == "代发工资客户"
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "category",
            AuditEvent.entity_id == sub.id,
            AuditEvent.action == "imported",
        )
    )
    assert event.changes["name"] == ["代发客户", "代发工资客户"]
    # Another task force's category id is no match: by name, as any map.
    other = world.other_task_force_id
    foreign = plan_import(tf, node("中心", node("客户端", kind="category", ref=str(other))))
    assert foreign.rows[0].rule == "path"


def test_a_category_without_items_stays_a_category(ctx, commit):
    from app.mindmap.plan import plan_import

    tf, _leader = empty_task_force()
    commit()
    root = node("中心", node("客户端", node("空的子类", kind="category"), node("一个问题")))
    assert [(r.kind, r.title) for r in plan_import(tf, root).rows] == [
        ("category", "客户端"),
        ("category", "空的子类"),
        ("issue", "一个问题"),
    ]


def test_codes_are_kept_where_they_fit_and_renumbered_where_not(ctx, commit):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    tf, leader = empty_task_force()
    commit()
    root = node(
        "中心",
        node(
            "客户端",
            node("甲", code="KH-001"),
            node("乙", code="KH-005"),
            node("丙"),
            node("丁", code="QD-009"),  # not this dimension's prefix
            node("戊", code="KH-005"),  # twice in the file
        ),
        node("渠道端", node("手机银行", code="QD-002")),
        node("新维度", node("无编号")),
    )
    plan = plan_import(tf, root)
    by_title = {r.title: r for r in plan.rows}
    assert by_title["客户端"].prefix == "KH" and by_title["渠道端"].prefix == "QD"
    assert by_title["新维度"].prefix is None
    assert [r.renumbered for r in plan.renumbered] == ["QD-009", "KH-005"]
    _Apply(leader, tf, plan, keep_closed=False).run()
    commit()
    codes = dict(
        db.session.execute(select(Issue.title, Issue.code).where(Issue.task_force_id == tf)).all()
    )
    assert codes["甲"] == "KH-001" and codes["乙"] == "KH-005"
    # Numbered after the codes kept, never on one of them.
    assert {codes["丙"], codes["丁"], codes["戊"]} == {"KH-006", "KH-007", "KH-008"}
    assert codes["手机银行"] == "QD-002"
    assert codes["无编号"] == "MA-001"
    prefixes = set(
        db.session.scalars(select(Category.code_prefix).where(Category.task_force_id == tf))
    )
    assert prefixes == {"KH", "QD", "MA"}
    # The next item made by hand gets the next free number.
    from app.issues.service import take_codes

    top = db.session.scalar(select(Category).where(Category.name == "客户端"))
    assert take_codes([top]) == ["KH-009"]


def test_a_code_taken_here_is_renumbered(ctx, commit):
    from app.mindmap.plan import plan_import

    tf, _leader = empty_task_force()
    top = factories.make_category(tf, "客户端", prefix="KH")
    sub = factories.make_category(tf, "代发客户", parent=top)
    factories.make_issue(sub, "已有的问题", code="KH-001")
    commit()
    # Of another title under another category: not that item, and its code is taken.
    plan = plan_import(tf, node("中心", node("客户端", node("新的问题", code="KH-001"))))
    row = rows_of(plan, "issue")[0]
    assert (row.state, row.code, row.renumbered) == ("new", None, "KH-001")


def test_closed_items_stay_closed_when_the_importer_asks(ctx, commit):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    root = node(
        "中心",
        node(
            "客户端",
            node("已销号的", status="已销号"),
            node("closed one", status="Closed"),
            node("勾选完成的", done=True),
            node("进行中的", status="推进中"),
        ),
    )
    tf, leader = empty_task_force("甲组")
    commit()
    plan = plan_import(tf, root)
    assert plan.closed_new == 3
    counts = _Apply(leader, tf, plan, keep_closed=True).run()
    commit()
    assert counts["closed"] == 3
    statuses = dict(
        db.session.execute(select(Issue.title, Issue.status).where(Issue.task_force_id == tf)).all()
    )
    assert statuses == {
        "已销号的": "closed",
        "closed one": "closed",
        "勾选完成的": "closed",
        "进行中的": "new",
    }
    closed = db.session.scalar(select(Issue).where(Issue.title == "已销号的"))
    assert closed.closed_at is not None and closed.closed_by_id == leader.id
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.entity_type == "issue",
                AuditEvent.entity_id == closed.id,
                AuditEvent.action == "imported",
            )
        )
        == 2
    )  # created, then closed
    other, other_leader = empty_task_force("乙组")
    commit()
    _Apply(other_leader, other, plan_import(other, root), keep_closed=False).run()
    commit()
    assert set(db.session.scalars(select(Issue.status).where(Issue.task_force_id == other))) == {
        "new"
    }


def test_a_title_longer_than_the_field_goes_into_the_description(ctx, commit):
    from app.mindmap.imports import _Apply
    from app.mindmap.plan import plan_import

    tf, leader = empty_task_force()
    commit()
    long_item, long_name = "问" * 250, "类" * 120
    root = node("中心", node(long_name, node(long_item, note="原来的说明")))
    plan = plan_import(tf, root)
    assert [r.long for r in plan.rows] == [True, True] and plan.long_titles == 2
    _Apply(leader, tf, plan, keep_closed=False).run()
    commit()
    item = db.session.scalar(select(Issue).where(Issue.task_force_id == tf))
    assert item.title == "问" * 200
    assert item.description == f"{long_item}\n\n原来的说明"
    category = db.session.scalar(select(Category).where(Category.task_force_id == tf))
    assert category.name == "类" * 100 and category.description == long_name
    assert not plan_import(tf, root).has_changes  # the same map again changes nothing


def test_planning_costs_two_queries_whatever_the_size(ctx, commit):
    from sqlalchemy import event

    from app.mindmap.plan import plan_import

    tf, _leader = empty_task_force()
    top = factories.make_category(tf, "客户端", prefix="KH")
    for n in range(30):
        factories.make_issue(top, f"问题{n}", code=f"KH-{n + 1:03d}")
    commit()
    statements = []

    def count(*_args):
        statements.append(1)

    small = node("中心", node("客户端", node("问题0", code="KH-001")))
    big = node("中心", node("客户端", *(node(f"问题{n}") for n in range(30)), node("新的")))
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        plan_import(tf, small)
        first = len(statements)
        plan_import(tf, big)
        second = len(statements) - first
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert first == second == 2


# --- the preview page: what is left out, sheets, rules, statuses ------------------------------


def two_sheets(monkeypatch):
    """The reader of a two-sheet file that leaves things out (the readers learn to say so
    in the formats' own tests): the tree of the sheet asked for."""
    from app.mindmap import imports
    from app.mindmap.formats import MapFile, Omitted

    sheets = [
        node("第一张", node("客户端", node("代发客户", node("第一张的问题")))),
        node("第二张", node("渠道端", node("第二张的问题", status="已销号"), node("另一个"))),
    ]
    calls = []

    def read(filename, data, limits=None, sheet=0):
        calls.append((filename, data, sheet))
        other = 1 - sheet
        left_out = Omitted(
            sheets=[(sheets[other].title, sheets[other].count())], floating=2, relationships=1
        )
        return MapFile(sheets[sheet], [s.title for s in sheets], sheet, left_out)

    monkeypatch.setattr(imports, "read_map_file", read)
    return calls


def test_the_preview_says_what_is_not_imported_and_reads_another_sheet(
    app, login, world, look, monkeypatch
):
    from pathlib import Path

    calls = two_sheets(monkeypatch)
    client = login("leader")
    response = upload(client, "两张.xmind", b"the upload's bytes")
    assert response.status_code == 200
    assert "未导入：第 2 张画布（4 个主题）、2 个浮动主题、1 条联系" in response.text
    assert 'data-testid="sheet-form"' in response.text and "第 2 张画布：第二张" in response.text
    token = token_of(response)
    folder = Path(app.instance_path) / "mindmap-imports"
    assert (folder / f"{token}.upload").read_bytes() == b"the upload's bytes"
    record = json.loads((folder / f"{token}.json").read_text("utf-8"))
    assert record["sheets"] == ["第一张", "第二张"] and record["omitted"]["floating"] == 2

    other = client.post("/mindmap/import/sheet", data={"token": token, "sheet": "1"})
    assert other.status_code == 200
    assert calls[-1] == ("两张.xmind", b"the upload's bytes", 1)  # the stored bytes, read again
    assert "第二张的问题" in other.text and "第一张的问题" not in other.text
    assert "未导入：第 1 张画布（4 个主题）" in other.text
    assert token_of(other) == token
    assert (
        client.post("/mindmap/import/sheet", data={"token": token, "sheet": "7"}).status_code == 400
    )
    # Someone else cannot read another sheet of this upload.
    stranger = login("exec_leader").post(
        "/mindmap/import/sheet", data={"token": token, "sheet": "0"}
    )
    assert stranger.status_code == 404

    client.post("/locale", data={"locale": "en"})
    english = client.post("/mindmap/import/sheet", data={"token": token, "sheet": "0"})
    assert "Not imported: sheet 2 (4 topics), 2 floating topics, 1 relationship" in english.text

    client.post("/mindmap/import/apply", data={"token": token, "keep_closed": "y"})
    assert not (folder / f"{token}.json").exists() and not (folder / f"{token}.upload").exists()
    with look():
        assert db.session.scalar(select(Issue).where(Issue.title == "第一张的问题"))
        assert not db.session.scalar(select(Issue).where(Issue.title == "第二张的问题"))


def test_the_preview_shows_the_rule_of_each_row_and_the_start_status(login, world, look):
    client = login("leader")
    text = MAP.replace("  - 代发客户画像缺失\n", "  - 代发客户画像缺失\n  - 代发客户画像缺失\n")
    first = upload(client, "m.md", text.encode())
    assert "新导入的事项状态为“待分析”。" in first.text
    assert 'data-testid="preview-status"' in first.text
    client.post("/mindmap/import/apply", data={"token": token_of(first)})
    with look():
        assert (
            db.session.scalar(select(func.count(Issue.id)).where(Issue.title == "代发客户画像缺失"))
            == 2
        )
    again = upload(client, "m.md", text.encode())
    assert 'data-testid="nothing-to-do"' in again.text
    unchanged = again.text.split('data-testid="preview-unchanged"')[1]
    assert unchanged.count('data-rule="position"') == 2
    assert 'data-rule="title"' in unchanged and 'data-rule="path"' in unchanged
    assert "按位置" in unchanged and "按标题" in unchanged


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>中心</title></head><body>
<outline text="中心">
  <outline text="渠道端">
    <outline text="手机银行入口深" _code="QD-004" _status="已销号"/>
    <outline text="网点排队久" _code="QD-007" _status="推进中"/>
  </outline>
</outline>
</body></opml>
"""


def test_keep_closed_on_the_preview_form(login, world, look):
    client = login("leader")
    response = upload(client, "m.opml", OPML.encode())
    assert "（文件中 1 项已销号）" in response.text and 'name="keep_closed"' in response.text
    client.post("/mindmap/import/apply", data={"token": token_of(response), "keep_closed": "y"})
    with look():
        rows = db.session.execute(
            select(Issue.title, Issue.code, Issue.status).where(Issue.code.like("QD-%"))
        ).all()
        # A new dimension takes the file's prefix, and its items their codes.
        assert sorted(rows) == [
            ("手机银行入口深", "QD-004", "closed"),
            ("网点排队久", "QD-007", "new"),
        ]
