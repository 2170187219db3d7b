"""The PDF's HTML as a Word file: read back with python-docx, and by LibreOffice."""

from __future__ import annotations

import base64
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from app.core.docx import html_to_docx
from tests.pdfcheck import embedded_fonts, needs_libreoffice, needs_poppler, pdf_text, word_to_pdf

# A 1×1 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def page(body: str, style: str = "") -> str:
    head = f"<title>复盘</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def convert(html: str, **kwargs) -> Document:
    return Document(BytesIO(html_to_docx(html, **kwargs)))


def chart_svg() -> str:
    import pygal  # imported on use, as the app does: its import hook upsets later imports
    from pygal.style import Style

    chart = pygal.Bar(
        style=Style(font_family="Noto Sans CJK SC"),
        width=400,
        height=200,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
    )
    chart.x_labels = ["一月", "二月"]
    chart.add("销号", [3, 5])
    return chart.render(is_unicode=True)


PACK_LIKE = page(
    """
<section class="cover"><div class="kicker">季度复盘材料</div><h1>非存AUM攻坚克难小组</h1>
  <div class="subtitle">2024年第2季度</div>
  <dl><dt>季度</dt><dd>2024-04-01 — 2024-06-30</dd><dt>版本</dt><dd>v1</dd></dl></section>
<h2 class="section" id="sec-summary">总体情况</h2>
<p class="lead">4 个问题中已销号 2 个（50%）</p>
<table class="figures"><tr>
  <td><div class="value">4</div><div class="label">问题</div></td>
  <td><div class="value">2</div><div class="label">已销号</div></td></tr></table>
<h3>红灯事项</h3>
<table>
  <colgroup><col style="width:20%"><col class="w-50"><col></colgroup>
  <thead><tr><th>编号</th><th>标题</th><th>原因</th></tr></thead>
  <tbody>
    <tr><td>KH-902</td><td>营销竞赛常态化</td><td class="light-red">逾期 15 天</td></tr>
    <tr><td colspan="2">合计</td><td class="num">1</td></tr>
  </tbody>
</table>
<h2 class="section" id="sec-open">未销号问题与落地排期</h2>
<ul><li>理财签约客户<ul><li>赵静</li></ul></li><li>现金管理产品</li></ul>
<ol><li>第一步</li><li>第二步</li></ol>
<section class="toc contents-page"><h1>目录</h1><ol>
  <li><a href="#sec-summary">总体情况</a></li><li><a href="#sec-open">未销号问题与落地排期</a></li>
</ol></section>
""",
    style="h2.section { page-break-before: always; }",
)


def test_headings_become_word_headings_and_the_cover_title_the_title():
    document = convert(PACK_LIKE)
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.style.name != "Normal"]
    headings = [(name, text) for name, text in styled if name.startswith(("Heading", "Title"))]
    assert headings == [
        ("Title", "非存AUM攻坚克难小组"),
        ("Heading 2", "总体情况"),
        ("Heading 3", "红灯事项"),
        ("Heading 2", "未销号问题与落地排期"),
    ]
    assert ("Subtitle", "2024年第2季度") in styled
    assert "季度：2024-04-01 — 2024-06-30" in [p.text for p in document.paragraphs]


def test_the_contents_are_a_toc_field_behind_the_cover_refreshed_on_open():
    document = convert(PACK_LIKE)
    texts = [p.text for p in document.paragraphs]
    # The PDF lays its contents out last and moves them behind the cover; so does Word.
    assert texts.index("目录") < texts.index("总体情况", texts.index("目录") + 2)
    contents = document.paragraphs[texts.index("目录")]
    assert contents.style.name == "TOC Heading"
    assert contents.paragraph_format.page_break_before  # the cover ends with a page break
    body = document.element.body.xml
    assert 'TOC \\o "1-3" \\h \\z \\u' in body
    assert body.count('w:fldCharType="begin"') == body.count('w:fldCharType="end"') == 1
    entries = texts[texts.index("目录") + 1 : texts.index("目录") + 3]
    assert entries == ["总体情况", "未销号问题与落地排期"]  # the field's cached result
    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"
    section_start = next(p for p in document.paragraphs if p.style.name == "Heading 2")
    assert section_start.paragraph_format.page_break_before  # h2.section's rule in <style>


