"""One pack per quarter at a time: a request while the quarter's pack is queued or being
built answers with that pack, over HTTP and from simultaneous workers."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from app.core import clock, jobs
from app.core.jobs import Job
from app.core.scope import task_force_scope
from app.core.unit import committing
from app.extensions import db
from app.people.models import User
from app.reports import service
from app.reports.models import DONE, FAILED, QUEUED, RUNNING, ReviewPack
from tests.reports.conftest import Q2


def _leader(world) -> User:
    return db.session.get(User, world.users["leader"])


def _packs(quarter: str = "2024Q2") -> list[tuple[int, int, str]]:
    return db.session.execute(
        select(ReviewPack.id, ReviewPack.number, ReviewPack.status)
        .where(ReviewPack.quarter == quarter)
        .order_by(ReviewPack.id)
    ).all()


def test_a_second_request_while_one_is_queued_answers_with_it(ctx, world):
    with task_force_scope(world.task_force_id):
        first, created = service.request_pack(_leader(world), world.task_force_id, Q2)
        again, created_again = service.request_pack(
            db.session.get(User, world.users["exec_leader"]), world.task_force_id, "2024Q2"
        )
        assert created and not created_again
        assert again.id == first.id
        db.session.execute(
            update(ReviewPack).where(ReviewPack.id == first.id).values(status=RUNNING)
        )
        db.session.commit()
        running, created = service.request_pack(_leader(world), world.task_force_id, Q2)
        assert running.id == first.id and not created
        assert len(_packs()) == 1


def test_once_the_pack_is_done_or_failed_a_request_makes_the_next_version(ctx, world):
    with task_force_scope(world.task_force_id):
        first, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
        db.session.execute(
            update(ReviewPack).where(ReviewPack.id == first.id).values(status=FAILED)
        )
        db.session.commit()
        second, created = service.request_pack(_leader(world), world.task_force_id, Q2)
        assert created and second.number == 2
        # Another quarter is another pack.
        other, created = service.request_pack(_leader(world), world.task_force_id, "2024Q1")
        assert created and other.id != second.id


def test_a_pack_lost_with_its_process_does_not_hold_the_quarter(ctx, world):
    with task_force_scope(world.task_force_id):
        lost, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
        long_ago = clock.now() - timedelta(hours=1)
        db.session.execute(
            update(ReviewPack)
            .where(ReviewPack.id == lost.id)
            .values(status=RUNNING, heartbeat_at=long_ago)
        )
        db.session.commit()
        fresh, created = service.request_pack(_leader(world), world.task_force_id, Q2)
        assert created and fresh.id != lost.id
        assert [(n, s) for _id, n, s in _packs()] == [(1, FAILED), (2, QUEUED)]


def test_a_queued_pack_is_built_once_however_many_try(ctx, world, monkeypatch):
    built = []
    monkeypatch.setattr(
        service, "pack_files", lambda *args, **kwargs: (built.append(1), (b"%PDF-1.4", 1, b"PK"))[1]
    )
    with task_force_scope(world.task_force_id):
        pack, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
        service.run_pack(pack.id, db.session.commit)
        service.run_pack(pack.id, db.session.commit)
        assert built == [1]
        assert db.session.get(ReviewPack, pack.id).status == DONE


def test_ten_requests_over_http_queue_one_pack_and_one_build(world, login, look):
    client = login("leader")
    responses = [client.post("/reports/packs", data={"quarter": "2024Q2"}) for _ in range(10)]
    assert {r.status_code for r in responses} == {302}
    with look():
        packs = _packs()
        builds = db.session.scalars(select(Job.payload).where(Job.kind == service.PACK_JOB)).all()
    assert len(packs) == 1 and builds == [{"pack_id": packs[0][0]}]
    anchor = f"#pack-{packs[0][0]}"
    assert all(r.headers["Location"].endswith(anchor) for r in responses)
    page = client.get("/reports/").get_data(as_text=True)
    assert "该季度的复盘材料正在生成，请稍候；下方即是这一份。" in page
    # Another leader asking gets the same one.
    other = login("exec_leader").post("/reports/packs", data={"quarter": "2024Q2"})
    assert other.headers["Location"].endswith(anchor)
    with look():
        assert len(_packs()) == 1


def test_two_workers_asking_at_once_make_one_pack(app, world, look):
    barrier = threading.Barrier(2)
    answers: list = []
    errors: list = []

    def ask(persona: str) -> None:
        try:
            with app.app_context(), task_force_scope(world.task_force_id):
                actor = db.session.get(User, world.users[persona])
                barrier.wait(timeout=10)
                with committing():  # the boundary of each worker's request
                    pack, created = service.request_pack(actor, world.task_force_id, Q2)
                    answers.append((pack.id, created))
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(p,)) for p in ("leader", "exec_leader")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len({pack_id for pack_id, _created in answers}) == 1
    assert sorted(created for _id, created in answers) == [False, True]
    with look():
        assert (
            db.session.scalar(
                select(func.count(ReviewPack.id)).where(ReviewPack.quarter == "2024Q2")
            )
            == 1
        )


def test_a_pack_whose_worker_died_midway_is_built_by_the_next_claim_once(app, world, monkeypatch):
    """The worker that claimed the pack's job died while building it: once the job's lease
    runs out another worker claims the job and builds the pack; the dead one, were it to
    come back, writes nothing."""
    built = []
    monkeypatch.setattr(
        service,
        "pack_files",
        lambda tf, quarter, *args: built.append(str(quarter)) or (b"%PDF-1.4 pack", 3, b"PK"),
    )
    with app.app_context():
        with task_force_scope(world.task_force_id):
            pack, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
            service.queue_build(pack)
            pack_id = pack.id
        db.session.commit()
        dead = jobs.claim_next("dead")
        dead_token = db.session.get(Job, dead.job_id).claimed_by
        # It had claimed the pack and reached 55% when it died.
        with task_force_scope(world.task_force_id):
            db.session.execute(
                update(ReviewPack)
                .where(ReviewPack.id == pack_id)
                .values(status=RUNNING, built_by=dead_token, progress=55)
            )
        db.session.execute(
            update(Job)
            .where(Job.id == dead.job_id)
            .values(claimed_until=clock.now() - timedelta(minutes=1))
        )
        db.session.commit()
        alive = jobs.claim_next("alive")
        assert alive is not None and alive.job_id == dead.job_id
        db.session.remove()
    with app.app_context():
        assert jobs.run_claimed(alive) == "done"
        assert jobs.run_claimed(dead) == "lost"
        db.session.remove()
    with app.app_context(), task_force_scope(world.task_force_id):
        pack = db.session.get(ReviewPack, pack_id)
        assert (pack.status, pack.pages, pack.docx_size) == (DONE, 3, 2)
        assert pack.built_by not in (None, dead_token)
        # The scheduler's own build (no job claim) leaves a running pack alone.
        assert service.run_pack(pack_id, db.session.commit).status == DONE
    assert built == ["2024Q2"]


def test_a_worker_killed_while_building_leaves_the_pack_to_the_next_worker(app, world, monkeypatch):
    """A real worker process claims the pack's job, starts building and is killed (as by
    the OOM killer or a redeploy); once its lease has run out the next worker builds the
    pack, once."""
    context = multiprocessing.get_context("fork")
    started = context.Event()

    def hang(task_force_id, quarter, version, who, progress, kept):
        progress(40)
        started.set()
        time.sleep(600)  # killed long before

    monkeypatch.setattr(service, "pack_files", hang)
    with app.app_context():
        with task_force_scope(world.task_force_id):
            pack, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
            service.queue_build(pack)
            pack_id = pack.id
        db.session.commit()
        db.session.remove()

    def doomed_worker():
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's connections stay the parent's
        jobs.run_pending(app, "doomed")

    worker = context.Process(target=doomed_worker, daemon=True)
    worker.start()
    try:
        assert started.wait(60), "the worker never started building"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
    with app.app_context(), task_force_scope(world.task_force_id):
        pack = db.session.get(ReviewPack, pack_id)
        assert (pack.status, pack.progress) == (RUNNING, 40)
        dead_claim = pack.built_by
        db.session.remove()

    clock.set_now(clock.now() + jobs.LEASE + timedelta(minutes=1))  # its lease runs out
    monkeypatch.setattr(service, "pack_files", lambda *args: (b"%PDF-1.4 pack", 2, b"PK"))
    assert jobs.run_pending(app, "next") == 1
    with app.app_context(), task_force_scope(world.task_force_id):
        pack = db.session.get(ReviewPack, pack_id)
        assert (pack.status, pack.pages, pack.progress) == (DONE, 2, 100)
        assert pack.built_by != dead_claim
        assert len(_packs()) == 1  # one pack of the quarter, built once
