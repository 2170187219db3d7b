"""Task forces, org units, users and their memberships."""

from __future__ import annotations

from datetime import date, datetime

from flask import g, has_request_context
from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, and_, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.permissions import ADMIN, FRONTLINE, STAFF, TEMP_MEMBER
from app.core.scope import TaskForceScoped, unscoped
from app.extensions import db

ORG_UNIT_KINDS = ("hq_department", "branch", "sub_branch")


class TaskForce(TimestampMixin, VersionMixin, db.Model):
    """One strategic task (攻坚课题) with its goal and period."""

    __tablename__ = "task_force"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # A stable name for programs (the demo loader finds its task forces by it); people
    # rename task forces, so a program never looks one up by ``name``.
    key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    archived_at: Mapped[datetime | None]
    # Bumped with every change to the task force's data (core/freshness.py).
    data_version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    # Bumped with every change to its setup: categories, people, saved views (ditto).
    setup_version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    # The data version at which each of its tables last changed ({table: version}; "*"
    # for every table), for the parts of pages kept by the tables they read (ditto).
    table_versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, server_default="{}")

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class OrgUnit(TimestampMixin, VersionMixin, db.Model):
    """HQ department, branch (分行) or sub-branch (支行); one tree shared by all task forces."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class User(UserMixin, TimestampMixin, VersionMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=STAFF)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    # Who the robots mention (@) in a message to this person; set by an administrator,
    # shown on no page but the account's form. Empty: not known.
    mobile: Mapped[str] = mapped_column(String(20), default="", server_default="")
    wecom_userid: Mapped[str] = mapped_column(String(64), default="", server_default="")
    dingtalk_userid: Mapped[str] = mapped_column(String(64), default="", server_default="")
    feishu_user_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The one way this account signs in: ``local`` (its password here), ``ldap`` (the
    # bank's directory), ``oidc`` (the bank's identity provider) or a workplace app
    # (``wecom``, ``dingtalk``, ``feishu``). Shown on the admin page.
    way_in: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    # The identity provider's ``sub`` for an account that signs in by OpenID Connect.
    oidc_subject: Mapped[str] = mapped_column(String(255), default="", server_default="")
    current_task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_force.id"))
    last_login_at: Mapped[datetime | None]

    org_unit: Mapped[OrgUnit | None] = relationship()

    # The signed-in browser this request came from (``UserSession.id``), set at login and
    # by the loader; Flask-Login keeps it in the session and the remember-me cookie.
    session_id = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def _role_cache(self, task_force_id: int | None) -> tuple[dict, tuple]:
        key = ("roles", self.id, task_force_id, clock.today())
        return (g.setdefault("_role_cache", {}) if has_request_context() else {}), key

    def remember_role(self, task_force_id: int, role: str) -> None:
        """Note the active membership's role, read along with something else."""
        cache, key = self._role_cache(task_force_id)
        roles = {self.role} if self.role in (ADMIN, FRONTLINE) else set()
        cache[key] = roles | ({role} if self.active else set())

    def roles_in(self, task_force_id: int | None) -> set[str]:
        """Bank-wide role plus the role of the active membership in ``task_force_id``."""
        cache, key = self._role_cache(task_force_id)
        if key not in cache:
            roles = {self.role} if self.role in (ADMIN, FRONTLINE) else set()
            if task_force_id is not None and self.active:
                with unscoped():
                    role = db.session.scalar(
                        select(Membership.role).where(
                            Membership.user_id == self.id,
                            Membership.task_force_id == task_force_id,
                            Membership.active_on(clock.today()),
                        )
                    )
                if role:
                    roles.add(role)
            cache[key] = roles
        return set(cache[key])

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(TaskForceScoped, TimestampMixin, db.Model):
    """A user's place on a task force for a period. Rows are never deleted: people leave.

    A change of role ends one row and starts the next, so the roster's history reads
    "joined … as …, left …".
    """

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    joined_on: Mapped[date]
    # Planned end of a temporary membership: access ends after this day by itself.
    ends_on: Mapped[date | None]
    # The day the person actually left (no access from this day on).
    left_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()
    task_force: Mapped[TaskForce] = relationship()

    __table_args__ = (Index("ix_membership_tf_user", "task_force_id", "user_id"),)

    @classmethod
    def active_on(cls, day: date):
        return and_(
            cls.joined_on <= day,
            or_(cls.left_on.is_(None), cls.left_on > day),
            or_(cls.ends_on.is_(None), cls.ends_on >= day),
        )

    def is_active_on(self, day: date) -> bool:
        return (
            self.joined_on <= day
            and (self.left_on is None or self.left_on > day)
            and (self.ends_on is None or self.ends_on >= day)
        )

    @property
    def is_temporary(self) -> bool:
        return self.role == TEMP_MEMBER

    @property
    def ended_on(self) -> date | None:
        """When access ended or ends: the day left, else the day after a temporary end."""
        if self.left_on is not None:
            return self.left_on
        return self.ends_on


class UserSession(db.Model):
    """One signed-in browser: the session cookie and the remember-me cookie name it.

    Logging out revokes it; a password change, an administrator's reset, deactivation and
    "sign out everywhere" revoke all of a person's sessions, so a copied cookie stops
    working at once. Nothing lives longer than ``SESSION_LIFETIME_DAYS``.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(db.Model):
    """Each login try, kept to throttle guessing across all server processes."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    identifier: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)


class TwoFactor(db.Model):
    """A person's authenticator app (TOTP): pending until a first code confirms it.

    The secret (base32) is sealed at rest (``core/sealing.py``; read it through
    ``two_factor.secret_of``); the last accepted time step makes a code good for one
    sign-in only.
    """

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    enabled_at: Mapped[datetime | None]
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """One of a person's one-time recovery codes, hashed like a password."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    used_at: Mapped[datetime | None]


class RememberedDevice(db.Model):
    """A browser that skips the second step until ``expires_at``: its cookie holds a
    random token, the row only the token's SHA-256."""

    __tablename__ = "remembered_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    label: Mapped[str] = mapped_column(String(100), default="")


# Names and titles are one line, however they are set.
one_line_attributes(TaskForce.name, OrgUnit.name, User.display_name, Membership.note)
