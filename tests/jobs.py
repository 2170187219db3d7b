"""The reminder rules as the scheduler runs them: each run is a job, and the job's
boundary commits its work (``app.core.unit``). Tests that run a rule and then look from
another request or connection use these."""

from __future__ import annotations

from app.extensions import db
from app.notify import rules


def run_rule(*args, **kwargs):
    result = rules.run_rule(*args, **kwargs)
    db.session.commit()
    return result


def run_all(*args, **kwargs):
    result = rules.run_all(*args, **kwargs)
    db.session.commit()
    return result
