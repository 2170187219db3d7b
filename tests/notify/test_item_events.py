"""Item events over a generic webhook: signed JSON to a real HTTP receiver on loopback.

The problem list and the discussion tell ``hooks.ITEM_EVENTS``; notify queues the event
with the change (rolled back with it) and the delivery pass sends it, signed, with the
same lease, retries and backoff as every delivery, once per event and channel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock, sealing
from app.core.models import AuditEvent
from app.discussion import service as discussion
from app.discussion.kinds import kind_named
from app.extensions import db
from app.issues import service as issues
from app.issues.models import CLOSED, VERIFYING, Issue
from app.notify import service
from app.notify.delivery import deliver_due
from app.notify.models import (
    ITEM_COMMENTED,
    ITEM_CREATED,
    ITEM_EVENTS,
    PENDING,
    SENT,
    WEBHOOK,
    Channel,
    Delivery,
    ItemEvent,
)
from app.people.models import User
from tests.notify.conftest import make_channel, subscribe


def verify(secret: str, hit) -> dict:
    """What a receiver does (the README's example): check the signature, then read."""
    timestamp = hit.headers["x-gongjian-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + hit.raw, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(hit.headers["x-gongjian-signature"], f"sha256={expected}")
    return json.loads(hit.raw)


def person(world, persona: str) -> User:
    return db.session.get(User, world.users[persona])


def hook(world, receiver, name="OA系统", events=ITEM_EVENTS, task_force_id=None):
    """A generic webhook carrying ``events`` of the world's task force; its secret."""
    saved = service.save_channel(
        person(world, "admin"),
        None,
        service.ChannelInput(
            name=name,
            kind=WEBHOOK,
            url=receiver.url + "/hook",
            events=list(events),
            task_force_id=task_force_id or world.task_force_id,
        ),
    )
    db.session.commit()
    assert saved.new_secret.startswith("whsec_")
    return saved.channel, saved.new_secret


def create_item(world, title="对公账户开户提速") -> Issue:
    issue = issues.create_issue(
        person(world, "leader"),
        world.task_force_id,
        issues.IssueInput(
            title=title, category_id=world.category_id, owner_id=world.users["member"]
        ),
    )
    db.session.commit()
    return issue


def comment(world, persona: str, issue: Issue, body: str):
    posted = discussion.post_comment(
        person(world, persona), kind_named("issue"), issue, discussion.NewComment(body=body)
    )
    db.session.commit()
    return posted


def test_each_item_event_reaches_the_webhook_signed(ctx, world, receiver):
    channel, secret = hook(world, receiver)
    created = create_item(world)
    item = db.session.get(Issue, world.issue_id)
    issues.change_status(person(world, "member"), item, VERIFYING)
    db.session.commit()
    said = comment(world, "member", item, "已在长春分行试点")
    issues.change_status(
        person(world, "exec_leader"), item, CLOSED, verification_note="抽查三家分行", confirmed=True
    )
    db.session.commit()

    report = deliver_due()

    assert report.sent == 5 and report.failed == 0
    bodies = [verify(secret, hit) for hit in receiver.hits]
    assert [body["type"] for body in bodies] == [
        "item.created",
        "item.status_changed",
        "item.commented",
        "item.status_changed",
        "item.closed",
    ]
    by_type: dict = {}
    for hit, body in zip(receiver.hits, bodies, strict=True):
        assert hit.headers["x-gongjian-event"] == body["type"]
        assert hit.headers["content-type"].startswith("application/json")
        by_type.setdefault(body["type"], []).append((hit, body))
    new = by_type["item.created"][0][1]
    assert new["item"]["code"] == created.code and new["item"]["status"] == "new"
    assert new["item"]["owner"]["id"] == world.users["member"]
    assert new["actor"]["id"] == world.users["leader"]
    assert new["task_force"] == {"id": world.task_force_id, "name": "非存AUM攻坚克难小组"}
    assert new["item"]["url"] == (
        f"http://127.0.0.1:5000/issues/{created.id}?tf={world.task_force_id}"
    )
    assert new["occurred_at"].endswith("+08:00")  # the installation's zone
    moves = [(b["from"], b["to"]) for _h, b in by_type["item.status_changed"]]
    assert moves == [("in_progress", "verifying"), ("verifying", "closed")]
    closed = by_type["item.closed"][0][1]
    assert (closed["from"], closed["to"], closed["item"]["status"]) == (
        "verifying",
        "closed",
        "closed",
    )
    assert closed["actor"]["id"] == world.users["exec_leader"]
    remark = by_type["item.commented"][0][1]
    assert remark["comment"]["id"] == said.id and remark["comment"]["text"] == "已在长春分行试点"
    assert remark["item"]["id"] == world.issue_id
    # Each event once, under its own delivery id and event id.
    sent = db.session.scalars(
        select(Delivery).where(Delivery.channel_id == channel.id).order_by(Delivery.id)
    ).all()
    assert {str(d.id) for d in sent} == {
        hit.headers["x-gongjian-delivery"] for hit in receiver.hits
    }
    assert len({body["id"] for body in bodies}) == len(bodies)
    assert all(d.status == SENT and d.recipient_id is None for d in sent)
    assert deliver_due().sent == 0


def test_a_receiver_that_fails_once_gets_the_event_again_and_once(ctx, world, receiver):
    channel, secret = hook(world, receiver, events=[ITEM_CREATED])
    answers = iter([500])
    receiver.before_answer = lambda hit: next(answers, None)
    create_item(world)

    first = deliver_due()
    assert (first.sent, first.failed) == (0, 1)
    delivery = db.session.scalar(select(Delivery).where(Delivery.channel_id == channel.id))
    assert delivery.status == PENDING and "HTTP 500" in delivery.last_error
    assert deliver_due().sent == 0  # not before the backoff
    clock.set_now(clock.now() + timedelta(seconds=61))
    second = deliver_due()
    clock.set_now(clock.now() + timedelta(hours=7))
    third = deliver_due()

    assert (second.sent, third.sent) == (1, 0)
    assert len(receiver.hits) == 2
    retried = [verify(secret, hit) for hit in receiver.hits]
    assert retried[0] == retried[1]  # the same body, the same event id
    deliveries = {hit.headers["x-gongjian-delivery"] for hit in receiver.hits}
    assert deliveries == {str(delivery.id)}
    # Each try is signed at its own time.
    assert (
        receiver.hits[0].headers["x-gongjian-timestamp"]
        != (receiver.hits[1].headers["x-gongjian-timestamp"])
    )
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == (SENT, 2)


def test_a_change_rolled_back_sends_nothing(ctx, world, receiver):
    hook(world, receiver)
    issues.create_issue(
        person(world, "leader"),
        world.task_force_id,
        issues.IssueInput(title="撤回的事项", category_id=world.category_id),
    )
    item = db.session.get(Issue, world.issue_id)
    discussion.post_comment(
        person(world, "member"), kind_named("issue"), item, discussion.NewComment(body="草稿")
    )
    before = 1  # the world's own
    queued = db.session.scalar(select(func.count(ItemEvent.id)))
    assert queued == before + 2  # queued with the change
    db.session.rollback()

    assert db.session.scalar(select(func.count(ItemEvent.id))) == before
    assert deliver_due().sent == 0
    assert receiver.hits == []


def test_channels_that_do_not_carry_an_event_get_none(ctx, world, receiver):
    reminders_only = make_channel("提醒机器人", WEBHOOK, receiver.url + "/reminders")
    subscribe(world.users["member"], reminders_only)
    hook(world, receiver, name="只收评论", events=[ITEM_COMMENTED])
    disabled, _secret = hook(world, receiver, name="停用的")
    disabled.enabled = False
    db.session.commit()

    create_item(world)
    deliver_due()

    # The reminder channel goes on telling its subscriber (of the assignment), no event.
    assert [(hit.path, hit.body["kind"]) for hit in receiver.hits] == [("/reminders", "assignment")]
    assert "x-gongjian-signature" not in receiver.hits[0].headers  # no secret, no signature
    queued = select(func.count(Delivery.id)).where(Delivery.status == PENDING)
    assert db.session.scalar(queued.where(Delivery.event_id.is_not(None))) == 0


def test_events_of_another_task_force_never_reach_this_ones_channel(ctx, world, receiver):
    _ours, secret = hook(world, receiver)
    theirs, their_secret = hook(
        world, receiver, name="普惠系统", task_force_id=world.other_task_force_id
    )
    other_item = db.session.get(Issue, world.other_issue_id)
    stranger = db.session.scalar(select(User).where(User.username == "stranger"))
    discussion.post_comment(
        stranger, kind_named("issue"), other_item, discussion.NewComment(body="普惠这边已处理")
    )
    db.session.commit()

    deliver_due()

    assert len(receiver.hits) == 1
    body = verify(their_secret, receiver.hits[0])
    assert body["task_force"]["id"] == world.other_task_force_id
    with pytest.raises(AssertionError):
        verify(secret, receiver.hits[0])
    sent = db.session.scalars(
        select(Delivery).where(Delivery.event_id.is_not(None), Delivery.status == SENT)
    ).all()
    assert [d.channel_id for d in sent] == [theirs.id]


def test_reminders_over_a_generic_webhook_are_signed_too(ctx, world, receiver):
    channel, secret = hook(world, receiver, events=[])
    subscribe(world.users["member"], channel)
    from app.core.outbox import notify

    notify(world.users["member"], "nudge", "请更新进度", unique_key="nudge:signed")
    db.session.commit()
    deliver_due()

    (hit,) = receiver.hits
    assert verify(secret, hit)["text"] == "请更新进度"
    assert hit.headers["x-gongjian-event"] == "notification"


# --- the channel's page -------------------------------------------------------------------


def _post_new(client, receiver, world, **more):
    data = {
        "name": "OA系统",
        "kind": WEBHOOK,
        "url": receiver.url + "/hook",
        "enabled": "y",
        "task_force_id": str(world.task_force_id),
        "events": list(ITEM_EVENTS),
        **more,
    }
    return client.post("/admin/channels/new", data=data)


def test_the_secret_is_sealed_shown_once_masked_after_and_renewed(
    client, auth, world, receiver, look
):
    auth.login("admin")
    response = _post_new(client, receiver, world)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "只显示这一次" in response.text
    with look():
        channel = db.session.scalar(select(Channel).where(Channel.name == "OA系统"))
        stored = channel.secret
        secret = sealing.unseal(stored)
        channel_id = channel.id
    assert sealing.is_sealed(stored) and secret not in stored
    assert secret in response.text
    listing = client.get("/admin/channels").text
    edit = client.get(f"/admin/channels/{channel_id}").text
    assert secret not in listing and secret not in edit
    assert "••••" + secret[-4:] in listing and "••••" + secret[-4:] in edit
    assert (
        "问题事件" in edit
        and "问题已销号" in edit
        and 'value="closed" id="event-closed" checked' in edit
    )

    renewed = client.post(f"/admin/channels/{channel_id}/secret")
    assert renewed.status_code == 200
    with look():
        fresh = sealing.unseal(db.session.get(Channel, channel_id).secret)
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "channel.secret"))
        assert secret not in json.dumps(audit.changes, ensure_ascii=False)
    assert fresh != secret and fresh in renewed.text
    # Saving the form again keeps the secret and shows no secret page.
    again = client.post(
        f"/admin/channels/{channel_id}",
        data={
            "name": "OA系统",
            "kind": WEBHOOK,
            "enabled": "y",
            "task_force_id": str(world.task_force_id),
            "events": ["created"],
        },
    )
    assert again.status_code == 302
    with look():
        assert sealing.unseal(db.session.get(Channel, channel_id).secret) == fresh
        assert service.events_of(db.session.get(Channel, channel_id)).events == ["created"]


