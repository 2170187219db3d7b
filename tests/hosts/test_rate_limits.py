"""The rate limits' counters live in the database (``app/core/ratelimit.py``): every
host counts against one limit, a refused login's count outlives its rolled-back request,
a hit is atomic, an ended window starts again, and the purge removes ended windows."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import select

from app import create_app
from app.core import clock, ratelimit
from app.core.ratelimit import DatabaseStorage, RateLimitCounter
from app.extensions import db, limiter
from app.people.models import LoginAttempt
from tests.factories import make_user

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WRONG = "not the password"


@pytest.fixture
def two_apps(app):
    """Two applications on the test database, as two hosts would be."""
    apps = [
        create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
        for _ in range(2)
    ]
    yield apps
    for other in apps:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _storage_of(one_app) -> DatabaseStorage:
    """A storage of its own for ``one_app``, as each host's process makes one."""
    storage = storage_from_string(one_app.config["RATELIMIT_STORAGE_URI"])
    assert isinstance(storage, DatabaseStorage)
    storage.bind(one_app)
    return storage


def _counter(app, key_part: str) -> RateLimitCounter | None:
    with app.app_context():
        row = db.session.scalars(
            select(RateLimitCounter).where(RateLimitCounter.key.contains(key_part))
        ).first()
        db.session.remove()
        return row


def test_the_default_storage_is_the_database(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "gongjian+db://"
    assert isinstance(storage_from_string("gongjian+db://"), DatabaseStorage)


def test_two_hosts_count_against_one_limit(app, two_apps):
    """Each host's own storage object, each with its own engine: one limit between them
    (where two memory storages would each allow the whole limit)."""
    clock.set_now(START)
    limit = parse("3 per minute")
    hosts = [FixedWindowRateLimiter(_storage_of(one)) for one in two_apps]
    answers = [hosts[i % 2].hit(limit, "address", "1.2.3.4") for i in range(4)]
    assert answers == [True, True, True, False]
    assert not hosts[0].test(limit, "address", "1.2.3.4")
    assert hosts[1].hit(limit, "address", "5.6.7.8")  # another address counts apart
    apart = [FixedWindowRateLimiter(MemoryStorage()) for _ in range(2)]
    assert all(apart[i % 2].hit(limit, "address", "1.2.3.4") for i in range(4))


def test_an_ended_window_starts_again_and_is_purged(app, two_apps):
    clock.set_now(START)
    storage = _storage_of(two_apps[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == (START + timedelta(seconds=60)).timestamp()
    clock.set_now(START + timedelta(seconds=61))
    assert storage.get("k") == 0  # ended, though its row is still there
    assert storage.incr("other", 600) == 1
    with app.app_context():
        assert ratelimit.purge_expired() == "rate-limit counters purged 1"
        db.session.commit()
    assert _counter(app, "k") is None and _counter(app, "other").count == 1
    assert storage.incr("k", 60) == 1  # a new window
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()
    assert storage.reset() == 1


def test_a_long_key_is_kept_as_its_digest(app, two_apps):
    clock.set_now(START)
    storage = _storage_of(two_apps[0])
    key = "LIMITER/" + "x" * 500
    assert storage.incr(key, 60) == 1 and storage.incr(key, 60) == 2
    assert storage.get(key) == 2
    assert _counter(app, "sha256:") is not None


def test_hits_at_the_same_time_on_two_hosts_are_all_counted(app, two_apps):
    """Atomic increments: two hosts' threads hit one key at once and no hit is lost."""
    storages = [_storage_of(one) for one in two_apps]
    seen: list[int] = []
    barrier = threading.Barrier(4)

    def hit(storage):
        barrier.wait()
        for _ in range(15):
            seen.append(storage.incr("shared", 3600))

    threads = [threading.Thread(target=hit, args=(storages[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 61))  # each count answered exactly once
    assert storages[0].get("shared") == 60


def test_a_refused_login_is_counted_though_its_request_rolls_back(app):
    """The login form's limit on a server of its own: a refused login rolls its request
    back (the unit of work), and both its lock-out record and its hit on the limit stay;
    the next try beyond the limit is refused before the password is looked at."""
    limited = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        WTF_CSRF_ENABLED=False,
    )
    with limited.app_context():
        make_user("wang")
        db.session.commit()
    client = limited.test_client()
    try:
        limiter.reset()
        clock.set_now(START)
        form = {"login": "wang", "password": WRONG}
        codes = [client.post("/login", data=form).status_code for _ in range(3)]
        refused = client.post("/login", data=form, headers={"Accept-Language": "en"})
    finally:
        limiter.enabled = False
    counter = _counter(app, "people.login")
    with limited.app_context():
        attempts = db.session.scalars(select(LoginAttempt)).all()
        db.session.remove()
        db.engine.dispose()
    assert codes == [401, 401, 401]  # the form again, with its error: rolled back
    assert refused.status_code == 429
    assert counter is not None and counter.count == 4
    assert counter.expires_at == START + timedelta(minutes=1)
    assert len(attempts) == 3  # the lock-out's own records: the refused try never got there
