"""Map files written the way current programs write them, built in code for the corpus tests.

Each builder returns the bytes of one file; the comments say what each part is there for,
and test_corpus.py asserts the exact tree and counts each one reads as.
"""

from __future__ import annotations

import io
import json
import zipfile

LONG_TITLE = "关于代发客户资金留存率持续偏低的原因分析与改进措施" * 10  # 260 characters


def archive(members: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in members.items():
            zipped.writestr(name, content)
    return out.getvalue()


# --- Freeplane 1.11 -------------------------------------------------------------------------

FREEPLANE_STYLES = """<hook NAME="MapStyle" zoom="1.1">
    <properties edgeColorConfiguration="#808080ff,#ff0000ff" show_note_icons="true"/>
<map_styles>
<stylenode LOCALIZED_TEXT="styles.root_node" STYLE="oval">
<font SIZE="24"/>
<stylenode LOCALIZED_TEXT="styles.predefined" POSITION="bottom_or_right" STYLE="bubble">
<stylenode LOCALIZED_TEXT="default" ID="ID_271890427" ICON_SIZE="12 pt" COLOR="#000000"/>
<stylenode LOCALIZED_TEXT="defaultstyle.details"/>
<stylenode LOCALIZED_TEXT="defaultstyle.note" COLOR="#000000" BACKGROUND_COLOR="#ffffff"/>
</stylenode>
</stylenode>
</map_styles>
</hook>"""


def freeplane_1_11() -> bytes:
    """A Freeplane 1.11 map: HTML entities in rich text, details, duplicate siblings, an
    arrow link, a link, an image, icons, attributes and a free-floating node."""
    return f"""<map version="freeplane 1.11.1">
<!--To view this file, download free mind mapping software Freeplane from \
https://www.freeplane.org -->
<bookmarks/>
<node TEXT="非存AUM攻坚" FOLDED="false" ID="ID_1090958577" CREATED="1700000000000"
 MODIFIED="1700000000001">
{FREEPLANE_STYLES}
<node POSITION="bottom_or_right" ID="ID_1" CREATED="1700000000000" MODIFIED="1700000000000">
<richcontent TYPE="NODE" CONTENT-TYPE="xml/">
<html>
  <head>

  </head>
  <body>
    <p>
      客户端&nbsp;&mdash;&nbsp;&ldquo;存量&rdquo;
    </p>
  </body>
</html></richcontent>
<richcontent TYPE="DETAILS" CONTENT-TYPE="xml/">
<html><head/><body><p>范围&hellip;全行</p></body></html></richcontent>
<richcontent TYPE="NOTE" CONTENT-TYPE="xml/">
<html>
  <head>

  </head>
  <body>
    <p>
      客户维度&nbsp;&middot;&nbsp;2026&ndash;2027
    </p>
    <p>
      第二行&copy;
    </p>
  </body>
</html></richcontent>
<attribute_layout NAME_WIDTH="60 pt" VALUE_WIDTH="80 pt"/>
<attribute NAME="category" VALUE="12"/>
<attribute NAME="负责人" VALUE="刘洋"/>
<node TEXT="资金留存率低" ID="ID_2" LINK="https://intranet.example/aum">
<icon BUILTIN="full-1"/>
<icon BUILTIN="button_ok"/>
<icon BUILTIN="idea"/>
<attribute NAME="code" VALUE="KH-001"/>
<attribute NAME="status" VALUE="推进中"/>
<arrowlink DESTINATION="ID_3" STARTINCLINATION="40 pt;0 pt;" ENDINCLINATION="40 pt;0 pt;"/>
</node>
<node TEXT="资金留存率低" ID="ID_3"/>
<node TEXT="资金留存率低" ID="ID_4">
<hook URI="images/chart.png" SIZE="0.5" NAME="ExternalObject"/>
</node>
<node TEXT="{LONG_TITLE}" ID="ID_5"/>
</node>
<node TEXT="渠道端" POSITION="top_or_left" ID="ID_6">
<node TEXT="手机银行&nbsp;App" ID="ID_7"/>
<node TEXT="空分类" ID="ID_8"><attribute NAME="category" VALUE="15"/></node>
</node>
<node TEXT="自由节点" ID="ID_9" POSITION="bottom_or_right">
<hook NAME="FreeNode"/>
<node TEXT="自由节点下的子节点" ID="ID_10"/>
</node>
</node>
</map>
""".encode()


def freemind_1_0() -> bytes:
    """A FreeMind 1.0.1 map: numeric references, a note with ``&nbsp;``, duplicate siblings."""
    return b"""<map version="1.0.1">
<!-- To view this file, download free mind mapping software FreeMind from \
http://freemind.sourceforge.net -->
<node CREATED="1700000000000" ID="ID_0" MODIFIED="1700000000000"
 TEXT="&#x5de5;&#x4f5c;&#x5ba4;">
<node CREATED="1700000000000" ID="ID_1" MODIFIED="1700000000000" POSITION="right"
 TEXT="&#x4ea7;&#x54c1;">
<node CREATED="1700000000000" ID="ID_2" MODIFIED="1700000000000" TEXT="a"/>
<node CREATED="1700000000000" ID="ID_3" MODIFIED="1700000000000" TEXT="a">
<richcontent TYPE="NOTE"><html>
  <head>

  </head>
  <body>
    <p>
      &#31532;&#19968;&#34892;&nbsp;note
    </p>
  </body>
</html>
</richcontent>
<icon BUILTIN="full-2"/>
<icon BUILTIN="yes"/>
</node>
<node CREATED="1700000000000" ID="ID_4" LINK="#ID_2" MODIFIED="1700000000000" TEXT="b">
<arrowlink DESTINATION="ID_2" ENDARROW="Default" STARTARROW="None"/>
</node>
</node>
<node CREATED="1700000000000" ID="ID_5" MODIFIED="1700000000000" POSITION="left" TEXT="a"/>
</node>
</map>
"""


# --- XMind 8 --------------------------------------------------------------------------------

XMIND8_NS = (
    'xmlns="urn:xmind:xmap:xmlns:content:2.0" xmlns:fo="http://www.w3.org/1999/XSL/Format" '
    'xmlns:svg="http://www.w3.org/2000/svg" xmlns:xhtml="http://www.w3.org/1999/xhtml" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)


def _x8(topic_id: str, title: str, inner: str = "", attrs: str = "") -> str:
    return f'<topic id="{topic_id}" timestamp="1"{attrs}><title>{title}</title>{inner}</topic>'


def _x8_children(*lists: tuple[str, str]) -> str:
    return (
        "<children>" + "".join(f'<topics type="{t}">{x}</topics>' for t, x in lists) + "</children>"
    )


def xmind8() -> bytes:
    """XMind 8 (3.7): three sheets; floating, summary and callout topics; a relationship;
    code and status labels; markers; links; an image; comments."""
    items = "".join(
        [
            _x8(
                "t-item1",
                "资金留存率低",
                '<marker-refs><marker-ref marker-id="priority-2"/>'
                '<marker-ref marker-id="task-done"/><marker-ref marker-id="flag-red"/>'
                "</marker-refs><labels><label>KH-001</label><label>推进中</label>"
                "<label>重点</label></labels>"
                "<notes><plain>代发资金\n当日流出</plain>"
                "<html><xhtml:p>代发资金</xhtml:p><xhtml:p>当日流出</xhtml:p></html></notes>",
            ),
            _x8("t-item2", "资金留存率低", attrs=' xlink:href="https://example.cn/x"'),
            _x8(
                "t-item3",
                "资金留存率低",
                '<xhtml:img svg:height="70" svg:width="74" xhtml:src="xap:attachments/a.png"/>',
            ),
        ]
    )
    customers = _x8(
        "gongjian-category-12",
        "客户端",
        _x8_children(
            ("attached", items),
            (
                "summary",
                _x8("t-sum", "小结", _x8_children(("attached", _x8("t-sum1", "小结细项")))),
            ),
            ("callout", _x8("t-call", "标注")),
        )
        + '<summaries><summary id="s1" range="(0,1)" topic-id="t-sum"/></summaries>',
    )
    empty = _x8("gongjian-category-15", "空分类")
    floating = _x8("t-float", "浮动主题", _x8_children(("attached", _x8("t-float1", "浮动子主题"))))
    root = _x8(
        "t-root",
        "非存AUM攻坚",
        _x8_children(("attached", customers + empty), ("detached", floating)),
    )
    sheet1 = (
        f'<sheet id="sheet1" timestamp="1">{root}<title>画布 1</title>'
        '<relationships><relationship id="r1" end1="t-item1" end2="t-item2"/></relationships>'
        "</sheet>"
    )
    sheet2_root = _x8(
        "t2",
        "第二张",
        _x8_children(
            (
                "attached",
                _x8("t2a", "甲") + _x8("t2b", "乙", _x8_children(("attached", _x8("t2c", "丙")))),
            )
        ),
    )
    sheet2 = f'<sheet id="sheet2" timestamp="1">{sheet2_root}<title>画布 2</title></sheet>'
    sheet3 = f'<sheet id="sheet3" timestamp="1">{_x8("t3", "第三张")}<title>画布 3</title></sheet>'
    content = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        f'<xmap-content {XMIND8_NS} timestamp="1" version="2.0">'
        f"{sheet1}{sheet2}{sheet3}</xmap-content>"
    )
    comments = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<comments xmlns="urn:xmind:xmap:xmlns:comments:2.0" version="2.0">'
        '<comment author="liuyang" object-id="t-item1" time="1"><content>请核实</content></comment>'
        '<comment author="liuyang" object-id="t-item1" time="2"><content>已核实</content></comment>'
        '<comment author="liuyang" object-id="t2a" time="3"><content>另一张画布</content></comment>'
        "</comments>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<manifest xmlns="urn:xmind:xmap:xmlns:manifest:1.0">'
        '<file-entry full-path="content.xml" media-type="text/xml"/>'
        '<file-entry full-path="comments.xml" media-type=""/>'
        '<file-entry full-path="META-INF/manifest.xml" media-type="text/xml"/></manifest>'
    )
    return archive(
        {"content.xml": content, "comments.xml": comments, "META-INF/manifest.xml": manifest}
    )


