"""Saved views' part of the test world: the member's own view of the problem list."""

from __future__ import annotations

from app.extensions import db

URL_VALUES: dict = {"view_id": lambda w: w.ids["saved_view"]}


def build(world) -> None:
    from app.issues.saved_view_models import SavedView

    view = SavedView(
        task_force_id=world.task_force_id,
        name="我的红灯",
        owner_id=world.users["member"],
        shared=False,
        namespace=world.users["member"],
        query="light=red",
    )
    db.session.add(view)
    db.session.commit()
    world.ids["saved_view"] = view.id
