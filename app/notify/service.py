"""Channels (admin), each person's preferences, and the delivery log.

Every function takes the acting user, checks the permission table and writes the audit
event; the caller's boundary commits (``core/unit.py``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import time

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.core import audit, clock, sealing
from app.core.errors import NotFound, ValidationFailed
from app.core.models import Notification
from app.core.permissions import authorize
from app.core.reminders import RULES
from app.core.scheduler import JobRun
from app.extensions import db
from app.notify.addresses import MASK, AddressRefused, check_address, masked_url
from app.notify.channels import Endpoint, Mention, Message, SendFailed, send
from app.notify.models import (
    CHANNEL_KINDS,
    EMAIL,
    GIVEN_UP,
    ITEM_EVENTS,
    PENDING,
    SENT,
    WEBHOOK,
    Channel,
    Delivery,
    EventSubscription,
    ItemEvent,
    QuietHours,
    RuleOptOut,
    Subscription,
)
from app.notify.rules import current_context, items_of, rule_named
from app.people.models import TaskForce, User

# --- the items of a grouped reminder ------------------------------------------------------


@dataclass
class ReminderItem:
    issue_id: int
    code: str
    title: str
    detail: str  # what is due and when, in the reader's language


def reminder_items(actor: User, rule_name: str, task_force_id: int) -> list[ReminderItem]:
    """The actor's items that a grouped rule reminds them of, now (the message's link).

    :raise NotFound: for an unknown rule or one that is not about a person's items.
    """
    authorize(actor, "issue.view", task_force_id)
    try:
        rule = rule_named(rule_name)
    except KeyError:
        raise NotFound("no such reminder") from None
    if rule.group is None:
        raise NotFound("no such reminder")
    ctx = current_context()
    return [
        ReminderItem(row.subject_id, row.code, row.title, rule.group.detail(row, ctx))
        for row in items_of(rule, actor.id, task_force_id, ctx)
    ]


# --- channels ------------------------------------------------------------------------------


@dataclass
class ChannelInput:
    name: str
    kind: str
    url: str = ""
    secret: str = ""  # empty on edit: keep the stored one (a new webhook: one is made)
    enabled: bool = True
    clear_secret: bool = False
    # A generic webhook's item events (``models.ITEM_EVENTS``) of one task force.
    task_force_id: int | None = None
    events: list[str] = field(default_factory=list)


def new_secret() -> str:
    """A signing secret for a generic webhook: 256 random bits, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ChannelEvents:
    """What a channel carries of the problem list: one task force's item events."""

    task_force_id: int | None
    events: list[str]


def events_of(channel: Channel | None) -> ChannelEvents:
    if channel is None:
        return ChannelEvents(None, [])
    rows = db.session.execute(
        select(EventSubscription.task_force_id, EventSubscription.event).where(
            EventSubscription.channel_id == channel.id
        )
    ).all()
    task_force_id = rows[0].task_force_id if rows else None
    return ChannelEvents(task_force_id, [e for e in ITEM_EVENTS if e in {r.event for r in rows}])


def carried_events() -> dict[int, tuple[str, list[str]]]:
    """For the channel list: each channel's task force (by name) and item events."""
    rows = db.session.execute(
        select(EventSubscription.channel_id, TaskForce.name, EventSubscription.event).join(
            TaskForce, TaskForce.id == EventSubscription.task_force_id
        )
    ).all()
    carried: dict[int, tuple[str, list[str]]] = {}
    for row in rows:
        carried.setdefault(row.channel_id, (row.name, []))[1].append(row.event)
    return {
        channel_id: (name, [e for e in ITEM_EVENTS if e in events])
        for channel_id, (name, events) in carried.items()
    }


def task_force_choices() -> list[tuple[int, str]]:
    """The task forces whose item events a webhook may carry, by name."""
    rows = db.session.execute(select(TaskForce.id, TaskForce.name).order_by(TaskForce.name))
    return [(row.id, row.name) for row in rows]


