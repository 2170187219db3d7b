"""Two-factor sign-in: enrolment, the second step, recovery codes, remembered devices,
administrators who must, and an administrator's reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from app import create_app
from app.core import clock, sealing
from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.people.models import RecoveryCode, RememberedDevice, TwoFactor, User
from tests.factories import PASSWORD, make_user

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)
CODES = re.compile(r"\b[a-z0-9]{4}-[a-z0-9]{4}\b")


@pytest.fixture
def wang(look):
    clock.set_now(START)
    with look():
        return make_user("wang").id


def codes_in(html: str) -> list[str]:
    """The recovery codes a page shows in its list of them."""
    start = html.find('data-testid="recovery-codes"')
    return CODES.findall(html[start : html.find("</ul>", start)]) if start >= 0 else []


def login(client, name="wang", password=PASSWORD):
    return client.post("/login", data={"login": name, "password": password})


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def secret_of(look, user_id: int) -> str:
    with look():
        stored = db.session.get(TwoFactor, user_id).secret
        assert sealing.is_sealed(stored)
        return sealing.unseal(stored)


def code(secret: str, at: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(at or clock.now())


def enrol(client, look, user_id: int) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on from the account page; the secret and recovery codes."""
    assert client.get("/account/two-factor").status_code == 200
    secret = secret_of(look, user_id)
    response = client.post("/account/two-factor", data={"code": code(secret)})
    assert response.status_code == 200
    return secret, codes_in(response.get_data(as_text=True))


@pytest.fixture
def enrolled(client, look, wang):
    """wang with two-factor sign-in on, signed out; (secret, recovery codes)."""
    login(client)
    secret, codes = enrol(client, look, wang)
    client.post("/logout")
    clock.set_now(START + 10 * STEP)  # the enrolment's code is spent; later ones are not
    return secret, codes


def second_step(client, answer: str, remember: bool = False):
    data = {"code": answer, **({"remember": "y"} if remember else {})}
    return client.post("/login/two-factor", data=data)


# --- enrolment -----------------------------------------------------------------------------


