"""Reading and writing map files: the real XMind samples, round trips, hostile files."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale

from app.mindmap.formats import (
    UNTITLED,
    WRITERS,
    Limits,
    MapFileError,
    MapNode,
    Omitted,
    read_map,
    read_map_file,
)
from tests import hostile


def titles(node: MapNode) -> list[str]:
    return [c.title for c in node.children]


def test_xmind_zen_sample_keeps_titles_order_notes_and_priorities(ctx, sample):
    root = read_map("xmind_zen.xmind", sample("xmind_zen.xmind"))
    assert root.title == "Central Topic"
    assert titles(root) == ["topic 1", "topic 2"]
    topic1, topic2 = root.children
    assert titles(topic1)[:3] == ["note topic", "label topic", "link topic"]
    assert topic1.children[0].note == "note info\nnew line of note"
    assert topic1.children[1].children[0].note == "hello world"
    assert topic1.priority == "urgent"  # marker priority-1
    assert topic2.priority == "high"  # marker priority-2
    makers = [c for c in topic1.children if c.title == "makers topic"][0]
    assert makers.priority == "high"
    assert titles(topic2)[:3] == ["123", UNTITLED, "中文"]
    assert titles(topic2.children[1]) == ["topic after empty"]


def test_xmind8_sample_keeps_titles_order_and_notes(ctx, sample):
    root = read_map("xmind_pro.xmind", sample("xmind_pro.xmind"))
    assert root.title == "test"
    assert titles(root) == ["a", "b", "c"]
    a = root.children[0]
    assert titles(a) == ["e", "d", "e", UNTITLED]
    assert a.children[2].children[0].note == "this is a note"
    types = root.children[1].children[0]
    assert titles(types)[:3] == ["comment", "note", "label"]
    note = types.children[1]
    assert note.note == "1 line note"
    assert note.children[0].note == "line1\nline2"
    chinese = root.children[1].children[1]
    assert chinese.title == "测试"
    assert chinese.children[0].note == "测试中文"


def framework_like() -> MapNode:
    """A map as the export writes it: categories with their ids, items with code and status,
    an empty category, two siblings of the same title, a done item, markup-like titles."""
    return MapNode(
        "非存AUM攻坚",
        children=[
            MapNode(
                "客户端",
                note="客户维度",
                kind="category",
                ref="12",
                children=[
                    MapNode(
                        "理财到期客户承接不足",
                        priority="urgent",
                        code="KH-002",
                        status="待分析",
                        kind="item",
                    ),
                    MapNode(
                        "代发客户",
                        kind="category",
                        ref="13",
                        children=[
                            MapNode(
                                "资金留存率低",
                                note="代发资金\n当日流出",
                                priority="high",
                                code="KH-001",
                                status="推进中",
                                kind="item",
                            ),
                            MapNode("资金留存率低", code="KH-003", status="已关闭", kind="item"),
                            MapNode("**不是粗体** [x] 与 [链接](url)", code="KH-004", kind="item"),
                        ],
                    ),
                    MapNode("空分类", kind="category", ref="14"),
                    MapNode("空分类", kind="category", ref="15"),
                ],
            ),
            MapNode("渠道端", children=[MapNode("手机银行", children=[MapNode("=HYPERLINK(1)")])]),
            MapNode('产品端 <&> "引号"'),
            MapNode("[x] 未编号的新分类", kind="category"),
            MapNode("已办", done=True, code="KH-005", status="已完成", kind="item"),
        ],
    )


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_format_round_trips(ctx, sample, fmt):
    writer, _mimetype, ext = WRITERS[fmt]
    for root in (
        framework_like(),
        read_map("xmind_zen.xmind", sample("xmind_zen.xmind")),
        read_map("xmind_pro.xmind", sample("xmind_pro.xmind")),
    ):
        again = read_map(f"export.{ext}", writer(root))
        assert again.to_dict() == root.to_dict()


def test_markdown_bullets_and_headings(ctx):
    text = (
        "# 框架\n\n## 客户端\n\n- 代发\n  - 留存率低\n    说明一行\n- 理财\n\n## 渠道端\n\n* 网点\n"
    )
    root = read_map("map.md", text.encode())
    assert root.title == "框架"
    assert titles(root) == ["客户端", "渠道端"]
    assert titles(root.children[0]) == ["代发", "理财"]
    assert root.children[0].children[0].children[0].note == "说明一行"
    assert titles(root.children[1]) == ["网点"]


def test_markdown_bullets_only(ctx):
    root = read_map("list.md", "- 客户端\n  - 代发\n- 渠道端\n".encode())
    assert titles(root) == ["客户端", "渠道端"]


def test_opml_with_several_top_outlines(ctx):
    data = (
        b'<?xml version="1.0"?><opml version="2.0"><head><title>T</title></head><body>'
        b'<outline text="A"><outline text="A1"/></outline><outline text="B"/></body></opml>'
    )
    root = read_map("x.opml", data)
    assert root.title == "T" and titles(root) == ["A", "B"]


def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refused(filename: str, data: bytes, limits: Limits | None = None) -> str:
    with force_locale("en"), pytest.raises(MapFileError) as caught:
        read_map(filename, data, limits)
    return caught.value.message


def test_zip_bomb_is_refused_before_reading(ctx):
    bomb = _zip({"content.json": b"[" + b" " * (60 * 1024 * 1024) + b"]"})
    assert len(bomb) < 200_000
    assert "too much" in refused("bomb.xmind", bomb)


def test_archive_with_too_many_entries_is_refused(ctx):
    many = _zip({f"f{i}.txt": b"" for i in range(1100)})
    assert "too many" in refused("many.xmind", many)


def test_a_lying_header_is_caught_while_reading(ctx):
    data = bytearray(_zip({"content.json": b"[" + b" " * 300_000 + b"]"}, zipfile.ZIP_DEFLATED))
    # Claim a tiny size in both headers; reading is still stopped at the limit.
    limits = Limits(max_uncompressed=100_000)
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    assert info.file_size > limits.max_uncompressed
    assert "too much" in refused("lie.xmind", bytes(data), limits)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE map [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<map version="1.0.1"><node TEXT="&xxe;"><node TEXT="a"/></node></map>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<opml version="2.0"><body><outline text="&lol4;"><outline text="x"/></outline></body></opml>"""


