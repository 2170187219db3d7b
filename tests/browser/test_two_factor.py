"""Two-factor sign-in in the browser, on a phone (390 px): a person turns it on from the
account page with the key the page shows, keeps the recovery codes, signs out, and signs
in again with a code from the authenticator."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.permissions import MEMBER
from app.core.scope import unscoped
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def wangfang(app) -> None:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        user = factories.make_user("wangfang", display_name="王芳")
        factories.make_membership(user, task_force, MEMBER)


def sign_in_with_password(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", "wangfang")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_person_turns_on_two_factor_and_signs_in_with_a_code(
    live_server, new_page, wangfang, artifacts
):
    page = new_page(viewport=PHONE)
    sign_in_with_password(page, live_server)
    page.goto(f"{live_server}/account/password")
    page.get_by_test_id("two-factor-on").click()

    expect(page.get_by_test_id("two-factor-qr").locator("svg")).to_be_visible()
    page.screenshot(path=str(artifacts / "two-factor-enrol-zh-390.png"), full_page=True)
    secret = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.at(clock.now()))
    page.get_by_role("button", name="开启").click()

    expect(page.get_by_test_id("shown-once")).to_contain_text("只显示这一次")
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}", codes.first.inner_text())
    page.screenshot(path=str(artifacts / "two-factor-codes-zh-390.png"), full_page=True)
    page.get_by_test_id("codes-noted").click()
    expect(page.get_by_test_id("two-factor-card")).to_contain_text("已开启")

    page.locator("form[action='/logout']").evaluate("form => form.submit()")
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in_with_password(page, live_server)
    expect(page).to_have_url(re.compile(r"/login/two-factor$"))
    expect(page.get_by_text("在此设备上 30 天内不再询问")).to_be_visible()
    page.screenshot(path=str(artifacts / "two-factor-step-zh-390.png"), full_page=True)
    # The code of the next time step: the enrolment's own was spent.
    page.fill("input[name=code]", totp.at(clock.now(), counter_offset=1))
    page.get_by_role("button", name="验证").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{live_server}/account/password")
    expect(page.get_by_test_id("two-factor-card")).to_be_visible()
