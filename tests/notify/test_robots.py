"""Robot messages: real mentions arrive at the local robot receiver, and every message fits
its platform's limit (cut at a line with "……共 N 项" and the link, never inside a character)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.core import clock
from app.core.outbox import notify
from app.extensions import db
from app.notify import robots
from app.notify.channels import Mention, Message
from app.notify.delivery import deliver_due
from app.notify.models import DINGTALK, FEISHU, WECOM
from app.people.models import User
from tests import factories
from tests.jobs import run_rule
from tests.notify.conftest import days, make_channel, subscribe

OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706"


@pytest.fixture
def member(ctx, world) -> User:
    clock.set_now(clock.now() + timedelta(minutes=1))
    return db.session.get(User, world.users["member"])


def _robots(member, receiver, **ids) -> None:
    for name, value in ids.items():
        setattr(member, name, value)
    db.session.commit()
    subscribe(member.id, make_channel("企业微信", WECOM, receiver.url + "/wecom"))
    subscribe(
        member.id,
        make_channel("钉钉", DINGTALK, receiver.url + "/dingtalk", receiver.dingtalk_secret),
    )
    subscribe(
        member.id, make_channel("飞书", FEISHU, receiver.url + "/feishu", receiver.feishu_secret)
    )


def _tell(member, text="请更新 KH-001 的进度", key="nudge:1") -> None:
    notify(member.id, "nudge", text, unique_key=key, link="/issues/1")
    db.session.commit()


def _bodies(receiver) -> dict:
    return {hit.path: hit.body for hit in receiver.hits}


def test_a_personal_reminder_mentions_its_recipient_by_platform_ids(member, receiver):
    _robots(
        member,
        receiver,
        mobile="13800138000",
        wecom_userid="ZhangSan",
        dingtalk_userid="manager4711",
        feishu_user_id=OPEN_ID,
    )
    _tell(member)
    assert deliver_due().sent == 3
    bodies = _bodies(receiver)
    wecom = bodies["/wecom"]["text"]
    assert wecom["mentioned_list"] == ["ZhangSan"]
    assert "mentioned_mobile_list" not in wecom  # the userid is enough; no double mention
    assert wecom["content"].startswith("请更新 KH-001 的进度")  # the robot adds the @ itself
    ding = bodies["/dingtalk"]
    assert ding["at"] == {"atUserIds": ["manager4711"], "atMobiles": [], "isAtAll": False}
    assert ding["text"]["content"].startswith("@manager4711 请更新")
    feishu = bodies["/feishu"]["content"]["text"]
    assert feishu.startswith(f'<at user_id="{OPEN_ID}">{member.display_name}</at> 请更新')


def test_a_mobile_number_alone_mentions_on_wecom_and_dingtalk(member, receiver):
    _robots(member, receiver, mobile="13800138000")
    _tell(member)
    assert deliver_due().sent == 3
    bodies = _bodies(receiver)
    assert bodies["/wecom"]["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert "mentioned_list" not in bodies["/wecom"]["text"]
    ding = bodies["/dingtalk"]
    assert ding["at"]["atMobiles"] == ["13800138000"] and ding["at"]["atUserIds"] == []
    # DingTalk shows the mention only where the text says "@<mobile>".
    assert "@13800138000" in ding["text"]["content"]
    # Feishu knows no mobile number: the name, plainly.
    assert bodies["/feishu"]["content"]["text"].startswith(f"@{member.display_name} ")


def test_without_ids_a_message_names_its_recipient_plainly(member, receiver):
    _robots(member, receiver)
    _tell(member)
    assert deliver_due().sent == 3
    bodies = _bodies(receiver)
    assert "mentioned_list" not in bodies["/wecom"]["text"]
    assert bodies["/wecom"]["text"]["content"].startswith(f"@{member.display_name} ")
    assert bodies["/dingtalk"]["at"]["atMobiles"] == []


def test_a_message_mentions_every_person_it_names():
    people = (
        Mention("王芳", mobile="13800138000"),
        Mention("李明", dingtalk_userid="liming01"),
        Mention("赵静"),
    )
    assert robots.mention_prefix(DINGTALK, people) == "@13800138000 @liming01 @赵静 "
    assert robots.dingtalk_at(people)["atMobiles"] == ["13800138000"]
    assert robots.dingtalk_at(people)["atUserIds"] == ["liming01"]
    assert robots.wecom_mentions(people) == {"mentioned_mobile_list": ["13800138000"]}
    assert robots.mention_prefix(WECOM, people) == "@李明 @赵静 "
    assert robots.mention_prefix(FEISHU, (Mention("<王>", feishu_user_id='x"y'),)) == (
        '<at user_id="x&quot;y">&lt;王&gt;</at> '
    )


# --- limits --------------------------------------------------------------------------------


def _long_digest(bullets: int, more: int = 0, width: int = 30) -> str:
    lines = [f"你有 {bullets + more} 项工作已逾期："]
    lines += [
        f"• KH-{n:03d} {'客户经理营销拓展' * (width // 8)}：已逾期 {n} 天" for n in range(bullets)
    ]
    if more:
        lines.append(f"……另有 {more} 项。")
    return "\n".join(lines)


def test_a_long_digest_is_cut_at_a_line_with_the_count_and_the_link(app, member, receiver):
    _robots(member, receiver, wecom_userid="ZhangSan")
    _tell(member, _long_digest(40, more=5))
    assert deliver_due().sent == 3
    bodies = _bodies(receiver)
    link = "http://127.0.0.1:5000/issues/1"
    content = bodies["/wecom"]["text"]["content"]
    assert len(content.encode("utf-8")) <= robots.WECOM_TEXT_BYTES
    lines = content.split("\n")
    assert lines[-2:] == ["……共 45 项", link]
    assert lines[0] == "你有 45 项工作已逾期："
    kept = lines[1:-2]
    assert kept and all(line.startswith("• KH-") and line.endswith("天") for line in kept)
    assert len(kept) < 40
    # The other platforms allow 20,000 bytes: this digest fits them whole.
    assert "……另有 5 项。" in bodies["/dingtalk"]["text"]["content"]
    assert "……共" not in bodies["/feishu"]["content"]["text"]


def test_dingtalk_and_feishu_bodies_stay_under_their_limits(member, receiver):
    _robots(member, receiver, mobile="13800138000", feishu_user_id=OPEN_ID)
    _tell(member, _long_digest(400, width=40))
    assert deliver_due().sent == 3
    for hit in receiver.hits:
        body = json.dumps(hit.body, ensure_ascii=False).encode()
        if hit.path in ("/dingtalk", "/feishu"):
            assert 19_000 < len(body) <= 20_000, hit.path
    ding = _bodies(receiver)["/dingtalk"]["text"]["content"]
    assert ding.startswith("@13800138000 ") and ding.endswith(
        "……共 400 项\nhttp://127.0.0.1:5000/issues/1"
    )


def test_a_real_overdue_reminder_of_many_items_fits_wecom_whole(app, member, world, receiver):
    _robots(member, receiver)
    category = db.session.get(factories.Category, world.category_id)
    for n in range(25):
        factories.make_issue(
            category,
            f"零售条线{n}号网点客户经理营销拓展与存量客户经营提升",
            owner_id=member.id,
            deadline=days(-1 - n),
        )
    db.session.commit()
    run_rule("overdue")
    assert deliver_due().sent == 3
    content = _bodies(receiver)["/wecom"]["text"]["content"]
    assert len(content.encode("utf-8")) <= robots.WECOM_TEXT_BYTES
    assert "/reminders/overdue" in content.split("\n")[-1]
    # Ten items listed and the rest counted keep a real reminder within WeCom's limit whole.
    assert "……另有 15 项。" in content and "……共" not in content


def test_one_line_too_long_is_cut_between_characters():
    text = "甲乙丙😀" * 1000
    message = Message("王芳", "w@example.com", "zh_CN", "nudge", text, "https://x.cn/i/1")
    fits = robots.bytes_at_most(robots.WECOM_TEXT_BYTES)
    from app.notify.channels import robot_text

    content = robot_text(WECOM, message, fits)
    encoded = content.encode("utf-8")
    assert len(encoded) <= robots.WECOM_TEXT_BYTES
    assert encoded.decode("utf-8") == content  # whole characters only
    assert content.endswith("…\n……\nhttps://x.cn/i/1")
    assert len(encoded) > robots.WECOM_TEXT_BYTES - 8  # cut as late as fits


def test_english_readers_get_the_count_in_english():
    fits = robots.bytes_at_most(200)
    text = "\n".join(
        ["You have 12 overdue items:"]
        + [f"• KH-{n:03d} long title here" for n in range(10)]
        + ["… and 2 more."]
    )
    content = robots.fit("", text, "https://x.cn/r", fits, "en")
    assert content.endswith("…… 12 items in all\nhttps://x.cn/r")
