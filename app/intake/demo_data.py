"""Demo front-line submissions (调研意见) for the AUM task force.

The 92 problems came from the front line (全员下沉基层，倾听员工意见): in the research weeks
branch staff sent in what hindered them, and the executive leader accepted many of them
as the problems of the list (linked to those issues), merged others and declined a few.
A handful arrived lately and wait for triage. Safe to run again.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.intake import service
from app.intake.models import ACCEPTED, DECLINED, MERGED, Submission
from app.issues.models import Category, Issue
from app.people.models import TaskForce, User

# The data live in demo_data.json; JSON has no tuples, so each row is made one again.
_DATA = json.loads(Path(__file__).with_name("demo_data.json").read_text(encoding="utf-8"))
# (submitter, show name): their submissions were accepted as issues of the list, in order.
ACCEPTED_BY = [tuple(row) for row in _DATA["accepted_by"]]
# (submitter, show name, note) — the same problem reported again from another branch.
MERGED_BY = [tuple(row) for row in _DATA["merged_by"]]
# (submitter, show name, title, what they wrote, reason)
DECLINED_NOTES = [tuple(row) for row in _DATA["declined_notes"]]
# (submitter, show name, title, what they wrote, days ago): waiting for triage.
PENDING = [tuple(row) for row in _DATA["pending"]]


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo submissions; returns how many were added."""
    with task_force_scope(task_force.id):
        if db.session.scalar(
            select(Submission.id).where(Submission.task_force_id == task_force.id).limit(1)
        ):
            return 0
        items = list(
            db.session.scalars(
                select(Issue)
                .where(Issue.task_force_id == task_force.id)
                .order_by(Issue.created_at, Issue.code)
            )
        )
        if not items:
            return 0
        dimensions = {
            c.id: c
            for c in db.session.scalars(
                select(Category).where(Category.task_force_id == task_force.id)
            )
        }
        triager = users["exec"].id
        added = 0
        step = max(len(items) // (len(ACCEPTED_BY) + len(MERGED_BY)), 1)
        chosen = items[::step]
        for n, (username, show) in enumerate(ACCEPTED_BY):
            issue = chosen[n % len(chosen)]
            note = f"一线反映：{issue.description[:120]}"
            _historic(
                task_force,
                users[username],
                show,
                issue.title,
                note,
                issue,
                dimensions,
                ACCEPTED,
                triager,
            )
            added += 1
        for n, (username, show, note) in enumerate(MERGED_BY):
            issue = chosen[(len(ACCEPTED_BY) + n) % len(chosen)]
            _historic(
                task_force,
                users[username],
                show,
                issue.title,
                note,
                issue,
                dimensions,
                MERGED,
                triager,
                created=issue.created_at + timedelta(days=20),
            )
            added += 1
        for username, show, title, note, reason in DECLINED_NOTES:
            _historic(
                task_force,
                users[username],
                show,
                title,
                note,
                None,
                dimensions,
                DECLINED,
                triager,
                reason,
                created=items[0].created_at + timedelta(days=30),
            )
            added += 1
        db.session.flush()  # the history first; the loader's boundary commits it all
    return added + _pending(task_force, users, today)


def _pending(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """The submissions still waiting for triage, sent through the service a few days ago."""
    for username, show, title, note, ago in PENDING:
        user = users[username]
        with clock.frozen_at(clock.at(today - timedelta(days=ago), time(11))):
            service.submit(
                user,
                service.SubmissionInput(
                    task_force_id=task_force.id,
                    title=title,
                    description=note,
                    org_unit_id=user.org_unit_id,
                    show_name=show,
                ),
            )
    return len(PENDING)


def _top_dimension(issue: Issue, dimensions: dict) -> int | None:
    category = dimensions.get(issue.category_id)
    if category is None:
        return None
    return int(category.path.strip("/").split("/")[0])


def _historic(
    task_force,
    user,
    show,
    title,
    note,
    issue,
    dimensions,
    state,
    triager,
    reason=None,
    created=None,
):
    """A submission triaged long ago: it arrived a few days before its issue was opened."""
    created = created or (issue.created_at - timedelta(days=4))
    db.session.add(
        Submission(
            task_force_id=task_force.id,
            submitter_id=user.id,
            title=title,
            description=note,
            category_id=_top_dimension(issue, dimensions) if issue else None,
            org_unit_id=user.org_unit_id,
            show_name=show,
            state=state,
            issue_id=issue.id if issue else None,
            decline_reason=reason or "",
            triaged_by_id=triager,
            triaged_at=created + timedelta(days=3),
            created_at=created,
            updated_at=created + timedelta(days=3),
        )
    )
