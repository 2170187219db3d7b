"""The reports feature's part of the test world: one finished quarterly pack."""

from __future__ import annotations

import hashlib

from app.core import clock, jobs
from app.core.quarters import Quarter
from app.extensions import db
from app.reports.models import DONE, ReviewPack

URL_VALUES: dict = {"pack_id": lambda w: w.ids["pack"], "job_id": lambda w: w.ids["list_pdf"]}

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
        docx=b"PK world pack",
        docx_size=len(b"PK world pack"),
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        size=len(CONTENT),
        pages=1,
    )
    db.session.add(pack)
    # A list PDF the worker made (the matrix downloads it).
    export = jobs.Job(
        kind="issue_list_pdf",
        task_force_id=world.task_force_id,
        requested_by_id=world.users["leader"],
        payload={"args": {}},
        status=jobs.DONE,
        attempts=1,
        finished_at=clock.now(),
        output=CONTENT,
        output_name="list.pdf",
        output_type="application/pdf",
        output_size=len(CONTENT),
    )
    db.session.add(export)
    db.session.commit()
    world.ids["pack"] = pack.id
    world.ids["list_pdf"] = export.id
