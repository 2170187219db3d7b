"""PDF documents: HTML rendered by WeasyPrint with one typography for every export.

Every PDF extends ``templates/pdf/base.html`` (A4, Noto Sans CJK SC, running header,
page numbers "第 n 页 / 共 m 页", a cover page and a table of contents when asked for).
WeasyPrint runs no JavaScript, so charts go in as SVG. Fonts are found through
fontconfig; ``fonts-noto-cjk`` provides the Chinese one and WeasyPrint embeds the glyphs
used.

The same HTML is also a Word file (``html_to_word``, through ``core/docx.py``), for the
documents a bank edits in Word or WPS: one source, two renderers.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import get_locale, gettext
from markupsafe import Markup


def page_number_content() -> Markup:
    """The CSS ``content`` value for the footer: "第 " counter(page) " 页 / 共 " …"""
    text = gettext("Page %(page)s of %(pages)s", page="\x01", pages="\x02").replace('"', "")
    css = '"' + text.replace("\x01", '" counter(page) "').replace("\x02", '" counter(pages) "')
    return Markup(css + '"')


def pdf_html(template: str, **context) -> str:
    """The HTML of a PDF document, for ``html_to_pdf`` (here or in another process)."""
    context.setdefault("page_numbers", page_number_content())
    return render_template(template, **context)


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML  # imported on use: it is heavy and most requests need none

    return HTML(string=html, base_url=base_url).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` (which extends ``pdf/base.html``) to PDF bytes."""
    return html_to_pdf(pdf_html(template, **context), current_app.static_folder)


def pdf_response(
    data: bytes, label: str, ascii_label: str, code: str = "", ascii_code: str | None = None
):
    """A download of ``data`` named ``<label>-<code>.pdf``, with an ASCII fallback
    (``app.core.web.download_names``)."""
    from app.core.web import download

    return download(data, "application/pdf", label, ascii_label, "pdf", code, ascii_code)


WORD_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def html_to_word(html: str, *, title: str, header: str = "") -> bytes:
    """The PDF's HTML as a .docx file, with the same running header and the page numbers
    worded in the current language."""
    from app.core.docx import html_to_docx

    footer = gettext("Page %(page)s of %(pages)s", page="{page}", pages="{pages}")
    language = "zh-CN" if get_locale().language == "zh" else "en-US"
    return html_to_docx(html, title=title, header=header, footer=footer, language=language)
