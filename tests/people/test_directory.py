"""Signing in with the bank's directory: a real OpenLDAP slapd (tests/people/ldap_server.py)
driven through the login form.

First sign-in makes the account, later ones keep it in step; a person outside the group
is refused with nothing made; a wrong password reads and counts like a local one; a
directory that is down says so while the local administrator still signs in; each
account has one way in; TLS is checked (authority and host name); the typed name cannot
widen the search.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import AuditEvent
from app.core.permissions import ADMIN, STAFF
from app.extensions import db
from app.people.models import LoginAttempt, User
from app.people.service import directory as directory_service
from app.people.service import two_factor
from tests.factories import _HASH, PASSWORD, make_org_unit, make_user
from tests.people.ldap_server import GROUP, UNIQUE_GROUP, free_port
from tests.people.ldap_server import PASSWORD as DIRECTORY_PASSWORD
from tests.people.test_forms import Page
from tests.people.test_two_factor import START, STEP, code, enrol, second_step

ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh-CN"}
REFUSED = "Username or password is not correct."
DOWN = (
    "The directory service cannot be reached at the moment. Try again later or contact "
    "the administrator."
)
DOWN_ZH = "目录服务暂时无法连接，请稍后再试或联系管理员。"


def login(client, name: str, password: str = DIRECTORY_PASSWORD, headers=ENGLISH):
    return client.post("/login", data={"login": name, "password": password}, headers=headers)


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def account(look, username: str) -> User | None:
    with look():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def count(look, model) -> int:
    with look():
        return db.session.scalar(select(func.count()).select_from(model))


def events(look, action: str) -> list[AuditEvent]:
    with look():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


@pytest.fixture
def retail(look):
    """The org unit the directory names as zhangsan's department."""
    with look():
        return make_org_unit("零售银行部", kind="hq_department").id


# --- first sign-in and keeping in step -------------------------------------------------------


def test_first_sign_in_makes_the_account_from_the_directory(client, ldap, look, retail):
    response = login(client, "zhangsan")

    assert response.status_code == 302
    assert signed_in(client)
    user = account(look, "zhangsan")
    assert user.way_in == "ldap"
    assert user.role == STAFF
    assert user.display_name == "张三"  # displayName before cn
    assert user.email == "zhangsan@bank.test"
    assert user.mobile == "13800138000"
    assert user.org_unit_id == retail  # departmentNumber matched by name
    assert user.last_login_at is not None
    # No local password works: not even the directory's.
    assert not user.check_password(DIRECTORY_PASSWORD)
    [made] = events(look, "provisioned")
    assert made.entity_id == user.id and made.actor_id == user.id
    assert made.changes["mobile"] == [None, "138****8000"]
    assert len(events(look, "login")) == 1


def test_missing_attributes_fall_back_and_an_unknown_unit_is_left_empty(client, ldap, look):
    assert login(client, "lisi").status_code == 302

    user = account(look, "lisi")
    assert user.display_name == "李四"  # no displayName: cn
    assert user.email == "lisi@bank.test"  # lower-cased
    assert user.mobile == ""
    assert user.org_unit_id is None  # "没有这个部门" is no unit here


def test_next_sign_in_keeps_the_account_in_step(client, ldap, look, retail):
    dn = ldap().person("zhaoliu").dn
    assert login(client, "zhaoliu").status_code == 302
    client.post("/logout")
    ldap().modify(
        dn,
        displayName="赵六六",
        mail="zl@bank.test",
        mobile="13700137000",
        departmentNumber="零售银行部",
    )
    try:
        assert login(client, "zhaoliu").status_code == 302
    finally:
        ldap().modify(
            dn,
            displayName="赵六",
            mail="zhaoliu@bank.test",
            mobile="13900139000",
            departmentNumber=None,
        )

    user = account(look, "zhaoliu")
    assert (user.display_name, user.email, user.mobile) == ("赵六六", "zl@bank.test", "13700137000")
    assert user.org_unit_id == retail
    [synced] = events(look, "directory_synced")
    assert synced.changes["display_name"] == ["赵六", "赵六六"]
    assert synced.changes["mobile"] == ["139****9000", "137****7000"]
    assert count(look, User) == 1


