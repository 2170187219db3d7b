"""The runner of every registered rule: one query for a rule's targets, one bulk
insert-or-skip into the outbox; grouped rules tell one message per person and task force
(see ``notify/rules/__init__.py``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import exists, select

from app.core import clock
from app.core.i18n import gettext as _
from app.core.models import Notification
from app.core.reminders import (
    RULES,
    Rule,
    RuleContext,
    question,
)
from app.core.scope import unscoped
from app.extensions import db
from app.issues.lights import LightRules
from app.notify.channels import BULLET
from app.notify.models import RuleOptOut, ToldItems
from app.notify.store import insert_or_skip, upsert
from app.people.models import User

SHOWN = 10  # the items a grouped message lists; the rest are counted


def current_context() -> RuleContext:
    """The context of a pass that starts now, with the settings of the application."""
    config = current_app.config
    return RuleContext(
        today=clock.today(),
        now=clock.now(),
        due_soon_days=config["REMINDER_DUE_SOON_DAYS"],
        stale_days=config["REMINDER_STALE_DAYS"],
        unacknowledged_days=config["REMINDER_UNACKNOWLEDGED_DAYS"],
        membership_days=config["REMINDER_MEMBERSHIP_DAYS"],
        light_rules=LightRules.current(),
    )


@dataclass
class RuleResult:
    rule: str
    matched: int = 0  # messages this pass considered (one per person and task force if grouped)
    written: int = 0
    items: int = 0  # rows the targets query matched
    messages: list[dict] = field(default_factory=list)


def rule_named(name: str) -> Rule:
    """:raise KeyError: for an unknown rule."""
    return RULES.named(name)


# --- the runner ----------------------------------------------------------------------------


def _matches(rule: Rule, ctx: RuleContext) -> list:
    targets = rule.targets(ctx).subquery()
    query = (
        select(targets, User.locale.label("locale"))
        .join(User, User.id == targets.c.recipient_id)
        .where(User.active.is_(True))
    )
    if not rule.mandatory:
        query = query.where(
            ~exists().where(
                RuleOptOut.user_id == targets.c.recipient_id, RuleOptOut.rule == rule.name
            )
        )
    # Plain rows through the connection: no ORM loading machinery for thousands of rows.
    return db.session.connection().execute(query).all()


def _in_languages(items: list, locale_of: Callable[[Any], str | None], build: Callable) -> list:
    """``build(item)`` for every item, in its recipient's language: one switch per locale."""
    built = []
    for locale, group in groupby(sorted(items, key=lambda i: locale_of(i) or ""), locale_of):
        with force_locale(locale or "zh_CN"):
            built.extend(build(item) for item in group)
    return built


def _messages(rule: Rule, ctx: RuleContext, rows: list) -> list[dict]:
    extra = rule.prepare(ctx, rows) if rule.prepare else None
    stamp = ctx.now
    return _in_languages(
        rows, lambda row: row.locale, lambda row: _message(rule, ctx, extra, stamp, row)
    )


def _message(rule: Rule, ctx: RuleContext, extra, stamp: datetime, row) -> dict:
    return {
        "recipient_id": row.recipient_id,
        "task_force_id": row.task_force_id,
        "kind": rule.name,
        "subject_type": rule.subject_type,
        "subject_id": row.subject_id,
        "link": rule.link(row),
        "text": rule.message(row, ctx, extra),
        "unique_key": rule.key(row, ctx)[:200],
        "created_at": stamp,
        "read_at": None,
    }


def run_rule(name: str, dry_run: bool = False, ctx: RuleContext | None = None) -> RuleResult:
    """Run one rule now: one query for its targets, one bulk insert-or-skip.

    A grouped rule reads what it last told as well (one more query) and writes one
    message per person and task force that has something to tell.
    With ``dry_run`` nothing is written; ``messages`` lists what would be sent, each
    with ``new`` telling whether it would be a new message.
    :raise KeyError: for an unknown rule.
    """
    rule = rule_named(name)
    ctx = ctx or current_context()
    with unscoped():
        rows = _matches(rule, ctx)
        if rule.group is not None:
            return _run_grouped(rule, ctx, rows, dry_run)
        messages = _messages(rule, ctx, rows)
        result = RuleResult(rule.name, matched=len(messages), items=len(rows))
        if dry_run:
            _mark_new(messages, {m["unique_key"] for m in messages})
            result.messages = messages
            db.session.rollback()
            return result
        result.written = _write(messages)  # committed by the job (or command) that ran it
    return result


def _write(messages: list[dict]) -> int:
    # In key order: two processes writing the same keys at once lock them in one order.
    messages.sort(key=lambda message: message["unique_key"])
    return insert_or_skip(Notification.__table__, messages, "unique_key")


def _mark_new(messages: list[dict], would_write: set[str]) -> None:
    existing = _existing_keys([m["unique_key"] for m in messages])
    for message in messages:
        key = message["unique_key"]
        message["new"] = key in would_write and key not in existing


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.session.scalars(
                select(Notification.unique_key).where(Notification.unique_key.in_(chunk))
            )
        )
    return found


# --- grouped rules: one message per person and task force ------------------------------------


