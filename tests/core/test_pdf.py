"""PDFs print Chinese with an embedded CJK font, and the text comes back out."""

from __future__ import annotations

from app.core.pdf import render_pdf
from tests.pdfcheck import embedded_fonts, needs_poppler, pdf_text


@needs_poppler
def test_a_pdf_embeds_the_chinese_font_and_gives_the_text_back(app):
    with app.test_request_context():
        data = render_pdf(
            "pdf/_sample.html", heading="季度复盘材料", rows=[("非存AUM", "1,000.3 亿元")]
        )
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in embedded_fonts(data))
    text = pdf_text(data)
    assert "季度复盘材料" in text and "1,000.3 亿元" in text
    assert "第1页/共1页" in text.replace(" ", "")  # page numbers
