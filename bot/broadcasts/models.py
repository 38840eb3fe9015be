"""Announcements by staff and messages by mentors to their young people, with one row per
recipient: the queue that the sender works through and the record of every delivery."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class BroadcastKind(StrEnum):
    ANNOUNCEMENT = "announcement"  # by staff; people who muted announcements do not get it
    MENTOR = "mentor"  # by a mentor to their own young people; always delivered


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"  # recipients written; the sender works through them
    DONE = "done"
    CANCELLED = "cancelled"


class Audience(StrEnum):
    ALL = "all"
    ROLE = "role"
    LANGUAGE = "language"
    CITY = "city"
    PROGRAMME = "programme"
    MENTEES = "mentees"  # audience_value: the mentor's users.id
    # Several conditions at once (the desk's audience builder): in audience_filters.
    FILTERS = "filters"


class ButtonKind(StrEnum):
    URL = "url"  # button_value: the address
    # "Book a seat": button_value the workshop id; pressing it opens the workshop's card.
    WORKSHOP = "workshop"


class RecipientStatus(StrEnum):
    PENDING = "pending"  # waiting, or waiting for a retry at next_attempt_at
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    BLOCKED = "blocked"  # 403 or chat not found: the person is marked inactive
    FAILED = "failed"  # refused by Telegram, or gave up after repeated errors
    SKIPPED = "skipped"  # left, blocked or muted between choosing the audience and sending
    CANCELLED = "cancelled"  # the sending was stopped


# Recipient statuses after which nothing more happens.
FINAL = (
    RecipientStatus.SENT,
    RecipientStatus.BLOCKED,
    RecipientStatus.FAILED,
    RecipientStatus.SKIPPED,
    RecipientStatus.CANCELLED,
)
EVERYONE = "*"  # the locale of a text meant for every language without its own


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The announcement outlives the person who wrote it: the team's record of what went out.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.DRAFT)
    audience: Mapped[str] = mapped_column(String(16), default=Audience.ALL)
    audience_value: Mapped[str | None] = mapped_column(String(64))
    # For Audience.FILTERS: the conditions as a query string (bot/broadcasts/audience.py).
    audience_filters: Mapped[str | None] = mapped_column(String(300))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    button_kind: Mapped[str | None] = mapped_column(String(16))
    button_value: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Who cancelled it before it went out, or stopped it while it was being sent, and when
    # (at the desk or in the bot); cleared by the key when that person's row goes (/deleteme).
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The message in the author's chat that shows progress and then the report.
    report_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    report_message_id: Mapped[int | None] = mapped_column(BigInteger)


class BroadcastText(Base):
    """The text for one language, or for everyone (locale "*"); Telegram HTML made by aiogram
    from the formatting the author used, so anything typed is already escaped."""

    __tablename__ = "broadcast_texts"
    __table_args__ = (UniqueConstraint("broadcast_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        Index("ix_broadcast_recipients_queue", "broadcast_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed ones
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(String(32))  # which sender holds the lease
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