def test_a_sign_in_that_changes_nothing_records_no_sync(client, ldap, look):
    login(client, "zhangsan")
    client.post("/logout")
    login(client, "ZhangSan")  # any case: the same account

    assert count(look, User) == 1
    assert events(look, "directory_synced") == []
    assert len(events(look, "login")) == 2


def test_the_activity_stream_words_read_in_both_languages(app, ldap, look):
    from app.core import history

    with app.test_request_context(headers=CHINESE):
        assert history.describe_action("user", "provisioned") == "首次通过统一目录登录时创建账号"
        assert history.describe_action("user", "directory_synced") == "已从统一目录同步"
    with app.test_request_context(headers=ENGLISH):
        assert (
            history.describe_action("user", "directory_synced") == "Updated from the bank directory"
        )


# --- refusals ---------------------------------------------------------------------------------


def test_outside_the_group_is_refused_and_nothing_is_made(client, ldap, look):
    page = Page(login(client, "wangwu"))

    assert page.status == 403
    assert page.form_errors == [
        "Your directory account is not allowed to use Gongjian. Ask the administrator to add "
        "you to its group."
    ]
    assert not signed_in(client)
    assert count(look, User) == 0
    assert count(look, AuditEvent) == 0


def test_wrong_password_reads_and_counts_like_a_local_one(app, client, ldap, look):
    make_local = look
    with make_local():
        make_user("wang")
    local = Page(login(client, "wang", "wrong password"))
    unknown = Page(login(client, "zhangsan", "wrong password"))  # never signed in yet

    assert local.status == unknown.status == 401
    assert local.form_errors == unknown.form_errors == [REFUSED]
    assert account(look, "zhangsan") is None
    with look():
        failures = db.session.scalars(
            select(LoginAttempt.identifier).where(LoginAttempt.success.is_(False))
        ).all()
    assert sorted(failures) == ["wang", "zhangsan"]


def test_wrong_passwords_lock_a_directory_account(app, client, ldap, look):
    assert login(client, "zhangsan").status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "zhangsan", "wrong").status_code == 401

    # Locked: even the right password is not tried against the directory.
    page = Page(login(client, "zhangsan"))
    assert page.status == 429
    assert not signed_in(client)


def test_a_deactivated_directory_account_cannot_sign_in(client, ldap, look):
    assert login(client, "zhangsan").status_code == 302
    client.post("/logout")
    with look():
        db.session.scalar(select(User).where(User.username == "zhangsan")).active = False
        db.session.commit()

    page = Page(login(client, "zhangsan"))
    assert page.status == 401
    assert page.form_errors == [REFUSED]


@pytest.mark.parametrize(
    "name", ["*)(uid=*", "*", "zhang*", "zhangsan)(|(uid=*", "*)(|(objectClass=*"]
)
def test_a_filter_in_the_name_finds_nobody(client, ldap, look, name):
    page = Page(login(client, name))

    assert page.status == 401
    assert page.form_errors == [REFUSED]
    assert count(look, User) == 0


def test_an_entry_without_e_mail_gets_no_account(client, ldap, look):
    page = Page(login(client, "nomail"))

    assert page.status == 403
    assert "no e-mail address" in page.form_errors[0]
    assert count(look, User) == 0


def test_a_directory_name_taken_by_a_local_account_is_refused(client, ldap, look):
    # Signed in by e-mail: the directory's uid is a local account's name.
    ldap(LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))")
    with look():
        make_user("zhangsan", email="other@example.test")
        make_user("someone", email="someone@example.test")

    page = Page(login(client, "zhangsan@bank.test"))
    assert page.status == 403
    assert "another way of signing in" in page.form_errors[0]
    assert account(look, "zhangsan").way_in == "local"


def test_sign_in_by_directory_e_mail_finds_the_directory_account(client, ldap, look):
    ldap(LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))")

    assert login(client, "zhangsan@bank.test").status_code == 302
    assert account(look, "zhangsan").way_in == "ldap"