def test_enrolment_refuses_a_wrong_code_and_turns_on_with_the_right_one(client, look, wang):
    login(client)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = secret_of(look, wang)
    assert "<svg" in page and " ".join([secret[:4], secret[4:8]]) in page
    assert "otpauth://totp/%E6%94%BB%E5%9D%9A:wang?secret=" in page
    assert "issuer=%E6%94%BB%E5%9D%9A" in page

    right = client.post("/account/two-factor", data={"code": code(secret)})
    codes = codes_in(right.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert right.headers["Cache-Control"] == "no-store"
    with look():
        assert db.session.get(TwoFactor, wang).enabled_at is not None
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not set(codes) & {h for h in hashes}
        assert all(c not in h for c in codes for h in hashes)
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "two_factor_enabled" in actions
    # Shown once: the account page shows how many are left, not the codes.
    account = client.get("/account/password").get_data(as_text=True)
    assert not set(CODES.findall(account)) & set(codes)


def test_a_wrong_code_leaves_enrolment_off(client, look, wang):
    login(client)
    client.get("/account/two-factor")
    secret = secret_of(look, wang)
    wrong = "000000" if code(secret) != "000000" else "111111"
    response = client.post("/account/two-factor", data={"code": wrong})
    assert response.status_code == 200
    assert not codes_in(response.get_data(as_text=True))
    with look():
        assert db.session.get(TwoFactor, wang).enabled_at is None
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


# --- the second step -----------------------------------------------------------------------


def test_the_password_alone_leads_to_the_second_step_and_reaches_no_page(client, enrolled):
    response = login(client)
    assert response.headers["Location"] == "/login/two-factor"
    for url in ("/", "/account/password", "/task-force", "/account/two-factor", "/admin/users"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert client.post("/account/sessions/end").headers["Location"].startswith("/login")
    assert client.get("/login/two-factor").status_code == 200


def test_the_code_of_the_app_completes_the_sign_in(client, look, wang, enrolled):
    secret, _codes = enrolled
    login(client)
    response = second_step(client, code(secret))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(client)
    with look():
        assert db.session.get(User, wang).last_login_at == clock.now()


def test_a_code_one_step_early_or_late_is_accepted_two_steps_off_refused(client, enrolled):
    secret, _codes = enrolled
    login(client)
    assert second_step(client, code(secret, clock.now() - 2 * STEP)).status_code == 401
    assert second_step(client, code(secret, clock.now() + 2 * STEP)).status_code == 401
    assert second_step(client, code(secret, clock.now() - STEP)).status_code == 302
    client.post("/logout")
    login(client)
    assert second_step(client, code(secret, clock.now() + STEP)).status_code == 302


def test_a_used_code_is_refused(client, enrolled):
    secret, _codes = enrolled
    login(client)
    used = code(secret)
    assert second_step(client, used).status_code == 302
    client.post("/logout")
    login(client)
    assert second_step(client, used).status_code == 401
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, look, wang, enrolled):
    _secret, codes = enrolled
    login(client)
    response = second_step(client, codes[3].upper().replace("-", ""))
    assert response.status_code == 302
    client.post("/logout")
    login(client)
    assert second_step(client, codes[3]).status_code == 401
    with look():
        used = db.session.scalar(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
        )
        assert used == 1
        assert "recovery_code_used" in db.session.scalars(select(AuditEvent.action)).all()


def test_wrong_codes_lock_the_account(app, client, enrolled):
    secret, _codes = enrolled
    login(client)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert second_step(client, "000000" if code(secret) != "000000" else "1").status_code == 401
    locked = second_step(client, code(secret))
    assert locked.status_code == 429
    assert not signed_in(client)
    # The password is refused too while the lock lasts.
    assert login(client).status_code == 429


# --- remembered devices --------------------------------------------------------------------


def test_a_remembered_device_skips_the_step_until_it_expires(client, look, wang, enrolled):
    secret, _codes = enrolled
    login(client)
    response = second_step(client, code(secret), remember=True)
    cookie = response.headers["Set-Cookie"]
    assert "gj_device=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.post("/logout")

    clock.set_now(START + timedelta(days=29))
    assert login(client).headers["Location"] == "/"
    assert signed_in(client)
    client.post("/logout")

    clock.set_now(START + timedelta(days=30, minutes=10))
    assert login(client).headers["Location"] == "/login/two-factor"
    with look():
        row = db.session.scalar(select(RememberedDevice))
        assert row.expires_at - row.created_at == timedelta(days=30)


def test_a_password_change_forgets_remembered_devices(client, look, wang, enrolled):
    secret, _codes = enrolled
    login(client)
    second_step(client, code(secret), remember=True)
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "new horse 22",
            "confirm": "new horse 22",
        },
    )
    client.post("/logout")
    assert login(client, password="new horse 22").headers["Location"] == "/login/two-factor"
    with look():
        assert db.session.scalar(select(func.count()).select_from(RememberedDevice)) == 0


def test_a_device_is_forgotten_from_the_account_page(client, look, wang, enrolled):
    secret, _codes = enrolled
    login(client)
    second_step(client, code(secret), remember=True)
    with look():
        device_id = db.session.scalar(select(RememberedDevice.id))
    assert client.post("/account/two-factor/devices/forget", data={"device_id": device_id})
    client.post("/logout")
    assert login(client).headers["Location"] == "/login/two-factor"
    with look():
        assert "device_forgotten" in db.session.scalars(select(AuditEvent.action)).all()


def test_turning_off_asks_the_password_and_forgets_everything(client, look, wang, enrolled):
    secret, _codes = enrolled
    login(client)
    second_step(client, code(secret), remember=True)
    client.post("/account/two-factor/off", data={"password": "not it"})
    with look():
        assert db.session.get(TwoFactor, wang) is not None
    client.post("/account/two-factor/off", data={"password": PASSWORD})
    with look():
        assert db.session.get(TwoFactor, wang) is None
        assert db.session.scalar(select(func.count()).select_from(RememberedDevice)) == 0
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    client.post("/logout")
    assert login(client).headers["Location"] == "/"


