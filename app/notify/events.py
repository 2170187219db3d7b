"""Item events for systems outside: queued for the generic webhooks that subscribed.

The problem list and the discussion tell ``core.hooks.ITEM_EVENTS`` of an item created,
moved to another status, closed or commented on; ``queue_item_event`` (its provider)
writes the event's JSON body once (``ItemEvent``) and one ``Delivery`` per enabled
generic webhook that carries that event of that task force, in the caller's transaction:
a change rolled back sends nothing. The delivery pass sends them like every delivery
(the same lease, retries and backoff), each body signed with its channel's secret
(``sign``); the pair (event, channel) is unique, so a receiver gets each event once
per channel, under one ``X-Gongjian-Delivery`` id whatever the tries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import clock
from app.core.hooks import ItemEvent as Happened
from app.core.links import in_task_force
from app.extensions import db
from app.notify.models import (
    ITEM_CLOSED,
    ITEM_COMMENTED,
    ITEM_CREATED,
    ITEM_STATUS_CHANGED,
    PENDING,
    WEBHOOK,
    Channel,
    Delivery,
    EventSubscription,
    ItemEvent,
)
from app.people.models import TaskForce, User

EVENT_LABELS = {
    ITEM_CREATED: _l("Item created"),
    ITEM_STATUS_CHANGED: _l("Item's status changed"),
    ITEM_CLOSED: _l("Item closed"),
    ITEM_COMMENTED: _l("Item commented on"),
}

SIGNATURE_HEADER = "X-Gongjian-Signature"
TIMESTAMP_HEADER = "X-Gongjian-Timestamp"
EVENT_HEADER = "X-Gongjian-Event"
DELIVERY_HEADER = "X-Gongjian-Delivery"


def event_type(event: str) -> str:
    """What a receiver reads: "item.created", "item.status_changed", …"""
    return f"item.{event}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed by ``secret``, of ``"<timestamp>.<body>"``."""
    digest = hmac.new(
        secret.encode("utf-8"), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, event: str, delivery: str) -> dict[str, str]:
    """The headers of a signed post: the signature, its time, the event and the delivery."""
    timestamp = int(clock.now().timestamp())
    headers = {TIMESTAMP_HEADER: str(timestamp), EVENT_HEADER: event, DELIVERY_HEADER: delivery}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return headers


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.display_name}


def _absolute(path: str, task_force_id: int) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + in_task_force(path, task_force_id)


def body_of(happened: Happened, event_id: str, task_force: TaskForce) -> dict:
    """The JSON a receiver gets: the event, its task force, the item as it is now, who
    did it, and the status moved or the comment written."""
    issue = happened.issue
    owner = db.session.get(User, issue.owner_id) if issue.owner_id else None
    body: dict = {
        "id": event_id,
        "type": event_type(happened.kind),
        "occurred_at": clock.local(clock.now()).isoformat(),
        "task_force": {"id": task_force.id, "name": task_force.name},
        "item": {
            "id": issue.id,
            "code": issue.code,
            "title": issue.title,
            "status": issue.status,
            "owner": _person(owner),
            "due": issue.deadline.isoformat() if issue.deadline else None,
            "url": _absolute(f"/issues/{issue.id}", issue.task_force_id),
        },
        "actor": _person(happened.actor),
    }
    details = happened.details
    if happened.kind in (ITEM_STATUS_CHANGED, ITEM_CLOSED):
        body["from"], body["to"] = details["from"], details["to"]
        body["reason"] = details.get("reason") or ""
    elif happened.kind == ITEM_COMMENTED:
        comment_id = details["comment_id"]
        path = f"/issues/{issue.id}?comment={comment_id}"
        body["comment"] = {
            "id": comment_id,
            "text": details["text"],
            "url": _absolute(path, issue.task_force_id) + f"#comment-{comment_id}",
        }
    return body


def _subscribed(task_force_id: int, kind: str) -> list[int]:
    """The enabled generic webhooks that carry ``kind`` for the task force: asked once per
    transaction, so an import of a thousand items asks once, not a thousand times."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get("gj_event_subscriptions")
    if kept is None or kept[0] is not transaction:
        kept = session.info["gj_event_subscriptions"] = (transaction, {})
    answers = kept[1]
    if (task_force_id, kind) not in answers:
        answers[task_force_id, kind] = db.session.scalars(
            select(EventSubscription.channel_id)
            .join(Channel, Channel.id == EventSubscription.channel_id)
            .where(
                EventSubscription.task_force_id == task_force_id,
                EventSubscription.event == kind,
                Channel.enabled.is_(True),
                Channel.kind == WEBHOOK,
            )
            .order_by(EventSubscription.channel_id)
        ).all()
    return answers[task_force_id, kind]


def queue_item_event(happened: Happened, /) -> list:
    """``hooks.ITEM_EVENTS``: queue the event for each enabled generic webhook that carries
    it for the item's task force (one query when none does)."""
    issue = happened.issue
    channel_ids = _subscribed(issue.task_force_id, happened.kind)
    if not channel_ids:
        return []
    task_force = db.session.get(TaskForce, issue.task_force_id)
    event_id = str(uuid.uuid4())
    body = body_of(happened, event_id, task_force)
    event = ItemEvent(
        uuid=event_id,
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        event=happened.kind,
        summary=f"{issue.code} {issue.title}"[:300],
        body=json.dumps(body, ensure_ascii=False),
        occurred_at=clock.now(),
    )
    db.session.add(event)
    db.session.flush()
    db.session.add_all(
        Delivery(event_id=event.id, channel_id=channel_id, status=PENDING, due_at=clock.now())
        for channel_id in channel_ids
    )
    return []
