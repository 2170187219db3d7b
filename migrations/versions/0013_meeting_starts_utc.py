"""meeting starts become instants: stored as UTC like every other timestamp

Until now ``meeting.starts_at`` held the wall-clock time of the configured zone while
every other timestamp held UTC; one formatter read both as UTC and printed meetings
eight hours late. Each start is converted with the zone's rules (``TIMEZONE``, as the
app reads it).

Revision ID: 0013
Revises: 0012
"""

import os
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

meeting = sa.table("meeting", sa.column("id", sa.Integer), sa.column("starts_at", sa.DateTime))


def _zone() -> ZoneInfo:
    try:
        from flask import current_app

        return ZoneInfo(current_app.config["TIMEZONE"])
    except (RuntimeError, KeyError):
        return ZoneInfo(os.environ.get("TIMEZONE", "Asia/Shanghai"))


def _convert(to_utc: bool) -> None:
    zone = _zone()
    connection = op.get_bind()
    rows = connection.execute(sa.select(meeting.c.id, meeting.c.starts_at)).all()
    for ident, starts_at in rows:
        if starts_at is None:
            continue
        if to_utc:
            moved = starts_at.replace(tzinfo=zone).astimezone(UTC)
        else:
            moved = starts_at.replace(tzinfo=UTC).astimezone(zone)
        connection.execute(
            meeting.update()
            .where(meeting.c.id == ident)
            .values(starts_at=moved.replace(tzinfo=None))
        )


def upgrade():
    _convert(to_utc=True)


def downgrade():
    _convert(to_utc=False)