# --- XMind Zen / 2020+ ------------------------------------------------------------------------


def _zen(topic_id: str, title: str, **more) -> dict:
    return {"id": topic_id, "class": "topic", "title": title, **more}


def xmind_zen() -> bytes:
    """XMind 2020+ (content.json, manifest.json, metadata.json): two sheets; floating,
    summary and callout topics; relationships; labels, markers, a link, an image."""
    items = [
        _zen(
            "i1",
            "资金留存率低",
            labels=["KH-001", "推进中", "重点"],
            markers=[
                {"markerId": "priority-1"},
                {"markerId": "task-done"},
                {"markerId": "star-red"},
            ],
            notes={
                "plain": {"content": "代发资金\n当日流出"},
                "realHTML": {"content": "<p>代发资金</p>"},
            },
        ),
        _zen("i2", "资金留存率低", href="https://example.cn/x"),
        _zen("i3", "资金留存率低", image={"src": "xap:resources/a.png", "type": "image"}),
        _zen("i4", LONG_TITLE),
    ]
    customers = _zen(
        "gongjian-category-12",
        "客户端",
        children={
            "attached": items,
            "summary": [_zen("s1", "小结", children={"attached": [_zen("s2", "小结细项")]})],
            "callout": [_zen("c1", "标注")],
        },
        summaries=[{"id": "sum1", "range": "(0,1)", "topicId": "s1"}],
    )
    root = _zen(
        "root",
        "非存AUM攻坚",
        structureClass="org.xmind.ui.map.clockwise",
        children={
            "attached": [customers, _zen("gongjian-category-15", "空分类")],
            "detached": [
                _zen(
                    "f1",
                    "浮动主题",
                    position={"x": 10, "y": 20},
                    children={"attached": [_zen("f2", "子")]},
                ),
                _zen("f3", "另一个浮动主题", position={"x": 30, "y": 40}),
            ],
        },
    )
    sheets = [
        {
            "id": "sheet1",
            "class": "sheet",
            "title": "画布 1",
            "rootTopic": root,
            "relationships": [
                {"id": "r1", "end1Id": "i1", "end2Id": "i2", "title": "依赖"},
                {"id": "r2", "end1Id": "i2", "end2Id": "i3"},
            ],
            "topicPositioning": "fixed",
        },
        {
            "id": "sheet2",
            "class": "sheet",
            "title": "画布 2",
            "rootTopic": _zen(
                "r2",
                "第二张",
                children={
                    "attached": [
                        _zen("a", "甲"),
                        _zen("b", "乙", children={"attached": [_zen("c", "丙")]}),
                    ]
                },
            ),
        },
    ]
    return archive(
        {
            "content.json": json.dumps(sheets, ensure_ascii=False),
            "metadata.json": json.dumps({"creator": {"name": "Vana", "version": "24.01.0"}}),
            "manifest.json": json.dumps(
                {"file-entries": {"content.json": {}, "metadata.json": {}}}
            ),
        }
    )


