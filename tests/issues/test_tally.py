"""Counts kept as items change (issues.tally): after every kind of change they equal the
figures counted afresh over every row, and a change the journal names is counted again
for its items alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from app import create_app
from app.core import clock, freshness
from app.core.models import DataChange
from app.core.quarters import Quarter
from app.core.scope import unscoped
from app.dashboard import service as dashboard
from app.decisions.extensions import DeadlineExtension
from app.extensions import db
from app.issues import tally
from app.issues.asof import AsOf
from app.issues.lights import LightRules
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    IN_PROGRESS,
    NEW,
    RED,
    YELLOW,
    Category,
    Issue,
    Milestone,
)
from app.issues.service import workflow
from app.people.models import TaskForce, User
from tests.factories import make_issue


def _figures(rules):
    return dashboard._figures(rules, AsOf.for_quarter(Quarter.of(rules.today), rules.today))


def _kept(task_force_id: int) -> tally.Counts:
    rules = LightRules.current()
    task_force = db.session.get(TaskForce, task_force_id)
    return tally.counted(
        task_force,
        "battle_map",
        _figures(rules),
        rules,
        group=Issue.owner_id,
        listed=(RED, YELLOW),
        order=Issue.deadline,
        limit=3,
    )


def _afresh(task_force_id: int) -> tally.Counts:
    """Each figure counted over every row, per owner, and the first red and yellow items
    by deadline: what the kept counts must equal."""
    figures = _figures(LightRules.current())
    columns = [func.count().filter(clause) for clause in figures.values()]
    in_tf = Issue.task_force_id == task_force_id
    groups = {
        owner_id: dict(zip(figures, counts, strict=True))
        for owner_id, *counts in db.session.execute(
            select(Issue.owner_id, *columns).where(in_tf).group_by(Issue.owner_id)
        )
    }
    totals = dict(
        zip(figures, db.session.execute(select(*columns).where(in_tf)).one(), strict=True)
    )
    first = {
        light: list(
            db.session.scalars(
                select(Issue.id)
                .where(in_tf, figures[light])
                .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.id)
                .limit(3)
            )
        )
        for light in (RED, YELLOW)
    }
    return tally.Counts(totals, {g: c for g, c in groups.items() if any(c.values())}, first)


@pytest.fixture
def recounts(monkeypatch):
    """How often all of a task force's items were counted."""
    calls = []
    count_all = tally._count_all
    monkeypatch.setattr(tally, "_count_all", lambda *a: calls.append(1) or count_all(*a))
    return calls


@pytest.fixture
def items(app, world):
    """A few items of every light and status, and the counts kept once."""
    clock.set_today(clock.today(), hour=10)
    with app.app_context(), unscoped():
        category = db.session.scalar(
            select(Category).where(Category.task_force_id == world.task_force_id)
        )
        users = world.users
        made = {
            "late": make_issue(category, owner_id=users["leader"], deadline=_day(-2)),
            "blocked": make_issue(category, owner_id=users["member"], status=BLOCKED),
            "soon": make_issue(category, owner_id=users["member"], deadline=_day(3)),
            "green": make_issue(category, owner_id=users["leader"], deadline=_day(40)),
            "new": make_issue(category, status=NEW, deadline=_day(50)),
            "closed": make_issue(
                category, owner_id=users["leader"], status=CLOSED, closed_at=clock.now()
            ),
            "dropped": make_issue(category, owner_id=users["member"], status=DROPPED),
        }
        for issue in made.values():
            if issue.status not in (CLOSED, DROPPED, BLOCKED, NEW):
                issue.status = IN_PROGRESS
        db.session.commit()
        assert _kept(world.task_force_id) == _afresh(world.task_force_id)
        return {name: issue.id for name, issue in made.items()}


def _day(offset: int):
    return clock.today() + timedelta(days=offset)


def _check(app, world, recounts, counted_all: int = 0) -> tally.Counts:
    with app.app_context(), unscoped():
        before = len(recounts)
        kept = _kept(world.task_force_id)
        assert kept == _afresh(world.task_force_id)
        assert len(recounts) - before == counted_all
        return kept


