"""The reminders feature's part of the test world: a channel and a failed delivery."""

from __future__ import annotations

from app.core.outbox import notify
from app.extensions import db
from app.notify.models import GIVEN_UP, WEBHOOK, Channel, Delivery

WORLD_CHANNEL = "测试群机器人"

URL_VALUES: dict = {
    "channel_id": lambda w: w.ids["channel"],
    "delivery_id": lambda w: w.ids["delivery"],
    "rule": lambda w: "overdue",
}


def build(world) -> None:
    """A webhook channel nobody listens on (port 9 refuses at once) and one delivery given up."""
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
    db.session.add(delivery)
    db.session.commit()
    world.ids["channel"] = channel.id
    world.ids["delivery"] = delivery.id