def test_xxe_is_refused(ctx):
    assert "entities" in refused("evil.mm", XXE)


def test_billion_laughs_is_refused(ctx):
    assert "entities" in refused("laughs.opml", LAUGHS)


def test_xxe_inside_an_xmind8_archive_is_refused(ctx):
    content = XXE.replace(b"<map", b"<xmap-content").replace(b"</map>", b"</xmap-content>")
    assert "entities" in refused("evil.xmind", _zip({"content.xml": content}))


def test_damaged_wrong_and_empty_files_get_clear_messages(ctx, sample):
    assert "damaged" in refused("broken.xmind", sample("xmind_zen.xmind")[:5000])
    assert "damaged" in refused("plain.xmind", b"not a zip at all")
    assert "Unknown file type" in refused("map.docx", b"PK....")
    assert "empty" in refused("empty.md", b"")
    assert "empty" in refused("lonely.md", "# 只有中心主题\n".encode())
    assert "empty" in refused("x.opml", b'<opml version="2.0"><body></body></opml>')
    assert "damaged" in refused("bad.mm", b"<map><node TEXT='a'>")
    assert "damaged" in refused("nomap.xmind", _zip({"other.txt": b"x"}))


def test_too_many_topics_are_refused(ctx):
    text = "# 根\n" + "".join(f"- 节点{i}\n" for i in range(60))
    assert "more than" in refused("big.md", text.encode(), Limits(max_nodes=50))


DEEP = {
    "deep.xmind": hostile.deep_xmind_zen,
    "deep8.xmind": hostile.deep_xmind8,
    "deep.mm": hostile.deep_freemind,
    "deep.opml": hostile.deep_opml,
    "deep.md": hostile.deep_markdown,
}


@pytest.mark.parametrize("filename", DEEP)
def test_a_map_nested_3000_deep_is_refused_with_the_depth_limit(ctx, filename):
    message = refused(filename, DEEP[filename](3000))
    assert message == "The map is nested deeper than 12 levels."


@pytest.mark.parametrize("filename", DEEP)
def test_a_map_as_deep_as_the_limit_is_read(ctx, filename):
    root = read_map(filename, DEEP[filename](12))  # the centre and 11 levels below it
    depth, node = 1, root
    while node.children:
        depth, node = depth + 1, node.children[0]
    assert depth == 12
    assert "deeper than 12" in refused(filename, DEEP[filename](13))


def test_the_depth_limit_is_the_configured_one(ctx):
    assert "deeper than 5 levels" in refused("deep.opml", hostile.deep_opml(6), Limits(max_depth=5))


def test_a_note_nested_3000_deep_is_read_as_its_text(ctx):
    root = read_map("deep-note.mm", hostile.deep_freemind_note(3000))
    assert root.children[0].note == "深"


def test_a_note_longer_than_the_limit_is_refused(ctx):
    message = refused("long.md", hostile.long_markdown_note(100_000), Limits(max_note=20_000))
    assert message == "The note of “客户端” is longer than 20000 characters; shorten it."
    text = '<opml version="2.0"><body><outline text="中心"><outline text="客户端" _note="{}"/>'
    text += "</outline></body></opml>"
    message = refused("long.opml", text.format("很" * 30).encode(), Limits(max_note=20))
    assert "longer than 20 characters" in message