def _change(app, change):
    with app.app_context(), unscoped():
        change()
        db.session.commit()


def test_named_changes_are_counted_again_for_their_items_alone(app, world, items, recounts):
    leader = lambda: db.session.get(User, world.users["leader"])  # noqa: E731
    issue = lambda name: db.session.get(Issue, items[name])  # noqa: E731
    first = _check(app, world, recounts)

    _change(app, lambda: workflow.add_progress(leader(), issue("late"), "已推进"))
    _check(app, world, recounts)

    def close():
        issue("green").status = CLOSED
        issue("green").closed_at = clock.now()

    _change(app, close)
    closed = _check(app, world, recounts)
    assert closed.totals["closed"] == first.totals["closed"] + 1
    assert closed.groups[world.users["leader"]]["closed"] == 2

    def overdue_milestone():
        db.session.add(
            Milestone(
                task_force_id=world.task_force_id,
                issue_id=items["new"],
                title="节点",
                due_on=_day(-1),
            )
        )

    _change(app, overdue_milestone)
    assert _check(app, world, recounts).totals["yellow"] == first.totals["yellow"] + 1

    def extended_twice():
        for days in (5, 10):
            db.session.add(
                DeadlineExtension(
                    task_force_id=world.task_force_id,
                    issue_id=items["soon"],
                    requested_deadline=_day(days),
                    reason="等待系统上线",
                    status="approved",
                    requested_by_id=world.users["member"],
                )
            )

    _change(app, extended_twice)
    assert _check(app, world, recounts).totals["delayed_twice"] == 1

    def reassign():
        issue("soon").owner_id = world.users["leader"]

    _change(app, reassign)
    moved = _check(app, world, recounts)
    leader_id = world.users["leader"]
    assert moved.groups[leader_id]["open"] == closed.groups[leader_id]["open"] + 1

    def new_item():
        make_issue(db.session.get(Category, issue("late").category_id), deadline=_day(-5))

    _change(app, new_item)
    assert _check(app, world, recounts).totals["red"] == first.totals["red"] + 1

    def delete():
        db.session.delete(issue("dropped"))

    _change(app, delete)
    _check(app, world, recounts)


def test_a_change_to_no_item_costs_one_query(app, world, items, recounts):
    _check(app, world, recounts)
    _change(app, lambda: setattr(db.session.get(TaskForce, world.task_force_id), "goal", "新目标"))
    with app.app_context(), unscoped():
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        read = db.session.get(TaskForce, world.task_force_id)  # as a request holds it
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            _kept(world.task_force_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    assert read.goal == "新目标"
    assert len(statements) == 1 and "data_change" in statements[0], statements
    _check(app, world, recounts)


def test_changes_the_journal_cannot_name_are_counted_afresh(app, world, items, recounts):
    _check(app, world, recounts)

    # A statement over many rows: "any item".
    _change(app, lambda: db.session.execute(update(Issue).values(major=True)))
    assert _check(app, world, recounts, counted_all=1).totals["major_open"] > 0

    # A write past the application, with its version moved by hand: no journal row.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE issue SET status = 'blocked' WHERE id = :id"), {"id": items["green"]}
        )
        connection.execute(
            text("UPDATE task_force SET data_version = data_version + 1 WHERE id = :id"),
            {"id": world.task_force_id},
        )
    _check(app, world, recounts, counted_all=1)

    # A restore gives every task force a version no server has seen.
    with app.app_context():
        freshness.restart_versions()
    _check(app, world, recounts, counted_all=1)


def test_items_turning_stale_during_the_day_are_counted_again(app, world, items, recounts):
    stale_days = app.config["LIGHT_STALE_DAYS"]
    with app.app_context(), unscoped():
        quiet = db.session.get(Issue, items["green"])
        quiet.created_at = clock.now() - timedelta(days=stale_days) + timedelta(minutes=30)
        db.session.commit()
    before = _check(app, world, recounts)

    clock.set_now(clock.now() + timedelta(hours=1))  # the same day, past its stale line
    after = _check(app, world, recounts)
    assert after.totals["yellow"] == before.totals["yellow"] + 1
    assert after.totals["green"] == before.totals["green"] - 1