def list_channels(actor: User) -> list[Channel]:
    authorize(actor, "channel.manage")
    return list(db.session.scalars(select(Channel).order_by(Channel.name)))


def enabled_channels() -> list[Channel]:
    return list(
        db.session.scalars(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name))
    )


def get_channel(channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("channel")
    return channel


def _check_channel(data: ChannelInput, channel: Channel | None) -> None:
    if data.kind not in CHANNEL_KINDS:
        raise ValidationFailed(_("Choose a kind of channel."), "kind")
    clash = db.session.scalar(select(Channel).where(Channel.name == data.name))
    if clash is not None and clash is not channel:
        raise ValidationFailed(_("Another channel has this name."), "name")
    if data.events:
        if data.kind != WEBHOOK:
            raise ValidationFailed(_("Only a generic JSON webhook carries item events."), "events")
        if set(data.events) - set(ITEM_EVENTS):
            raise ValidationFailed(_("Choose among the item events."), "events")
        if data.task_force_id is None or db.session.get(TaskForce, data.task_force_id) is None:
            raise ValidationFailed(
                _("Choose the task force whose items it tells of."), "task_force_id"
            )
    if data.kind == EMAIL:
        return
    if not data.url.startswith(("http://", "https://")):
        raise ValidationFailed(_("A webhook needs its http(s) address."), "url")
    try:
        check_address(data.kind, data.url)
    except AddressRefused as refused:
        raise ValidationFailed(str(refused), "url") from None


def save_channel(actor: User, channel_id: int | None, data: ChannelInput) -> SavedChannel:
    """Create (``channel_id`` None) or change a channel, and the item events it carries.

    The form shows a stored address masked; left empty or as shown, the stored one stays.
    Secrets are stored sealed; a generic webhook without a typed one gets one made (the
    result carries it, to be shown once).
    :raise ValidationFailed: on a duplicate name, an unknown kind, a webhook without URL,
        an address a channel of its kind may not send to (``addresses``), or item events
        on a channel other than a generic webhook, or without their task force.
    """
    authorize(actor, "channel.manage")
    channel = get_channel(channel_id) if channel_id is not None else None
    if channel is not None and data.url in ("", masked_url(channel.url)):
        data.url = channel.url  # the form leaves the stored address (and its token) unshown
    elif MASK in data.url:
        raise ValidationFailed(_("The address still contains ••••: type it in full."), "url")
    _check_channel(data, channel)
    values = {
        "name": data.name,
        "kind": data.kind,
        "url": data.url if data.kind != EMAIL else "",
        "enabled": data.enabled,
    }
    made = ""  # a secret made here, shown once
    if data.secret:
        values["secret"] = sealing.seal(data.secret)
    elif data.kind == WEBHOOK and (
        channel is None or data.clear_secret or not channel.secret or channel.kind != WEBHOOK
    ):
        # A generic webhook always signs: a new one (or one that lost its secret) gets one.
        made = new_secret()
        values["secret"] = sealing.seal(made)
    elif data.clear_secret:
        values["secret"] = ""
    before_events = events_of(channel)
    if channel is None:
        channel = Channel(**values)
        db.session.add(channel)
        db.session.flush()
        changes = {"kind": [None, channel.kind], "url": [None, channel.masked_url]}
        changes.update(_save_events(channel, before_events, data))
        audit.record(actor, "channel.create", channel, changes, summary=channel.name)
    else:
        before = channel.masked_url
        changes = audit.apply_changes(channel, values)
        if "secret" in changes:
            changes["secret"] = [MASK, MASK]  # never in the log
        if "url" in changes:
            changes["url"] = [before, channel.masked_url]  # the tokens masked
        changes.update(_save_events(channel, before_events, data))
        audit.record(actor, "channel.edit", channel, changes, summary=channel.name)
    return SavedChannel(channel, made)


@dataclass(frozen=True)
class SavedChannel:
    channel: Channel
    new_secret: str = ""  # a secret made by the save, to be shown once, or empty


def _save_events(channel: Channel, before: ChannelEvents, data: ChannelInput) -> dict:
    """Replace the channel's item events; returns the changes for the audit."""
    events = [e for e in ITEM_EVENTS if e in set(data.events)] if data.kind == WEBHOOK else []
    task_force_id = data.task_force_id if events else None
    after = ChannelEvents(task_force_id, events)
    if after == before:
        return {}
    db.session.execute(delete(EventSubscription).where(EventSubscription.channel_id == channel.id))
    db.session.add_all(
        EventSubscription(channel_id=channel.id, task_force_id=task_force_id, event=event)
        for event in events
    )
    changes: dict = {}
    if before.events != after.events:
        changes["events"] = [before.events, after.events]
    if before.task_force_id != after.task_force_id:
        changes["task_force_id"] = [before.task_force_id, after.task_force_id]
    return changes


def renew_secret(actor: User, channel_id: int) -> str:
    """Give a generic webhook a new signing secret; returns it, to be shown once. The old
    one stops signing at once (deliveries waiting for a retry are signed with the new).

    :raise ValidationFailed: for a channel that is not a generic webhook.
    """
    authorize(actor, "channel.manage")
    channel = get_channel(channel_id)
    if channel.kind != WEBHOOK:
        raise ValidationFailed(_("Only a generic JSON webhook has a secret made here."), "secret")
    made = new_secret()
    channel.secret = sealing.seal(made)
    audit.record(actor, "channel.secret", channel, {"secret": [MASK, MASK]}, summary=channel.name)
    return made


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    answer: str  # one short status line, never the body the channel answered with


def test_channel(actor: User, channel_id: int) -> TestOutcome:
    """Send a test message to the acting admin over the channel (mentioning them, as a
    reminder would); returns the channel's status line."""
    authorize(actor, "channel.manage")
    channel = get_channel(channel_id)
    message = Message(
        recipient_name=actor.display_name,
        recipient_email=actor.email,
        locale=actor.locale,
        kind="test",
        text=_("Test message from Gongjian over the channel %(name)s.", name=channel.name),
        link="/notifications",
        mentions=(Mention.of(actor),),
    )
    try:
        outcome = TestOutcome(True, send(message, Endpoint.of(channel)).status)
    except SendFailed as error:
        outcome = TestOutcome(False, error.status)
    # The outcome is a key; the history registry reads it as 成功 / 失败 (notify/__init__.py).
    result = "ok" if outcome.ok else "failed"
    audit.record(actor, "channel.test", channel, {"result": [None, result]})
    return outcome


# --- preferences ---------------------------------------------------------------------------


@dataclass
class Preferences:
    channel_ids: list[int] = field(default_factory=list)
    muted_rules: list[str] = field(default_factory=list)
    quiet_start: time | None = None
    quiet_end: time | None = None


def preferences_of(user: User) -> Preferences:
    channel_ids = db.session.scalars(
        select(Subscription.channel_id).where(Subscription.user_id == user.id)
    ).all()
    muted = db.session.scalars(select(RuleOptOut.rule).where(RuleOptOut.user_id == user.id)).all()
    quiet = db.session.get(QuietHours, user.id)
    return Preferences(
        channel_ids=sorted(channel_ids),
        muted_rules=sorted(muted),
        quiet_start=quiet.starts if quiet else None,
        quiet_end=quiet.ends if quiet else None,
    )


def save_preferences(actor: User, data: Preferences) -> None:
    """Set the acting user's own channels, rules and quiet hours.

    A channel chosen now delivers messages written from now on; mandatory rules stay on.
    :raise ValidationFailed: on half-given quiet hours or an unknown channel.
    """
    authorize(actor, "notification.configure")
    if (data.quiet_start is None) != (data.quiet_end is None):
        raise ValidationFailed(_("Give both the start and the end of quiet hours."), "quiet_end")
    if data.quiet_start is not None and data.quiet_start == data.quiet_end:
        raise ValidationFailed(_("Quiet hours must not start and end at once."), "quiet_end")
    available = {c.id for c in enabled_channels()}
    wanted = set(data.channel_ids)
    if wanted - available:
        raise ValidationFailed(_("Choose among the available channels."), "channels")
    before = preferences_of(actor)
    # Channels the admin switched off stay chosen; the person cannot see them to keep them.
    kept = set(before.channel_ids) - available
    wanted |= kept
    have = set(before.channel_ids)
    for channel_id in wanted - have:
        db.session.add(Subscription(user_id=actor.id, channel_id=channel_id, since=clock.now()))
    if have - wanted:
        db.session.execute(
            delete(Subscription).where(
                Subscription.user_id == actor.id, Subscription.channel_id.in_(have - wanted)
            )
        )
    optional = {r.name for r in RULES if not r.mandatory}
    muted = set(data.muted_rules) & optional
    db.session.execute(delete(RuleOptOut).where(RuleOptOut.user_id == actor.id))
    db.session.add_all(RuleOptOut(user_id=actor.id, rule=name) for name in sorted(muted))
    quiet = db.session.get(QuietHours, actor.id)
    if data.quiet_start is None:
        if quiet is not None:
            db.session.delete(quiet)
    elif quiet is None:
        db.session.add(QuietHours(user_id=actor.id, starts=data.quiet_start, ends=data.quiet_end))
    else:
        quiet.starts, quiet.ends = data.quiet_start, data.quiet_end
    changes = {
        "channels": [before.channel_ids, sorted(wanted)],
        "muted_rules": [before.muted_rules, sorted(muted)],
        "quiet_hours": [
            _hours(before.quiet_start, before.quiet_end),
            _hours(data.quiet_start, data.quiet_end),
        ],
    }
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    audit.record(actor, "notification.preferences", actor, changes)


def _hours(start: time | None, end: time | None) -> str:
    return f"{start:%H:%M}–{end:%H:%M}" if start and end else ""


# --- the delivery log ----------------------------------------------------------------------

TROUBLE = "trouble"  # pending after a failure, or given up


def delivery_counts(actor: User) -> dict[str, int]:
    authorize(actor, "delivery.view")
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    counts = dict(rows)
    counts[TROUBLE] = db.session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.status.in_((PENDING, GIVEN_UP)), Delivery.last_error != "")
    )
    return counts


