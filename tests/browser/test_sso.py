"""Single sign-on in the browser, on a phone (390 px): the login page offers the ways in
the administrator turned on, and a tap on 企业微信 goes to the (local) WeCom and back,
signed in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.permissions import MEMBER
from app.core.scope import unscoped
from tests import factories
from tests.people import sso_provider as idp

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def running():
    server = idp.Running()
    yield server
    server.stop()


def test_login_page_offers_the_ways_in_and_wecom_signs_in(
    app, live_server, new_page, running, monkeypatch, artifacts
):
    provider = idp.set_up(app, running.provider, live_server, monkeypatch)
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        user = factories.make_user(
            "chenyi", display_name="陈一", way_in="wecom", wecom_userid="ChenYi"
        )
        factories.make_membership(user, task_force, MEMBER)
    provider.person = {"userid": "ChenYi"}

    page = new_page(viewport=PHONE)
    page.goto(f"{live_server}/login")
    buttons = page.get_by_test_id("sso-buttons")
    expect(buttons).to_contain_text("其他登录方式")
    for name in ("统一身份认证", "企业微信", "钉钉", "飞书"):
        expect(buttons.get_by_role("link", name=name)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the login page is {width} px wide"
    page.screenshot(path=str(artifacts / "sso-login-zh-390.png"), full_page=True)

    buttons.get_by_role("link", name="企业微信").click()
    page.wait_for_url(f"{live_server}/**")
    expect(page.get_by_text("陈一").first).to_be_attached()
    assert "/login" not in page.url