def test_the_figures_and_their_statement_are_built_once_a_day(app, world, items, recounts):
    built = []

    def figures():
        built.append(clock.today())
        return _figures(LightRules.current())

    def count():
        with app.app_context(), unscoped():
            task_force = db.session.get(TaskForce, world.task_force_id)
            rules = LightRules.current()
            return tally.counted(task_force, "built_once", figures, rules, group=Issue.owner_id)

    first = count()
    _change(app, lambda: setattr(db.session.get(Issue, items["green"]), "status", CLOSED))
    closed = count()
    assert closed.totals["closed"] == first.totals["closed"] + 1
    assert built == [clock.today()]  # the change read with the statement built before
    clock.set_today(clock.today() + timedelta(days=1), hour=10)
    count()
    assert len(built) == 2  # a new day, new figures


def test_the_journal_names_each_commits_items_and_is_trimmed(app, world, items, monkeypatch):
    with app.app_context(), unscoped():
        version = db.session.get(TaskForce, world.task_force_id).data_version
        workflow.add_progress(
            db.session.get(User, world.users["leader"]),
            db.session.get(Issue, items["late"]),
            "进展",
        )
        db.session.commit()
        rows = db.session.execute(
            select(DataChange.version, DataChange.item_id, DataChange.any_item).where(
                DataChange.task_force_id == world.task_force_id,
                DataChange.version > version,
            )
        ).all()
    assert sorted(rows, key=str) == sorted(
        [(version + 1, None, False), (version + 1, items["late"], False)], key=str
    )

    monkeypatch.setattr(freshness, "_TRIM_EVERY", 2)
    monkeypatch.setattr(freshness, "_KEPT_VERSIONS", 2)
    for goal in ("一", "二", "三", "四"):
        _change(
            app,
            lambda goal=goal: setattr(db.session.get(TaskForce, world.task_force_id), "goal", goal),
        )
    with app.app_context(), unscoped():
        latest = db.session.get(TaskForce, world.task_force_id).data_version
        oldest = db.session.scalar(
            select(func.min(DataChange.version)).where(
                DataChange.task_force_id == world.task_force_id
            )
        )
    assert latest - oldest < 4


def test_a_change_through_one_host_moves_the_counts_another_host_keeps(app, world, items, recounts):
    # Two applications on one database, as two hosts: each keeps its own counts, and
    # the other's reads the journal the first one's commit wrote.
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.app_context(), unscoped():
            before = _kept(world.task_force_id)
        counted_all = len(recounts)

        def block():
            db.session.get(Issue, items["green"]).status = BLOCKED

        _change(app, block)  # through this host
        with other.app_context(), unscoped():
            after = _kept(world.task_force_id)
        assert len(recounts) == counted_all  # moved by the journal, not counted again
        assert after.totals[RED] == before.totals[RED] + 1
        with app.app_context(), unscoped():
            assert after == _afresh(world.task_force_id)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_counts_left_half_moved_by_a_failure_are_counted_afresh(
    app, world, items, recounts, monkeypatch
):
    _check(app, world, recounts)
    leader = lambda: db.session.get(User, world.users["leader"])  # noqa: E731
    _change(
        app, lambda: workflow.add_progress(leader(), db.session.get(Issue, items["late"]), "推进")
    )

    def fails(*args):
        raise RuntimeError("the database went away")

    recount = tally._recount
    monkeypatch.setattr(tally, "_recount", fails)
    with app.app_context(), unscoped(), pytest.raises(RuntimeError):
        _kept(world.task_force_id)
    monkeypatch.setattr(tally, "_recount", recount)  # the failure passed, half moved
    _check(app, world, recounts, counted_all=1)