def test_tables_keep_cells_header_rows_widths_and_merges():
    document = convert(PACK_LIKE)
    figures, table = document.tables
    assert [c.text for c in figures.rows[0].cells] == ["4\n问题", "2\n已销号"]
    assert figures.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert table.style.name == "Table Grid"
    assert [c.text for c in table.rows[0].cells] == ["编号", "标题", "原因"]
    assert [c.text for c in table.rows[1].cells] == ["KH-902", "营销竞赛常态化", "逾期 15 天"]
    header = table.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None
    assert table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    total = table.rows[2]
    assert total.cells[0].grid_span == 2 and total.cells[0].text == "合计"
    assert total.cells[2].paragraphs[0].alignment == 2  # num: right
    widths = [column.width for column in table.columns]
    assert abs(sum(widths) - Mm(178)) < Mm(0.1)
    assert abs(widths[0] - Mm(178) * 0.2) < Mm(0.1) and abs(widths[1] - Mm(178) * 0.5) < Mm(0.1)
    red = table.rows[1].cells[2].paragraphs[0].runs[0]
    assert str(red.font.color.rgb) == "C62828"


def test_a_row_span_merges_downwards_and_later_cells_move_right():
    document = convert(
        page(
            "<table><tr><td rowspan='2'>甲</td><td>一</td></tr>"
            "<tr><td>二</td></tr><tr><td>乙</td><td>三</td></tr></table>"
        )
    )
    rows = document.tables[0].rows
    assert [c.text for c in rows[1].cells] == ["甲", "二"]
    assert [row._tr.tc_lst[0].vMerge for row in rows] == ["restart", "continue", None]
    assert [c.text for c in rows[2].cells] == ["乙", "三"]


def test_lists_are_word_lists_and_each_numbered_list_counts_from_one():
    document = convert(PACK_LIKE)
    items = [(p.style.name, p.text) for p in document.paragraphs if "List" in p.style.name]
    assert items[:5] == [
        ("List Bullet", "理财签约客户"),
        ("List Bullet 2", "赵静"),
        ("List Bullet", "现金管理产品"),
        ("List Number", "第一步"),
        ("List Number", "第二步"),
    ]
    again = convert(page("<ol><li>一</li><li>二</li></ol><p>中</p><ol><li>再一</li></ol>"))
    num_ids = [p._p.pPr.numPr.numId.val for p in again.paragraphs if p.style.name == "List Number"]
    assert num_ids[0] == num_ids[1] != num_ids[2]  # the second list starts again at 1


def image_types(document) -> list[str]:
    return [
        rel.target_part.content_type
        for rel in document.part.rels.values()
        if "image" in rel.reltype
    ]


def test_a_pygal_chart_becomes_a_png_that_fits_the_text_width():
    document = convert(page(f"<h2>图表</h2>{chart_svg()}"))
    assert image_types(document) == ["image/png"]
    (shape,) = document.inline_shapes
    assert Mm(100) < shape.width <= Mm(178)
    assert shape.height * 2 == pytest.approx(shape.width, rel=0.02)  # 400×200 kept


def test_data_images_go_in_and_remote_ones_are_ignored():
    svg = base64.b64encode(chart_svg().encode()).decode()
    png = base64.b64encode(PNG).decode()
    document = convert(
        page(
            f'<img src="data:image/png;base64,{png}" width="20">'
            f'<img src="data:image/svg+xml;base64,{svg}" width="2000">'
            '<img src="http://example.com/chart.png"><img src="file:///etc/hostname">'
            "<p>正文</p>"
        )
    )
    assert image_types(document) == ["image/png", "image/png"]
    small, wide = document.inline_shapes
    assert small.width == 20 * 9525  # 20 CSS pixels
    assert wide.width == Mm(178)  # no wider than the text


def test_styles_name_the_chinese_fonts_and_language():
    document = convert(PACK_LIKE)

    def fonts(name):
        rfonts = document.styles[name].element.rPr.rFonts
        return (
            rfonts.get(qn("w:eastAsia")),
            rfonts.get(qn("w:ascii")),
            rfonts.get(qn("w:asciiTheme")),
        )

    assert fonts("Normal") == ("宋体", "Times New Roman", None)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        assert fonts(name) == ("黑体", "Arial", None)
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert defaults.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert document.core_properties.language == "zh-CN"
    assert document.core_properties.title == "复盘"  # from <title> when none is given
    assert document.core_properties.author == ""