def test_a_typed_secret_is_kept_sealed_and_not_shown_back(client, auth, world, receiver, look):
    auth.login("admin")
    response = _post_new(client, receiver, world, secret="my-own-shared-secret-0042")
    assert response.status_code == 302
    with look():
        channel = db.session.scalar(select(Channel).where(Channel.name == "OA系统"))
        assert sealing.unseal(channel.secret) == "my-own-shared-secret-0042"
        assert "my-own" not in channel.secret


@pytest.mark.parametrize(
    "more, error",
    [
        (
            {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t"},
            "只有通用 JSON 网络钩子可以推送问题事件",
        ),
        ({"task_force_id": ""}, "请选择推送哪个攻坚小组的问题事件"),
    ],
)
def test_item_events_need_a_generic_webhook_and_a_task_force(
    client, auth, world, receiver, look, more, error
):
    auth.login("admin")
    response = _post_new(client, receiver, world, **more)
    assert response.status_code == 200  # the form again, with its error
    assert error in response.text
    assert "OA系统" in response.text  # what was typed stays on the form
    with look():
        assert (
            db.session.scalar(select(func.count(Channel.id)).where(Channel.name == "OA系统")) == 0
        )


def test_the_form_offers_each_task_force_by_name(client, auth, world, look):
    from app.people.models import TaskForce

    auth.login("admin")
    page = client.get("/admin/channels/new").get_data(as_text=True)
    assert '<option value="">— 不推送问题事件 —</option>' in page
    with look():
        for task_force in db.session.scalars(select(TaskForce)):
            assert f'<option value="{task_force.id}">{task_force.name}</option>' in page
