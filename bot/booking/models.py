"""Workshops, counselling hours and the bookings people make for them.

Seats are counted on the workshop row (`booked`), so taking the last one is a single conditional
UPDATE on both databases; a counselling slot is taken the same way through its `taken` flag.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class WorkshopStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"  # on a workshop's waitlist
    OFFERED = "offered"  # a freed seat is held for them until offer_expires_at
    CANCELLED = "cancelled"  # by the person
    CALLED_OFF = "called_off"  # the workshop was cancelled or the counsellor is away
    EXPIRED = "expired"  # an offer nobody took


class Attendance(StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Workshop(Base):
    __tablename__ = "workshops"
    __table_args__ = (
        Index("ix_workshops_status_starts_at", "status", "starts_at"),
        # The desk's list: upcoming ones in start order, past ones latest first, a page at a
        # time without sorting them all (bench/console_workshops.py).
        Index("ix_workshops_starts_at_id", "starts_at", "id"),
        Index("ix_workshops_ends_at_id", "ends_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The key an import file gives it: importing the same file again updates, never duplicates.
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    # One text for every language; workshop_texts hold the ones written per language.
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(32))  # None: online
    address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(300))
    # Its times are this zone's: the town's, or the author's when online (None: rows from before
    # the column, whose town gives the zone).
    timezone: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    # Seats booked plus seats held for a waitlist offer; never above capacity.
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())  # booking and cancelling end
    languages: Mapped[str] = mapped_column(String(64), default="")  # "sr,bg"; "": everyone
    programme: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=WorkshopStatus.SCHEDULED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkshopText(Base):
    """A title and description written for one language."""

    __tablename__ = "workshop_texts"
    __table_args__ = (UniqueConstraint("workshop_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class Counsellor(Base):
    """One person offering one counselling service; `user_id` links them to their Putokaz account
    (staff or mentor) so they can see their day."""

    __tablename__ = "counsellors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    city: Mapped[str | None] = mapped_column(String(32))  # None: online
    address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))  # weekly hours are in this zone
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Availability(Base):
    """Weekly hours: every `weekday` from `start` to `end`, cut into slots of `slot_minutes`."""

    __tablename__ = "counselling_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(
        ForeignKey("counsellors.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)


class TimeOff(Base):
    """Days a counsellor is away (holiday, sick day): their slots go, booked people are told."""

    __tablename__ = "counselling_time_off"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(
        ForeignKey("counsellors.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlotStatus(StrEnum):
    OPEN = "open"
    REMOVED = "removed"  # no longer in the weekly hours, or in time off


class Slot(Base):
    __tablename__ = "counselling_slots"
    __table_args__ = (
        UniqueConstraint("counsellor_id", "starts_at"),
        Index("ix_counselling_slots_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=SlotStatus.OPEN)
    taken: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Booking(Base):
    """A seat at a workshop (or a place on its waitlist), or one counselling slot.

    The times are copied from the workshop or slot: "no two bookings at once" is one query.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        # One row per person and workshop: a double tap cannot make two.
        UniqueConstraint("workshop_id", "user_id"),
        Index("ix_bookings_user_id_status_starts_at", "user_id", "status", "starts_at"),
        Index("ix_bookings_workshop_id_status", "workshop_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("counselling_slots.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the waitlist's order
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attendance: Mapped[str | None] = mapped_column(String(16))
    # The calendar file's SEQUENCE (RFC 5545); None while the person never had the file (only
    # waited). Raised on each new time or place and on a cancellation, so a phone replaces or
    # removes the event it has under the same UID instead of adding a second one.
    calendar_sequence: Mapped[int | None] = mapped_column(Integer)
    # The announcement whose "Book a seat" button it was made from. No foreign key: booking
    # knows nothing of broadcasts, and the announcement's report counts only rows of people
    # it was delivered to, so a forged number in a button counts for nothing.
    announcement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkshopChange(Base):
    """Who changed a workshop, and what, from the desk or the bot (created, edited, seats,
    cancelled, someone moved from the waitlist, attendance, imported).

    `detail` names no person: bookings by their id, so erasing someone (/deleteme) leaves
    nothing of them here; the actor's id goes when their account is deleted.
    """

    __tablename__ = "workshop_changes"
    __table_args__ = (Index("ix_workshop_changes_workshop_id_id", "workshop_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CounsellingChange(Base):
    """Who changed a counsellor, and what, from the desk or the bot: created, paused or made
    active, linked to an account, weekly hours added or removed, time off added or removed,
    attendance marked.

    `detail` is a few words for the page to show in the reader's language (a weekday and
    times, days and a reason, a booking's id and what was marked), never a person's name;
    the actor's id goes when their account is deleted (/deleteme).
    """

    __tablename__ = "counselling_changes"
    __table_args__ = (Index("ix_counselling_changes_counsellor_id_id", "counsellor_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
