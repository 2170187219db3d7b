"""Personal access tokens for the REST API, and the accounts that exist only to hold them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import one_line_attributes
from app.extensions import db
from app.people.models import TaskForce, User

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)


class ApiToken(db.Model):
    """A personal access token (``gjp_…``): the person's rights, narrowed to reading or
    to one task force, until it expires or is revoked. Only the SHA-256 of the secret is
    kept; ``prefix`` (its first 12 characters) lets its owner recognise it in a list."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10), default=READ)
    # None: every task force the person is on (as it is on the day of each call).
    task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_force.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_used_at: Mapped[datetime | None]
    last_used_address: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    task_force: Mapped[TaskForce | None] = relationship()

    @property
    def writes(self) -> bool:
        return self.scope == WRITE

    def usable_at(self, instant: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > instant


class ServiceAccount(db.Model):
    """An account that a program uses (the data warehouse feeding KPI readings, the OA
    reading the problem list): an ordinary staff account, created and given tokens by an
    administrator, with a password nobody knows. Its rights are its memberships."""

    __tablename__ = "api_service_account"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


one_line_attributes(ApiToken.name, ServiceAccount.purpose)
