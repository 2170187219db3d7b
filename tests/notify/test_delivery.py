"""Delivery over real channels: a real SMTP server and a real HTTP receiver on loopback."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.outbox import notify
from app.extensions import db
from app.notify.delivery import deliver_due
from app.notify.models import (
    DINGTALK,
    EMAIL,
    FEISHU,
    GIVEN_UP,
    PENDING,
    SENT,
    WEBHOOK,
    WECOM,
    Channel,
    Delivery,
    QuietHours,
)
from app.people.models import User
from tests import factories
from tests.jobs import run_rule
from tests.notify.conftest import days, make_channel, subscribe
from tests.world_parts.reminders import WORLD_CHANNEL


@pytest.fixture
def member(ctx, world) -> User:
    # A minute after the world was built: its own messages predate every subscription.
    clock.set_now(clock.now() + timedelta(minutes=1))
    return db.session.get(User, world.users["member"])


def tell(user: User, text: str = "请更新 KH-001 的进度", key: str = "nudge:1") -> None:
    notify(user.id, "nudge", text, unique_key=key, link="/issues/1")
    db.session.commit()


def deliveries(status: str | None = None) -> list[Delivery]:
    """This test's deliveries (the world has one of its own, given up long ago)."""
    query = (
        select(Delivery).join(Channel).where(Channel.name != WORLD_CHANNEL).order_by(Delivery.id)
    )
    if status:
        query = query.where(Delivery.status == status)
    return list(db.session.scalars(query))


def test_email_goes_out_once_in_html_and_plain_text_in_the_recipients_language(member, smtp):
    mail = make_channel("邮件", EMAIL)
    subscribe(member.id, mail)
    tell(member)
    first = deliver_due()
    second = deliver_due()
    assert (first.sent, second.sent) == (1, 0)
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [member.email]
    assert "请更新 KH-001 的进度" in message["Subject"]
    assert message.get_body(("plain",)).get_content().startswith(f"{member.display_name}，您好")
    html = message.get_body(("html",)).get_content()
    assert "http://127.0.0.1:5000/issues/1" in html and "在攻坚中打开" in html
    assert deliveries(SENT)[0].sent_at is not None


def test_english_speakers_get_english_mail(ctx, world, smtp):
    anna = factories.make_user("anna", locale="en")
    subscribe(anna.id, make_channel("Mail", EMAIL))
    tell(anna, "Please update KH-001", key="nudge:anna")
    deliver_due()
    _rcpt, message = smtp.messages[0]
    assert message.get_body(("plain",)).get_content().startswith("Hello")


def test_messages_written_before_the_channel_was_chosen_are_not_mailed(member, smtp):
    """The rule for history (e.g. the demo's replayed year): only rows written since."""
    tell(member, "很久以前的提醒", key="old")
    clock.set_now(clock.now() + timedelta(minutes=5))
    subscribe(member.id, make_channel("邮件", EMAIL))
    tell(member, "新的提醒", key="new")
    deliver_due()
    assert [m["Subject"] for _r, m in smtp.messages] == ["[攻坚] 新的提醒"]


def test_the_same_rule_run_twice_delivers_once(member, smtp, world):
    subscribe(member.id, make_channel("邮件", EMAIL))
    category = db.session.get(factories.Category, world.category_id)
    factories.make_issue(category, "逾期", owner_id=member.id, deadline=days(-1))
    run_rule("overdue")
    deliver_due()
    run_rule("overdue")
    deliver_due()
    assert len(smtp.messages) == 1