# --- Outliners ------------------------------------------------------------------------------


def workflowy_opml() -> bytes:
    """Workflowy's OPML: HTML in ``text`` (escaped in the attribute), ``_complete``."""
    return """<?xml version="1.0"?>
<opml version="2.0">
  <head>
    <ownerEmail>
      liuyang@example.cn
    </ownerEmail>
  </head>
  <body>
    <outline text="非存AUM攻坚">
      <outline text="&lt;b&gt;客户端&lt;/b&gt;" _note="客户维度">
        <outline text="资金留存率低" _complete="true" />
        <outline text="资金留存率低" />
        <outline
          text="见 &lt;a href=&quot;https://e.cn/aum&quot;&gt;方案&lt;/a&gt; &amp;amp; 附件" />
        <outline text="&lt;span class=&quot;colored c-red&quot;&gt;红色&lt;/span&gt; 标记" />
      </outline>
      <outline text="渠道端" />
    </outline>
  </body>
</opml>
""".encode()


def dynalist_opml() -> bytes:
    """Dynalist's OPML: Markdown in ``text``, several top outlines, a checked box."""
    return """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>攻坚清单</title></head>
  <body>
    <outline text="**客户端**">
      <outline text="[x] 资金留存率低" />
      <outline text="[ ] 资金留存率低" />
      <outline text="参考 [制度](https://example.cn/rule) ![图](https://example.cn/p.png)" />
    </outline>
    <outline text="__渠道端__ `App`" />
  </body>
</opml>
""".encode()


def logseq_markdown() -> bytes:
    """A Logseq page: tab indents, block properties, links and tasks in Markdown."""
    return (
        "- 客户端\n"
        "  collapsed:: true\n"
        "\t- 资金留存率低\n"
        "\t  id:: 64f0c1a2-0000-4000-8000-000000000001\n"
        "\t- 资金留存率低\n"
        "\t- [[代发客户]] 与 [[理财|理财客户]]\n"
        "- 渠道端\n"
        "\t- 手机银行 ![截图](../assets/shot.png)\n"
    ).encode()


def obsidian_markdown() -> bytes:
    """An Obsidian note: headings, task boxes, emphasis, links, an embedded picture."""
    return (
        "# 非存AUM攻坚\n\n"
        "## 客户端\n\n"
        "- [x] **资金留存率低**\n"
        "- [ ] 资金留存率低\n"
        "- 参考 [制度](https://example.cn/rule)，*务必*阅读\n"
        "- 截图 ![[shot.png]]\n\n"
        "## 渠道端\n\n"
        "- `App` 改版 ~~旧版~~\n"
    ).encode()


def archive_member(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return zipped.read(name).decode("utf-8")
