"""The pages: a person's notification settings, the admin's channels and delivery log."""

from __future__ import annotations

from sqlalchemy import select

from app.core import sealing
from app.core.models import AuditEvent
from app.extensions import db
from app.notify.models import (
    DINGTALK,
    GIVEN_UP,
    PENDING,
    Channel,
    Delivery,
    QuietHours,
    RuleOptOut,
)
from app.notify.service import preferences_of
from app.people.models import User
from tests import factories
from tests.notify.conftest import days, make_channel


def test_a_person_chooses_channels_rules_and_quiet_hours(client, auth, world, look):
    with look():
        channel_id = make_channel("企业微信", "wecom", "http://127.0.0.1:9/wecom").id
    auth.login("member")
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and "企业微信" in page.text
    response = client.post(
        "/notifications/settings",
        data={
            "channels": [str(channel_id)],
            "rules": ["overdue", "stale"],  # due_soon and the others off
            "quiet_start": "22:00",
            "quiet_end": "07:30",
        },
    )
    assert response.status_code == 302
    with look():
        member = db.session.get(User, world.users["member"])
        prefs = preferences_of(member)
        assert prefs.channel_ids == [channel_id]
        assert "due_soon" in prefs.muted_rules
        # Mandatory rules cannot be turned off, whatever the form sends.
        assert "unacknowledged" not in prefs.muted_rules and "overdue" not in prefs.muted_rules
        assert db.session.get(QuietHours, member.id).ends.strftime("%H:%M") == "07:30"
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "notification.preferences")
        )


def test_mandatory_rules_show_checked_and_locked(client, auth, world):
    auth.login("member")
    page = client.get("/notifications/settings").text
    assert 'value="overdue" id="rule-overdue" checked disabled' in page


def test_half_given_quiet_hours_are_refused_and_nothing_saved(client, auth, world, look):
    auth.login("member")
    response = client.post("/notifications/settings", data={"quiet_start": "22:00"})
    assert response.status_code == 200
    assert "请同时填写免打扰的开始和结束时间" in response.text
    with look():
        assert db.session.get(QuietHours, world.users["member"]) is None


def test_admin_adds_a_channel_and_sees_the_secret_masked(client, auth, world, look):
    auth.login("admin")
    response = client.post(
        "/admin/channels/new",
        data={
            "name": "钉钉督办群",
            "kind": DINGTALK,
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok123456",
            "secret": "SECabcdef1234567890",
            "enabled": "y",
        },
    )
    assert response.status_code == 302
    page = client.get("/admin/channels").text
    assert "钉钉督办群" in page
    assert "SECabcdef1234567890" not in page and "tok123456" not in page
    assert "••••7890" in page
    with look():
        channel = db.session.scalar(select(Channel).where(Channel.name == "钉钉督办群"))
        # Sealed at rest (core/sealing.py), opened only to sign.
        assert "SECabcdef" not in channel.secret and sealing.is_sealed(channel.secret)
        assert sealing.unseal(channel.secret) == "SECabcdef1234567890"
    # Editing without a new address or secret keeps the stored ones, never shown in full.
    edit = client.get(f"/admin/channels/{channel.id}").text
    assert "SECabcdef1234567890" not in edit and "tok123456" not in edit
    client.post(
        f"/admin/channels/{channel.id}",
        data={"name": "钉钉督办群", "kind": DINGTALK, "enabled": "y"},
    )
    with look():
        kept = db.session.get(Channel, channel.id)
        assert sealing.unseal(kept.secret) == "SECabcdef1234567890"
        assert kept.url.endswith("tok123456")


def test_a_webhook_needs_an_address(client, auth, world):
    auth.login("admin")
    response = client.post("/admin/channels/new", data={"name": "无地址", "kind": "wecom"})
    assert response.status_code == 200
    assert "网络钩子需要填写 http(s) 地址" in response.text


def test_send_a_test_shows_the_channels_answer(client, auth, world, receiver, look):
    with look():
        channel_id = make_channel(
            "钉钉", DINGTALK, receiver.url + "/dingtalk", receiver.dingtalk_secret
        ).id
        wrong_id = make_channel("钉钉错密钥", DINGTALK, receiver.url + "/dingtalk", "SECbad").id
    auth.login("admin")
    page = client.post(f"/admin/channels/{channel_id}/test", follow_redirects=True).text
    assert "测试已发送" in page and "errcode" in page
    page = client.post(f"/admin/channels/{wrong_id}/test", follow_redirects=True).text
    assert "测试失败" in page and "sign not match" in page
    assert len(receiver.hits) == 2


def test_the_admin_sees_failed_deliveries_with_their_error_and_retries(client, auth, world, look):
    auth.login("admin")
    page = client.get("/admin/deliveries?status=trouble").text
    assert "connection refused" in page
    response = client.post(f"/admin/deliveries/{world.ids['delivery']}/retry")
    assert response.status_code == 302
    with look():
        delivery = db.session.get(Delivery, world.ids["delivery"])
        assert delivery.status == PENDING and delivery.attempts == 0
    assert delivery.status != GIVEN_UP


def test_delivery_page_queries_do_not_grow_with_rows(client, auth, world, look):
    auth.login("admin")
    before = int(client.get("/admin/deliveries").headers["X-Query-Count"])
    with look():
        from app.core.outbox import notify

        for n in range(30):
            message = notify(world.users["member"], "nudge", f"消息{n}", unique_key=f"many:{n}")
            db.session.flush()
            db.session.add(
                Delivery(
                    notification_id=message.id,
                    channel_id=world.ids["channel"],
                    recipient_id=world.users["member"],
                )
            )
        db.session.commit()
    after = int(client.get("/admin/deliveries").headers["X-Query-Count"])
    assert after == before <= 12


