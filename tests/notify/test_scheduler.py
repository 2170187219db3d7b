"""The scheduler's job list, its run log, and the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core import scheduler
from app.core.models import Notification
from app.core.scheduler import JobRun
from app.extensions import db
from app.issues.models import Category
from app.notify import rules
from tests import factories
from tests.notify.conftest import days


def test_every_rule_and_the_delivery_pass_are_jobs_with_times_from_settings(app):
    app.config.update(REMINDER_DAILY_AT="07:45")
    try:
        with app.app_context():
            jobs = {job.name: job for job in scheduler.jobs()}
            expected = {f"rule:{r.name}" for r in rules.RULES} | {
                "deliver",
                "review_packs",
                "monthly_bulletins",
                "purge_login_records",
                "purge_jobs",
                "purge_rate_limits",
                "refresh_statistics",
            }
            assert set(jobs) == expected
            daily = str(jobs["rule:overdue"].trigger(app))
            weekly = str(jobs["rule:weekly_digest"].trigger(app))
            assert "hour='7'" in daily and "minute='45'" in daily
            assert "day_of_week='mon'" in weekly
            quarterly = str(jobs["review_packs"].trigger(app))
            assert "month='1,4,7,10'" in quarterly and "day='1'" in quarterly
            monthly = str(jobs["monthly_bulletins"].trigger(app))  # daily; the job checks
            assert "hour='8'" in monthly and "minute='30'" in monthly  # the working day
            built = scheduler.build(app, background=True)
            assert len(built.get_jobs()) == len(jobs)
            assert str(built.timezone) == "Asia/Shanghai"
    finally:
        app.config.update(REMINDER_DAILY_AT="08:30")


def test_a_job_run_is_recorded_with_its_outcome(app, world):
    with app.app_context():
        job = next(j for j in scheduler.jobs() if j.name == "rule:overdue")
        run_id = scheduler.run_job(app, job)
    with app.app_context():
        stored = db.session.get(JobRun, run_id)
        assert stored.finished_at is not None and stored.error == ""
        assert stored.outcome.startswith("matched")


def test_a_failing_job_is_recorded_and_does_not_stop_the_scheduler(app):
    def broken():
        raise RuntimeError("database went away")

    run_id = scheduler.run_job(app, scheduler.Job("broken", broken, lambda app: None))
    with app.app_context():
        assert "database went away" in db.session.get(JobRun, run_id).error


def test_reminders_run_dry_run_prints_and_writes_nothing(app, world, look):
    with look():
        category = db.session.get(Category, world.category_id)
        factories.make_issue(category, "命令行", owner_id=world.users["member"], deadline=days(-1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "run", "overdue", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "[new ]" in result.output and "命令行" in result.output
    with look():
        count = select(func.count(Notification.id)).where(Notification.kind == "overdue")
        assert db.session.scalar(count) == 0
    result = runner.invoke(args=["reminders", "run", "overdue"])
    assert "1 new messages" in result.output
    result = runner.invoke(args=["reminders", "run", "overdue", "--dry-run"])
    assert "[sent]" in result.output


def test_a_dry_run_of_a_grouped_rule_shows_one_line_per_person(app, world, look):
    with look():
        category = db.session.get(Category, world.category_id)
        codes = [
            factories.make_issue(
                category, f"逾期{n}", owner_id=world.users["member"], deadline=days(-1 - n)
            ).code
            for n in range(3)
        ]
    runner = app.test_cli_runner()
    output = runner.invoke(args=["reminders", "run", "overdue", "--dry-run"]).output
    [line] = [ln for ln in output.splitlines() if ln.startswith("[new ]")]
    assert "您负责的 3 项事项已逾期" in line and all(code in line for code in codes)
    assert "overdue: 1 matched (3 items), 1 would be new (dry run)" in output
    output = runner.invoke(args=["reminders", "run", "overdue"]).output
    assert "1 matched (3 items), 1 new messages" in output


def test_reminders_run_refuses_an_unknown_rule(app):
    result = app.test_cli_runner().invoke(args=["reminders", "run", "nonsense"])
    assert result.exit_code != 0 and "unknown rule" in result.output


def test_idle_delivery_passes_leave_no_trace_in_the_run_log(app, world, look):
    deliver = next(j for j in scheduler.jobs() if j.name == "deliver")
    assert scheduler.run_job(app, deliver) is None
    with look():
        assert db.session.scalar(select(func.count(JobRun.id))) == 0
