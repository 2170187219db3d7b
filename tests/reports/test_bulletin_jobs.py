"""The bulletin on the job queue: built by the worker once, taken over from a dead worker,
made by the scheduler once a month per task force and announced once per member."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

from docx import Document
from sqlalchemy import func, select, update

from app.core import clock, jobs
from app.core.jobs import Job
from app.core.models import Notification
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.people.models import TaskForce, User
from app.people.roster import active_member_ids
from app.reports import bulletin as service
from app.reports.bulletin_models import Bulletin
from tests.factories import make_membership


def _fake_document(monkeypatch, built: list):
    def document(task_force_id, month, *args, **kwargs):
        built.append((task_force_id, str(month)))
        return b"%PDF-1.4 bulletin", 1, "<html></html>"

    monkeypatch.setattr(service, "bulletin_document", document)


def _queue(app, world, persona="leader", month="2024-07") -> int:
    with app.app_context(), task_force_scope(world.task_force_id):
        actor = db.session.get(User, world.users[persona])
        bulletin, created = service.request_bulletin(actor, world.task_force_id, month)
        assert created
        service.queue_build(bulletin)
        db.session.commit()
        bulletin_id = bulletin.id
        db.session.remove()
    return bulletin_id


def test_the_worker_builds_a_requested_bulletin_with_the_real_pdf(app, world):
    bulletin_id = _queue(app, world)
    assert jobs.run_pending(app, "worker") == 1
    with app.app_context(), unscoped():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin.status == "done" and bulletin.content.startswith(b"%PDF")
        assert bulletin.pages >= 1 and len(bulletin.sha256) == 64
        # The Word file, from the same HTML: the masthead, the sections as real headings,
        # a section's table as a Word table.
        document = Document(BytesIO(bulletin.docx))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert "2024年7月督办情况" in headings and "本月办结事项" in headings, headings
        assert any("督办通报" in p.text for p in document.paragraphs)
        assert document.tables and document.tables[-1].rows[0].cells[0].text
        # Asked for by a leader: nobody is told.
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.kind == service.READY_KIND)
            )
            == 0
        )


def test_a_bulletin_whose_worker_died_is_taken_over_and_built_once(app, world, monkeypatch):
    built: list = []
    _fake_document(monkeypatch, built)
    bulletin_id = _queue(app, world)
    with app.app_context():
        dead = jobs.claim_next("dead")
        dead_token = db.session.get(Job, dead.job_id).claimed_by
        # The dead worker had claimed the bulletin before it died.
        with task_force_scope(world.task_force_id):
            db.session.execute(
                update(Bulletin)
                .where(Bulletin.id == bulletin_id)
                .values(status="running", built_by=dead_token)
            )
        db.session.execute(
            update(Job)
            .where(Job.id == dead.job_id)
            .values(claimed_until=clock.now() - timedelta(1))
        )
        db.session.commit()
        alive = jobs.claim_next("alive")
        assert alive is not None and alive.job_id == dead.job_id
        db.session.remove()
    with app.app_context():
        assert jobs.run_claimed(alive) == "done"
        assert jobs.run_claimed(dead) == "lost"  # the dead one, back, writes nothing
        db.session.remove()
    with app.app_context(), unscoped():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin.status == "done" and bulletin.built_by != dead_token
    assert built == [(world.task_force_id, "2024-07")]


def test_two_workers_never_build_the_same_bulletin(app, world, monkeypatch):
    built: list = []
    _fake_document(monkeypatch, built)
    bulletin_id = _queue(app, world)
    with app.app_context():
        with task_force_scope(world.task_force_id):
            first = service.run_bulletin(bulletin_id, "one", db.session.commit)
            again = service.run_bulletin(bulletin_id, "two", db.session.commit)
            assert first.status == again.status == "done"
        db.session.remove()
    assert built == [(world.task_force_id, "2024-07")]


def _scheduler_day(app, day: date) -> int:
    clock.set_today(day, 8, 30)
    with app.app_context():
        made = service.monthly_bulletins()
        db.session.commit()
        db.session.remove()
    return len(made)


def _announcements(app) -> list[tuple[int, str, str]]:
    with app.app_context(), unscoped():
        rows = db.session.execute(
            select(Notification.recipient_id, Notification.unique_key, Notification.link).where(
                Notification.kind == service.READY_KIND
            )
        ).all()
        db.session.remove()
    return rows


def test_the_monthly_job_makes_one_bulletin_per_task_force_and_tells_each_member_once(
    app, world, monkeypatch
):
    built: list = []
    _fake_document(monkeypatch, built)
    monkeypatch.setitem(app.config, "HOLIDAYS", "2024-10-01..2024-10-07")
    assert _scheduler_day(app, date(2024, 10, 1)) == 0  # a holiday: not yet
    assert _scheduler_day(app, date(2024, 10, 8)) == 2  # both task forces
    jobs.run_pending(app, "worker")
    assert sorted(built) == sorted(
        [(world.task_force_id, "2024-09"), (world.other_task_force_id, "2024-09")]
    )
    with app.app_context(), unscoped():
        members = active_member_ids(world.task_force_id) | active_member_ids(
            world.other_task_force_id
        )
    told = _announcements(app)
    assert sorted(r for r, _k, _l in told) == sorted(members) and len(told) == len(members)
    # The same day again, the next day: nothing new, nobody told twice.
    assert _scheduler_day(app, date(2024, 10, 8)) == 0
    assert _scheduler_day(app, date(2024, 10, 9)) == 0
    jobs.run_pending(app, "worker")
    assert len(built) == 2 and len(_announcements(app)) == len(members)


def test_a_missed_first_working_day_is_caught_up(app, world, monkeypatch):
    _fake_document(monkeypatch, [])
    assert _scheduler_day(app, date(2024, 11, 5)) == 2


def test_the_announcement_opens_the_right_task_force_for_a_member_of_two(
    app, world, login, monkeypatch
):
    _fake_document(monkeypatch, [])
    with app.app_context(), unscoped():
        member = db.session.get(User, world.users["member"])
        make_membership(member, db.session.get(TaskForce, world.other_task_force_id), "member")
        db.session.commit()
        db.session.remove()
    _scheduler_day(app, date(2024, 10, 8))
    jobs.run_pending(app, "worker")
    clock.set_today(date(2024, 10, 8), 9)
    links = [
        link for recipient, _key, link in _announcements(app) if recipient == world.users["member"]
    ]
    assert len(links) == 2
    other_link = next(link for link in links if f"tf={world.other_task_force_id}" in link)
    client = login("member")
    switched = client.get(other_link)
    assert switched.status_code == 302
    response = client.get(switched.headers["Location"])
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
