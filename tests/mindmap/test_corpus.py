"""Maps as current programs write them (built in corpus_files.py): exact trees, exact counts
of what is not imported, sheets, entities, markup, and errors that name the line."""

from __future__ import annotations

import json

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
from tests.mindmap import corpus_files as corpus

DUPLICATES = ["资金留存率低", "资金留存率低", "资金留存率低"]


def titles(node: MapNode) -> list[str]:
    return [child.title for child in node.children]


def refused(filename: str, data: bytes, locale: str = "en", **options) -> str:
    with force_locale(locale), pytest.raises(MapFileError) as caught:
        read_map_file(filename, data, **options)
    return caught.value.message


def test_freeplane_1_11_with_html_entities_rich_text_and_free_nodes(ctx):
    read = read_map_file("freeplane.mm", corpus.freeplane_1_11())
    root = read.root
    assert root.count() == 9  # the free node and its child are not in the tree
    assert titles(root) == ["客户端 — “存量”", "渠道端"]
    customers, channels = root.children
    assert customers.note == "范围…全行\n客户维度 · 2026–2027\n第二行©"  # details first
    assert (customers.kind, customers.ref) == ("category", "12")
    assert titles(customers) == [*DUPLICATES, corpus.LONG_TITLE]  # not cut, not merged
    item = customers.children[0]
    assert (item.code, item.status, item.kind, item.priority, item.done) == (
        "KH-001",
        "推进中",
        "item",
        "urgent",
        True,
    )
    assert titles(channels) == ["手机银行 App", "空分类"]
    assert (channels.children[1].kind, channels.children[1].ref) == ("category", "15")
    assert read.sheets == [] and read.sheet == 0
    assert read.omitted == Omitted(
        floating=2, relationships=1, labels=1, markers=1, links=1, images=1
    )


def test_freemind_1_0_keeps_same_named_siblings(ctx):
    read = read_map_file("freemind.mm", corpus.freemind_1_0())
    root = read.root
    assert root.title == "工作室" and root.count() == 6
    assert titles(root) == ["产品", "a"]
    assert titles(root.children[0]) == ["a", "a", "b"]
    second = root.children[0].children[1]
    assert (second.note, second.priority) == ("第一行 note", "high")
    assert read.omitted == Omitted(relationships=1, markers=1, links=1)


def test_xmind8_sheets_floating_summaries_callouts_and_comments(ctx):
    read = read_map_file("xmind8.xmind", corpus.xmind8())
    root = read.root
    assert root.count() == 6
    assert titles(root) == ["客户端", "空分类"]
    customers, empty = root.children
    assert (customers.kind, customers.ref) == ("category", "12")
    assert (empty.kind, empty.ref, empty.children) == ("category", "15", [])
    assert titles(customers) == DUPLICATES
    item = customers.children[0]
    assert (item.code, item.status, item.priority, item.done) == ("KH-001", "推进中", "high", True)
    assert item.note == "代发资金\n当日流出"
    assert read.sheets == ["画布 1", "画布 2", "画布 3"]
    assert read.omitted == Omitted(
        sheets=[("画布 2", 4), ("画布 3", 1)],
        floating=2,
        summaries=2,
        callouts=1,
        relationships=1,
        labels=1,
        markers=1,
        links=1,
        images=1,
        comments=2,  # the third is on another sheet's topic
    )


def test_xmind8_another_sheet_is_read_when_chosen(ctx):
    read = read_map_file("xmind8.xmind", corpus.xmind8(), sheet=1)
    assert read.sheet == 1 and read.root.title == "第二张"
    assert read.root.to_dict() == {
        "title": "第二张",
        "children": [{"title": "甲"}, {"title": "乙", "children": [{"title": "丙"}]}],
    }
    assert read.omitted == Omitted(sheets=[("画布 1", 6), ("画布 3", 1)], comments=1)