def test_two_schedulers_at_once_deliver_once(app, member, world, smtp, receiver):
    subscribe(member.id, make_channel("邮件", EMAIL))
    subscribe(member.id, make_channel("群机器人", WECOM, receiver.url + "/wecom"))
    category = db.session.get(factories.Category, world.category_id)
    codes = [
        factories.make_issue(category, f"逾期{n}", owner_id=member.id, deadline=days(-1)).code
        for n in range(5)
    ]
    db.session.remove()
    errors = []
    start = threading.Barrier(3)

    def scheduler():
        try:
            with app.app_context():
                start.wait()
                for rule in ("overdue", "due_soon"):
                    run_rule(rule)
                deliver_due()
                deliver_due()
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # One message listing the five items, over each of the two channels, once.
    with app.app_context():
        assert len(deliveries(SENT)) == 2
    assert len(smtp.messages) == 1 and len(receiver.hits) == 1
    mail = smtp.messages[0][1].get_body(("plain",)).get_content()
    robot = receiver.hits[0].body["text"]["content"]
    assert all(code in mail and code in robot for code in codes)
    assert "/reminders/overdue" in mail and "/reminders/overdue" in robot


def test_a_grouped_reminder_reads_as_a_list_in_the_mail(member, world, smtp):
    subscribe(member.id, make_channel("邮件", EMAIL))
    category = db.session.get(factories.Category, world.category_id)
    items = [
        factories.make_issue(category, f"逾期事项{n}", owner_id=member.id, deadline=days(-n - 1))
        for n in range(3)
    ]
    run_rule("overdue")
    deliver_due()
    _rcpt, message = smtp.messages[0]
    assert "您负责的 3 项事项已逾期" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert html.count("<li>") == 3 and "<ul>" in html
    # The longest overdue first, each with its code and title.
    assert html.index(items[2].code) < html.index(items[0].code)
    assert f"<li>{items[0].code} 逾期事项0：已逾期 1 天" in html
    assert "http://127.0.0.1:5000/reminders/overdue" in html


def test_a_stopped_smtp_server_loses_nothing_and_sends_once_when_back(app, member, smtp):
    subscribe(member.id, make_channel("邮件", EMAIL))
    tell(member)
    smtp.stop()
    report = deliver_due()
    assert report.failed == 1
    failed = deliveries()[0]
    assert failed.status == PENDING and failed.attempts == 1
    assert "SMTP" in failed.last_error
    # Nothing goes out again before the backoff has passed.
    smtp.start()
    assert deliver_due().sent == 0
    clock.set_now(clock.now() + timedelta(seconds=app.config["DELIVERY_BACKOFF_SECONDS"] + 1))
    assert deliver_due().sent == 1
    assert deliver_due().sent == 0
    assert len(smtp.messages) == 1
    db.session.refresh(failed)
    assert failed.status == SENT and failed.attempts == 2


def test_retries_back_off_and_give_up_after_the_configured_tries(app, member, receiver):
    subscribe(member.id, make_channel("外部系统", WEBHOOK, receiver.url + "/hook"))
    receiver.down = True
    tell(member)
    waits = []
    for _attempt in range(app.config["DELIVERY_MAX_ATTEMPTS"]):
        deliver_due()
        delivery = deliveries()[0]
        db.session.refresh(delivery)
        waits.append(delivery.due_at - clock.now())
        clock.set_now(delivery.due_at + timedelta(seconds=1))
    assert delivery.status == GIVEN_UP
    assert "HTTP 503" in delivery.last_error
    assert waits[1] > waits[0]  # doubling


def test_quiet_hours_hold_deliveries_until_they_end(member, smtp):
    subscribe(member.id, make_channel("邮件", EMAIL))
    db.session.add(QuietHours(user_id=member.id, starts=time(22, 0), ends=time(7, 30)))
    db.session.commit()
    clock.set_now(datetime(2024, 6, 3, 23, 0, tzinfo=clock.zone()))
    tell(member)
    assert deliver_due().postponed == 1
    assert smtp.messages == []
    clock.set_now(datetime(2024, 6, 4, 7, 0, tzinfo=clock.zone()))
    assert deliver_due().sent == 0
    clock.set_now(datetime(2024, 6, 4, 7, 31, tzinfo=clock.zone()))
    assert deliver_due().sent == 1
    assert len(smtp.messages) == 1