def test_remembering_more_than_30_days_is_refused():
    with pytest.raises(RuntimeError, match="TWO_FACTOR_REMEMBER_DAYS"):
        create_app("testing", TWO_FACTOR_REMEMBER_DAYS=31)


# --- administrators ------------------------------------------------------------------------


@pytest.fixture
def admins_must(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_FOR_ADMINS", True)


def test_an_administrator_enrols_before_anything_else(client, look, admins_must):
    clock.set_now(START)
    with look():
        admin_id = make_user("boss", role="admin").id
    assert login(client, "boss").headers["Location"] == "/login/two-factor/enrol"
    for url in ("/", "/admin/users", "/account/password"):
        assert client.get(url).headers["Location"].startswith("/login")
    page = client.get("/login/two-factor/enrol")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    secret = secret_of(look, admin_id)
    shown = client.post("/login/two-factor/enrol", data={"code": code(secret)})
    assert len(codes_in(shown.get_data(as_text=True))) == 10
    assert client.get("/").headers["Location"].startswith("/login")  # not until noted
    assert client.post("/login/two-factor/continue").headers["Location"] == "/"
    assert signed_in(client)
    # An administrator cannot turn it off.
    client.post("/account/two-factor/off", data={"password": PASSWORD})
    with look():
        assert db.session.get(TwoFactor, admin_id).enabled_at is not None


def test_an_administrator_can_leave_the_enrolment(client, admins_must, look):
    with look():
        make_user("boss", role="admin")
    login(client, "boss")
    assert client.post("/login/two-factor/cancel").headers["Location"] == "/login"
    assert client.get("/login/two-factor/enrol").headers["Location"] == "/login"


def test_an_administrator_resets_a_lost_phone(app, client, look, wang, enrolled):
    secret, _codes = enrolled
    phone = app.test_client()
    login(phone)
    second_step(phone, code(secret), remember=True)
    with look():
        make_user("boss", role="admin")
    login(client, "boss")
    users = client.get("/admin/users").get_data(as_text=True)
    assert "双重验证" in users
    assert client.post(f"/admin/users/{wang}/two-factor/reset").status_code == 302

    assert not signed_in(phone)  # the lost phone's browser is signed out
    with look():
        assert db.session.get(TwoFactor, wang) is None
        assert db.session.scalar(select(func.count()).select_from(RememberedDevice)) == 0
        assert "two_factor_reset" in db.session.scalars(select(AuditEvent.action)).all()
        told = select(Notification.kind).where(Notification.recipient_id == wang)
        assert "two_factor_reset" in db.session.scalars(told).all()
    other = app.test_client()
    assert login(other).headers["Location"] == "/"


def test_only_administrators_reset(client, look, wang, enrolled):
    with look():
        make_user("li")
    login(client, "li")
    assert client.post(f"/admin/users/{wang}/two-factor/reset").status_code == 403
    with look():
        assert db.session.get(TwoFactor, wang) is not None


def test_a_secret_enrolled_before_sealing_still_works_and_is_sealed_at_its_use(
    client, look, wang, enrolled
):
    secret, _codes = enrolled
    with look():
        db.session.get(TwoFactor, wang).secret = secret  # as stored before sealing came in
        db.session.commit()
    login(client)
    assert second_step(client, code(secret)).status_code == 302
    assert signed_in(client)
    with look():
        stored = db.session.get(TwoFactor, wang).secret
        assert sealing.is_sealed(stored) and sealing.unseal(stored) == secret


def test_a_secret_sealed_under_another_key_leaves_the_recovery_codes(client, look, wang, enrolled):
    secret, codes = enrolled
    with look():
        sealed = sealing.seal(secret, secret_key="the key before SECRET_KEY was changed")
        db.session.get(TwoFactor, wang).secret = sealed
        db.session.commit()
    login(client)
    assert second_step(client, code(secret)).status_code == 401
    assert not signed_in(client)
    login(client)
    assert second_step(client, codes[0]).status_code == 302
    assert signed_in(client)