def test_xmind_zen_sheets_floating_summaries_callouts_relationships(ctx):
    read = read_map_file("zen.xmind", corpus.xmind_zen())
    root = read.root
    assert root.count() == 7
    customers, empty = root.children
    assert (customers.kind, customers.ref, empty.kind, empty.ref) == (
        "category",
        "12",
        "category",
        "15",
    )
    assert titles(customers) == [*DUPLICATES, corpus.LONG_TITLE]
    item = customers.children[0]
    assert (item.code, item.status, item.priority, item.done) == (
        "KH-001",
        "推进中",
        "urgent",
        True,
    )
    assert read.sheets == ["画布 1", "画布 2"]
    assert read.omitted == Omitted(
        sheets=[("画布 2", 4)],
        floating=3,
        summaries=2,
        callouts=1,
        relationships=2,
        labels=1,
        markers=1,
        links=1,
        images=1,
    )
    second = read_map_file("zen.xmind", corpus.xmind_zen(), sheet=1)
    assert second.root.count() == 4 and second.omitted == Omitted(sheets=[("画布 1", 7)])


def test_xmind_zen_comments_are_counted_on_the_sheet_read(ctx):
    content = json.loads(corpus.archive_member(corpus.xmind_zen(), "content.json"))
    content[0]["rootTopic"]["comments"] = [{"content": "中心的评论"}]
    comments = {"i1": [{"content": "请核实"}, {"content": "已核实"}], "a": [{"content": "x"}]}
    data = corpus.archive(
        {
            "content.json": json.dumps(content, ensure_ascii=False),
            "comments.json": json.dumps(comments, ensure_ascii=False),
        }
    )
    assert read_map_file("zen.xmind", data).omitted.comments == 3
    assert read_map_file("zen.xmind", data, sheet=1).omitted.comments == 1


@pytest.mark.parametrize(
    "filename,builder", [("a.xmind", corpus.xmind8), ("b.xmind", corpus.xmind_zen)]
)
def test_a_sheet_that_is_not_there_is_refused(ctx, filename, builder):
    count = len(read_map_file(filename, builder()).sheets)
    message = refused(filename, builder(), sheet=count)
    assert message == f"The file has no sheet {count + 1} (it has {count})."
    assert refused("x.mm", corpus.freemind_1_0(), sheet=1) == "The file has no sheet 2 (it has 1)."
    zh = refused(filename, builder(), "zh", sheet=count)
    assert zh == f"文件中没有第 {count + 1} 张画布（共 {count} 张）。"


def test_workflowy_opml_html_titles_links_and_complete(ctx):
    with force_locale("en"):
        read = read_map_file("workflowy.opml", corpus.workflowy_opml())
    root = read.root
    assert root.title == "非存AUM攻坚" and root.count() == 7
    customers = root.children[0]
    assert (customers.title, customers.note) == ("客户端", "客户维度")
    assert titles(customers) == [*DUPLICATES[:2], "见 方案 & 附件", "红色 标记"]
    assert [c.done for c in customers.children] == [True, False, False, False]
    assert customers.children[2].note == "Link: https://e.cn/aum"
    assert read.omitted == Omitted()


def test_dynalist_opml_markdown_titles_and_boxes(ctx):
    with force_locale("en"):
        read = read_map_file("dynalist.opml", corpus.dynalist_opml())
    root = read.root
    assert root.title == "攻坚清单" and titles(root) == ["客户端", "渠道端 App"]
    customers = root.children[0]
    assert titles(customers) == [*DUPLICATES[:2], "参考 制度"]
    assert [c.done for c in customers.children] == [True, False, False]
    assert customers.children[2].note == "Link: https://example.cn/rule"
    assert read.omitted == Omitted(images=1)


def test_logseq_markdown_tabs_properties_and_page_links(ctx):
    read = read_map_file("page.md", corpus.logseq_markdown())
    root = read.root
    assert root.count() == 7 and titles(root) == ["客户端", "渠道端"]
    assert titles(root.children[0]) == [*DUPLICATES[:2], "代发客户 与 理财客户"]
    assert all(not node.note for node, _level in root.walk())  # properties are not notes
    assert titles(root.children[1]) == ["手机银行"]
    assert read.omitted == Omitted(images=1)


def test_obsidian_markdown_tasks_emphasis_links_and_embeds(ctx):
    with force_locale("zh"):
        read = read_map_file("note.md", corpus.obsidian_markdown())
    root = read.root
    assert root.title == "非存AUM攻坚" and root.count() == 8
    customers = root.children[0]
    assert titles(customers) == [*DUPLICATES[:2], "参考 制度，务必阅读", "截图"]
    assert [c.done for c in customers.children] == [True, False, False, False]
    assert customers.children[2].note == "链接：https://example.cn/rule"
    assert titles(root.children[1]) == ["App 改版 旧版"]
    assert read.omitted == Omitted(images=1)