def _deliveries_with(query, status: str | None):
    if status == TROUBLE:
        return query.where(Delivery.status.in_((PENDING, GIVEN_UP)), Delivery.last_error != "")
    if status:
        return query.where(Delivery.status == status)
    return query


def list_deliveries(actor: User, status: str | None, limit: int, offset: int) -> list:
    """Deliveries, newest first, with their recipient, channel and message, or their item
    event and its item (one query)."""
    authorize(actor, "delivery.view")
    query = (
        select(
            Delivery,
            User.display_name,
            Channel.name,
            Notification.text,
            ItemEvent.event,
            ItemEvent.summary,
        )
        .outerjoin(User, User.id == Delivery.recipient_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .outerjoin(Notification, Notification.id == Delivery.notification_id)
        .outerjoin(ItemEvent, ItemEvent.id == Delivery.event_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return db.session.execute(_deliveries_with(query, status)).all()


def count_deliveries(actor: User, status: str | None) -> int:
    authorize(actor, "delivery.view")
    return db.session.scalar(_deliveries_with(select(func.count(Delivery.id)), status))


def retry_delivery(actor: User, delivery_id: int) -> Delivery:
    """Put a failed or given-up delivery back in the queue, due now, with fresh tries.

    A delivery already sent is left alone: retrying it would send it twice.
    """
    authorize(actor, "channel.manage")
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery")
    if delivery.status == SENT:
        return delivery
    changes = audit.apply_changes(
        delivery, {"status": PENDING, "due_at": clock.now(), "attempts": 0}
    )
    audit.record(actor, "delivery.retry", delivery, changes)
    return delivery


def recent_runs(actor: User, limit: int = 10) -> list[JobRun]:
    """The scheduler's last runs, newest first."""
    authorize(actor, "delivery.view")
    return list(db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))
