"""A person's right to see and to erase everything Putokaz holds about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Invite, User
from bot.repositories import broadcasts as broadcast_rows
from bot.repositories import invites, mentoring
from bot.services import booking, broadcasts, plans
from bot.services.reminders import ReminderRules


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(session: AsyncSession, user: User, now: datetime) -> dict[str, Any]:
    mentors = await mentoring.mentors(session, user.id)
    mentees = await mentoring.mentees(session, user.id)
    created = await invites.created_by(session, user.id)
    return {
        "exported_at": now.isoformat(),
        "person": {
            "telegram_id": user.telegram_id,
            "language": user.locale,
            "time_zone": user.timezone,
            "role": user.role,
            "name": user.display_name,
            "birth_year": user.birth_year,
            "consent_given_at": _when(user.consent_at),
            "privacy_notice_version": user.consent_version,
            "receives_messages": user.is_active,
            "first_contact_at": _when(user.created_at),
            "last_seen_at": _when(user.last_seen_at),
            "town": user.city,
            "programme": user.programme,
            "announcements_muted": user.announcements_muted,
        },
        "mentors": [
            {"name": m.display_name, "since": _when(link.created_at)} for m, link in mentors
        ],
        "mentees": [
            {"name": m.display_name, "since": _when(link.created_at)} for m, link in mentees
        ],
        "invite_links_created": [
            {
                "kind": i.kind,
                "created_at": _when(i.created_at),
                "expires_at": _when(i.expires_at),
                "used_at": _when(i.used_at),
                "revoked_at": _when(i.revoked_at),
            }
            for i in created
        ],
        **await broadcasts.export(session, user),
        "plan": await plans.export(session, user),
        "bookings": await booking.export(session, user),
    }


@dataclass(frozen=True)
class Contact:
    """Someone to tell, copied out before the rows go."""

    telegram_id: int
    locale: str
    is_active: bool


@dataclass(frozen=True)
class Erasure:
    name: str | None
    mentors: Sequence[Contact]
    mentees: Sequence[Contact]


def _contact(user: User) -> Contact:
    return Contact(user.telegram_id, user.locale, user.is_active)


async def erase(
    session: AsyncSession, user: User, bookings: booking.Context | None = None
) -> Erasure:
    """Deletes the person; links go with them, invites they made lose their maker."""
    result = Erasure(
        name=user.display_name,
        mentors=[_contact(m) for m, _ in await mentoring.mentors(session, user.id)],
        mentees=[_contact(m) for m, _ in await mentoring.mentees(session, user.id)],
    )
    # Unused links made by this person would open nothing any more.
    await session.execute(
        delete(Invite).where(Invite.created_by_id == user.id, Invite.used_at.is_(None))
    )
    # Nothing goes out later in the name of someone who left; what went out stays, unsigned.
    await broadcast_rows.delete_unsent_by(session, user.id)
    # Their seats and slots are freed first, so the waitlist moves (`bookings`: when, and how).
    await booking.release_all(
        session, user, bookings or booking.Context(datetime.now(UTC), ReminderRules(), "UTC")
    )
    await session.execute(delete(User).where(User.id == user.id))
    session.expunge(user)
    return result
