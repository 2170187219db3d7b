"""Carrying the outbox over the channels each person chose; nothing twice, nothing lost.

One pass (``deliver_due``):

1. ``enqueue``: one INSERT … SELECT adds a ``Delivery`` for every outbox row × channel the
   recipient subscribed to, for rows written at or after the subscription began
   (``Subscription.since``): history from before a person chose a channel — the demo's
   replayed year, say — stays in the app and is never mailed. The pair (notification,
   channel) is unique in the database; a second process inserting it is skipped.
   Rows older than ``DELIVERY_LOOKBACK_DAYS`` are not looked at (a scheduler down for
   longer than that leaves them in the app only).
2. Deliveries that are due and not held by another sender are claimed with one
   conditional UPDATE (a lease): of two senders, only one gets each row.
   Those of people now in their quiet hours wait until the hours end.
3. Each claimed delivery is sent and its outcome committed at once: sent, or retried
   later with a doubling wait, or given up after ``DELIVERY_MAX_ATTEMPTS`` tries. The
   admin sees every failure with its error until it succeeds or is given up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import exists, literal, or_, select, update

from app.core import clock
from app.core.links import in_task_force
from app.core.models import Notification
from app.core.scope import unscoped
from app.extensions import db
from app.notify.channels import Message, SendFailed, send
from app.notify.models import (
    GIVEN_UP,
    PENDING,
    SENT,
    Channel,
    Delivery,
    QuietHours,
    Subscription,
)
from app.notify.store import insert_select_or_skip
from app.people.models import TaskForce, User

LEASE = timedelta(minutes=5)


@dataclass
class DeliveryReport:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        return not (self.queued or self.sent or self.failed or self.given_up or self.postponed)

    def __str__(self) -> str:
        return (
            f"queued {self.queued}, sent {self.sent}, failed {self.failed}, "
            f"given up {self.given_up}, postponed {self.postponed}"
        )


def enqueue() -> int:
    """Add the deliveries the outbox calls for; returns how many are new."""
    now = clock.utcnow()
    lookback_days = current_app.config["DELIVERY_LOOKBACK_DAYS"]
    query = (
        select(
            Notification.id,
            Subscription.channel_id,
            Notification.recipient_id,
            literal(PENDING),
            literal(0),
            Notification.created_at,
            literal(""),
            literal(""),
            literal(now),
        )
        .join(Subscription, Subscription.user_id == Notification.recipient_id)
        .join(Channel, Channel.id == Subscription.channel_id)
        .where(
            Channel.enabled.is_(True),
            Notification.created_at >= Subscription.since,
            # Bounded work each minute, whatever the size of the outbox.
            Notification.created_at >= now - timedelta(days=lookback_days),
            ~exists().where(
                Delivery.notification_id == Notification.id,
                Delivery.channel_id == Subscription.channel_id,
            ),
        )
    )
    columns = [
        "notification_id",
        "channel_id",
        "recipient_id",
        "status",
        "attempts",
        "due_at",
        "last_error",
        "response",
        "created_at",
    ]
    return insert_select_or_skip(
        Delivery.__table__, columns, query, "notification_id", "channel_id"
    )


def in_quiet_hours(quiet: QuietHours, local: datetime) -> bool:
    moment = local.time()
    if quiet.starts <= quiet.ends:
        return quiet.starts <= moment < quiet.ends
    return moment >= quiet.starts or moment < quiet.ends  # wraps midnight


def quiet_hours_end(quiet: QuietHours, local: datetime) -> datetime:
    """The next end of ``quiet`` after ``local``, as naive UTC."""
    end = datetime.combine(local.date(), quiet.ends, tzinfo=local.tzinfo)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(clock.now().tzinfo).replace(tzinfo=None)


def _postpone_quiet(candidates: list[tuple[int, int]], report: DeliveryReport) -> set[int]:
    """Move the deliveries of people in quiet hours to the hours' end; returns their ids."""
    recipients = {recipient_id for _id, recipient_id in candidates}
    quiet_rows = db.session.scalars(select(QuietHours).where(QuietHours.user_id.in_(recipients)))
    local = clock.local_now()
    waiting: dict[int, datetime] = {
        q.user_id: quiet_hours_end(q, local) for q in quiet_rows if in_quiet_hours(q, local)
    }
    postponed = set()
    for user_id, until in waiting.items():
        ids = [i for i, r in candidates if r == user_id]
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(due_at=until))
        postponed.update(ids)
    report.postponed = len(postponed)
    return postponed


def _claim(limit: int, report: DeliveryReport) -> str | None:
    """Claim up to ``limit`` due deliveries for this sender; returns the claim token."""
    now = clock.utcnow()
    free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    candidates = db.session.execute(
        select(Delivery.id, Delivery.recipient_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(Delivery.status == PENDING, Delivery.due_at <= now, free, Channel.enabled.is_(True))
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
    ).all()
    if not candidates:
        return None
    postponed = _postpone_quiet(candidates, report)
    ids = [i for i, _r in candidates if i not in postponed]
    token = uuid.uuid4().hex
    if ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == PENDING, free)
            .values(claimed_by=token, claimed_until=now + LEASE)
        )
    db.session.commit()
    return token


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed tries: the base, doubled each time, capped."""
    config = current_app.config
    seconds = config["DELIVERY_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["DELIVERY_BACKOFF_MAX_SECONDS"]))


def _send_one(
    notification: Notification, user: User, channel: Channel, task_force: str | None
) -> str:
    message = Message(
        recipient_name=user.display_name,
        recipient_email=user.email,
        locale=user.locale,
        kind=notification.kind,
        text=notification.text,
        # Read outside the app, the link must say which task force it opens in.
        link=in_task_force(notification.link, notification.task_force_id),
        task_force=task_force,
    )
    return send(message, channel)


def deliver_due(limit: int = 200) -> DeliveryReport:
    """One delivery pass: queue, claim, send. Safe to run in several processes at once."""
    report = DeliveryReport()
    max_attempts = current_app.config["DELIVERY_MAX_ATTEMPTS"]
    with unscoped():
        report.queued = enqueue()
        db.session.commit()
        token = _claim(limit, report)
        if token is None:
            return report
        claimed = db.session.execute(
            select(Delivery, Notification, User, Channel, TaskForce.name)
            .join(Notification, Notification.id == Delivery.notification_id)
            .join(User, User.id == Delivery.recipient_id)
            .join(Channel, Channel.id == Delivery.channel_id)
            .outerjoin(TaskForce, TaskForce.id == Notification.task_force_id)
            .where(Delivery.claimed_by == token)
            .order_by(Delivery.id)
        ).all()
        for delivery, notification, user, channel, task_force in claimed:
            delivery.attempts += 1
            delivery.claimed_by = None
            delivery.claimed_until = None
            try:
                delivery.response = _send_one(notification, user, channel, task_force)
            except SendFailed as error:
                delivery.last_error = str(error)[:2000]
                if delivery.attempts >= max_attempts:
                    delivery.status = GIVEN_UP
                    report.given_up += 1
                else:
                    delivery.due_at = clock.utcnow() + backoff(delivery.attempts)
                    report.failed += 1
                report.errors.append(f"{channel.name} → {user.username}: {error}")
            else:
                delivery.status = SENT
                delivery.sent_at = clock.utcnow()
                report.sent += 1
            # Commit each outcome: a crash later in the batch must not resend this one.
            db.session.commit()
    return report


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