def test_an_image_alone_keeps_its_text_as_the_title(ctx):
    root = read_map("x.md", "# 中心\n\n- ![流程图](a.png)\n- ![](b.png)\n".encode())
    assert titles(root) == ["流程图", UNTITLED]


@pytest.mark.parametrize(
    "filename,data",
    [
        ("a.mm", corpus.freeplane_1_11()),
        ("b.mm", corpus.freemind_1_0()),
        ("c.xmind", corpus.xmind8()),
        ("d.xmind", corpus.xmind_zen()),
        ("e.opml", corpus.workflowy_opml()),
        ("f.opml", corpus.dynalist_opml()),
        ("g.md", corpus.logseq_markdown()),
        ("h.md", corpus.obsidian_markdown()),
    ],
)
def test_every_corpus_file_survives_export_and_reimport_in_every_format(ctx, filename, data):
    root = read_map(filename, data)
    for fmt, (writer, _mimetype, ext) in WRITERS.items():
        again = read_map(f"again.{ext}", writer(root))
        assert again.to_dict() == root.to_dict(), fmt


def test_a_title_longer_than_the_note_limit_is_refused_not_cut(ctx):
    limits = Limits(max_note=200)
    with force_locale("en"), pytest.raises(MapFileError) as caught:
        read_map("long.mm", corpus.freeplane_1_11(), limits)
    assert caught.value.message == "A topic's title is longer than 200 characters; shorten it."
    root = read_map("long.mm", corpus.freeplane_1_11(), Limits(max_note=260))
    assert corpus.LONG_TITLE in [node.title for node, _level in root.walk()]


def test_html_entities_are_read_in_every_xml_format(ctx):
    mm = '<map version="freeplane 1.9.13"><node TEXT="甲&nbsp;乙">'
    mm += '<node TEXT="&hellip;&euro;"/></node></map>'
    assert titles(read_map("e.mm", mm.encode())) == ["…€"]
    opml = '<opml version="2.0"><body><outline text="中心"><outline text="&ldquo;引&rdquo;"/>'
    opml += "</outline></body></opml>"
    assert titles(read_map("e.opml", opml.encode())) == ["“引”"]
    xml = (
        '<xmap-content xmlns="urn:xmind:xmap:xmlns:content:2.0"><sheet><topic><title>中心</title>'
        '<children><topics type="attached"><topic><title>A&mdash;B&amp;C</title></topic>'
        "</topics></children></topic><title>S</title></sheet></xmap-content>"
    )
    assert titles(read_map("e.xmind", corpus.archive({"content.xml": xml}))) == ["A—B&C"]


BROKEN = {
    "entity.mm": (
        b'<map version="1.0.1">\n<node TEXT="a">\n<node TEXT="&madeup;"/>\n</node>\n</map>',
        3,
        "an unknown entity",
        "含有无法识别的实体",
    ),
    "tag.opml": (
        b'<opml version="2.0"><body>\n<outline text="a">\n\n</outlin>\n</body></opml>',
        4,
        "a closing tag does not match",
        "结束标签与开始标签不匹配",
    ),
    "cut.mm": (
        b'<map version="1.0.1">\n<node TEXT="a">\n<node TEXT="b',
        3,
        "the text ends inside a tag",
        "内容在标签中途中断",
    ),
}


@pytest.mark.parametrize("filename", BROKEN)
def test_an_unreadable_file_says_which_line_and_why(ctx, filename):
    data, line, reason, reason_zh = BROKEN[filename]
    assert refused(filename, data) == f"The file is damaged: line {line} cannot be read ({reason})."
    assert refused(filename, data, "zh") == f"文件已损坏：第 {line} 行无法读取（{reason_zh}）。"


def test_a_damaged_xmind_zen_json_says_its_line(ctx):
    data = corpus.archive({"content.json": '[{"rootTopic":\n {"title": "a",\n ]'})
    assert refused("bad.xmind", data).startswith("The file is damaged: line 3 cannot be read")


def test_a_dtd_declaring_an_html_entity_name_is_still_refused(ctx):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE map [<!ENTITY nbsp SYSTEM "file:///etc/passwd">]>'
        b'<map><node TEXT="&nbsp;"><node TEXT="a"/></node></map>'
    )
    assert "entities" in refused("evil.mm", data)
