"""Every page, as every role, speaks the reader's language and prints no internal key.

The routes are enumerated as in test_permissions_matrix.py, so a page added later is
read the day it lands. A page is read as people read it: the text outside <script> and
<style>, and the attributes someone sees (a tooltip, a placeholder, what a screen reader
says, a confirmation). In Chinese it must hold no English word and no internal key; in
English, no Chinese but the world's own data and the language switch.
"""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

from sqlalchemy import JSON, String, Text, select

from tests.factories import PASSWORD, PERSONAS, URL_VALUES

# --- reading a page --------------------------------------------------------------------

# Attributes whose values people read.
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm", "data-empty"}
READ_ATTRIBUTES |= {"data-picker-empty", "data-picker-filter", "data-picker-remove"}
UNREAD_ELEMENTS = {"script", "style"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD_ELEMENTS:
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.parts.append(value)
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in UNREAD_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def read(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return "\n".join(reader.parts)


# --- what may stand in a Chinese page --------------------------------------------------

# Product and format names, and abbreviations the bank itself writes in Latin letters.
ALLOWED_LATIN = {
    "PDF", "pdf", "Excel", "CSV", "csv", "ICS", "ics", "iCal", "KPI", "KPIs", "AUM", "MGM",
    "URL", "HTTP", "HTTPS", "SMTP", "OA", "WeCom", "OPML", "opml", "JSON", "xlsx", "SVG",
    "Webhook", "webhook", "English", "PNG", "JPG", "JPEG", "ZIP", "Outlook", "Google",
    "Apple", "Calendar",  # noqa: E501 - the calendar apps a feed is added to
    "OKR", "GMV", "MAU", "DAU", "App", "APP", "VIP",
    "Word", "WPS",  # the review pack and the bulletin as Word files
    "Office", "Markdown", "FreeMind", "Freeplane", "XMind", "Zen",  # formats a map is read from
    "RFC",  # RFC 5545, the calendar standard a custom cadence is written in
    "Microsoft", "Authenticator", "FreeOTP",  # authenticator apps for two-factor sign-in
    "OpenID", "Connect", "openid", "LDAP",  # single sign-on's protocols, and its first scope
    "AgentId", "CorpID", "AppKey", "AppSecret",  # as the workplace apps' consoles name them
    "API", "REST", "Authorize", "Authorization", "Bearer",  # the REST API and its token
}  # fmt: skip
# Whole patterns that are data, not words: e-mail addresses, web addresses, item codes
# (KH-012), file names (验收材料.pdf), the calendar feed's address.
DATA_PATTERNS = [
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+",
    r"https?://\S+",
    r"\b[A-Z]{1,6}-\d+\b",
    r"[^\s/]*\.(pdf|xlsx|csv|ics|opml|json|png|jpe?g|docx?|zip|svg|xmind|mm|md)\b",
    r"\b[0-9a-f]{16,}\b",  # a file's SHA-256
    r"\b[A-Z]+=[^\s)）]+",  # a recurrence rule as typed (FREQ=MONTHLY;BYDAY=-1FR)
    r"\b(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{1,4}\b",  # an authenticator's key, grouped for typing
]
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
INTERNAL_KEY = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"  # status_changed, meeting_series
    r"|\b[A-Za-z_]+ #\d+"  # issue #3
    r"|\bNone\b(?!\.)|\bTrue\b|\bFalse\b|∅"  # Python's None, not the English "None."
)

# --- what may stand in an English page -------------------------------------------------

CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# The language switch names the other language in that language.
ALLOWED_CHINESE = {"中文"}
# The bank's own slogans, quoted in the English text so that an English reader can match
# them with the Chinese documents that use them.
ALLOWED_CHINESE |= {"以点带面", "组长抓重大事项督导", "执行组长抓日常督导"}

# Findings that are not words of the application, each with its reason.
KNOWN: set[tuple[str, str]] = {
    # The delivery log shows the channel's own error as the transport raised it (data).
    ("GET /admin/deliveries", "URLError"),
    ("GET /admin/deliveries", "connection"),
    ("GET /admin/deliveries", "refused"),
}


def _strip_data(text: str) -> str:
    for pattern in DATA_PATTERNS:
        text = re.sub(pattern, " ", text)
    return text


def chinese_findings(text: str) -> set[str]:
    """English words and internal keys in a page meant to be read in Chinese."""
    found = {m.group(0) for m in INTERNAL_KEY.finditer(text)}
    cleaned = INTERNAL_KEY.sub(" ", _strip_data(text))
    found |= {w for w in ENGLISH_WORD.findall(cleaned) if w not in ALLOWED_LATIN}
    return found


def english_findings(text: str, data: list[str]) -> set[str]:
    """Chinese in a page meant to be read in English, but for the world's own data."""
    found = {m.group(0) for m in INTERNAL_KEY.finditer(text)}
    for run in CHINESE.findall(text):
        if run not in ALLOWED_CHINESE and not any(run in value for value in data):
            found.add(run)
    return found


# --- the world -------------------------------------------------------------------------


def _prepare(app, world, locale: str) -> list[str]:
    """Every account speaks ``locale`` and is called by a name that is no word and no key
    (the personas' usernames are also role keys: "temp_member" would hide a raw role key).
    Returns the Chinese the world's data holds, which an English page may show."""
    from app.extensions import db
    from app.people.models import User
    from tests.conftest import in_app

    with in_app(app):
        for user in db.session.scalars(select(User)):
            user.username = f"u{user.id}"
            user.email = f"u{user.id}@yh.cn"
            user.locale = locale
        _add_history(world)
        db.session.commit()
        data: list[str] = []
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                values = (
                    v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in row
                )
                data.extend(v for v in values if CHINESE.search(v))
    return data


SIGN_OUT = {"people.logout", "people.sign_out_everywhere"}
# Not posted: the channel test sends to the robot's address, and what it flashes is the
# remote's (or the network's) own answer.
NOT_POSTED = SIGN_OUT | {"notify.test_channel"}


def _sample(kind: str, name: str):
    """A value of ``kind``'s field ``name`` as audit events keep it."""
    from app.core import history

    rule = history.VALUES.get((kind, name), history.VALUES.get((None, name)))
    if isinstance(rule, str):
        return 1  # a reference: the first row of its table
    if rule:
        return next(iter(rule))
    return 1


def _add_history(world) -> None:
    """One audit event for every action the history registry names, changing every field
    it names for that kind of record, on the world's first record of that kind: the item
    history and the audit log then print every label there is."""
    from app.core import history
    from app.core.models import AuditEvent
    from app.extensions import db

    for kind, action in sorted(history.ACTIONS, key=lambda k: (k[0] or "", k[1])):
        kind = kind or "issue"
        table = db.metadata.tables.get(kind)
        entity_id = db.session.scalar(select(table.c.id).limit(1)) if table is not None else None
        fields = sorted({f for k, f in history.FIELDS if k in (None, kind)})
        changes = {f: [None, _sample(kind, f)] for f in fields}
        db.session.add(
            AuditEvent(
                actor_id=world.users["leader"],
                task_force_id=world.task_force_id,
                action=action,
                entity_type=kind,
                entity_id=entity_id or world.issue_id,
                changes=changes,
            )
        )


LINK = re.compile(r'href="(/[^"#]*\?[^"#]*)"')
MAX_LINKS = 150  # the views a page links to (filters, tabs, modes, pages) per persona


def _pages(app, world, persona, method="GET"):
    """(label, html) of every page the persona gets as a page (not a download or a
    redirect; an error page is a page), then of the views those pages link to with a
    query (filters, tabs, modes). With POST and no input: the forms that answer with
    their errors."""
    client = app.test_client()
    login = f"u{world.users[persona]}"
    client.post("/login", data={"login": login, "password": "correct horse 1"})
    client.post(f"/switch/{world.task_force_id}")  # an admin may be elsewhere
    rules = sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static" and method in r.methods),
        key=lambda r: r.rule,
    )
    skipped = (NOT_POSTED if method == "POST" else SIGN_OUT) | {"people.login"}
    urls = [
        rule.build({a: URL_VALUES[a](world) for a in rule.arguments})[1]
        for rule in rules
        if rule.endpoint not in skipped
    ]
    seen = set(urls)
    while urls:
        url = urls.pop(0)
        response = client.open(url, method=method, data={}, buffered=True)
        if 300 <= response.status_code < 400 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if method == "GET":
            for link in LINK.findall(html):
                link = unescape(link)
                if len(seen) < len(rules) + MAX_LINKS and link not in seen and "tf=" not in link:
                    seen.add(link)
                    urls.append(link)
        yield f"{method} {url}", html


