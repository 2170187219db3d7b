"""Where channels may send: robots only at their vendors over HTTPS, webhooks never at this
machine, link-local or the app's own address (checked when saved and again when sent),
unless NOTIFY_ALLOWED_HOSTS allows the host; secrets in addresses masked everywhere."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.models import AuditEvent
from app.core.outbox import notify
from app.extensions import db
from app.notify import addresses
from app.notify.addresses import AddressRefused, check_address, masked_url
from app.notify.delivery import deliver_due
from app.notify.models import DINGTALK, FEISHU, PENDING, WEBHOOK, WECOM, Channel, Delivery
from app.people.models import User
from tests.notify.conftest import make_channel, subscribe

WECOM_URL = (
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
)
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=6f2c0b8e5d4a3b2c1d0e9f8a7b6c5d4e"
FEISHU_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/2b92b2f4-0f4e-4e8a-9b71-0c9d1e2f3a4b"


@pytest.fixture
def nothing_allowed(app):
    """As in production by default: no host allowed beyond the rules."""
    saved = app.config["NOTIFY_ALLOWED_HOSTS"]
    app.config["NOTIFY_ALLOWED_HOSTS"] = ()
    yield
    app.config["NOTIFY_ALLOWED_HOSTS"] = saved


@pytest.fixture
def dns(monkeypatch):
    """Names resolved as the test says; every other name as usual."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port or 0),
                )
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)
    return answers


def _refusal(kind: str, url: str) -> str:
    with pytest.raises(AddressRefused) as refused:
        check_address(kind, url)
    return str(refused.value)


def test_robots_go_only_to_their_vendors_over_https(ctx, nothing_allowed):
    assert check_address(WECOM, WECOM_URL) is None
    assert check_address(DINGTALK, DINGTALK_URL) is None
    assert check_address(FEISHU, FEISHU_URL) is None
    assert check_address(FEISHU, "https://open.larksuite.com/open-apis/bot/v2/hook/abc") is None
    assert "qyapi.weixin.qq.com" in _refusal(WECOM, "https://qyapi.weixin.qq.com.evil.cn/x?key=1")
    assert "oapi.dingtalk.com" in _refusal(DINGTALK, "https://open.feishu.cn/robot/send")
    assert "https://open.feishu.cn/ / https://open.larksuite.com/" in _refusal(
        FEISHU, "https://10.1.2.3/hook/x"
    )
    assert _refusal(WECOM, WECOM_URL.replace("https", "http")) == "机器人地址必须以 https:// 开头。"
    assert (
        _refusal(WECOM, WECOM_URL.replace(".com/", ".com:8443/"))
        == "机器人地址必须以 https:// 开头。"
    )
    assert "用户名或密码" in _refusal(WEBHOOK, "https://user:pw@hooks.example.com/x")


def test_an_allowed_intranet_gateway_may_carry_robots_over_http(app, ctx, nothing_allowed):
    gateway = "http://robot-gw.bank.local:8080/cgi-bin/webhook/send?key=abc"
    assert "服务器配置中放行" in _refusal(WECOM, gateway)
    app.config["NOTIFY_ALLOWED_HOSTS"] = ("robot-gw.bank.local",)
    assert check_address(WECOM, gateway) is None


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "回环地址"),
        ("::1", "回环地址"),
        ("169.254.169.254", "链路本地"),
        ("fe80::1", "链路本地"),
        ("0.0.0.0", "不指向某一台具体的计算机"),
        ("224.0.0.1", "不指向某一台具体的计算机"),
        ("::ffff:127.0.0.1", "回环地址"),
    ],
)
def test_webhooks_refuse_this_machine_link_local_and_nowhere(
    ctx, nothing_allowed, dns, address, reason
):
    dns["hooks.example.com"] = [address]
    message = _refusal(WEBHOOK, "https://hooks.example.com/in")
    assert reason in message and "服务器配置中放行该主机" in message


