"""The notify feature's part of the demo: an e-mail channel people can choose.

Nobody is subscribed, so the replayed year is never mailed; whoever ticks the channel
under Notification settings gets what is written from then on (with SMTP_HOST set).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notify.models import EMAIL, Channel

EMAIL_CHANNEL = "单位邮箱"


def load() -> None:
    if db.session.scalar(select(Channel.id).where(Channel.name == EMAIL_CHANNEL)) is None:
        db.session.add(Channel(name=EMAIL_CHANNEL, kind=EMAIL))
