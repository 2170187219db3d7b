"""Front-line submissions (调研意见): a problem or suggestion waiting for triage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Category, Issue
from app.people.models import OrgUnit, User

SUBMITTED = "submitted"
ACCEPTED = "accepted"  # a new issue was opened from it
MERGED = "merged"  # folded into an existing issue
DECLINED = "declined"
STATES = (SUBMITTED, ACCEPTED, MERGED, DECLINED)


class Submission(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    __tablename__ = "intake_submission"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The dimension of the problem framework it belongs to, if the submitter knew.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    # Whether the task force's members (the triaging leaders included) may see who
    # submitted it; the submitter always sees their own.
    show_name: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"), index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    triaged_at: Mapped[datetime | None]

    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    category: Mapped[Category | None] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()
    issue: Mapped[Issue | None] = relationship()

    __table_args__ = (Index("ix_intake_submission_tf_state", "task_force_id", "state"),)


# Names and titles are one line, however they are set.
one_line_attributes(Submission.title)
