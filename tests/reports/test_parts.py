"""Long PDFs rendered in parts by processes of their own and joined (app/reports/parts.py)."""

from __future__ import annotations

import io
import multiprocessing

import pytest
from pypdf import PdfReader

from app.reports import parts
from tests.pdfcheck import needs_poppler, pdf_text

pytestmark = needs_poppler


def _document(name: str, paragraphs: int = 1) -> str:
    body = "".join(f"<p>{name} 第{n}段</p>" for n in range(paragraphs))
    return f"<!doctype html><html><body>{body}</body></html>"


def test_parts_come_back_in_order_whichever_finishes_first():
    # The first part is long, so the second and third are done before it.
    htmls = [_document("甲", 600), _document("乙"), _document("丙")]
    pdfs = list(parts.render_parts(htmls, workers=2))
    assert len(pdfs) == 3
    assert len(PdfReader(io.BytesIO(pdfs[0])).pages) > 5
    texts = [pdf_text(pdf) for pdf in pdfs]
    assert "甲 第599段" in texts[0] and "乙 第0段" in texts[1] and "丙 第0段" in texts[2]
    joined = pdf_text(parts.join(pdfs, "标题"))
    assert joined.index("甲 第599段") < joined.index("乙 第0段") < joined.index("丙 第0段")


def test_parts_html_is_made_only_as_a_process_is_free_for_it():
    made = []

    def htmls():
        for n in range(6):
            made.append(n)
            yield _document(f"第{n}部分", 1 if n == 0 else 150)  # the first one done first

    rendered = parts.render_parts(htmls(), workers=2)
    first = next(rendered)
    assert "第0部分" in pdf_text(first)
    assert len(made) <= 3  # two under way and the next one waiting, not all six
    rest = list(rendered)
    assert len(made) == 6 and len(rest) == 5
    assert [f"第{n}部分" in pdf_text(pdf) for n, pdf in enumerate(rest, start=1)] == [True] * 5


def test_a_part_that_cannot_be_rendered_fails_the_whole_with_its_reason():
    # WeasyPrint lays nested boxes out recursively: 600 levels are beyond Python's limit.
    htmls = [_document("甲"), "<div>" * 600 + "深", _document("丙"), _document("丁")]
    before = set(multiprocessing.active_children())
    with pytest.raises(parts.PartFailed, match=r"part 2 .*RecursionError") as failed:
        list(parts.render_parts(htmls, workers=2))
    assert "process_whitespace" in failed.value.details  # where, in the part's process
    assert set(multiprocessing.active_children()) <= before  # the other parts are stopped


def test_one_part_or_one_worker_is_rendered_here_in_order():
    htmls = [_document("甲"), _document("乙")]
    assert "乙" in pdf_text(next(iter(parts.render_parts(htmls[1:], workers=2))))
    pdfs = list(parts.render_parts(htmls, workers=1))
    assert ["甲" in pdf_text(pdfs[0]), "乙" in pdf_text(pdfs[1])] == [True, True]
    assert parts.join(pdfs[:1]) == pdfs[0]  # one part, no title: as it is