# --- one way in -------------------------------------------------------------------------------


def test_the_local_administrator_is_never_asked_of_the_directory(client, ldap, look):
    with look():
        make_user("admin", role=ADMIN)

    # The directory's "admin" and its password open nothing here.
    assert login(client, "admin", DIRECTORY_PASSWORD).status_code == 401
    assert login(client, "admin", PASSWORD).status_code == 302
    assert account(look, "admin").way_in == "local"


def test_a_directory_account_is_never_checked_against_a_local_password(client, ldap, look):
    assert login(client, "zhangsan").status_code == 302
    client.post("/logout")
    with look():
        db.session.scalar(select(User).where(User.username == "zhangsan")).password_hash = _HASH
        db.session.commit()

    assert login(client, "zhangsan", PASSWORD).status_code == 401


def test_the_login_page_tells_staff_to_use_their_directory_account(client, ldap):
    assert 'data-testid="directory-hint"' in client.get("/login").get_data(as_text=True)


def test_without_a_directory_unknown_names_are_refused_as_before(client, look):
    assert 'data-testid="directory-hint"' not in client.get("/login").get_data(as_text=True)
    page = Page(login(client, "zhangsan"))
    assert page.status == 401 and page.form_errors == [REFUSED]
    assert count(look, User) == 0


# --- the directory down -----------------------------------------------------------------------