def _report(failures: dict[str, dict[str, set[str]]]) -> str:
    """One line per page: the words, and the roles that saw them."""
    lines = []
    for url, by_word in sorted(failures.items()):
        words = ", ".join(
            f"{word} ({'/'.join(sorted(roles))})" for word, roles in sorted(by_word.items())
        )
        lines.append(f"{url}: {words}")
    return "\n".join(lines)


def _check(app, world, find) -> str:
    """Every persona's GET pages first, then the forms posted empty (a post may change the
    world: an empty form of an account deactivates it)."""
    failures: dict[str, dict[str, set[str]]] = {}
    for method in ("GET", "POST"):
        for persona in PERSONAS:
            for url, html in _pages(app, world, persona, method):
                for word in find(read(html)):
                    if (url.split("?")[0], word) not in KNOWN:
                        failures.setdefault(url, {}).setdefault(word, set()).add(persona)
    return _report(failures)


def test_the_reader_reads_only_the_words_of_the_page():
    text = read(
        '<p title="提示">正文<script>var x = "English";</script>'
        '<style>.a{color:red}</style><input placeholder="Search" value="data"></p>'
    )
    assert chinese_findings(text) == {"Search"}
    assert chinese_findings("状态 status_changed，事项 issue #3，None，∅") == {
        "status_changed",
        "issue #3",
        "None",
        "∅",
    }
    assert chinese_findings("KH-012 导出 PDF 文件 验收材料.pdf u12@yh.cn") == set()
    assert english_findings("Owner 张三 中文 审批", ["张三负责"]) == {"审批"}


