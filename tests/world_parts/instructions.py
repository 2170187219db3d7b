"""The leader's instructions' part of the test world: one instruction of the leader on the
world's item (owned by "member"), answered already, so that the world's boards and
reminders stay as they were."""

from __future__ import annotations

from app.core import clock
from app.extensions import db

URL_VALUES: dict = {"instruction_id": lambda w: w.ids["instruction"]}


def build(world) -> None:
    from app.decisions.instructions import Instruction

    instruction = Instruction(
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        text="请本周内拿出**归集功能**上线计划。",
        written_by_id=world.users["leader"],
        written_at=clock.now(),
        read_at=clock.now(),
        read_by_id=world.users["member"],
        answer="已排期，下周三前报送。",
        answered_at=clock.now(),
        answered_by_id=world.users["member"],
    )
    db.session.add(instruction)
    db.session.commit()
    world.ids["instruction"] = instruction.id