def test_directory_down_says_so_and_the_administrator_still_signs_in(client, ldap, look):
    with look():
        make_user("admin", role=ADMIN)
    ldap(LDAP_URL=f"ldap://127.0.0.1:{free_port()}", LDAP_TIMEOUT=1)

    english = Page(login(client, "zhangsan"))
    chinese = Page(login(client, "zhangsan", headers=CHINESE))
    assert english.status == chinese.status == 503
    assert english.form_errors == [DOWN]
    assert chinese.form_errors == [DOWN_ZH]
    assert count(look, User) == 1
    assert count(look, LoginAttempt) == 0  # nothing was checked: no failure counted

    assert login(client, "admin", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_refused_service_account_is_the_directory_being_unusable(client, ldap, look):
    ldap(LDAP_BIND_PASSWORD="not the service password")

    page = Page(login(client, "zhangsan"))
    assert page.status == 503 and page.form_errors == [DOWN]


# --- TLS --------------------------------------------------------------------------------------


def test_ldaps_with_the_directory_s_authority(client, ldap, look):
    directory_ = ldap()
    ldap(LDAP_URL=directory_.ldaps_url, LDAP_CA_FILE=str(directory_.files["ca"]))

    assert login(client, "zhangsan").status_code == 302
    assert account(look, "zhangsan") is not None


def test_start_tls_with_the_directory_s_authority(client, ldap, look):
    directory_ = ldap()
    ldap(
        LDAP_URL=f"ldap://localhost:{directory_.port}",
        LDAP_START_TLS=True,
        LDAP_CA_FILE=str(directory_.files["ca"]),
    )

    assert login(client, "zhangsan").status_code == 302


@pytest.mark.parametrize("start_tls", [False, True])
def test_a_certificate_of_another_authority_is_refused(client, ldap, look, start_tls):
    directory_ = ldap()
    url = f"ldap://localhost:{directory_.port}" if start_tls else directory_.ldaps_url
    ldap(LDAP_URL=url, LDAP_START_TLS=start_tls, LDAP_CA_FILE=str(directory_.files["wrong_ca"]))

    page = Page(login(client, "zhangsan"))
    assert page.status == 503 and page.form_errors == [DOWN]
    assert count(look, User) == 0


@pytest.mark.parametrize("start_tls", [False, True])
def test_a_certificate_for_another_host_name_is_refused(client, ldap, look, start_tls):
    # The certificate names localhost; the address 127.0.0.1 is not that name.
    directory_ = ldap()
    port = directory_.port if start_tls else directory_.tls_port
    scheme = "ldap" if start_tls else "ldaps"
    ldap(
        LDAP_URL=f"{scheme}://127.0.0.1:{port}",
        LDAP_START_TLS=start_tls,
        LDAP_CA_FILE=str(directory_.files["ca"]),
    )

    page = Page(login(client, "zhangsan"))
    assert page.status == 503 and page.form_errors == [DOWN]
    assert count(look, User) == 0


# --- group membership read other ways ---------------------------------------------------------


def test_membership_read_from_member_of(client, ldap, look):
    ldap(LDAP_GROUP_MEMBERSHIP="memberOf")

    assert login(client, "zhangsan").status_code == 302
    client.post("/logout")
    assert login(client, "wangwu").status_code == 403


def test_membership_read_from_unique_member(client, ldap, look):
    ldap(LDAP_GROUP_MEMBERSHIP="uniqueMember", LDAP_REQUIRED_GROUP=UNIQUE_GROUP)

    assert login(client, "lisi").status_code == 403  # in the other group only
    assert login(client, "zhangsan").status_code == 302


def test_no_required_group_lets_everyone_the_filter_finds_in(client, ldap, look):
    ldap(LDAP_REQUIRED_GROUP="")

    assert login(client, "wangwu").status_code == 302
    assert GROUP  # the default group stays configured for the other tests


# --- two-factor, passwords and the administrator's pages ------------------------------------


def test_two_factor_still_applies_after_a_directory_sign_in(client, ldap, look):
    clock.set_now(START)
    assert login(client, "zhangsan").status_code == 302
    user_id = account(look, "zhangsan").id
    secret, _codes = enrol(client, look, user_id)
    client.post("/logout")
    clock.set_now(START + 10 * STEP)

    response = login(client, "zhangsan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/two-factor")
    assert not signed_in(client)
    assert second_step(client, code(secret)).status_code == 302
    assert signed_in(client)

    # Turning it off asks for the password where it is kept: the directory's.
    client.post("/account/two-factor/off", data={"password": "wrong"})
    assert two_factor_on(look, user_id)
    client.post("/account/two-factor/off", data={"password": DIRECTORY_PASSWORD})
    assert not two_factor_on(look, user_id)


def two_factor_on(look, user_id: int) -> bool:
    with look():
        return two_factor.is_enabled(db.session.get(User, user_id))


def test_the_password_page_sends_a_directory_account_to_the_directory(client, ldap, look):
    login(client, "zhangsan")
    before = account(look, "zhangsan").password_hash

    page = client.get("/account/password", headers=CHINESE).get_data(as_text=True)
    assert 'data-testid="directory-password"' in page
    assert 'name="new_password"' not in page
    client.post(
        "/account/password",
        data={
            "current_password": "x",
            "new_password": "new password 1",
            "confirm": "new password 1",
        },
    )
    assert account(look, "zhangsan").password_hash == before
    assert signed_in(client)


def test_the_administrator_sees_each_account_s_way_in(client, ldap, look, auth):
    with look():
        make_user("admin", role=ADMIN)
    login(client, "zhangsan")
    client.post("/logout")
    auth.login("admin")
    zhang = account(look, "zhangsan")

    listing = client.get("/admin/users", headers=CHINESE).get_data(as_text=True)
    assert "统一目录" in listing and "本地密码" in listing
    form = client.get(f"/admin/users/{zhang.id}", headers=CHINESE).get_data(as_text=True)
    assert "登录方式" in form and "统一目录" in form
    assert 'data-testid="no-local-password"' in form
    refused = client.post(
        f"/admin/users/{zhang.id}/password",
        data={"new_password": "new password 1", "confirm": "new password 1"},
    )
    assert refused.status_code == 400
    assert account(look, "zhangsan").password_hash == zhang.password_hash


def test_an_empty_password_is_never_an_anonymous_bind(app, ldap):
    with app.test_request_context():
        assert directory_service.look_up("zhangsan", "") is None
        assert directory_service.look_up("zhangsan", DIRECTORY_PASSWORD).username == "zhangsan"