def test_webhooks_refuse_the_apps_own_address(app, ctx, nothing_allowed, dns):
    app.config["BASE_URL"], saved = "https://gongjian.bank.example.cn", app.config["BASE_URL"]
    dns["gongjian.bank.example.cn"] = ["203.0.113.7"]
    dns["alias.bank.example.cn"] = ["203.0.113.7"]
    try:
        assert "攻坚系统本身" in _refusal(WEBHOOK, "https://alias.bank.example.cn/hook")
    finally:
        app.config["BASE_URL"] = saved


def test_webhooks_elsewhere_go_to_the_address_that_was_checked(ctx, nothing_allowed, dns):
    dns["hooks.example.com"] = ["203.0.113.9", "198.51.100.4"]
    assert check_address(WEBHOOK, "https://hooks.example.com/in") == "203.0.113.9"
    # Private addresses are intranet systems, allowed: only this machine's own are not.
    dns["oa.bank.local"] = ["10.20.30.40"]
    assert check_address(WEBHOOK, "http://oa.bank.local/hook") == "10.20.30.40"
    assert "无法解析" in _refusal(WEBHOOK, "http://no-such-host.invalid/hook")


def test_a_name_that_turns_to_loopback_after_saving_is_refused_when_sent(
    app, ctx, world, nothing_allowed, dns, receiver
):
    port = receiver.url.rsplit(":", 1)[1]
    dns["hooks.example.com"] = ["203.0.113.9"]
    url = f"http://hooks.example.com:{port}/hook"
    assert check_address(WEBHOOK, url) == "203.0.113.9"  # as when the admin saved it
    member = db.session.get(User, world.users["member"])
    clock.set_now(clock.now() + timedelta(minutes=1))
    subscribe(member.id, make_channel("外部系统", WEBHOOK, url))
    notify(member.id, "nudge", "请更新进度", unique_key="nudge:1", link="/issues/1")
    db.session.commit()
    dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding
    report = deliver_due()
    assert report.failed == 1 and receiver.hits == []
    delivery = db.session.scalars(
        select(Delivery).join(Channel).where(Channel.name == "外部系统")
    ).one()
    assert delivery.status == PENDING and "回环地址" in delivery.last_error


def test_a_robot_stored_at_a_host_no_longer_allowed_is_not_sent_to(app, ctx, world, receiver):
    member = db.session.get(User, world.users["member"])
    clock.set_now(clock.now() + timedelta(minutes=1))
    subscribe(member.id, make_channel("企业微信", WECOM, receiver.url + "/wecom?key=abc"))
    notify(member.id, "nudge", "请更新进度", unique_key="nudge:1", link="/issues/1")
    db.session.commit()
    app.config["NOTIFY_ALLOWED_HOSTS"], saved = (), app.config["NOTIFY_ALLOWED_HOSTS"]
    try:
        assert deliver_due().failed == 1
    finally:
        app.config["NOTIFY_ALLOWED_HOSTS"] = saved
    assert receiver.hits == []


# --- the admin's pages ---------------------------------------------------------------------


def test_the_admin_is_told_why_an_address_is_refused_in_zh_and_en(
    app, client, auth, world, look, nothing_allowed
):
    auth.login("admin")
    form = {
        "name": "假冒机器人",
        "kind": WECOM,
        "url": "https://qyapi.weixin.qq.cn/send?key=k",
        "enabled": "y",
    }
    page = client.post("/admin/channels/new", data=form)
    assert page.status_code == 200
    assert "此机器人的地址必须以 https://qyapi.weixin.qq.com/ 开头" in page.text
    webhook = {**form, "kind": WEBHOOK, "url": "http://127.0.0.1:8080/hook"}
    assert "该地址指向本机（回环地址）" in client.post("/admin/channels/new", data=webhook).text
    with look():
        db.session.get(User, world.users["admin"]).locale = "en"
        db.session.commit()
    page = client.post("/admin/channels/new", data=form).text
    assert "This robot&#39;s address must start with https://qyapi.weixin.qq.com/" in page
    assert "It points to this computer" in client.post("/admin/channels/new", data=webhook).text
    with look():
        assert db.session.scalars(select(Channel).where(Channel.name == "假冒机器人")).all() == []


