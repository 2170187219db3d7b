"""Carrying the outbox over the channels each person chose; nothing twice, nothing lost.

The delivery pass is a job, and its own unit-of-work boundary several times over: each
claim, each renewal and each outcome is committed on its own (``db.session.commit``
below), because no transaction may stay open while a channel is talked to, and another
sender must see a claim the moment it is made. Nothing else in ``notify`` commits.

One pass (``deliver_due``):

1. ``enqueue``: one INSERT … SELECT adds a ``Delivery`` for every outbox row × channel the
   recipient subscribed to, for rows written at or after the subscription began
   (``Subscription.since``): history from before a person chose a channel — the demo's
   replayed year, say — stays in the app and is never mailed. The pair (notification,
   channel) is unique in the database; a second process inserting it is skipped.
   Rows older than ``DELIVERY_LOOKBACK_DAYS`` are not looked at (a scheduler down for
   longer than that leaves them in the app only). An item event's deliveries need no
   such step: they are written with the change itself (``events.queue_item_event``),
   one per subscribed generic webhook, and have no recipient (nor quiet hours).
2. Deliveries that are due and not held by another sender are claimed with one
   conditional UPDATE under a fresh claim token, for a lease of
   ``DELIVERY_LEASE_SECONDS``: of two senders, only one gets each row. A claim takes no
   more rows than the lease can send if every send took its whole timeout
   (``claim_size``). Those of people now in their quiet hours wait until the hours end.
   The claimed rows are read into plain values and the transaction ends.
3. Each claimed delivery, in turn: the claim is renewed for a full lease if it is still
   this sender's (compare-and-set on the token; a sender whose lease ran out and whose
   row another sender took skips it); it is sent outside any transaction; the outcome
   is written only under this sender's own token: sent, or retried later with a doubling
   wait, or given up after ``DELIVERY_MAX_ATTEMPTS`` tries. The admin sees every failure
   with its error until it succeeds or is given up.
4. Claims follow one another until nothing is due or ``limit`` rows were looked at.

No transaction is open while a server is being talked to, so on SQLite no write lock is
held while a robot takes its time and web saves go on. A message goes out twice only if
one send outlasts a whole lease (the lease is many times the timeouts); then the later
sender's outcome stands and the first one's is not written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import exists, literal, or_, select, update

from app.core import clock
from app.core.links import in_task_force
from app.core.models import Notification
from app.core.scope import unscoped
from app.extensions import db
from app.notify.channels import Endpoint, Mention, Message, SendFailed, send, send_event
from app.notify.events import event_type
from app.notify.models import (
    GIVEN_UP,
    PENDING,
    SENT,
    Channel,
    Delivery,
    ItemEvent,
    QuietHours,
    Subscription,
)
from app.notify.store import insert_select_or_skip
from app.people.models import TaskForce, User


@dataclass
class DeliveryReport:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    postponed: int = 0
    # Claims another sender took over after this one's lease ran out.
    taken_over: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        return not any(
            (self.queued, self.sent, self.failed, self.given_up, self.postponed, self.taken_over)
        )

    def __str__(self) -> str:
        return (
            f"queued {self.queued}, sent {self.sent}, failed {self.failed}, "
            f"given up {self.given_up}, postponed {self.postponed}"
            + (f", taken over {self.taken_over}" if self.taken_over else "")
        )


def enqueue() -> int:
    """Add the deliveries the outbox calls for; returns how many are new."""
    now = clock.now()
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
    """The next end of ``quiet`` after ``local``, as an instant."""
    end = datetime.combine(local.date(), quiet.ends, tzinfo=local.tzinfo)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def _postpone_quiet(candidates: list[tuple[int, int]], report: DeliveryReport) -> set[int]:
    """Move the deliveries of people in quiet hours to the hours' end; returns their ids."""
    # Item events have no recipient, and no quiet hours: systems read them at any hour.
    recipients = {recipient_id for _id, recipient_id in candidates if recipient_id is not None}
    if not recipients:
        return set()
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
    report.postponed += len(postponed)
    return postponed


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def claim_size() -> int:
    """How many deliveries one claim takes: as many as a lease can send if each send took
    the longest timeout of the channels (webhook or SMTP), and at least one."""
    config = current_app.config
    longest = max(config["DELIVERY_HTTP_TIMEOUT"], config["SMTP_TIMEOUT"], 1)
    return max(1, int(config["DELIVERY_LEASE_SECONDS"] // longest))


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery with everything needed to send it, read before sending."""

    id: int
    token: str
    attempts: int  # tries before this one
    message: Message | None  # None for an item event
    endpoint: Endpoint
    label: str  # "channel → username" (or "→ item.created"), for the report
    event: Event | None = None


@dataclass(frozen=True)
class Event:
    """An item event's body as written when it happened, and its type for the header."""

    type: str
    body: str


def _outgoing(row, token: str) -> Outgoing:
    """A claimed row, read into plain values: a message to a person, or an item event."""
    endpoint = Endpoint(kind=row.channel_kind, url=row.url, secret=row.secret, delivery=str(row.id))
    if row.event_body is not None:
        kind = event_type(row.event_kind)
        return Outgoing(
            id=row.id,
            token=token,
            attempts=row.attempts,
            message=None,
            endpoint=endpoint,
            label=f"{row.name} → {kind}",
            event=Event(kind, row.event_body),
        )
    return Outgoing(
        id=row.id,
        token=token,
        attempts=row.attempts,
        message=Message(
            recipient_name=row.display_name,
            recipient_email=row.email,
            locale=row.locale,
            kind=row.kind,
            text=row.text,
            # Read outside the app, the link must say which task force it opens in.
            link=in_task_force(row.link, row.task_force_id),
            task_force=row.task_force_name,
            # A message to one person mentions that person on the robots.
            mentions=(Mention.of(row),),
        ),
        endpoint=endpoint,
        label=f"{row.name} → {row.username}",
    )


def _claim(limit: int, report: DeliveryReport) -> tuple[list[Outgoing], int]:
    """Claim up to ``limit`` due deliveries for this sender, in a short transaction of its
    own; returns what to send and how many due rows were looked at."""
    now = clock.now()
    free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    candidates = db.session.execute(
        select(Delivery.id, Delivery.recipient_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(Delivery.status == PENDING, Delivery.due_at <= now, free, Channel.enabled.is_(True))
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
    ).all()
    if not candidates:
        db.session.commit()
        return [], 0
    postponed = _postpone_quiet(candidates, report)
    ids = [i for i, _r in candidates if i not in postponed]
    token = uuid.uuid4().hex
    if ids:
        # The condition is checked again in the UPDATE: of two senders, one gets each row.
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == PENDING, free)
            .values(claimed_by=token, claimed_until=now + lease())
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    rows = db.session.execute(
        select(
            Delivery.id,
            Delivery.attempts,
            Notification.kind,
            Notification.text,
            Notification.link,
            Notification.task_force_id,
            TaskForce.name.label("task_force_name"),
            User.username,
            User.display_name,
            User.email,
            User.locale,
            User.mobile,
            User.wecom_userid,
            User.dingtalk_userid,
            User.feishu_user_id,
            Channel.name,
            Channel.kind.label("channel_kind"),
            Channel.url,
            Channel.secret,
            ItemEvent.event.label("event_kind"),
            ItemEvent.body.label("event_body"),
        )
        .outerjoin(Notification, Notification.id == Delivery.notification_id)
        .outerjoin(User, User.id == Delivery.recipient_id)
        .outerjoin(ItemEvent, ItemEvent.id == Delivery.event_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .outerjoin(TaskForce, TaskForce.id == Notification.task_force_id)
        .where(Delivery.claimed_by == token)
        .order_by(Delivery.id)
    ).all()
    db.session.commit()  # nothing stays open while the network is talked to
    return [_outgoing(row, token) for row in rows], len(candidates)


def _renew(outgoing: Outgoing) -> bool:
    """Extend this sender's claim for a full lease and count the try, just before sending.

    False when the claim is no longer this sender's: its lease ran out and another sender
    took the row (and may have sent it already). Still holding the token means nobody
    else did, even when the lease itself has run out.
    """
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == outgoing.id,
            Delivery.claimed_by == outgoing.token,
            Delivery.status == PENDING,
        )
        .values(claimed_until=clock.now() + lease(), attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _record(outgoing: Outgoing, **outcome) -> bool:
    """Write the outcome and release the claim, only if the claim is still this sender's."""
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.id == outgoing.id, Delivery.claimed_by == outgoing.token)
        .values(claimed_by=None, claimed_until=None, **outcome)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed tries: the base, doubled each time, capped."""
    config = current_app.config
    seconds = config["DELIVERY_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["DELIVERY_BACKOFF_MAX_SECONDS"]))


def _deliver(outgoing: Outgoing, report: DeliveryReport) -> None:
    """Renew the claim, send outside any transaction, record the outcome under the claim."""
    if not _renew(outgoing):
        report.taken_over += 1
        return
    attempts = outgoing.attempts + 1
    try:
        if outgoing.event is not None:
            answer = send_event(outgoing.event.body, outgoing.event.type, outgoing.endpoint)
        else:
            answer = send(outgoing.message, outgoing.endpoint)
    except SendFailed as error:
        outcome: dict = {"last_error": str(error)[:2000]}
        if attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]:
            outcome["status"] = GIVEN_UP
        else:
            outcome["due_at"] = clock.now() + backoff(attempts)
        failure = f"{outgoing.label}: {error}"
    else:
        outcome = {"status": SENT, "sent_at": clock.now(), "response": str(answer)}
        failure = None
    if not _record(outgoing, **outcome):
        # The send outlasted the lease and another sender took the row over: its outcome
        # stands. A lease many times the timeouts keeps this from happening.
        report.taken_over += 1
        report.errors.append(f"{outgoing.label}: lease ran out while sending")
        current_app.logger.warning(
            "delivery %s: lease ran out while sending; DELIVERY_LEASE_SECONDS is too short",
            outgoing.id,
        )
    elif failure is None:
        report.sent += 1
    else:
        report.errors.append(failure)
        if outcome.get("status") == GIVEN_UP:
            report.given_up += 1
        else:
            report.failed += 1


def deliver_due(limit: int = 200) -> DeliveryReport:
    """One delivery pass: queue, then claim and send until nothing is due or ``limit``
    due rows were looked at. Safe to run in several processes at once."""
    report = DeliveryReport()
    with unscoped():
        report.queued = enqueue()
        db.session.commit()
        looked_at = 0
        while looked_at < limit:
            batch, seen = _claim(min(claim_size(), limit - looked_at), report)
            if not seen:
                break
            looked_at += seen
            for outgoing in batch:
                _deliver(outgoing, report)
    return report


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
