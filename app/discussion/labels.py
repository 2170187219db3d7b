"""How the discussion's audit events read (``core/history.py``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


def register_history() -> None:
    from app.core import history

    history.register(
        None,
        actions={
            "commented": _l("Commented"),
            "comment_edited": _l("Edited a comment"),
            "comment_deleted": _l("Deleted a comment"),
            "followed": _l("Followed"),
            "unfollowed": _l("Stopped following"),
        },
        fields={"comment": _l("Comment")},
    )
