"""The job queue (core/jobs.py) as the reports use it: claimed once, taken over when its
worker died, its failure shown on the page that waits for it."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from app.core import clock, jobs
from app.core.jobs import Job
from app.extensions import db
from app.reports import service


def _queue(app, world, count: int = 1) -> list[int]:
    with app.app_context():
        ids = [
            jobs.enqueue(
                service.LIST_PDF_JOB,
                world.task_force_id,
                world.users["leader"],
                payload={"args": {"n": [str(n)]}},
            ).id
            for n in range(count)
        ]
        db.session.commit()
        db.session.remove()
    return ids


def test_two_claimers_at_once_claim_a_job_once(app, world):
    [job_id] = _queue(app, world)
    barrier = threading.Barrier(2)
    claims: list = []
    errors: list = []

    def claim(name: str) -> None:
        try:
            with app.app_context():  # a session and a connection of its own
                barrier.wait(timeout=10)
                claims.append(jobs.claim_next(name))
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    taken = [c for c in claims if c is not None]
    assert len(taken) == 1 and taken[0].job_id == job_id
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.status, job.attempts, job.claimed_by) == ("running", 1, taken[0].token)


def test_a_job_whose_worker_died_is_taken_over_and_the_dead_one_writes_nothing(app, world):
    [job_id] = _queue(app, world)
    with app.app_context():
        dead = jobs.claim_next("dead")
        assert jobs.claim_next("other") is None  # the lease holds
        db.session.execute(
            update(Job).where(Job.id == job_id).values(claimed_until=clock.now() - timedelta(1))
        )
        db.session.commit()
        alive = jobs.claim_next("alive")
        assert alive is not None and alive.job_id == job_id
        db.session.remove()
    with app.app_context():
        assert jobs.run_claimed(dead) == "lost"  # its claim was taken over
        assert db.session.get(Job, job_id).status == "running"
        assert jobs.run_claimed(alive) == "done"
        job = db.session.get(Job, job_id)
        assert job.status == "done" and job.attempts == 2 and job.output.startswith(b"%PDF")
        db.session.remove()


def test_a_job_lost_too_often_fails(app, world):
    [job_id] = _queue(app, world)
    with app.app_context():
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                attempts=jobs.MAX_ATTEMPTS,
                claimed_until=clock.now() - timedelta(1),
            )
        )
        db.session.commit()
        assert jobs.claim_next("w") is None
        assert db.session.get(Job, job_id).status == "failed"
        db.session.remove()


def test_a_failed_list_pdf_shows_its_error_on_the_page(app, world, login, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("part 2 of the PDF could not be rendered: out of memory")

    monkeypatch.setattr(service, "issue_list_pdf", broken)
    client = login("leader")
    page = client.get("/reports/issues.pdf").headers["Location"]
    assert jobs.run_pending(app) == 1
    shown = client.get(page).get_data(as_text=True)
    assert 'data-status="failed"' in shown and "hx-trigger" not in shown
    assert "out of memory" in shown
    assert client.get(page + "/download").status_code == 404


def test_asking_again_while_it_is_made_waits_for_the_same_job(app, world, login):
    client = login("leader")
    first = client.get("/reports/issues.pdf?status=closed").headers["Location"]
    again = client.get("/reports/issues.pdf?status=closed").headers["Location"]
    other = client.get("/reports/issues.pdf?status=open").headers["Location"]
    assert first == again != other


def test_another_task_forces_list_pdf_is_not_found(app, world, login):
    with app.app_context():
        job = jobs.enqueue(
            service.LIST_PDF_JOB, world.other_task_force_id, world.users["leader"], {"args": {}}
        )
        db.session.commit()
        job_id = job.id
        db.session.remove()
    client = login("leader")
    assert client.get(f"/reports/exports/{job_id}").status_code == 404
    assert client.get(f"/reports/exports/{job_id}/download").status_code == 404


def test_finished_jobs_are_purged_after_a_day(app, world):
    [old, fresh] = _queue(app, world, 2)
    with app.app_context():
        db.session.execute(
            update(Job)
            .where(Job.id == old)
            .values(status="done", finished_at=clock.now() - timedelta(days=2))
        )
        db.session.commit()
        assert jobs.purge_finished() == "finished jobs purged 1"
        db.session.commit()
        assert db.session.get(Job, old) is None and db.session.get(Job, fresh) is not None
        db.session.remove()
