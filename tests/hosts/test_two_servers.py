"""Many hosts, one database (issue 23): two gunicorn servers on two ports, each with a
disk of its own, and two scheduler processes, against one PostgreSQL database.

A session signed in on one server is valid on the other; a change made through server A
shows at once on server B's kept pages; a file uploaded through A downloads through B; a
job queued through A is built exactly once; a reminder pass run by both workers at once
writes each message once; the login form's rate limit holds across the servers.

PostgreSQL only (SQLite is one file on one host): the database is one of its own, made
next to TEST_DATABASE_URL's and dropped afterwards. ``.ci/run`` runs it on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.core import clock
from app.core.jobs import Job
from app.core.models import Notification
from app.core.quarters import Quarter
from app.core.scheduler import JobRun
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Attachment, Category
from app.reports.models import ReviewPack
from bench.run import ROOT, Client
from bench.two_hosts import post_form, post_progress, shows, two_hosts
from tests import factories
from tests.factories import PASSWORD

RULES = ("rule:overdue", "rule:due_soon", "rule:stale", "rule:unacknowledged")
LOGIN_LIMIT = 20


def _postgresql_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip(
            "two servers on one database need PostgreSQL: set TEST_DATABASE_URL to a "
            "PostgreSQL database, as .ci/run does"
        )
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    return parsed.set(database=f"{parsed.database}_two").render_as_string(hide_password=False)


def _admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _fill(url: str):
    """The schema from the migrations, the tests' world, and items the reminder rules
    find (overdue, due soon) owned by several people."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context(), unscoped():
        upgrade()
        world = factories.build_world()
        category = db.session.get(Category, world.category_id)
        today = clock.today()
        for persona in ("member", "leader", "temp_member"):
            for days in (-3, 2):
                factories.make_issue(
                    category,
                    owner_id=world.users[persona],
                    deadline=today + timedelta(days=days),
                    status="in_progress",
                )
        db.session.remove()
    return app, world


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    url = _postgresql_url()
    name = make_url(url).database
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app, world = _fill(url)
    workdir = tmp_path_factory.mktemp("two-hosts")
    env = dict(
        os.environ,
        DATABASE_URL=url,
        GONGJIAN_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        COUNT_QUERIES="1",
        LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1",
    )
    try:
        with two_hosts(env, workdir) as running:
            running.app, running.world, running.env, running.workdir = app, world, env, workdir
            yield running
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _signed_in(hosts, host: str = "A", username: str = "leader") -> Client:
    client = hosts.client(host)
    client.login(username, PASSWORD)
    return client


def _on(hosts, host: str, like: Client) -> Client:
    """A client of ``host`` carrying ``like``'s cookies: the same browser."""
    client = hosts.client(host)
    client.cookies = dict(like.cookies)
    return client


def _query(hosts, statement):
    with hosts.app.app_context(), unscoped():
        try:
            return db.session.execute(statement).all()
        finally:
            db.session.remove()


def test_a_session_from_one_server_is_valid_on_the_other(hosts):
    on_a = _signed_in(hosts, "A")
    on_b = _on(hosts, "B", on_a)
    response, body = on_b.request("GET", "/ping")  # answers its reader's name
    assert response.status == 200, response.getheader("Location")
    assert json.loads(body)["user"] == "leader"
    assert on_b.request("GET", "/")[0].status == 200
    # Signed out through B: the browser is signed out on A too.
    leaving = _signed_in(hosts, "A", "member")
    post_form(_on(hosts, "B", leaving), "/", "/logout", {})
    response, _ = _on(hosts, "A", leaving).request("GET", "/")
    assert response.status == 302 and "/login" in response.getheader("Location")


def test_a_change_through_a_shows_at_once_on_b_s_kept_pages(hosts):
    issue = hosts.world.issue_id
    on_a = _signed_in(hosts, "A")
    on_b = _on(hosts, "B", on_a)
    for _ in range(6):  # kept by each of B's workers
        assert on_b.request("GET", f"/issues/{issue}")[0].status == 200
    note = f"two servers {secrets.token_hex(4)}"
    response, _ = post_progress(on_a, issue, note)
    assert response.status == 302
    for _ in range(4):  # whichever of B's workers answers
        assert shows(on_b, f"/issues/{issue}", note) == (True, 200)


def _red_items(client: Client) -> int:
    """The battle map's count of red items, as its list's heading gives it."""
    response, body = client.request("GET", "/")
    assert response.status == 200
    return int(re.search(rb'light=red" class="text-danger-emphasis">.*?\((\d+)\)</a>', body)[1])


