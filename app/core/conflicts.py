"""Saves that lose a race, turned into the errors a form can show.

Two people who save one record at once both pass ``check_version``; the database then
refuses the second: its UPDATE matches no row of the version it read (SQLAlchemy's
``StaleDataError``), or its INSERT repeats a unique key (``IntegrityError``). The session
turns both, wherever they surface (an autoflush inside a query, or the commit), into
domain errors after rolling the transaction back, so the view that called the service
shows its form again with the input kept, and nothing later in the request trips over
a half-failed transaction (``PendingRollbackError``).
"""

from __future__ import annotations

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import DomainError, DuplicateKey, StaleEdit
from app.core.service import stale_message


def is_unique_violation(error: IntegrityError) -> bool:
    """Did the database refuse a repeated unique key (not a missing parent, say)?"""
    original = error.orig
    if getattr(original, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    return getattr(original, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    )


def is_lost_race(error: Exception) -> bool:
    if isinstance(error, StaleDataError):
        return True
    return isinstance(error, IntegrityError) and is_unique_violation(error)


def lost_race(error: Exception) -> DomainError:
    """The domain error for a save the database refused because another one came first.
    Built after the rollback: its message is in the reader's language, which is read from
    their account, which a failed transaction could not load."""
    if isinstance(error, StaleDataError):
        return StaleEdit(stale_message())
    return DuplicateKey(error)


class Session(FlaskSession):
    """``db.session``: a flush that lost a race raises ``StaleEdit`` or ``DuplicateKey``
    with the transaction already rolled back. Inside a savepoint it raises the database's
    error as it is, for the savepoint's owner to handle."""

    _committing = False

    def flush(self, objects=None) -> None:
        try:
            super().flush(objects)
        except (StaleDataError, IntegrityError) as error:
            if isinstance(error, DomainError) or not is_lost_race(error):
                raise
            # Inside commit() the transaction cannot be rolled back yet: commit does it.
            if self._committing or self.in_nested_transaction():
                raise
            self.rollback()
            raise lost_race(error) from error

    def commit(self) -> None:
        self._committing = True
        try:
            super().commit()
        except (StaleDataError, IntegrityError) as error:
            if isinstance(error, DomainError) or not is_lost_race(error):
                raise
            self._committing = False
            self.rollback()
            raise lost_race(error) from error
        finally:
            self._committing = False