def test_dingtalk_signature_is_accepted_by_the_receiver(member, receiver):
    channel = make_channel(
        "钉钉群", DINGTALK, receiver.url + "/dingtalk?access_token=abc", receiver.dingtalk_secret
    )
    subscribe(member.id, channel)
    tell(member)
    assert deliver_due().sent == 1
    hit = receiver.hits[0]
    assert hit.query["access_token"] == ["abc"] and "timestamp" in hit.query
    assert "请更新 KH-001 的进度" in hit.body["text"]["content"]


def test_a_wrong_dingtalk_secret_is_an_error_the_admin_sees(member, receiver):
    subscribe(member.id, make_channel("钉钉群", DINGTALK, receiver.url + "/dingtalk", "SECwrong"))
    tell(member)
    assert deliver_due().failed == 1
    assert "310000" in deliveries()[0].last_error


def test_feishu_signed_and_wecom_and_plain_webhooks(member, receiver):
    subscribe(
        member.id, make_channel("飞书", FEISHU, receiver.url + "/feishu", receiver.feishu_secret)
    )
    subscribe(member.id, make_channel("企业微信", WECOM, receiver.url + "/wecom"))
    subscribe(member.id, make_channel("外部系统", WEBHOOK, receiver.url + "/hook"))
    tell(member)
    assert deliver_due().sent == 3
    bodies = {hit.path: hit.body for hit in receiver.hits}
    assert bodies["/feishu"]["msg_type"] == "text"
    assert bodies["/wecom"]["msgtype"] == "text"
    assert bodies["/hook"]["text"] == "请更新 KH-001 的进度"
    assert bodies["/hook"]["recipient"]["email"] == member.email


def test_mail_and_robots_say_which_task_force_and_their_links_open_in_it(
    member, world, smtp, receiver
):
    subscribe(member.id, make_channel("邮件", EMAIL))
    subscribe(member.id, make_channel("企业微信", WECOM, receiver.url + "/wecom"))
    subscribe(member.id, make_channel("外部系统", WEBHOOK, receiver.url + "/hook"))
    tf = world.task_force_id
    notify(
        member.id, "nudge", "请更新 KH-001 的进度", "tf:1", "/meetings/3#agenda", task_force_id=tf
    )
    db.session.commit()
    assert deliver_due().sent == 3
    link = f"http://127.0.0.1:5000/meetings/3?tf={tf}#agenda"
    mail = smtp.messages[0][1]
    assert link in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert link in html and "攻坚小组：非存AUM攻坚克难小组" in html
    bodies = {hit.path: hit.body for hit in receiver.hits}
    robot = bodies["/wecom"]["text"]["content"]
    assert robot.startswith(f"@{member.display_name} 【非存AUM攻坚克难小组】请更新")
    assert link in robot
    assert bodies["/hook"]["url"] == link
    assert bodies["/hook"]["task_force"] == "非存AUM攻坚克难小组"


def test_a_disabled_channel_keeps_its_deliveries_waiting(member, receiver):
    channel = make_channel("企业微信", WECOM, receiver.url + "/wecom")
    subscribe(member.id, channel)
    channel.enabled = False
    db.session.commit()
    tell(member)
    deliver_due()
    assert receiver.hits == []
    channel.enabled = True
    db.session.commit()
    assert deliver_due().sent == 1


def test_in_app_notifications_need_no_channel(member):
    tell(member)
    report = deliver_due()
    assert report.queued == 0
    assert deliveries() == []


def test_messages_older_than_the_lookback_stay_in_the_app(app, member, smtp):
    subscribe(member.id, make_channel("邮件", EMAIL))
    tell(member, "一周前的提醒", key="old")
    clock.set_now(clock.now() + timedelta(days=app.config["DELIVERY_LOOKBACK_DAYS"], minutes=1))
    assert deliver_due().queued == 0
    assert smtp.messages == []
