"""Every download is named one way: ``<label>-<date or code>.<ext>`` as the reader reads it
(问题清单-2026-12-05.xlsx), with an ASCII fallback that still names the file
(problem-list-2026-12-05.xlsx) for clients that do not read ``filename*``."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from app.core import clock
from app.core.web import attachment_headers, content_type, download_names
from tests.factories import URL_VALUES

# endpoint -> (the reader's name, the ASCII fallback); {day} is today, {id} the world's ids.
DOWNLOADS = {
    "mindmap.export_xlsx": ("问题清单-{day}.xlsx", "problem-list-{day}.xlsx"),
    "mindmap.export_csv": ("问题清单-{day}.csv", "problem-list-{day}.csv"),
    "mindmap.import_template": ("问题清单导入模板.xlsx", "problem-list-template.xlsx"),
    "mindmap.export_map": ("思维导图-{day}.opml", "mind-map-{day}.opml"),
    "kpis.import_template": ("指标数据导入模板.xlsx", "kpi-readings-template.xlsx"),
    "decisions.register_xlsx": ("决策台账-{day}.xlsx", "decision-register-{day}.xlsx"),
    "decisions.register_pdf": ("决策台账-{day}.pdf", "decision-register-{day}.pdf"),
    "meetings.series_ics": ("会议-月度工作推进交流会.ics", "meeting-series-{series}.ics"),
    "meetings.minutes_pdf": (r"纪要-.+-\d{4}-\d\d-\d\d\.pdf", r"minutes-\d{4}-\d\d-\d\d\.pdf"),
    "reports.download_pack": (r"季度复盘材料-\d{4}Q\d-v1\.pdf", r"review-pack-\d{4}Q\d-v1\.pdf"),
    "reports.download_pack_docx": (
        r"季度复盘材料-\d{4}Q\d-v1\.docx",
        r"review-pack-\d{4}Q\d-v1\.docx",
    ),
    "reports.download_bulletin": (
        r"督办通报-\d{4}-\d\d-v1\.pdf",
        r"bulletin-\d{4}-\d\d-v1\.pdf",
    ),
    "reports.download_bulletin_docx": (
        r"督办通报-\d{4}-\d\d-v1\.docx",
        r"bulletin-\d{4}-\d\d-v1\.docx",
    ),
    "reports.download_list_pdf": ("问题清单-{day}.pdf", "problem-list-{day}.pdf"),
    "reports.issue_dossier": (r"问题档案-[A-Z]+-\d+\.pdf", r"dossier-[A-Z]+-\d+\.pdf"),
}
# Routes that look like downloads but are not one of ours to name.
NOT_NAMED = {
    "meetings.personal_feed",  # a calendar subscription, read by calendar apps, not saved
    "reports.issue_list_pdf",  # queues the PDF and redirects to reports.list_pdf
    "reports.list_pdf",  # the page that waits for it
    "reports.list_pdf_status",
    # A broken-down KPI's grid: the world's KPI is not broken down, so its name is checked
    # in tests/kpis/test_grid_import.py.
    "kpis.grid_template",
}
LOOKS_LIKE_A_DOWNLOAD = re.compile(r"\.(xlsx|csv|pdf|ics|docx)$|download|export")


def _parse(header: str) -> tuple[str, str]:
    fallback = re.search(r'filename="([^"]*)"', header)
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert header.startswith("attachment;") and fallback and utf8, header
    return unquote(utf8.group(1)), fallback.group(1)


def test_every_download_route_is_named_here(app):
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and LOOKS_LIKE_A_DOWNLOAD.search(rule.rule)
    }
    assert routes - NOT_NAMED == set(DOWNLOADS)


@pytest.mark.parametrize("endpoint", sorted(DOWNLOADS))
def test_a_download_is_named_label_then_date_or_code(app, world, auth, client, endpoint):
    auth.login("leader")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments}, append_unknown=False)[1]
    response = client.get(url)
    assert response.status_code == 200, url
    name, fallback = _parse(response.headers["Content-Disposition"])
    with app.app_context():
        day = clock.today().isoformat()
    want_name, want_fallback = (
        pattern.replace("{day}", day).replace("{series}", str(world.ids.get("series")))
        for pattern in DOWNLOADS[endpoint]
    )
    assert re.fullmatch(want_name, name) or name == want_name, name
    assert re.fullmatch(want_fallback, fallback) or fallback == want_fallback, fallback
    assert fallback.isascii() and not fallback.startswith((".", "-"))


def test_the_fallback_keeps_the_label_when_the_code_has_no_ascii():
    name, fallback = download_names("会议", "meeting", "ics", "月度推进会")
    assert (name, fallback) == ("会议-月度推进会.ics", "meeting.ics")
    name, fallback = download_names("问题档案", "dossier", "pdf", "KH-012")
    assert (name, fallback) == ("问题档案-KH-012.pdf", "dossier-KH-012.pdf")
    # Quotes, slashes and line breaks cannot break the header or make a path.
    header = attachment_headers("清单", "list", "pdf", 'a"b/c\r\nd')["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    name, fallback = _parse(header)
    assert "/" not in name and '"' not in fallback


def test_an_evidence_file_keeps_its_name_and_a_readable_fallback(app, world, auth, client):
    auth.login("leader")
    response = client.get(f"/attachments/{world.attachment_id}")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    response.close()
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback and not fallback.startswith(".") and fallback.isascii()


# What each kind of download is: the Content-Type's type, and whether it names a charset.
TYPES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
    "csv": ("text/csv", True),
    "pdf": ("application/pdf", False),
    "ics": ("text/calendar", True),
    "opml": ("text/x-opml", True),
    "md": ("text/markdown", True),
    "mm": ("application/x-freemind", False),
    "xmind": ("application/vnd.xmind.workbook", False),
}


def _check_content_type(header: str, ext: str) -> None:
    mimetype, with_charset = TYPES[ext]
    parts = [part.strip() for part in header.split(";")]
    assert parts[0] == mimetype, header
    charsets = [part for part in parts[1:] if part.lower().startswith("charset=")]
    assert charsets == (["charset=utf-8"] if with_charset else []), header


@pytest.mark.parametrize("endpoint", sorted(DOWNLOADS))
def test_a_download_names_its_type_and_charset_once(app, world, auth, client, endpoint):
    auth.login("leader")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments}, append_unknown=False)[1]
    response = client.get(url)
    assert response.status_code == 200, url
    _name, fallback = _parse(response.headers["Content-Disposition"])
    _check_content_type(response.headers["Content-Type"], fallback.rsplit(".", 1)[1])
    assert not fallback.startswith("download"), fallback


@pytest.mark.parametrize("fmt", ["xmind", "mm", "opml", "md"])
def test_every_map_format_names_its_type_and_file(app, world, auth, client, fmt):
    auth.login("leader")
    response = client.get(f"/mindmap/export/{fmt}")
    assert response.status_code == 200
    name, fallback = _parse(response.headers["Content-Disposition"])
    with app.app_context():
        day = clock.today().isoformat()
    assert (name, fallback) == (f"思维导图-{day}.{fmt}", f"mind-map-{day}.{fmt}")
    _check_content_type(response.headers["Content-Type"], fmt)


def test_the_calendar_feed_names_its_charset_once(app, world, auth, client):
    auth.login("member")
    page = client.post("/calendar/feed", data={"action": "create"}).get_data(as_text=True)
    url = re.search(r'value="http://localhost([^"]+\.ics)"', page).group(1)
    response = app.test_client().get(url)
    assert response.status_code == 200
    _check_content_type(response.headers["Content-Type"], "ics")


def test_a_text_type_gets_one_charset_whether_or_not_it_names_one():
    assert content_type("text/csv; charset=utf-8") == "text/csv; charset=utf-8"
    assert content_type("text/csv") == "text/csv; charset=utf-8"
    assert content_type("text/calendar; charset=UTF-8") == "text/calendar; charset=UTF-8"
    assert content_type("application/pdf") == "application/pdf"
