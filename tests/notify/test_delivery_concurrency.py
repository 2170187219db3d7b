"""Delivery beside the site and beside another scheduler: slow robots block nobody, and
every message reaches the receiver once, whoever sends it.

Each delivery worker runs in its own thread with its own app context, so its own session
and database connection, as a second scheduler process would. The receiver is a real
HTTP server on 127.0.0.1 that answers as slowly as each test makes it.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.outbox import notify
from app.extensions import db
from app.issues.models import ProgressUpdate
from app.notify.delivery import DeliveryReport, deliver_due
from app.notify.models import PENDING, SENT, WEBHOOK, Delivery
from tests.notify.conftest import make_channel, subscribe

# How long any test here waits for a thread or a held request before calling it stuck.
STUCK = 30


@pytest.fixture
def member_id(app, world) -> int:
    # A minute after the world was built: its own messages predate the subscription.
    clock.set_now(clock.now() + timedelta(minutes=1))
    return world.users["member"]


def robot_for(look, member_id: int, receiver, messages: int) -> int:
    """A webhook channel the member chose, and ``messages`` messages to them; its id."""
    with look():
        channel = make_channel("慢机器人", WEBHOOK, receiver.url + "/hook")
        subscribe(member_id, channel)
        for n in range(messages):
            notify(member_id, "nudge", f"消息{n}", unique_key=f"slow:{n}")
        db.session.commit()
        return channel.id


def texts(receiver) -> list[str]:
    return sorted(hit.body["text"] for hit in receiver.hits)


def expected(messages: int) -> list[str]:
    return sorted(f"消息{n}" for n in range(messages))


def delivery_rows(channel_id: int) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery).where(Delivery.channel_id == channel_id).order_by(Delivery.id)
        )
    )


def deliver_in_app(app) -> DeliveryReport:
    """One pass as another scheduler makes it: its own app context and session."""
    with app.app_context():
        try:
            return deliver_due()
        finally:
            db.session.remove()


class Gate:
    """Holds each request the receiver gets until the test lets it through."""

    def __init__(self):
        self.held: queue.Queue[threading.Event] = queue.Queue()
        self.opened = threading.Event()

    def __call__(self, hit) -> None:
        if self.opened.is_set():
            return
        release = threading.Event()
        self.held.put(release)
        release.wait(timeout=STUCK)

    def open(self) -> None:
        """Let every held and later request through."""
        self.opened.set()
        while not self.held.empty():
            self.held.get().set()


def test_a_web_save_succeeds_while_a_delivery_waits_on_a_slow_robot(
    app, world, member_id, client, auth, receiver, look
):
    """The delivery pass holds no transaction (and so no SQLite write lock) while a robot
    takes its time: people saving their work are never told "database is locked"."""
    robot_for(look, member_id, receiver, messages=2)
    gate = Gate()
    receiver.before_answer = gate
    auth.login("member")
    reports, errors = [], []

    def scheduler():
        try:
            reports.append(deliver_in_app(app))
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    worker = threading.Thread(target=scheduler)
    worker.start()
    answers = []
    try:
        for n in range(2):  # a save while each of the two messages is being answered
            release = gate.held.get(timeout=STUCK)
            try:
                response = client.post(
                    f"/issues/{world.issue_id}/progress",
                    data={"note": f"慢机器人作答时保存{n}", "percent": 10 * (n + 1)},
                )
                answers.append(response.status_code)
            finally:
                release.set()
    finally:
        gate.open()
        worker.join(timeout=STUCK)
    assert not worker.is_alive()
    assert errors == []
    assert answers == [302, 302]
    assert reports[0].sent == 2
    with look():
        notes = db.session.scalars(
            select(ProgressUpdate.note).where(ProgressUpdate.issue_id == world.issue_id)
        ).all()
        assert {"慢机器人作答时保存0", "慢机器人作答时保存1"} <= set(notes)


def test_two_schedulers_and_a_slow_robot_deliver_every_message_exactly_once(
    app, member_id, receiver, look, monkeypatch
):
    """Real time and a short lease: one sender's batch would outlive its lease if it took
    more than a lease can send; the other sender then takes over only what is left."""
    monkeypatch.setitem(app.config, "DELIVERY_LEASE_SECONDS", 3)
    monkeypatch.setitem(app.config, "DELIVERY_HTTP_TIMEOUT", 5)
    clock.set_now(None)  # leases run out in real time here
    messages = 20  # at 0.2 s each, longer than a lease in one batch
    channel_id = robot_for(look, member_id, receiver, messages)
    receiver.before_answer = lambda hit: time.sleep(0.2)
    reports: list[DeliveryReport] = []
    errors = []

    def scheduler():
        try:
            with app.app_context():
                deadline = time.monotonic() + STUCK
                for _pass in range(1000):
                    reports.append(deliver_due())
                    waiting = db.session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.channel_id == channel_id, Delivery.status == PENDING)
                    )
                    db.session.commit()
                    if not waiting or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    workers = [threading.Thread(target=scheduler) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=STUCK * 2)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    assert texts(receiver) == expected(messages)
    assert sum(report.sent for report in reports) == messages
    with look():
        rows = delivery_rows(channel_id)
        assert [(row.status, row.attempts) for row in rows] == [(SENT, 1)] * messages


def test_a_sender_claims_no_more_than_its_lease_can_send(
    app, member_id, receiver, look, monkeypatch
):
    """With a minute's lease and sends that may take 20 s each, three at a time; the pass
    goes on claiming until everything due is sent."""
    monkeypatch.setitem(app.config, "DELIVERY_LEASE_SECONDS", 60)
    monkeypatch.setitem(app.config, "DELIVERY_HTTP_TIMEOUT", 10)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 20)
    robot_for(look, member_id, receiver, messages=5)
    held_at_first_send = []

    def count_claims(hit):
        if not held_at_first_send:
            with look():
                held_at_first_send.append(
                    db.session.scalar(select(func.count()).where(Delivery.claimed_by.is_not(None)))
                )

    receiver.before_answer = count_claims
    report = deliver_in_app(app)
    assert held_at_first_send == [3]
    assert report.sent == 5
    assert texts(receiver) == expected(5)


def test_a_sender_whose_lease_ran_out_leaves_the_rest_of_its_batch_to_the_one_that_took_it(
    app, member_id, receiver, look, monkeypatch
):
    """The clock is moved by the robot's answers to the first sender: each takes three
    minutes, so that sender's claim on its last message runs out (5 minutes) while it
    waits on the second, and another scheduler takes that message over. The first must
    not send it again."""
    monkeypatch.setitem(app.config, "DELIVERY_HTTP_TIMEOUT", 5)
    lease = timedelta(seconds=app.config["DELIVERY_LEASE_SECONDS"])
    channel_id = robot_for(look, member_id, receiver, messages=3)
    other: list[DeliveryReport] = []
    taking_over = threading.Event()

    def slow_robot(hit):
        if taking_over.is_set():
            return  # the other scheduler's messages are answered at once
        clock.set_now(clock.now() + lease * 0.6)
        if len(receiver.hits) == 2:  # the other scheduler's pass, while the first waits
            taking_over.set()
            other.append(deliver_in_app(app))

    receiver.before_answer = slow_robot
    first = deliver_in_app(app)
    assert texts(receiver) == expected(3)
    assert (first.sent, other[0].sent) == (2, 1)
    with look():
        rows = delivery_rows(channel_id)
        assert [(row.status, row.attempts) for row in rows] == [(SENT, 1)] * 3


def test_a_sender_that_outlived_its_lease_does_not_overwrite_the_outcome_of_the_one_that_took_over(
    app, member_id, receiver, look
):
    """A send longer than the lease is the one case where a message can arrive twice; the
    table still tells the truth: the late sender's failure does not undo the other's send."""
    lease = timedelta(seconds=app.config["DELIVERY_LEASE_SECONDS"])
    channel_id = robot_for(look, member_id, receiver, messages=1)
    other: list[DeliveryReport] = []

    def stuck_robot(hit):
        if len(receiver.hits) == 1:
            clock.set_now(clock.now() + lease + timedelta(minutes=1))
            other.append(deliver_in_app(app))  # takes the message over and sends it
            return 503  # and the first sender, at last, hears a failure
        return None

    receiver.before_answer = stuck_robot
    first = deliver_in_app(app)
    assert other[0].sent == 1
    assert first.sent == 0
    with look():
        (row,) = delivery_rows(channel_id)
        assert row.status == SENT and row.last_error == ""
        assert row.claimed_by is None