@dataclass
class _Group:
    """One person's items of one rule in one task force, and whether to tell them now."""

    recipient_id: int
    task_force_id: int
    locale: str | None
    keyed: list[tuple[str, Any]]  # (the item's own key, its row)
    fresh: set[str]  # item keys the last message did not list
    first: bool  # no message told before: nothing is marked new
    tell: bool

    def listed(self, order: Callable[[Any], Any]) -> list[tuple[str, Any]]:
        """The items in the order the message lists them: the new ones first."""
        return sorted(self.keyed, key=lambda pair: (pair[0] not in self.fresh, order(pair[1])))

    def keys(self) -> list[str]:
        return sorted(key for key, _row in self.keyed)

    def unique_key(self, rule: Rule, ctx: RuleContext) -> str:
        digest = hashlib.blake2b(" ".join(self.keys()).encode(), digest_size=8).hexdigest()
        return f"{rule.name}:{self.recipient_id}:{self.task_force_id}:{ctx.today}:{digest}"


def _told(rule: Rule) -> dict[tuple[int, int], tuple[set[str], date]]:
    """What the rule last told each person per task force: one query."""
    rows = db.session.execute(
        select(
            ToldItems.recipient_id, ToldItems.task_force_id, ToldItems.items, ToldItems.told_on
        ).where(ToldItems.rule == rule.name)
    ).all()
    return {
        (row.recipient_id, row.task_force_id): (set(row.items.split()), row.told_on) for row in rows
    }


def _groups(rule: Rule, ctx: RuleContext, rows: list) -> list[_Group]:
    """Each person's items per task force, and whether there is something to tell.

    Cheap for the common case of nothing new: the items' keys are compared with the last
    message's; sorting and rendering wait for the groups that are told.
    """
    item_key = rule.group.item_key
    by_person: dict[tuple[int, int], list] = {}
    for row in rows:
        by_person.setdefault((row.recipient_id, row.task_force_id), []).append(
            (item_key(row, ctx), row)
        )
    told = _told(rule)
    again = rule.group.again_after(ctx)
    groups = []
    for (recipient_id, task_force_id), keyed in by_person.items():
        before, told_on = told.get((recipient_id, task_force_id), (set(), None))
        fresh = {key for key, _row in keyed if key not in before}
        repeat = told_on is not None and again is not None and (ctx.today - told_on).days >= again
        groups.append(
            _Group(
                recipient_id,
                task_force_id,
                keyed[0][1].locale,
                keyed,
                fresh,
                first=told_on is None,
                tell=bool(fresh) or repeat,
            )
        )
    return groups


def _run_grouped(rule: Rule, ctx: RuleContext, rows: list, dry_run: bool) -> RuleResult:
    groups = _groups(rule, ctx, rows)
    result = RuleResult(rule.name, matched=len(groups), items=len(rows))
    telling = groups if dry_run else [g for g in groups if g.tell]
    built = _in_languages(telling, lambda g: g.locale, lambda g: (g, _group_message(rule, ctx, g)))
    messages = [message for _group, message in built]
    if dry_run:
        _mark_new(messages, {m["unique_key"] for g, m in built if g.tell})
        result.messages = messages
        db.session.rollback()
        return result
    result.written = _write(messages)
    told = [
        {
            "rule": rule.name,
            "recipient_id": g.recipient_id,
            "task_force_id": g.task_force_id,
            "items": " ".join(g.keys()),
            "told_on": ctx.today,
        }
        for g in telling
    ]
    upsert(ToldItems.__table__, told, ("rule", "recipient_id", "task_force_id"))
    return result


def _group_message(rule: Rule, ctx: RuleContext, group: _Group) -> dict:
    listed = group.listed(rule.group.order)
    first = listed[0][1]
    one = len(listed) == 1
    return {
        "recipient_id": group.recipient_id,
        "task_force_id": group.task_force_id,
        "kind": rule.name,
        "subject_type": rule.subject_type,
        "subject_id": first.subject_id if one else None,
        "link": rule.link(first) if one else f"/reminders/{rule.name}",
        "text": rule.message(first, ctx, None) if one else _group_text(rule, ctx, group, listed),
        "unique_key": group.unique_key(rule, ctx)[:200],
        "created_at": ctx.now,
        "read_at": None,
    }


def items_of(rule: Rule, recipient_id: int, task_force_id: int, ctx: RuleContext) -> list:
    """A grouped rule's items of one person in one task force now, in the message's order.

    The same query as the pass, narrowed: the page a grouped message links to.
    """
    targets = rule.targets(ctx).subquery()
    rows = db.session.execute(
        select(targets).where(
            targets.c.recipient_id == recipient_id, targets.c.task_force_id == task_force_id
        )
    ).all()
    return sorted(rows, key=rule.group.order)


def _group_text(rule: Rule, ctx: RuleContext, group: _Group, listed: list) -> str:
    grouping = rule.group
    lines = [grouping.heading([row for _key, row in listed], ctx)]
    for key, row in listed[:SHOWN]:
        values = {
            "code": row.code,
            "title": question(row.title, 40),
            "detail": grouping.detail(row, ctx),
        }
        new = not group.first and key in group.fresh
        lines.append(
            BULLET
            + (
                _("%(code)s %(title)s: %(detail)s (new)", **values)
                if new
                else _("%(code)s %(title)s: %(detail)s", **values)
            )
        )
    if len(listed) > SHOWN:
        lines.append(_("… and %(n)d more.", n=len(listed) - SHOWN))
    return "\n".join(lines)


def due_rules(ctx: RuleContext) -> list[Rule]:
    """The rules a daily pass runs today: every daily rule, weekly ones on their day."""
    return [r for r in RULES if r.weekday is None or r.weekday == ctx.today.weekday()]


def run_all(dry_run: bool = False) -> list[RuleResult]:
    """One full reminder pass: every rule due today (the benchmark times this)."""
    ctx = current_context()
    return [run_rule(rule.name, dry_run=dry_run, ctx=ctx) for rule in due_rules(ctx)]
