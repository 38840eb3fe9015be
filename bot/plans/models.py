"""Individual activation plans: goals, tasks, their history, and the reminders they cause."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class GoalStatus(StrEnum):
    ACTIVE = "active"
    REACHED = "reached"
    DROPPED = "dropped"


class TaskOwner(StrEnum):
    ME = "me"  # the young person
    MENTOR = "mentor"
    INSTITUTION = "institution"


class TaskStatus(StrEnum):
    TODO = "todo"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"  # the task was done, cancelled or moved
    SKIPPED = "skipped"  # the person blocked the bot
    FAILED = "failed"  # gave up after repeated errors


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=GoalStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_youth_status_due", "youth_id", "status", "due_date"),
        # The desk's reports: tasks done in a period, and everyone's overdue tasks now. The
        # two cover what those counts read, so neither looks up a row.
        Index("ix_tasks_status_done_at_deadline", "status", "done_at", "youth_id", "deadline_at"),
        Index("ix_tasks_status_due", "status", "due_date", "due_time", "youth_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    # Kept on the task too: the plan screen and the digest ask "tasks of this person".
    youth_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(16), default=TaskOwner.ME)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_time: Mapped[time | None] = mapped_column(Time)
    # The moment the deadline passes by the service's TIMEZONE (reminders.deadline), kept with
    # due_date and due_time (reminders.set_due): the desk's "done late" is then one comparison
    # in SQL. NULL without a deadline.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.TODO)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The order within its goal the desk shows; the bot's screens go by deadline.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PlanChange(Base):
    """The audit trail: who changed what in whose plan, and when."""

    __tablename__ = "plan_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: the fields before and after
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Where the change was made: "bot" (Telegram), "console" (the web desk) or "import" (the
    # server's `python -m bot.import_plans`).
    source: Mapped[str] = mapped_column(String(16), default="bot", server_default="bot")


class ExtensionRequest(Base):
    """'I need more time': the mentor answers with a new date or a no."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_date: Mapped[date | None] = mapped_column(Date)


class Reminder(Base):
    """A message that must go out at a time. Written first, sent later, by whichever instance.

    `due_at` is when it may next be sent: claiming moves it forward by a lease and writes the
    sender's token in `claim`, so a sender that dies leaves it to be claimed again once the lease
    has passed. A sender sends only while `claim` is still its token (bot/repositories/
    reminders.py); moving a reminder to a new time clears it.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("task_id", "kind"),
        UniqueConstraint("booking_id", "kind"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    # A workshop seat or counselling slot (bot/booking/models.py); then task_id is None.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "before_3", "before_1", "due", "overdue"
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the planned moment
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(String(32))  # the token of the sender holding it
    # A one-off message whose words were decided when it was written (the summary of a plan
    # saved at the desk, kind "plan_saved"): JSON, read by the feature that wrote it.
    detail: Mapped[str | None] = mapped_column(Text)
    # Who caused it, named in the message at send time; cleared when they erase themselves.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DigestSent(Base):
    """One morning digest per mentor per local day, whichever instance sends it."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("mentor_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # or given up for the day
    claim: Mapped[str | None] = mapped_column(String(32))  # the token of the sender holding it
