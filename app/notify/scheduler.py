"""Notify's periodic jobs: one per reminder rule, the delivery pass, and the daily purge
of old login records. They are registered into the scheduler (``core/scheduler.py``) by
``init_app``; the scheduler reads this list when it is built, so that every feature's
reminder rules are there."""

from __future__ import annotations

from app.core import idempotency
from app.core.scheduler import DAYS, Job, at, every
from app.notify import delivery, rules
from app.people.service import purge_login_records


class _RuleRun:
    """A rule's run as the run log tells it."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self) -> str:
        outcome = rules.run_rule(self.name)
        return f"matched {outcome.matched} ({outcome.items} items), written {outcome.written}"


def _rule_job(rule: rules.Rule) -> Job:
    if rule.weekday is None:
        when = at("REMINDER_DAILY_AT")
    else:
        when = at("REMINDER_DIGEST_AT", DAYS[rule.weekday])
    return Job(f"rule:{rule.name}", _RuleRun(rule.name), when)


def _purge_login_records() -> str:
    attempts, sessions = purge_login_records()
    keys = idempotency.purge()
    return f"login attempts purged {attempts}, sessions {sessions}, form keys {keys}"


def jobs() -> list[Job]:
    """One job per reminder rule, the delivery pass, and the daily purge of old login
    attempts, ended sessions and used form keys."""
    return [_rule_job(rule) for rule in rules.RULES] + [
        Job("deliver", delivery.deliver_due, every("DELIVERY_INTERVAL_SECONDS"), log_idle=False),
        Job("purge_login_records", _purge_login_records, at("REMINDER_DAILY_AT")),
    ]
