"""A page number past the last page, or past any integer the database holds, answers the
last page: on every page of the site that takes ``page``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core import audit, outbox
from app.core import views as core_views
from app.core.models import AuditEvent
from app.core.permissions import allowed
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Category
from app.people import admin_views
from app.people.models import User
from tests import factories
from tests.factories import PERSONAS, URL_VALUES

HUGE = "99999999999999999999"  # beyond 64 bits


def _roles_of(persona: str) -> set[str]:
    global_role, tf_role = PERSONAS[persona]
    roles = {global_role} if global_role in ("admin", "frontline") else set()
    if tf_role:
        roles.add(tf_role)
    return roles


@pytest.mark.parametrize("page", [HUGE, "-" + HUGE])
@pytest.mark.parametrize("persona", ["admin", "leader"])
def test_no_page_number_breaks_a_page(app, world, persona, page):
    client = app.test_client()
    client.post("/login", data={"login": persona, "password": "correct horse 1"})
    client.post(f"/switch/{world.task_force_id}")
    failures = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if getattr(view, "is_public", False) or not allowed(
            _roles_of(persona), view.required_action
        ):
            continue
        url = rule.build({a: URL_VALUES[a](world) for a in rule.arguments})[1]
        try:
            code = client.get(f"{url}?page={page}", buffered=True).status_code
        except Exception as error:  # noqa: BLE001 - the test lists every failing page
            failures.append(f"{url}: {type(error).__name__}: {error}")
            continue
        if code >= 500:
            failures.append(f"{url}: {code}")
    assert failures == []


def _between(html: str, testid: str, end: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def test_the_problem_list_past_its_last_page_shows_the_last_page(
    app, world, auth, client, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        factories.make_issue(category, "第二个问题", code="KH-900")
    auth.login("leader")
    last = _between(client.get("/issues?page=2").get_data(as_text=True), "issue-table", "</table>")
    assert "KH-900" in last
    for page in ("3", HUGE):
        response = client.get(f"/issues?page={page}")
        assert response.status_code == 200
        assert _between(response.get_data(as_text=True), "issue-table", "</table>") == last


def test_notifications_past_the_last_page_show_the_oldest(app, world, auth, client, monkeypatch):
    monkeypatch.setattr(core_views, "PAGE", 2)
    with app.app_context():
        for i in range(5):
            outbox.notify(world.users["member"], "test", f"消息{i}", unique_key=f"paging:{i}")
        db.session.commit()
    auth.login("member")
    for page in ("3", "4", HUGE):
        response = client.get(f"/notifications?page={page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "消息0" in html and "消息1" not in html
        assert 'href="/notifications?page=2"' in html  # "newer": this is page 3
        assert 'href="/notifications?page=4"' not in html  # no "older"


def test_the_audit_log_past_its_last_page_shows_the_oldest(app, world, auth, client, monkeypatch):
    monkeypatch.setattr(admin_views, "AUDIT_PAGE", 1)
    auth.login("admin")
    with app.app_context(), unscoped():
        admin = db.session.get(User, world.users["admin"])
        for i in range(3):
            audit.record(admin, f"paging-{i}", admin, summary=f"第{i}条")
        db.session.commit()
        total = db.session.scalar(select(func.count(AuditEvent.id)))
    last = client.get(f"/admin/audit?page={total}").get_data(as_text=True)
    for page in (str(total + 1), HUGE):
        response = client.get(f"/admin/audit?page={page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert _between(html, "audit-table", "</table>") == _between(
            last, "audit-table", "</table>"
        )
        assert f'href="/admin/audit?page={total - 1}"' in html
        assert f'href="/admin/audit?page={total + 1}"' not in html