def test_the_page_is_a4_with_the_pdfs_margins_and_numbered_pages():
    document = convert(PACK_LIKE, header="非存AUM · 2024Q2", footer="第 {page} 页 / 共 {pages} 页")
    section = document.sections[0]
    sizes = [section.page_width, section.page_height, section.top_margin, section.right_margin]
    sizes += [section.bottom_margin, section.left_margin]
    assert [round(size.mm) for size in sizes] == [210, 297, 22, 16, 18, 16]
    footer = section.footer.paragraphs[0]
    instructions = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("第 ") and " 页 / 共 " in footer.text
    assert section.header.paragraphs[0].text == "非存AUM · 2024Q2"
    assert section.different_first_page_header_footer  # the cover has no header


def test_an_empty_footer_is_the_page_number_alone():
    footer = convert(page("<p>一</p>")).sections[0].footer.paragraphs[0]
    assert [t.text.strip() for t in footer._p.iter(qn("w:instrText"))] == ["PAGE"]
    assert footer.alignment == 1  # centred


def test_skipped_and_invisible_parts_are_left_out_and_breaks_kept():
    document = convert(
        page(
            "<p>甲</p><p data-docx='skip'>仅供打印</p><script>alert(1)</script>"
            "<div style='display: none'>隐藏</div><div class='page-break'></div><p>乙</p>"
            "<p style='page-break-before: always'>丙</p>"
        )
    )
    assert [p.text for p in document.paragraphs] == ["甲", "乙", "丙"]
    assert [p.paragraph_format.page_break_before for p in document.paragraphs] == [None, True, True]


def test_the_page_breaks_of_the_style_cascade_as_in_the_browser():
    """As in the pack: the PDFs' common style breaks before every section, the pack's own
    style says a section flows and only a part's first one starts a page."""
    document = convert(
        page(
            "<p>目录</p><h2 class='section part-start'>一、主要成效</h2><p>正文</p>"
            "<h2 class='section'>二、存在问题与不足</h2><p>正文</p>"
            "<h2 class='section part-start'>附件一：数据摘要</h2>",
            style="h2.section { page-break-before: always; } "
            "h2.section { page-break-before: auto; margin-top: 7mm; } "
            "h2.section.part-start { page-break-before: always; }",
        )
    )
    breaks = {
        p.text: p.paragraph_format.page_break_before
        for p in document.paragraphs
        if p.style.name.startswith("Heading")
    }
    assert breaks == {"一、主要成效": True, "二、存在问题与不足": None, "附件一：数据摘要": True}


def test_text_is_escaped_and_whitespace_collapsed_like_html():
    document = convert(
        page(
            "<p>  a &lt;b&gt; &amp;\n   c\x01 <b>粗体</b> <code>x&lt;1</code>  </p>"
            "<pre>一\n  二</pre>"
        )
    )
    first, pre = document.paragraphs
    assert first.text == "a <b> & c 粗体 x<1"
    assert [r.bold for r in first.runs if r.text == "粗体"] == [True]
    assert pre.text == "一\n  二"


def test_a_thousand_rows_all_arrive():
    # Rows are written once each (never table.cell(r, c)): 1,000 × 8 takes about a second.
    cells = "".join(f"<td>单元 {c}</td>" for c in range(8))
    html = page(
        f"<table><thead><tr>{'<th>列</th>' * 8}</tr></thead>{f'<tr>{cells}</tr>' * 1000}</table>"
    )
    rows = convert(html).tables[0].rows
    assert len(rows) == 1001 and rows[1000].cells[7].text == "单元 7"


@needs_poppler
@needs_libreoffice
def test_libreoffice_reads_the_chinese_text_and_tables(tmp_path: Path):
    data = word_to_pdf(
        html_to_docx(PACK_LIKE, header="非存AUM", footer="第 {page} 页 / 共 {pages} 页"), tmp_path
    )
    text = "".join(pdf_text(data).split())  # LibreOffice spaces Latin from Chinese
    for words in ("非存AUM攻坚克难小组", "营销竞赛常态化", "逾期15天", "KH-902", "目录", "赵静"):
        assert words in text
    assert "第2页/共4页" in text
    assert any("CJK" in name for name in embedded_fonts(data))
