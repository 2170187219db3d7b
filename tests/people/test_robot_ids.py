"""The account fields the robots mention people by: set by an administrator, validated,
masked in the audit log, and shown on no page but the account's form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.errors import ValidationFailed
from app.core.models import AuditEvent
from app.core.permissions import ADMIN
from app.extensions import db
from app.people.models import User
from app.people.service.accounts import normalize_mobile
from tests.factories import make_user
from tests.people.test_admin import account_form
from tests.people.test_forms import Page


@pytest.fixture
def admin_client(client, auth, look):
    with look():
        make_user("root", role=ADMIN, locale="zh_CN", email="root@example.com")
    auth.login("root")
    return client


@pytest.fixture
def wang(look):
    with look():
        return make_user("wang", email="wang@example.com", display_name="王芳").id


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("+852 9123 4567", "+85291234567"),
        ("", ""),
    ],
)
def test_mobile_numbers_are_read_as_typed(typed, stored):
    assert normalize_mobile(typed) == stored


@pytest.mark.parametrize(
    "typed", ["1380013800", "23800138000", "138001380001", "010-12345678", "+0123456", "abc"]
)
def test_other_numbers_are_refused(typed):
    with pytest.raises(ValidationFailed):
        normalize_mobile(typed)


def test_admin_sets_the_robot_ids_and_the_log_masks_the_number(admin_client, look, wang):
    with look():
        form = account_form(
            db.session.get(User, wang),
            mobile="138 0013 8000",
            wecom_userid="WangFang",
            dingtalk_userid="manager4711",
            feishu_user_id="ou_7d8a6e6df7621556ce0d21922b676706",
        )
    assert admin_client.post(f"/admin/users/{wang}", data=form).status_code == 302
    with look():
        user = db.session.get(User, wang)
        assert (user.mobile, user.wecom_userid, user.dingtalk_userid) == (
            "13800138000",
            "WangFang",
            "manager4711",
        )
        assert user.feishu_user_id == "ou_7d8a6e6df7621556ce0d21922b676706"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "updated")).one()
    assert event.changes["mobile"] == ["", "138****8000"]
    assert "13800138000" not in str(event.changes)
    # The audit log reads the fields by their names.
    log = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "手机号" in log and "mobile" not in log and "13800138000" not in log
    # The form shows them again to the administrator.
    page = Page(admin_client.get(f"/admin/users/{wang}"))
    assert page.value("mobile") == "13800138000"
    assert page.value("wecom_userid") == "WangFang"


def test_a_wrong_number_or_id_is_refused_on_its_field(admin_client, look, wang):
    with look():
        form = account_form(db.session.get(User, wang), mobile="12345", wecom_userid="王 芳")
    page = Page(admin_client.post(f"/admin/users/{wang}", data=form))
    assert page.errors("mobile") == ["请填写 11 位手机号，或以 + 开头的国家代码加号码。"]
    with look():
        assert db.session.get(User, wang).mobile == ""
    form["mobile"] = "13800138000"
    page = Page(admin_client.post(f"/admin/users/{wang}", data=form))
    assert page.errors("wecom_userid") == ["只能使用字母、数字和 . _ - @，最多 64 个字符。"]


def test_the_ids_show_on_no_other_page(client, auth, look, world):
    with look():
        member = db.session.get(User, world.users["member"])
        member.mobile, member.wecom_userid = "13911112222", "member-wecom-id"
        db.session.commit()
    for persona in ("member", "leader"):
        auth.login(persona)
        for path in ("/", "/task-force", "/roster", "/account/password", "/notifications/settings"):
            page = client.get(path, follow_redirects=True).get_data(as_text=True)
            assert "13911112222" not in page and "member-wecom-id" not in page, (persona, path)
        auth.logout()
