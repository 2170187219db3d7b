"""Meeting series, their occurrences, agenda items, attendance, action items, feed tokens.

Times of meetings are stored as naive wall-clock times of the task force's zone
(Asia/Shanghai by default): a meeting at 09:30 stays at 09:30 whatever the server's zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue, Subtask
from app.people.models import OrgUnit, User

# What a meeting is for: the agenda is built differently for each.
PROGRESS = "progress"  # 月度工作推进交流会
ONE_ON_ONE = "one_on_one"  # 按周面谈
REVIEW = "review"  # 季度工作汇报会
KINDS = (PROGRESS, ONE_ON_ONE, REVIEW)

CADENCES = ("weekly", "monthly", "quarterly", "custom")

# Meeting states.
PLANNED = "planned"
HELD = "held"
PUBLISHED = "published"  # minutes published and locked
CANCELLED = "cancelled"
STATES = (PLANNED, HELD, PUBLISHED, CANCELLED)

ATTENDANCE = ("present", "late", "excused", "absent")


class MeetingSeries(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """A recurring meeting: cadence, chair, default attendees, place, agenda template."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default=PROGRESS)
    cadence: Mapped[str] = mapped_column(String(20), default="monthly")
    rrule: Mapped[str] = mapped_column(String(300), default="")  # only for "custom"
    starts_on: Mapped[date]
    start_time: Mapped[str] = mapped_column(String(5), default="09:30")  # HH:MM, local
    duration_minutes: Mapped[int] = mapped_column(default=60)
    chair_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(300), default="")
    agenda_template: Mapped[str] = mapped_column(Text, default="")
    # Default attendees (user ids) and, for one-on-ones, the rotation of counterparts:
    # [{"user": id} | {"unit": id}, ...].
    attendee_ids: Mapped[list] = mapped_column(JSON, default=list)
    counterparts: Mapped[list] = mapped_column(JSON, default=list)
    archived_at: Mapped[datetime | None]

    chair: Mapped[User] = relationship()


class Meeting(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """One occurrence. ``scheduled_on`` is the day the rule gave it (its recurrence id);
    ``starts_at`` is when it really takes place, moved by hand if need be."""

    __tablename__ = "meeting"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id"))
    number: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    scheduled_on: Mapped[date]
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default=PLANNED)
    chair_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    counterpart_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    counterpart_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    decisions: Mapped[str] = mapped_column(Text, default="")
    held_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # RFC 5545 SEQUENCE: raised whenever the time, place or status changes.
    ical_sequence: Mapped[int] = mapped_column(default=0)

    series: Mapped[MeetingSeries] = relationship()
    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    counterpart_user: Mapped[User | None] = relationship(foreign_keys=[counterpart_user_id])
    counterpart_unit: Mapped[OrgUnit | None] = relationship()
    # Read with the meeting on its page (joined); written through AgendaItem rows only.
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        viewonly=True, order_by="[AgendaItem.position, AgendaItem.id]"
    )

    __table_args__ = (
        UniqueConstraint("series_id", "scheduled_on", name="uq_meeting_series_day"),
        Index("ix_meeting_tf_series", "task_force_id", "series_id"),
        Index("ix_meeting_tf_starts", "task_force_id", "starts_at"),
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def locked(self) -> bool:
        return self.status == PUBLISHED

    @property
    def counterpart_name(self) -> str:
        if self.counterpart_user is not None:
            return self.counterpart_user.display_name
        if self.counterpart_unit is not None:
            return self.counterpart_unit.name
        return ""


class AgendaItem(TaskForceScoped, db.Model):
    """A line of the agenda, with the minutes written against it."""

    __tablename__ = "agenda_item"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(300))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(300), default="")
    minutes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_agenda_item_tf_meeting", "task_force_id", "meeting_id"),)


class Attendance(TaskForceScoped, db.Model):
    """Who was invited and whether they came. ``status`` is None until recorded."""

    __tablename__ = "meeting_attendance"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str | None] = mapped_column(String(10))

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendance"),
        Index("ix_meeting_attendance_tf_meeting", "task_force_id", "meeting_id"),
    )


class ActionItem(TaskForceScoped, TimestampMixin, db.Model):
    """Something a meeting asked somebody to do, until it becomes a subtask or an issue."""

    __tablename__ = "action_item"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    deadline: Mapped[date | None]
    done_on: Mapped[date | None]
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    subtask_id: Mapped[int | None] = mapped_column(ForeignKey("subtask.id"))

    owner: Mapped[User | None] = relationship()
    meeting: Mapped[Meeting] = relationship()
    issue: Mapped[Issue | None] = relationship()
    subtask: Mapped[Subtask | None] = relationship()

    __table_args__ = (Index("ix_action_item_tf_meeting", "task_force_id", "meeting_id"),)

    @property
    def done(self) -> bool:
        """Done when ticked, or when the subtask or issue it became is done."""
        if self.done_on is not None:
            return True
        if self.subtask is not None:
            return self.subtask.done
        if self.issue is not None:
            return self.issue.status == "closed"
        return False


class CalendarToken(db.Model):
    """The secret of a person's calendar feed; only its SHA-256 is kept."""

    __tablename__ = "calendar_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[datetime | None]


# Names and titles are one line, however they are set.
one_line_attributes(
    MeetingSeries.name,
    MeetingSeries.place,
    Meeting.title,
    Meeting.place,
    AgendaItem.section,
    AgendaItem.title,
    ActionItem.title,
)
