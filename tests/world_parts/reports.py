"""The reports feature's part of the test world: one finished quarterly pack."""

from __future__ import annotations

import hashlib

from app.core import clock
from app.core.quarters import Quarter
from app.extensions import db
from app.reports.models import DONE, ReviewPack

URL_VALUES: dict = {"pack_id": lambda w: w.ids["pack"]}

# Not a real pack: the permission matrix only downloads it.
CONTENT = b"%PDF-1.4 world pack"


def build(world) -> None:
    """Add this feature's objects to the world (ids in world.ids)."""
    pack = ReviewPack(
        task_force_id=world.task_force_id,
        quarter=str(Quarter.of(clock.today())),
        number=1,
        status=DONE,
        progress=100,
        requested_by_id=world.users["leader"],
        requested_at=clock.now(),
        finished_at=clock.now(),
        content=CONTENT,
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        size=len(CONTENT),
        pages=1,
    )
    db.session.add(pack)
    db.session.commit()
    world.ids["pack"] = pack.id
