"""Acceptance: every link a demo account is sent opens.

The demo is loaded as ``flask demo load`` does, three weeks pass (items fall overdue,
go stale, memberships near their end) and every reminder rule runs. Then each demo
account logs in and follows every link of every message in its notification centre, and
every link on every reminder page of every task force it is on, and gets the page: the
people on two task forces (the executive leader, 刘洋, 周婷, the leader as viewer) are
switched to the message's task force on the way. Those people land, at login, in the task
force where they last worked.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.models import AuditEvent
from app.core.scope import unscoped
from app.demo import DEFAULT_PASSWORD, USERS, load_demo
from app.extensions import db
from app.notify.rules import RULES
from app.people.models import Membership, TaskForce, User
from app.people.service import available_task_forces
from tests.jobs import run_rule

HREF = re.compile(r'<a[^>]* href="([^"]+)"')


def _grouped() -> list[str]:
    # Asked when the test runs: the features register their rules in ``create_app``.
    return [rule.name for rule in RULES if rule.group is not None]


def _section(page: str, testid: str, end: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def _hrefs(part: str) -> list[str]:
    return [html.unescape(href) for href in HREF.findall(part)]


@pytest.fixture
def demo(app):
    with app.app_context(), unscoped():
        load_demo(DEFAULT_PASSWORD)
        clock.set_today(clock.today() + timedelta(days=21))
        for rule in RULES:
            run_rule(rule.name)
        task_forces = {
            user.username: [tf.id for tf in available_task_forces(user)]
            for user in db.session.scalars(select(User))
        }
        several = set(
            db.session.scalars(
                select(User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.active_on(clock.today()))
                .group_by(User.username)
                .having(db.func.count(Membership.task_force_id.distinct()) > 1)
            )
        )
        # Where each of them last changed something, by the audit log.
        last_worked = {}
        for username in several:
            last_worked[username] = db.session.scalar(
                select(TaskForce.name)
                .join(AuditEvent, AuditEvent.task_force_id == TaskForce.id)
                .join(User, User.id == AuditEvent.actor_id)
                .where(User.username == username)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(1)
            )
        db.session.remove()
    return task_forces, several, last_worked


def _notification_links(client) -> list[str]:
    links, page = [], 1
    while True:
        listing = client.get(f"/notifications?page={page}").get_data(as_text=True)
        links += _hrefs(_section(listing, "notification-list", "</ul>"))
        if f"/notifications?page={page + 1}" not in listing:
            return links
        page += 1


def _open(client, link: str, failures: list, who: str, via: str = ""):
    response = client.get(link, follow_redirects=True)
    if response.status_code != 200:
        failures.append(f"{who}: {link} {via}-> {response.status_code}")
    return response


def _follow_reminder_page(client, response, failures: list, who: str, via: str) -> int:
    items = _hrefs(_section(response.get_data(as_text=True), "reminder-items", "</table>"))
    for link in items:
        _open(client, link, failures, who, f"(on {via}) ")
    return len(items)


def test_every_link_of_every_demo_account_opens(app, demo):
    task_forces, several, last_worked = demo
    assert {"exec", "liuyang", "zhouting"} <= several
    failures: list[str] = []
    followed: dict[str, int] = {}
    switched: set[str] = set()
    reminder_links = 0
    for username, *_rest in USERS:
        client = app.test_client()
        login = client.post("/login", data={"login": username, "password": DEFAULT_PASSWORD})
        assert login.status_code == 302, username
        if username in last_worked:  # on two task forces: back where they last worked
            overview = client.get("/task-force").get_data(as_text=True)
            assert last_worked[username] in overview.split("</h1>", 1)[0], username
        links = _notification_links(client)
        followed[username] = len(links)
        for link in links:
            response = _open(client, link, failures, username)
            if "已切换至" in response.get_data(as_text=True):  # "Now working in …"
                switched.add(username)
            if "/reminders/" in link and response.status_code == 200:
                reminder_links += _follow_reminder_page(client, response, failures, username, link)
        # Every reminder page of every task force they are on, whether or not a message
        # pointed there today.
        for task_force_id in task_forces[username]:
            for rule in _grouped():
                page = f"/reminders/{rule}?tf={task_force_id}"
                response = _open(client, page, failures, username)
                if response.status_code == 200:
                    reminder_links += _follow_reminder_page(
                        client, response, failures, username, page
                    )
    assert failures == []
    # Not vacuous: the busy people have many messages, and grouped reminders were followed.
    assert followed["exec"] > 100 and followed["liuyang"] > 30
    assert reminder_links > 10
    assert {"exec", "liuyang", "zhouting"} <= switched
