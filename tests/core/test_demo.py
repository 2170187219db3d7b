"""``flask demo load`` knows its task forces by a stable key, never by their names."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app import demo
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import TaskForce
from tests import factories


def _issues(task_force_id: int) -> int:
    return db.session.scalar(
        select(func.count(Issue.id)).where(Issue.task_force_id == task_force_id)
    )


def test_the_demo_leaves_a_same_named_task_force_alone_and_finds_its_own_renamed(app):
    runner = app.test_cli_runner()
    with app.app_context(), unscoped():
        # A real task force that carries the source case's name, before any demo.
        real = factories.make_task_force(demo.AUM_TASK_FORCE, starts_on=date(2024, 1, 1))
        category = factories.make_category(real.id, "客户端", prefix="KH")
        factories.make_issue(category, "真实的问题")
        real_id = real.id
        db.session.remove()

    with app.app_context():  # as the flask command runs it
        result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unscoped():
        real = db.session.get(TaskForce, real_id)
        assert (real.name, real.key, _issues(real_id)) == (demo.AUM_TASK_FORCE, None, 1)
        ours = db.session.scalar(select(TaskForce).where(TaskForce.key == demo.AUM_KEY))
        assert ours.name == f"{demo.AUM_TASK_FORCE}（演示）"
        assert _issues(ours.id) == 92
        # People rename the demo's task forces; loading again adds nothing.
        ours.name = "非存AUM攻坚（已改名）"
        second = db.session.scalar(select(TaskForce).where(TaskForce.key == demo.SECOND_KEY))
        second.name = "对公存款（已改名）"
        db.session.commit()
        counts = (db.session.scalar(select(func.count(TaskForce.id))), _issues(ours.id))
        db.session.remove()

    with app.app_context():
        result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "of 非存AUM攻坚（已改名）" in result.output  # the console names it as it is now
    with app.app_context(), unscoped():
        ours = db.session.scalar(select(TaskForce).where(TaskForce.key == demo.AUM_KEY))
        assert (db.session.scalar(select(func.count(TaskForce.id))), _issues(ours.id)) == counts
        assert _issues(real_id) == 1


def test_a_demo_loaded_before_task_forces_had_keys_is_recognised_not_doubled(app):
    """The demo's task forces from a database filled before keys existed are found by
    their name and the demo's own leader, and given their keys; nothing is loaded twice."""
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context(), unscoped():
        for task_force in db.session.scalars(select(TaskForce)):
            task_force.key = None  # as the migration leaves an earlier demo
        db.session.commit()
        before = (db.session.scalar(select(func.count(TaskForce.id))), _issues_all())
        db.session.remove()

    with app.app_context():
        result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unscoped():
        assert (db.session.scalar(select(func.count(TaskForce.id))), _issues_all()) == before
        keys = set(db.session.scalars(select(TaskForce.key)))
        assert keys == {demo.AUM_KEY, demo.SECOND_KEY}
        names = set(db.session.scalars(select(TaskForce.name)))
        assert demo.AUM_TASK_FORCE in names and not any("演示" in n for n in names)


def _issues_all() -> int:
    return db.session.scalar(select(func.count(Issue.id)))
