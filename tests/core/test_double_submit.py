"""A form sent twice (a double click, a browser's retry) is saved once, and the second
post is answered as the first: with a redirect to the same place.

Each case opens the page, fills in the form as shown (with its hidden key) and sends it
twice; then the same with other cases of what a person does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.core import clock, idempotency
from app.core.models import IdempotencyKey
from app.core.scope import unscoped
from app.decisions.models import Escalation, Nudge
from app.extensions import db
from app.intake.models import Submission
from app.issues.models import Attachment, Issue, Milestone, ProgressUpdate, Subtask
from app.meetings.models import ActionItem, AgendaItem
from app.pilots.models import PilotEvidence
from tests.forms import form_on

PASSWORD = "correct horse 1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Case:
    name: str
    persona: str
    page: Callable  # world -> the page with the form
    action: Callable  # world -> where the form posts (picks it on the page, and posts there)
    typed: Callable  # world -> what the person types
    model: type  # what one post creates
    upload: bool = False
    form_action: Callable | None = None  # world -> the form's own action, if not ``action``
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _issue(w) -> str:
    return f"/issues/{w.issue_id}"


CASES = [
    Case(
        "progress update",
        "member",
        _issue,
        lambda w: f"/issues/{w.issue_id}/progress",
        lambda w: {"note": "完成需求评审", "percent": "40"},
        ProgressUpdate,
    ),
    Case(
        "subtask",
        "member",
        _issue,
        lambda w: f"/issues/{w.issue_id}/subtasks",
        lambda w: {"title": "准备上线材料"},
        Subtask,
    ),
    Case(
        "milestone",
        "member",
        _issue,
        lambda w: f"/issues/{w.issue_id}/milestones",
        lambda w: {"title": "试运行", "due_on": (clock.today() + timedelta(days=9)).isoformat()},
        Milestone,
    ),
    Case(
        "attachment",
        "member",
        _issue,
        lambda w: f"/issues/{w.issue_id}/attachments",
        lambda w: {},
        Attachment,
        upload=True,
    ),
    Case(
        "nudge",
        "leader",
        _issue,
        lambda w: f"/issues/{w.issue_id}/nudge",
        lambda w: {"note": "请本周内更新进展"},
        Nudge,
    ),
    Case(
        "escalation",
        "member",
        lambda w: f"/issues/{w.issue_id}/escalate",
        lambda w: f"/issues/{w.issue_id}/escalate",
        lambda w: {"question": "是否先在长春分行试点？"},
        Escalation,
        form_action=lambda w: None,
    ),
    Case(
        "submission",
        "frontline",
        lambda w: "/intake/new",
        lambda w: "/intake/new",
        lambda w: {"title": "理财起购金额偏高", "task_force_id": str(w.task_force_id)},
        Submission,
        form_action=lambda w: None,
    ),
    Case(
        "agenda item",
        "leader",
        lambda w: f"/meetings/{w.ids['meeting']}",
        lambda w: f"/meetings/{w.ids['meeting']}/agenda",
        lambda w: {"agenda-title": "试点推广进度"},
        AgendaItem,
        form_action=lambda w: f"/meetings/{w.ids['meeting']}/minutes",  # the page is one form
    ),
    Case(
        "action item",
        "leader",
        lambda w: f"/meetings/{w.ids['meeting']}",
        lambda w: f"/meetings/{w.ids['meeting']}/actions",
        lambda w: {"title": "提交排期", "owner_id": str(w.users["member"])},
        ActionItem,
        form_action=lambda w: f"/meetings/{w.ids['meeting']}/minutes",
    ),
    Case(
        "pilot evidence",
        "leader",
        lambda w: f"/pilots/{w.ids['pilot']}",
        lambda w: f"/pilots/{w.ids['pilot']}/evidence",
        lambda w: {},
        PilotEvidence,
        upload=True,
    ),
    Case(
        "new item",
        "member",
        lambda w: "/issues/new",
        lambda w: "/issues/new",
        lambda w: {"title": "代销理财销量提升", "category_id": str(w.category_id)},
        Issue,
        form_action=lambda w: None,
    ),
]


def _browser(app, persona: str):
    client = app.test_client()
    assert client.post("/login", data={"login": persona, "password": PASSWORD}).status_code == 302
    return client


def _count(app, model) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(select(func.count()).select_from(model))


def _open(browser, case: Case, world):
    html = browser.get(case.page(world)).get_data(as_text=True)
    action = (case.form_action or case.action)(world)
    if action:
        return form_on(html, action=action)
    return form_on(html, holding=next(iter(case.typed(world))))


def _send(browser, case: Case, world, fields):
    data = MultiDict(fields)
    if case.upload:
        data.add("file", (io.BytesIO(PDF), "验收材料.pdf"))
    return browser.post(case.action(world), data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_form_sent_twice_creates_one_and_answers_the_second_like_the_first(app, world, case):
    browser = _browser(app, case.persona)
    form = _open(browser, case, world)
    assert idempotency.FIELD in form.names()
    fields = form.filled(case.typed(world))
    before = _count(app, case.model)

    first = _send(browser, case, world, fields)
    second = _send(browser, case, world, fields)

    assert first.status_code == 302, first.get_data(as_text=True)[-2000:]
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(app, case.model) == before + 1


def _progress(app, world):
    browser = _browser(app, "member")
    form = _open(browser, CASES[0], world)
    return browser, form


def test_the_same_page_sent_again_with_other_input_is_saved_again(app, world):
    """Back to the page, another note typed, sent: that is a new update, not a repeat."""
    browser, form = _progress(app, world)
    action = CASES[0].action(world)
    browser.post(action, data=MultiDict(form.filled({"note": "第一条", "percent": "10"})))
    browser.post(action, data=MultiDict(form.filled({"note": "第二条", "percent": "20"})))
    assert _count(app, ProgressUpdate) == 2


def test_a_refused_form_sent_again_corrected_is_saved(app, world):
    browser, form = _progress(app, world)
    action = CASES[0].action(world)
    refused = browser.post(action, data=MultiDict(form.filled({"note": "", "percent": "40"})))
    assert refused.status_code == 400
    saved = browser.post(action, data=MultiDict(form.filled({"note": "补上说明", "percent": "40"})))
    assert saved.status_code == 302
    assert _count(app, ProgressUpdate) == 1


def test_a_post_without_a_key_is_saved_each_time(app, world):
    """An old page or a script: no key, no protection, nothing refused."""
    browser = _browser(app, "member")
    for _ in range(2):
        browser.post(CASES[0].action(world), data={"note": "脚本写入", "percent": "5"})
    assert _count(app, ProgressUpdate) == 2


def test_two_posts_at_the_same_instant_create_one(app, world, race):
    """A double click whose two posts both find the key unused: the key's unique index
    lets one through; the other is answered like it."""
    browser, form = _progress(app, world)
    other = _browser(app, "member")
    other.set_cookie("session", browser.get_cookie("session").value)
    fields = MultiDict(form.filled({"note": "同时提交", "percent": "60"}))
    action = CASES[0].action(world)

    responses = race.run(
        lambda: browser.post(action, data=fields),
        lambda: other.post(action, data=fields),
        at="flush",
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert _count(app, ProgressUpdate) == 1


def test_every_showing_of_a_cached_page_has_new_keys(app, world):
    browser = _browser(app, "member")
    keys = [
        re.findall(rf'name="{idempotency.FIELD}" value="([^"]+)"', browser.get(_issue(world)).text)
        for _ in range(2)
    ]
    assert keys[0] and keys[1] and not set(keys[0]) & set(keys[1])
    assert len(set(keys[0])) == len(keys[0])  # one key per form


def _keys(app) -> list[str]:
    with app.app_context(), unscoped():
        return list(db.session.scalars(select(IdempotencyKey.key)))


def test_a_persons_keys_go_a_day_later_when_they_next_save(app, world):
    browser, form = _progress(app, world)
    action = CASES[0].action(world)
    browser.post(action, data=MultiDict(form.filled({"note": "昨天的", "percent": "1"})))
    [old] = _keys(app)
    clock.set_now(clock.now() + timedelta(days=1, minutes=1))
    form = _open(browser, CASES[0], world)
    browser.post(action, data=MultiDict(form.filled({"note": "今天的", "percent": "2"})))
    assert old not in _keys(app) and len(_keys(app)) == 1


def test_purge_forgets_everyones_keys_older_than_a_day(app, world):
    browser, form = _progress(app, world)
    browser.post(
        CASES[0].action(world), data=MultiDict(form.filled({"note": "旧的", "percent": "1"}))
    )
    with app.app_context(), unscoped():
        assert idempotency.purge() == 0
        clock.set_now(clock.now() + timedelta(days=1, minutes=1))
        assert idempotency.purge() == 1
        db.session.commit()  # the boundary of the job that purges
    assert _keys(app) == []


@pytest.mark.parametrize("case", [c for c in CASES if c.upload], ids=str)
def test_a_file_whose_save_was_refused_leaves_nothing_stored(app, world, monkeypatch, case):
    """The file is written before its row; a save that then loses a race takes it back."""
    from app.core import audit
    from app.core.errors import StaleEdit
    from app.core.files import stored_keys

    def lost_the_race(*args, **kwargs):
        raise StaleEdit("someone else saved first")

    browser = _browser(app, case.persona)
    form = _open(browser, case, world)
    with app.app_context():
        files = stored_keys()
    monkeypatch.setattr(audit, "record", lost_the_race)
    response = _send(browser, case, world, form.filled(case.typed(world)))
    assert response.status_code == 409
    with app.app_context():
        assert stored_keys() == files
