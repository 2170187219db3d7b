"""The bulletins' part of the test world: one finished bulletin of last month."""

from __future__ import annotations

import hashlib

from app.core import clock
from app.core.quarters import Month
from app.extensions import db
from app.reports.bulletin_models import Bulletin
from app.reports.models import DONE

URL_VALUES: dict = {"bulletin_id": lambda w: w.ids["bulletin"]}

CONTENT = b"%PDF-1.4 world bulletin"


def build(world) -> None:
    bulletin = Bulletin(
        task_force_id=world.task_force_id,
        month=str(Month.of(clock.today()).previous()),
        number=1,
        status=DONE,
        progress=100,
        requested_by_id=world.users["leader"],
        requested_at=clock.now(),
        finished_at=clock.now(),
        content=CONTENT,
        docx=b"PK world docx",
        docx_size=len(b"PK world docx"),
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        size=len(CONTENT),
        pages=1,
    )
    db.session.add(bulletin)
    db.session.commit()
    world.ids["bulletin"] = bulletin.id