def test_markdown_notes_and_long_lines_read_in_linear_time(ctx):
    # Sizes a quadratic join (1 MB of note lines) or a backtracking pattern (3,000 spaces
    # in a heading) takes tens of seconds over; the corpus test reads the 4 MB ones.
    limits = Limits(max_note=10 * 1024 * 1024)
    for data in (hostile.long_markdown_note(1024 * 1024), hostile.long_markdown_lines(12_000)):
        cost = hostile.measure(lambda data=data: read_map("long.md", data, limits))
        assert cost.cpu_seconds < 2, f"{cost.cpu_seconds:.1f} s"
    root = read_map("lines.md", hostile.long_markdown_lines(4000), limits)
    item = root.children[0].children[0]
    assert (root.children[0].title, item.title) == ("客户 端", "问题 x — 状态 !")


def test_xmind_zen_sample_counts_what_it_leaves_out(ctx, sample):
    read = read_map_file("xmind_zen.xmind", sample("xmind_zen.xmind"))
    assert read.sheets == ["Map 1", "Map 2"] and read.root.count() == 20
    # Checked by hand in content.json: "Map 2" holds a centre and two topics; one floating
    # topic with three subtopics; one callout; the label "great"; the markers smiley-smile,
    # task-oct and flag-orange (priority-N are read); the links of "link topic" and of the
    # attachment "test.txt"; the images of "sticker topic", "image topic" and the centre.
    assert read.omitted == Omitted(
        sheets=[("Map 2", 3)], floating=4, callouts=1, labels=1, markers=3, links=2, images=3
    )
    second = read_map_file("xmind_zen.xmind", sample("xmind_zen.xmind"), sheet=1)
    assert titles(second.root) == ["Main Topic 1", "Main Topic 2"]
    assert second.omitted == Omitted(sheets=[("Map 1", 20)])


def test_xmind8_sample_counts_what_it_leaves_out(ctx, sample):
    read = read_map_file("xmind_pro.xmind", sample("xmind_pro.xmind"))
    assert read.sheets == ["Sheet 1", "Sheet 2"] and read.root.count() == 35
    # Checked by hand in content.xml and comments.xml: "Sheet 2" holds 6 topics; the
    # floating "floating test" and its 3 subtopics; the summary "aaa"; one relationship;
    # the label "this is a  label"; markers star-orange, symbol-plus, flag-red, people-red,
    # arrow-up (task-done marks "b" done); 6 xlink:href (a, test.txt, to url, to file, to
    # topic, the third "a"); one xhtml:img; 5 comments on topics of the first sheet.
    assert read.omitted == Omitted(
        sheets=[("Sheet 2", 6)],
        floating=4,
        summaries=1,
        relationships=1,
        labels=1,
        markers=5,
        links=6,
        images=1,
        comments=5,
    )
    assert read.root.children[1].done is True
    assert titles(read.root.children[2]) == ["a", "a", "a"]  # three "c / a" stay three


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_empty_and_renamed_categories_come_back_as_categories(ctx, fmt):
    writer, _mimetype, ext = WRITERS[fmt]
    root = MapNode(
        "框架",
        children=[
            MapNode("空分类", kind="category", ref="7"),
            MapNode("空分类", kind="category", ref="8"),
            MapNode("新分类", kind="category"),
            MapNode("事项", code="KH-001", status="已关闭", kind="item", done=True),
        ],
    )
    again = read_map(f"export.{ext}", writer(root))
    assert [(c.title, c.kind, c.ref) for c in again.children] == [
        ("空分类", "category", "7"),
        ("空分类", "category", "8"),
        ("新分类", "category", None),
        ("事项", "item", None),
    ]
    assert (again.children[3].code, again.children[3].status, again.children[3].done) == (
        "KH-001",
        "已关闭",
        True,
    )


@pytest.mark.parametrize("ext", ["md", "opml"])
def test_titles_that_look_like_markup_are_written_so_they_read_back_the_same(ctx, ext):
    writer = WRITERS[ext][0]
    odd = [
        "**不是粗体**",
        "[x] 不是勾选",
        "[ ] 也不是",
        "[文字](网址)",
        "<b>标签</b>",
        "R&amp;D",
        "a\\*b",
        "`代码`",
        "2*3*4",
        "普通标题",
    ]
    root = MapNode("中心", children=[MapNode(title) for title in odd])
    again = read_map(f"x.{ext}", writer(root))
    assert titles(again) == odd
    assert not any(child.done or child.note for child in again.children)
