"""The reminders feature's part of the test world: a channel and a failed delivery, and an
item event a webhook gave up on, with a switched-off channel that carries item events."""

from __future__ import annotations

import json

from app.core.outbox import notify
from app.extensions import db
from app.notify.models import (
    GIVEN_UP,
    ITEM_EVENTS,
    WEBHOOK,
    Channel,
    Delivery,
    EventSubscription,
    ItemEvent,
)

WORLD_CHANNEL = "测试群机器人"
WORLD_EVENTS_CHANNEL = "OA接口（停用）"

URL_VALUES: dict = {
    "channel_id": lambda w: w.ids["channel"],
    "delivery_id": lambda w: w.ids["delivery"],
    "rule": lambda w: "overdue",
}


def build(world) -> None:
    """A webhook channel nobody listens on (port 9 refuses at once) and one delivery given
    up; an item event given up on it too; a disabled webhook carrying every item event of
    the first task force (disabled: the tests' own changes queue nothing for it)."""
    channel = Channel(name=WORLD_CHANNEL, kind=WEBHOOK, url="http://127.0.0.1:9/hook")
    db.session.add(channel)
    message = notify(world.users["admin"], "digest", "本周简报", unique_key="world:digest")
    db.session.flush()
    delivery = Delivery(
        notification_id=message.id,
        channel_id=channel.id,
        recipient_id=world.users["admin"],
        status=GIVEN_UP,
        attempts=8,
        last_error="URLError: connection refused",
    )
    event = ItemEvent(
        uuid="00000000-0000-4000-8000-000000000001",
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        event="created",
        summary="KH-001 现金管理类产品归集与支付",
        body=json.dumps({"type": "item.created"}),
    )
    events_channel = Channel(
        name=WORLD_EVENTS_CHANNEL, kind=WEBHOOK, url="http://127.0.0.1:9/oa", enabled=False
    )
    db.session.add_all([delivery, event, events_channel])
    db.session.flush()
    db.session.add_all(
        [
            Delivery(
                event_id=event.id,
                channel_id=channel.id,
                status=GIVEN_UP,
                attempts=8,
                last_error="URLError: connection refused",
            ),
            *(
                EventSubscription(
                    channel_id=events_channel.id, task_force_id=world.task_force_id, event=kind
                )
                for kind in ITEM_EVENTS
            ),
        ]
    )
    db.session.commit()
    world.ids["channel"] = channel.id
    world.ids["delivery"] = delivery.id
