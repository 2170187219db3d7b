"""The issue list and an item's dossier as PDF."""

from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from app.core import jobs
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues.models import Category, Issue
from app.people.models import User
from app.reports import listing
from tests.pdfcheck import embedded_fonts, needs_poppler, pdf_text

pytestmark = needs_poppler


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _header_height(page) -> float:
    found = []

    def visit(text, cm, tm, font, size):
        if text.startswith("编号"):
            found.append(round(tm[5], 2))

    page.extract_text(visitor_text=visit)
    return found[0]


def test_a_long_list_is_joined_from_parts_with_continuous_page_numbers(app, monkeypatch):
    monkeypatch.setattr(listing, "PAGES_PER_PART", 2)  # many parts from a few hundred rows
    monkeypatch.setattr(listing, "PARALLEL_FROM", 0)
    rows = [
        {
            "code": f"KH-{n:04d}",
            "title": f"第{n}号问题：客户营销能力培训体系不完善" + ("，需要长期跟踪" * (n % 3)),
            "category": "引客",
            "owner": "赵静",
            "status": "推进中",
            "priority": "高",
            "deadline": "2024-09-30",
            "light": "红灯",
        }
        for n in range(1, 401)
    ]
    with app.test_request_context():
        data = listing.issue_list_pdf("问题清单", "全部问题", rows, workers=2)
    pages = _pages(data)
    total = len(pages)
    assert total > 4  # several parts of two pages
    text = pdf_text(data).replace(" ", "")
    for number in range(1, total + 1):
        assert f"第{number}页/共{total}页" in text
    assert all(f"KH-{n:04d}" in text for n in range(1, 401))
    assert text.count("KH-") == 400  # every row once, none lost at a part's edge
    codes = [int(code) for code in re.findall(r"KH-(\d{4})", text)]
    assert codes == sorted(codes)  # and in order across the parts
    # Every page starts its rows with the header row, and no row is cut over two pages.
    for page in pages:
        lines = [line for line in page.splitlines() if line.strip()]
        header = next(i for i, line in enumerate(lines) if line.startswith("编号"))
        assert lines[header + 1].startswith("KH-")
        for n in map(int, re.findall(r"KH-(\d{4})", page)):
            if n % 3 == 2:  # a title over two lines: its end is on the same page
                assert f"第{n}号问题" in page.replace(" ", "")
                assert "需要长期跟踪" in page
    # The header row stands at the same height on every page after the first, a part's
    # first page included.
    heights = {_header_height(page) for page in PdfReader(io.BytesIO(data)).pages[1:]}
    assert len(heights) == 1
    fonts = embedded_fonts(data)
    assert any(name.startswith("Noto-Sans-Mono-CJK-SC") for name in fonts)
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in fonts)


def test_parts_grow_so_that_each_is_laid_out_while_the_one_before_is_written():
    assert listing.part_sizes(10, 2) == [10]  # short: one part, rendered in the request
    assert listing.part_sizes(159, 2) == [53, 106]
    assert listing.part_sizes(159, 1) == [120, 39]
    for total in (16, 17, 159, 241, 1000):
        for workers in (1, 2, 3):
            sizes = listing.part_sizes(total, workers)
            assert sum(sizes) == total and min(sizes) >= 1
            assert max(sizes) <= listing.PAGES_PER_PART
            ramp = sizes[:workers]
            assert all(a < b for a, b in zip(ramp, ramp[1:], strict=False))


def test_columns_stay_aligned_with_chinese_text():
    # A Chinese character takes two columns of the monospaced font, a Latin one one.
    assert listing.text_width("理财ab") == 6
    assert listing.fit("理财签约客户", 8) == "理财签…"
    assert listing.fit("ab", 4) == "ab  "
    lines = listing.wrap("一二三四五六七八九十一二三四五六七八九十", 10, 3)
    assert lines == ["一二三四五", "六七八九十", "一二三四…"]
    assert all(listing.text_width(line) == 10 for line in lines)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_list_pdfs_column_heads_are_printed_whole(app, locale):
    # A head cut to fit its column ("Prio…") reads as a mistake; every column is as
    # wide as its head in each language.
    with app.test_request_context(), force_locale(locale):
        for column in listing.columns():
            assert listing.text_width(column.label) <= column.width, column


def _list_pdf(app, client, url: str):
    """Ask for a list PDF, let the worker make it, and download it from its page."""
    asked = client.get(url)
    assert asked.status_code == 302 and "/reports/exports/" in asked.headers["Location"]
    page = asked.headers["Location"]
    assert 'data-status="queued"' in client.get(page).get_data(as_text=True)
    assert jobs.run_pending(app) == 1
    done = client.get(page).get_data(as_text=True)
    assert 'data-status="done"' in done and "hx-trigger" not in done
    return client.get(page + "/download")


def test_the_list_pdf_follows_the_lists_filter(app, world, login, look):
    with look(), task_force_scope(world.task_force_id):
        category = db.session.get(Category, world.category_id)
        closed = Issue(
            task_force_id=world.task_force_id,
            code="KH-777",
            title="已销号的问题",
            category_id=category.id,
            status="closed",
        )
        db.session.add(closed)
        db.session.commit()
    client = login("viewer")
    everything = pdf_text(_list_pdf(app, client, "/reports/issues.pdf").data)
    assert "KH-777" in everything and "现金管理类产品归集与支付" in everything
    only_closed = _list_pdf(app, client, "/reports/issues.pdf?status=closed")
    assert only_closed.mimetype == "application/pdf"
    text = pdf_text(only_closed.data)
    assert "KH-777" in text and "现金管理类产品归集与支付" not in text


def test_the_list_page_links_to_its_pdf_with_the_filter(world, login):
    page = login("member").get("/issues?status=closed").get_data(as_text=True)
    assert "/reports/issues.pdf?status=closed" in page


def test_an_items_dossier(world, login, look):
    response = login("member").get(f"/reports/issues/{world.issue_id}/dossier.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "现金管理类产品归集与支付" in text and "上线归集与支付功能" in text
    assert "上线" in text and "需求评审" in text  # milestone and subtask
    with look():
        member = db.session.get(User, world.users["member"])
        assert member.display_name in text


def test_another_task_forces_dossier_is_not_found(world, login):
    response = login("leader").get(f"/reports/issues/{world.other_issue_id}/dossier.pdf")
    assert response.status_code == 404
