"""Channels, each person's choices and deliveries (the scheduler's run log, ``JobRun``,
is in ``core/scheduler.py``).

A ``Notification`` (the outbox, in ``core``) is one message to one person. A ``Delivery``
is that message carried over one channel; the pair (notification, channel) is unique in
the database, and the notification's own ``unique_key`` already names the rule, the
subject (or, for a grouped reminder, the task force and a digest of the items listed),
the recipient and the period. So every delivery has one key (rule, subject, recipient,
channel, period), and no process, however many run, sends it twice.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock, sealing
from app.core.models import Notification, TimestampMixin, one_line_attributes
from app.extensions import db

EMAIL = "email"
WECOM = "wecom"
DINGTALK = "dingtalk"
FEISHU = "feishu"
WEBHOOK = "webhook"
CHANNEL_KINDS = (EMAIL, WECOM, DINGTALK, FEISHU, WEBHOOK)

# Delivery states. "pending" waits for its time (a retry, or the end of quiet hours).
PENDING = "pending"
SENT = "sent"
GIVEN_UP = "given_up"
DELIVERY_STATES = (PENDING, SENT, GIVEN_UP)

# The item events a generic webhook may carry (``core.hooks.ITEM_EVENTS``); the type a
# receiver reads is "item.<event>".
ITEM_CREATED = "created"
ITEM_STATUS_CHANGED = "status_changed"
ITEM_CLOSED = "closed"
ITEM_COMMENTED = "commented"
ITEM_EVENTS = (ITEM_CREATED, ITEM_STATUS_CHANGED, ITEM_CLOSED, ITEM_COMMENTED)


class Channel(TimestampMixin, db.Model):
    """A way out configured by the admin: the SMTP server (from settings) or a webhook.

    Bank-wide, not per task force; a generic webhook may also carry the item events of
    task forces (``EventSubscription``). ``secret`` is the signing secret of a DingTalk
    or Feishu robot, or the key a generic webhook signs its posts with; it is stored
    sealed (``core/sealing.py``) and pages show it masked.
    """

    __tablename__ = "notify_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)

    @property
    def masked_secret(self) -> str:
        """The secret's last four characters at most; a sealed value this installation
        cannot open shows as dots alone."""
        if not self.secret:
            return ""
        try:
            return sealing.mask(sealing.unseal(self.secret))
        except sealing.Unreadable:
            return sealing.mask("x")

    @property
    def masked_url(self) -> str:
        """Robot URLs carry their access token (in the query, or Feishu's in the path):
        every query value and token-like path segment is masked."""
        from app.notify.addresses import masked_url

        return masked_url(self.url)


class Subscription(db.Model):
    """A person receives their messages over a channel from ``since`` on.

    Messages written before ``since`` (a year of replayed demo history, or everything
    before a person chose e-mail) stay in the app and never go out by that channel.
    """

    __tablename__ = "notify_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channel.id"), index=True)
    since: Mapped[datetime] = mapped_column(default=clock.now)

    channel: Mapped[Channel] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "channel_id", name="uq_notify_subscription_user_channel"),
    )


class RuleOptOut(db.Model):
    """A person turned a (non-mandatory) reminder rule off."""

    __tablename__ = "notify_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    rule: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("user_id", "rule", name="uq_notify_opt_out_user_rule"),)


class QuietHours(db.Model):
    """A person's quiet hours in local time; may wrap midnight (22:00–07:00)."""

    __tablename__ = "notify_quiet_hours"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    starts: Mapped[time]
    ends: Mapped[time]


class EventSubscription(db.Model):
    """A generic webhook carries one kind of item event of one task force."""

    __tablename__ = "notify_event_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channel.id"), index=True)
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id"))
    event: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint(
            "channel_id", "task_force_id", "event", name="uq_notify_event_subscription"
        ),
        Index("ix_notify_event_subscription_tf_event", "task_force_id", "event"),
    )


class ItemEvent(db.Model):
    """An item's event as it is sent: the JSON body, written once in the unit of work of
    the change, and sent as is (the same bytes on every try). ``uuid`` is the body's
    ``id``; ``summary`` ("KH-001 title") is what the delivery log shows."""

    __tablename__ = "notify_item_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id"), index=True)
    issue_id: Mapped[int]
    event: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)


class Delivery(db.Model):
    """One notification (or one item event) over one channel; retried with backoff
    until sent or given up. An item event's delivery has no recipient."""

    __tablename__ = "notify_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("notify_item_event.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channel.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=clock.now)
    # A sender claims a row for a lease before sending, so two senders never both send it.
    claimed_by: Mapped[str | None] = mapped_column(String(40), index=True)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]

    notification: Mapped[Notification | None] = relationship()
    event: Mapped[ItemEvent | None] = relationship()
    channel: Mapped[Channel] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "notification_id", "channel_id", name="uq_notify_delivery_notification_channel"
        ),
        # The idempotency key of an item event: once per event and channel.
        UniqueConstraint("event_id", "channel_id", name="uq_notify_delivery_event_channel"),
        # A message or an item event, never both nor neither.
        CheckConstraint("(notification_id IS NULL) <> (event_id IS NULL)", name="one_subject"),
        Index("ix_notify_delivery_status_due", "status", "due_at"),
    )


class ToldItems(db.Model):
    """What a grouped reminder last told one person about one task force's items.

    ``items`` holds the items' own period keys, sorted and space-separated (for overdue
    "issue id:deadline"; for due soon "issue|milestone:id:day"); ``told_on`` is the day of
    that message. One row per rule, person and task force, rewritten only when a message
    is written, never per item and never by a pass that tells nothing.
    """

    __tablename__ = "notify_told_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id"))
    items: Mapped[str] = mapped_column(Text, default="")
    told_on: Mapped[date]

    __table_args__ = (
        UniqueConstraint(
            "rule", "recipient_id", "task_force_id", name="uq_notify_told_items_rule_recipient_tf"
        ),
    )


# Names and titles are one line, however they are set.
one_line_attributes(Channel.name)