@pytest.mark.parametrize(
    "url, secret, shown",
    [
        (WECOM_URL, "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "/cgi-bin/webhook/send?key=••••5aaa"),
        (DINGTALK_URL, "6f2c0b8e5d4a3b2c1d0e9f8a7b6c5d4e", "/robot/send?access_token=••••5d4e"),
        (FEISHU_URL, "2b92b2f4-0f4e-4e8a-9b71-0c9d1e2f3a4b", "/open-apis/bot/v2/hook/••••3a4b"),
        (
            "https://h.example.com/in?token=t0ps3cr3tvalue&sign=abc&x=1",
            "t0ps3cr3tvalue",
            "/in?token=••••alue&sign=••••&x=••••",
        ),
    ],
)
def test_secrets_in_addresses_are_masked(url, secret, shown):
    masked = masked_url(url)
    assert secret not in masked and masked.endswith(shown)


def test_the_list_the_form_and_the_audit_log_show_addresses_masked(client, auth, world, look):
    auth.login("admin")
    token = "2b92b2f4-0f4e-4e8a-9b71-0c9d1e2f3a4b"
    data = {"name": "飞书督办群", "kind": FEISHU, "url": FEISHU_URL, "enabled": "y"}
    assert client.post("/admin/channels/new", data=data).status_code == 302
    listing = client.get("/admin/channels").text
    assert token not in listing and "/open-apis/bot/v2/hook/••••3a4b" in listing
    with look():
        channel = db.session.scalar(select(Channel).where(Channel.name == "飞书督办群"))
    form = client.get(f"/admin/channels/{channel.id}").text
    assert (
        token not in form
        and 'value="https://open.feishu.cn/open-apis/bot/v2/hook/••••3a4b"' in form
    )
    # Saved with the address left as shown: the stored one stays.
    shown = masked_url(FEISHU_URL)
    assert (
        client.post(
            f"/admin/channels/{channel.id}", data={**data, "name": "飞书群", "url": shown}
        ).status_code
        == 302
    )
    with look():
        assert db.session.get(Channel, channel.id).url == FEISHU_URL
    # Half-edited, the mask is refused rather than stored.
    half = shown.replace("open.feishu.cn", "open.larksuite.com")
    assert (
        "地址中仍有 ••••"
        in client.post(f"/admin/channels/{channel.id}", data={**data, "url": half}).text
    )
    # A new address: the log has both, masked.
    lark = "https://open.larksuite.com/open-apis/bot/v2/hook/ffffeeee-dddd-cccc-bbbb-aaaa99998888"
    assert (
        client.post(f"/admin/channels/{channel.id}", data={**data, "url": lark}).status_code == 302
    )
    with look():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "notify_channel")
            .order_by(AuditEvent.id)
        ).all()
    logged = " ".join(str(e.changes) for e in events)
    assert token not in logged and "ffffeeee-dddd-cccc-bbbb-aaaa99998888" not in logged
    assert "hook/••••3a4b" in logged and "hook/••••8888" in logged
    audit_page = client.get("/admin/audit").text
    assert token not in audit_page and "aaaa99998888" not in audit_page


def test_send_a_test_shows_a_status_line_never_the_body(client, auth, world, receiver, look):
    with look():
        hook_id = make_channel("外部系统", WEBHOOK, receiver.url + "/hook").id
    auth.login("admin")
    page = client.post(f"/admin/channels/{hook_id}/test", follow_redirects=True).text
    assert "测试已发送" in page and "HTTP 200" in page and "received" not in page
    receiver.down = True
    page = client.post(f"/admin/channels/{hook_id}/test", follow_redirects=True).text
    assert "测试失败" in page and "HTTP 503" in page and "maintenance" not in page
