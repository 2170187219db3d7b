"""Demo discussions: threads on two items the demo's story is about — the trust
online-sales item waiting for its decision and the rollout item nudged three times —
with mentions and a quote-reply, written by the people the story names, in working hours.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.core.unit import flushed_at
from app.discussion.issues import ISSUE_KIND
from app.discussion.models import Comment
from app.discussion.service import NewComment, post_comment
from app.extensions import db
from app.issues.models import Issue
from app.people.models import TaskForce, User

DATA = json.loads(Path(__file__).with_name("demo_data.json").read_text("utf-8"))
THREADS = DATA["threads"]


def _working_days_back(today: date, count: int) -> date:
    """The working day ``count`` working days before ``today``."""
    day = today
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo threads once; returns how many comments were added."""
    with task_force_scope(task_force.id):
        if db.session.scalar(
            select(Comment.id).where(Comment.task_force_id == task_force.id).limit(1)
        ):
            return 0
        added = 0
        for thread in THREADS:
            issue = db.session.scalar(
                select(Issue).where(
                    Issue.task_force_id == task_force.id, Issue.title == thread["item"]
                )
            )
            if issue is None or issue.owner_id is None:
                continue
            people = {**users, "owner": db.session.get(User, issue.owner_id)}
            names = {key: person.display_name for key, person in people.items()}
            posted: list[Comment] = []
            for spec in thread["comments"]:
                day = _working_days_back(today, spec["days_ago"])
                wall = time.fromisoformat(spec["time"])
                quote = posted[spec["quote"]].id if "quote" in spec else None
                with flushed_at(clock.at(day, wall)):
                    posted.append(
                        post_comment(
                            people[spec["by"]],
                            ISSUE_KIND,
                            issue,
                            NewComment(body=spec["text"].format(**names), quote_id=quote),
                        )
                    )
            added += len(posted)
        return added