def test_every_page_speaks_chinese_to_every_role(app, world):
    _prepare(app, world, "zh_CN")
    report = _check(app, world, chinese_findings)
    assert not report, "English words or internal keys on Chinese pages:\n" + report


def test_every_page_speaks_english_to_every_role(app, world):
    data = _prepare(app, world, "en")
    report = _check(app, world, lambda text: english_findings(text, data))
    assert not report, "Chinese on English pages:\n" + report


# Every value a labelled column takes, on the world's first row of its table, and the
# pages that show it: a value the labels do not know prints as its key.
VARIETY = {
    ("issue", "status"): ["/issues", "/board", "/issues/{issue}", "/my", "/"],
    ("issue", "priority"): ["/issues", "/issues/{issue}"],
    ("issue", "source"): ["/issues/{issue}"],
    ("escalation", "kind"): ["/escalations", "/escalations/{escalation}"],
    ("escalation", "level"): ["/escalations", "/escalations/{escalation}"],
    ("escalation", "status"): ["/escalations", "/escalations/{escalation}"],
    ("intake_submission", "state"): ["/intake", "/intake/{submission}", "/intake/mine"],
    ("kpi", "unit"): ["/kpis", "/kpis/{kpi}"],
    ("kpi", "direction"): ["/kpis", "/kpis/{kpi}"],
    ("meeting", "kind"): ["/meetings", "/meetings/{meeting}"],
    ("meeting", "status"): ["/meetings", "/meetings/{meeting}", "/calendar"],
    ("meeting_series", "cadence"): ["/meetings", "/meetings/series/{series}"],
    ("meeting_attendance", "status"): ["/meetings/{meeting}"],
    ("pilot", "status"): ["/pilots", "/pilots/{pilot}", "/pilots/matrix"],
    ("rollout_task", "status"): ["/pilots/{pilot}", "/pilots/matrix"],
}


def _values(table: str, column: str) -> list[str]:
    """The keys the features' labels give this column."""
    from app.decisions import labels as decisions
    from app.intake import labels as intake
    from app.issues import labels as issues
    from app.kpis import labels as kpis
    from app.meetings import labels as meetings
    from app.pilots import labels as pilots

    tables = {
        ("issue", "status"): issues.STATUS_LABELS,
        ("issue", "priority"): issues.PRIORITY_LABELS,
        ("issue", "source"): issues.SOURCE_LABELS,
        ("escalation", "kind"): decisions.KIND_LABELS,
        ("escalation", "level"): decisions.LEVEL_LABELS,
        ("escalation", "status"): decisions.ESCALATION_STATUS_LABELS,
        ("intake_submission", "state"): intake.STATE_LABELS,
        ("kpi", "unit"): kpis.UNIT_LABELS,
        ("kpi", "direction"): kpis.DIRECTION_LABELS,
        ("meeting", "kind"): meetings.KIND_LABELS,
        ("meeting", "status"): meetings.STATE_LABELS,
        ("meeting_series", "cadence"): meetings.CADENCE_LABELS,
        ("meeting_attendance", "status"): meetings.ATTENDANCE_LABELS,
        ("pilot", "status"): pilots.STATUS_LABELS,
        ("rollout_task", "status"): pilots.ROLLOUT_LABELS,
    }
    return list(tables[(table, column)])


def test_every_labelled_value_reads_in_chinese(app, world):
    from app.core.freshness import fragment_cache
    from app.extensions import db
    from tests.conftest import in_app

    _prepare(app, world, "zh_CN")
    client = app.test_client()
    client.post("/login", data={"login": f"u{world.users['leader']}", "password": PASSWORD})
    ids = {"issue": world.issue_id, **world.ids}
    failures: dict[str, dict[str, set[str]]] = {}
    shown = 0
    for (table_name, column), pages in VARIETY.items():
        for value in _values(table_name, column):
            with in_app(app):
                table = db.metadata.tables[table_name]
                first = db.session.scalar(select(table.c.id).order_by(table.c.id).limit(1))
                db.session.execute(
                    table.update().where(table.c.id == first).values({column: value})
                )
                db.session.commit()
                fragment_cache().clear()
            for page in pages:
                url = page.format(**ids)
                response = client.get(url, buffered=True)
                shown += response.status_code == 200
                for word in chinese_findings(read(response.get_data(as_text=True))):
                    label = f"{url} with {table_name}.{column}={value}"
                    failures.setdefault(label, {}).setdefault(word, set()).add("leader")
    report = _report(failures)
    assert not report, "English words or internal keys for labelled values:\n" + report
    assert shown == sum(len(p) * len(_values(*k)) for k, p in VARIETY.items())
