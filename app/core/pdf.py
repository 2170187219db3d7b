"""PDF documents: HTML rendered by WeasyPrint with one typography for every export.

Every PDF extends ``templates/pdf/base.html`` (A4, Noto Sans CJK SC, running header,
page numbers "第 n 页 / 共 m 页"). WeasyPrint runs no JavaScript, so charts go in as SVG.
Fonts are found through fontconfig; ``fonts-noto-cjk`` provides the Chinese one and
WeasyPrint embeds the glyphs used.
"""

from __future__ import annotations

from flask import current_app, render_template


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` (which extends ``pdf/base.html``) to PDF bytes."""
    from weasyprint import HTML  # imported on use: it is heavy and most requests need none

    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.static_folder).write_pdf()


def pdf_response(data: bytes, filename: str):
    """A download of ``data`` named ``filename`` (UTF-8 names kept, RFC 6266)."""
    from urllib.parse import quote

    response = current_app.response_class(data, mimetype="application/pdf")
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
