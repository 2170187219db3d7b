"""The escalations feature's part of the test world: decisions, supervision, intake.

One pending escalation on the world's item (to the executive leader, raised by its
owner "member") and one front-line submission awaiting triage.
"""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.extensions import db

URL_VALUES: dict = {
    "escalation_id": lambda w: w.ids["escalation"],
    "submission_id": lambda w: w.ids["submission"],
}


def build(world) -> None:
    """Add this feature's objects to the world (ids in world.ids)."""
    from app.decisions.models import Escalation
    from app.intake.models import Submission

    escalation = Escalation(
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        kind="decision",
        level="exec_leader",
        question="归集产品是否先在长春分行试点？",
        options=["先试点", "全面推开"],
        recommendation="先试点",
        due_on=clock.today() + timedelta(days=3),
        raised_by_id=world.users["member"],
        raised_at=clock.now(),
    )
    submission = Submission(
        task_force_id=world.task_force_id,
        submitter_id=world.users["frontline"],
        title="理财产品起购金额偏高，客户难以尝试",
        description="建议推出 1 万元起购的入门产品。",
        org_unit_id=world.org_unit_id,
        show_name=True,
    )
    db.session.add_all([escalation, submission])
    db.session.commit()
    world.ids["escalation"] = escalation.id
    world.ids["submission"] = submission.id
