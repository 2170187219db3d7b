"""Long PDFs rendered in parts by parallel processes and joined.

WeasyPrint lays out one document on one core, at a few milliseconds a table row. A
long document is cut into independent parts (each a small HTML document of its own),
rendered by a pool of processes and joined with pypdf. The parts must carry their own
page numbers: the callers paginate themselves and print fixed footers.
"""

from __future__ import annotations

import io
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from app.core.pdf import html_to_pdf

WORKERS = 2


def render_parts(
    htmls: list[str], base_url: str | None = None, workers: int = WORKERS
) -> list[bytes]:
    """Each HTML document as PDF bytes, in order; in ``workers`` processes when worth it."""
    if len(htmls) <= 1 or workers <= 1:
        return [html_to_pdf(html, base_url) for html in htmls]
    import weasyprint  # noqa: F401  (loaded once here, shared by the forked workers)

    # fork: the workers start in milliseconds with WeasyPrint and the fonts already loaded;
    # they receive HTML strings and return bytes, touching nothing else of this process.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(htmls)), mp_context=context) as pool:
        return list(pool.map(html_to_pdf, htmls, [base_url] * len(htmls)))


def join(parts: list[bytes], title: str = "") -> bytes:
    """One PDF of the parts' pages in order."""
    from pypdf import PdfReader, PdfWriter

    if len(parts) == 1 and not title:
        return parts[0]
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