def test_a_change_through_a_moves_b_s_kept_counts_at_once(hosts):
    # B keeps the battle map's counts and moves them by the journal of data versions
    # (issues.tally; tests/issues/test_tally.py checks the same with two applications
    # in one process): an item blocked through A is red on B at once.
    issue = hosts.world.issue_id
    on_a = _signed_in(hosts, "A")
    on_b = _on(hosts, "B", on_a)
    before = {_red_items(on_b) for _ in range(6)}  # kept by B's workers
    assert len(before) == 1
    response, _ = post_form(
        on_a,
        f"/issues/{issue}",
        f"/issues/{issue}/status",
        {"status": "blocked", "reason": "等待总行系统排期"},
    )
    assert response.status == 302
    assert {_red_items(on_b) for _ in range(4)} == {before.pop() + 1}


def test_a_file_uploaded_through_a_downloads_through_b(hosts):
    issue = hosts.world.issue_id
    on_a = _signed_in(hosts, "A")
    content = b"%PDF-1.4\n% two hosts\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"
    response, _ = post_form(
        on_a,
        f"/issues/{issue}",
        f"/issues/{issue}/attachments",
        {},
        files={"file": ("two-hosts.pdf", content)},
    )
    assert response.status == 302
    (attachment_id,) = _query(
        hosts, select(Attachment.id).where(Attachment.filename == "two-hosts.pdf")
    )[0]
    response, body = _on(hosts, "B", on_a).request("GET", f"/attachments/{attachment_id}")
    assert response.status == 200 and body == content


def test_a_job_queued_through_a_is_built_exactly_once(hosts):
    assert all(worker.poll() is None for worker in hosts.workers)  # both are claiming
    before = {row.id for row in _query(hosts, select(ReviewPack.id))}  # the world's
    on_a = _signed_in(hosts, "A")
    quarter = str(Quarter.of(clock.today()))
    response, _ = post_form(on_a, "/reports/", "/reports/packs", {"quarter": quarter})
    assert response.status == 302
    mine = select(ReviewPack.id, ReviewPack.status, ReviewPack.built_by).where(
        ReviewPack.id.not_in(before)
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        packs = _query(hosts, mine)
        if packs and packs[0].status in ("done", "failed"):
            break
        time.sleep(0.5)
    time.sleep(2)  # a second build, if any, would have been claimed by now
    jobs = _query(
        hosts, select(Job.status, Job.attempts, Job.claimed_by).where(Job.kind == "review_pack")
    )
    assert len(packs) == 1 and len(jobs) == 1
    (pack_id, pack_status, built_by), (status, attempts, claimed_by) = packs[0], jobs[0]
    assert (pack_status, status, attempts) == ("done", "done", 1)
    assert built_by == claimed_by  # the claim that built it is the one named on the pack
    # Downloaded through the other server: the PDF is kept on the row, not on a disk.
    response, body = _on(hosts, "B", on_a).request("GET", f"/reports/packs/{pack_id}/download")
    assert response.status == 200 and body.startswith(b"%PDF")


RUN_RULES = """
import os, pathlib, sys, time
from app import create_app
from app.core import scheduler
app = create_app()
jobs = [job for job in scheduler.jobs() if job.name in sys.argv[2:]]
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
for job in jobs:
    scheduler.run_job(app, job)
"""


def test_a_reminder_pass_run_by_both_workers_at_once_writes_each_message_once(hosts):
    go = Path(hosts.workdir) / "go"
    passes = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_RULES, str(go), *RULES],
            cwd=ROOT,
            env=dict(hosts.env, GONGJIAN_INSTANCE=str(Path(hosts.workdir) / f"host-worker-{n}")),
        )
        for n in (1, 2)
    ]
    time.sleep(3)  # both have started their application and wait for the word
    go.touch()
    assert [p.wait(timeout=120) for p in passes] == [0, 0]
    runs = _query(hosts, select(JobRun.job, JobRun.error).where(JobRun.job.in_(RULES)))
    assert sorted(run.job for run in runs) == sorted(RULES * 2)  # each worker ran each rule
    assert [run.error for run in runs if run.error] == []
    per_person = _query(
        hosts,
        select(Notification.recipient_id, Notification.kind, func.count())
        .where(Notification.kind.in_(("overdue", "due_soon")))
        .group_by(Notification.recipient_id, Notification.kind, Notification.task_force_id),
    )
    kinds = {row.kind for row in per_person}
    assert kinds == {"overdue", "due_soon"}
    assert {row[2] for row in per_person} == {1}  # one message per person and rule


def test_the_login_limit_holds_across_the_servers(hosts):
    """Refused logins through A until the limit answers 429; B refuses the next at once
    (with a count per server, or per worker, B would still have room)."""
    wrong = {"login": "member", "password": "not the password"}
    on_a = hosts.client("A")
    codes = []
    for _ in range(LOGIN_LIMIT + 1):
        response, _ = post_form(on_a, "/login", "/login", wrong)
        codes.append(response.status)
        if response.status == 429:
            break
    assert codes[-1] == 429 and set(codes[:-1]) <= {401}
    response, _ = post_form(hosts.client("B"), "/login", "/login", wrong)
    assert response.status == 429