def test_members_cannot_manage_channels(client, auth, world):
    auth.login("member")
    assert client.get("/admin/channels").status_code == 403
    assert client.get("/admin/deliveries").status_code == 403


def test_the_settings_list_the_meeting_and_escalation_rules(client, auth, world, look):
    auth.login("leader")
    page = client.get("/notifications/settings").text
    assert 'value="escalation_overdue" id="rule-escalation_overdue" checked disabled' in page
    assert 'value="meeting_tomorrow" id="rule-meeting_tomorrow" checked>' in page
    assert 'value="minutes_unpublished" id="rule-minutes_unpublished" checked>' in page
    response = client.post(
        "/notifications/settings",
        data={"rules": ["meeting_tomorrow"]},  # minutes and escalations unticked
    )
    assert response.status_code == 302
    with look():
        muted = set(
            db.session.scalars(
                select(RuleOptOut.rule).where(RuleOptOut.user_id == world.users["leader"])
            )
        )
    assert "minutes_unpublished" in muted
    assert "meeting_tomorrow" not in muted and "escalation_overdue" not in muted


# --- the page a grouped reminder links to --------------------------------------------------


def _overdue_items(world, owner: str, n: int, title: str = "逾期") -> list[tuple[int, str]]:
    category = db.session.get(factories.Category, world.category_id)
    made = []
    for i in range(n):
        issue = factories.make_issue(
            category, f"{title}{i}", owner_id=world.users[owner], deadline=days(-1 - i)
        )
        made.append((issue.id, issue.code))
    return made


def test_the_reminder_page_lists_exactly_the_readers_items_of_the_rule(client, auth, world, look):
    with look():
        mine = _overdue_items(world, "member", 3)
        theirs = _overdue_items(world, "leader", 1, "别人的")
        category = db.session.get(factories.Category, world.category_id)
        future = factories.make_issue(
            category, "未到期", owner_id=world.users["member"], deadline=days(5)
        ).code
    auth.login("member")
    page = client.get("/reminders/overdue")
    assert page.status_code == 200
    assert "事项逾期（每日）" in page.text
    for issue_id, code in mine:
        assert f'href="/issues/{issue_id}">{code}</a>' in page.text
    assert "已逾期 3 天（完成时限 2024-05-31）" in page.text
    assert theirs[0][1] not in page.text and future not in page.text
    # The longest overdue first, as in the message.
    assert page.text.index(mine[2][1]) < page.text.index(mine[0][1])


def test_the_reminder_page_does_not_query_per_item(client, auth, world, look):
    with look():
        _overdue_items(world, "member", 2)
    auth.login("member")
    few = int(client.get("/reminders/overdue").headers["X-Query-Count"])
    with look():
        _overdue_items(world, "member", 15, "更多")
    response = client.get("/reminders/overdue")
    assert response.text.count('href="/issues/') == 17
    assert int(response.headers["X-Query-Count"]) == few <= 12


def test_the_reminder_page_exists_only_for_rules_about_ones_items(client, auth, world):
    auth.login("member")
    assert client.get("/reminders/weekly_digest").status_code == 404
    assert client.get("/reminders/nonsense").status_code == 404


def test_the_overdue_reminder_page_lists_the_readers_overdue_milestones(client, auth, world, look):
    from app.issues.models import Milestone

    with look():
        [(late_id, late_code)] = _overdue_items(world, "member", 1)
        db.session.add(
            Milestone(
                task_force_id=world.task_force_id,
                issue_id=world.issue_id,  # the world's item: its deadline is a month away
                title="分行推广",
                due_on=days(-2),
            )
        )
        db.session.commit()
    auth.login("member")

    page = client.get("/reminders/overdue").text

    assert f'href="/issues/{world.issue_id}">' in page
    assert "里程碑“分行推广”已逾期 2 天（到期日 2024-06-01）" in page
    assert page.index("分行推广") < page.index(f">{late_code}</a>")  # the longest overdue first
    assert f'href="/issues/{late_id}"' in page


def test_a_grouped_reminder_of_the_other_task_force_opens_its_page_there(client, auth, world, look):
    """The member, on the inclusive-finance task force too, has two items overdue there;
    working in the wealth one, they follow the reminder and see those two."""
    from tests.jobs import run_rule

    with look():
        member = db.session.get(User, world.users["member"])
        other = db.session.get(factories.TaskForce, world.other_task_force_id)
        factories.make_membership(member, other)
        category = factories.make_category(other.id, "普惠客户", prefix="PH")
        codes = [
            factories.make_issue(
                category, f"普惠逾期{i}", owner_id=member.id, deadline=days(-2 - i)
            ).code
            for i in range(2)
        ]
        run_rule("overdue")
    auth.login("member")
    client.post(f"/switch/{world.task_force_id}", follow_redirects=True)
    listing = client.get("/notifications").text
    link = f"/reminders/overdue?tf={world.other_task_force_id}"
    assert f'href="{link}"' in listing

    page = client.get(link, follow_redirects=True)

    assert page.status_code == 200
    assert all(code in page.text for code in codes)
    assert "普惠金融攻坚小组" in page.text.split('data-testid="reminder-task-force"', 1)[1]
