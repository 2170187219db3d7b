"""One word per field: the list page, the Excel export and the dossier PDF call the owner
责任人, the deadline 完成时限 and the item's org unit 牵头部门; calendar files and the audit
log read labels, not keys; the picker's chip says 移除, not 删除."""

from __future__ import annotations

import io
import re

from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

from app.core.models import AuditEvent
from app.mindmap.spreadsheets import HEADER_ALIASES, HEADERS, IMPORT_COLUMNS
from tests.pdfcheck import needs_poppler, pdf_text

TERMS = {"owner": "责任人", "deadline": "完成时限", "org_unit": "牵头部门"}
OLD = ("负责人", "截止日期", "机构")


def _heads(html: str) -> list[str]:
    """The column heads and form labels of a page, as text."""
    found = re.findall(r"<(?:th|label)\b[^>]*>(.*?)</(?:th|label)>", html, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def test_the_excel_export_uses_the_fields_terms(world, auth, client):
    auth.login("leader")
    response = client.get("/issues/export.xlsx")
    heads = [c.value for c in load_workbook(io.BytesIO(response.data)).worksheets[0][1]]
    for term in TERMS.values():
        assert term in heads
    assert not set(OLD) & set(heads)
    assert "灯号" in heads


def test_the_list_page_uses_the_same_terms(world, auth, client):
    auth.login("leader")
    heads = _heads(client.get("/issues").text)
    for term in TERMS.values():
        assert term in heads, (term, heads)
    assert not set(OLD) & set(heads)


def test_the_item_page_uses_the_same_terms(world, auth, client):
    auth.login("leader")
    page = client.get(f"/issues/{world.issue_id}").text
    for term in TERMS.values():
        assert term in page, term
    assert not set(OLD) & set(re.findall(r"<dt[^>]*>(.*?)</dt>", page))


@needs_poppler
def test_the_dossier_pdf_uses_the_same_terms(world, auth, client):
    auth.login("leader")
    response = client.get(f"/reports/issues/{world.issue_id}/dossier.pdf")
    text = pdf_text(response.data).replace(" ", "")
    for term in TERMS.values():
        assert term in text, term
    assert not any(word in text for word in ("负责人", "截止日期"))


def test_old_header_words_still_import():
    # Files written before the one vocabulary name their columns the old way.
    keys = dict(HEADERS)
    for old, key in HEADER_ALIASES.items():
        assert key in keys and old != keys[key]
    assert {HEADER_ALIASES["负责人"], HEADER_ALIASES["截止日期"]} <= set(IMPORT_COLUMNS)


def test_calendar_files_name_their_categories_in_the_readers_language(world, auth, client):
    auth.login("leader")
    response = client.get(f"/meetings/series/{world.ids['series']}/calendar.ics")
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert events
    for event in events:
        assert event["CATEGORIES"].to_ical().decode() == "会议"


def test_a_channel_test_reads_as_a_label_in_the_audit_log(app, world, auth, client, look):
    auth.login("admin")
    client.post(f"/admin/channels/{world.ids['channel']}/test")  # nobody listens: it fails
    with look():
        event = db_event()
        assert event.changes == {"result": [None, "failed"]}
    page = client.get("/admin/audit").text
    assert "结果" in page and "失败" in page
    assert ": failed" not in page


def db_event() -> AuditEvent:
    from app.extensions import db

    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "channel.test").order_by(AuditEvent.id)
    ).all()[-1]


def test_the_pickers_remove_button_says_yichu(world, auth, client):
    auth.login("leader")
    page = client.get(f"/issues/{world.issue_id}/edit").text
    assert 'data-picker-remove="移除"' in page
