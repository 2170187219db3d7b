"""``flask reminders …`` and ``flask scheduler …``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from app.core import jobs, scheduler
from app.core.unit import committing
from app.notify import delivery, rules

reminders = AppGroup("reminders", help="Reminder rules and deliveries.")
schedule = AppGroup(
    "scheduler", help="The periodic jobs (reminders, delivery) and the job queue's worker."
)


@reminders.command("list")
def list_rules():
    """Print every rule with its days and whether it is mandatory."""
    for rule in rules.RULES:
        days = "daily" if rule.weekday is None else f"weekly ({scheduler.DAYS[rule.weekday]})"
        flag = " mandatory" if rule.mandatory else ""
        click.echo(f"{rule.name:<20} {days}{flag}")


@reminders.command("run")
@click.argument("rule")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; write nothing.")
def run_rule(rule, dry_run):
    """Run one rule now (RULE: a name from `flask reminders list`)."""
    try:
        with committing():  # the command's unit of work (a dry run rolls back itself)
            result = rules.run_rule(rule, dry_run=dry_run)
    except KeyError:
        names = ", ".join(r.name for r in rules.RULES)
        raise click.ClickException(f"unknown rule {rule!r}; rules: {names}") from None
    if dry_run:
        for message in result.messages:
            mark = "new " if message["new"] else "sent"
            text = message["text"].replace("\n", " / ")
            click.echo(f"[{mark}] user {message['recipient_id']}: {text}")
        fresh = sum(1 for m in result.messages if m["new"])
        click.echo(f"{rule}: {_matched(result)}, {fresh} would be new (dry run)")
    else:
        click.echo(f"{rule}: {_matched(result)}, {result.written} new messages")


def _matched(result: rules.RuleResult) -> str:
    # A grouped rule lists many items in one message per person.
    if result.items == result.matched:
        return f"{result.matched} matched"
    return f"{result.matched} matched ({result.items} items)"


@reminders.command("deliver")
def deliver():
    """Carry the due outbox rows over the channels now."""
    click.echo(str(delivery.deliver_due()))


@schedule.command("run")
def run_scheduler():
    """Run the scheduler and the job queue's worker in this process until stopped
    (production: its own process)."""
    app = current_app._get_current_object()
    for job in scheduler.jobs():
        click.echo(f"job {job.name}: {job.trigger(app)}")
    worker = jobs.Worker(app)
    worker.start()
    try:
        scheduler.build(app, background=False).start()
    finally:
        worker.stop()


@schedule.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host, port):
    """The local development server with the scheduler and the job queue's worker
    running in the background."""
    app = current_app._get_current_object()
    background = scheduler.build(app, background=True)
    background.start()
    worker = jobs.Worker(app)
    worker.start()
    try:
        # ``app.run`` refuses to start from within a ``flask`` command; this is what it runs.
        run_simple(host, port, app, use_reloader=False, use_debugger=app.debug, threaded=True)
    finally:
        worker.stop()
        background.shutdown(wait=False)


def register(app: Flask) -> None:
    app.cli.add_command(reminders)
    app.cli.add_command(schedule)
