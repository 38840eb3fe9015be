"""Tables of the foundation: people, the links between them, invites, seen updates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class Role(StrEnum):
    YOUTH = "youth"
    MENTOR = "mentor"
    STAFF = "staff"


class InviteKind(StrEnum):
    MENTOR = "mentor"  # makes its opener a mentor
    MENTEE = "mentee"  # attaches its opener to the mentor who made it


class User(Base):
    __tablename__ = "users"
    # The desk's audience count by town (and language): an index range, not the whole table.
    # The desk's people table is ordered by name: its first pages need not sort everyone.
    __table_args__ = (
        Index("ix_users_city_locale", "city", "locale"),
        Index("ix_users_display_name_id", "display_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    locale: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default=Role.YOUTH)
    # Everything below stays empty until the person consents.
    timezone: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(64))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Optional, for announcements to one town or one programme: a key from bot.people.profile.
    city: Mapped[str | None] = mapped_column(String(32))
    programme: Mapped[str | None] = mapped_column(String(32))
    # Staff announcements only: reminders and a mentor's own messages still come.
    announcements_muted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None


class MentorLink(Base):
    """A young person followed by a mentor."""

    __tablename__ = "mentor_links"
    __table_args__ = (UniqueConstraint("mentor_id", "youth_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    youth_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invite(Base):
    """A single-use deep link. Only a hash of its token is kept, so a leaked table opens nothing."""

    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_open", "created_by_id", "used_at", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeskLink(Base):
    """A single-use sign-in link to the desk that /console sends. Only a hash of its token."""

    __tablename__ = "desk_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeskSession(Base):
    """A signed-in browser (or Mini App) at the desk. Only a hash of the cookie's token."""

    __tablename__ = "desk_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # "link" or "mini_app"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MentorLineMessage(Base):
    """A message of "a line to my mentor" as it sits in one chat: the copy of what someone
    sent, or the line above it naming who sent it. Only which message belongs to which two
    people is kept, never what it says (the bot copies messages, it does not store them), so
    that a reply to it finds its way back; rows go after MENTOR_LINE_DAYS."""

    __tablename__ = "mentor_line_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    youth_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProgrammeSetting(Base):
    """What staff decided for one programme (a key of bot.people.profile.PROGRAMMES); a
    programme without a row has everything on."""

    __tablename__ = "programme_settings"

    programme: Mapped[str] = mapped_column(String(32), primary_key=True)
    mentor_line: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
