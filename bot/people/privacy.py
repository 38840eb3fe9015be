"""A person's right to see and to erase everything Putokaz holds about them.

Erasure, column by column: every column that holds a users.id or a Telegram id (bot/db/*models.py)
and what happens to it when that person goes.

Deleted with the person (ON DELETE CASCADE from users, or here):
- users: the row itself (Telegram id, name, year of birth, language, town, programme...).
- mentor_links.mentor_id, .youth_id: the link.
- goals/tasks/plan_changes.youth_id: their plan and its audit trail; extension_requests and
  reminders of those tasks go with the tasks.
- reminders.user_id, digests_sent.mentor_id, bookings.user_id (seats and slots are released
  first, so the waitlist moves), broadcast_recipients.user_id (deliveries to them).
- assessments.user_id with answers and scores (assessments.open_for is that row's own copy).
- desk_links, desk_sessions: their desk sign-in links and sessions (a signed-in browser is
  signed out at once).
- mentor_line_messages.youth_id, .mentor_id: which relayed message of "a line to my mentor"
  belongs to them (ids only; the messages' texts were never stored). The copies already in the
  other person's Telegram chat are theirs and stay there; a reply to one is no longer passed on.
- invites.created_by_id of links never used, and broadcasts they wrote that have not gone out
  (drafts, scheduled): deleted here, since nothing should open or go out in their name.

Cleared, the row stays without them (ON DELETE SET NULL, or here where there is no key):
- invites.created_by_id (used links), invites.used_by_id.
- broadcasts.author_id; broadcasts.report_chat_id and .report_message_id (their Telegram chat,
  for the progress report) and audience_value of a "my young people" audience (their users.id as
  text): cleared here. What went out stays as the team's record (broadcast_texts), unsigned.
- broadcasts.stopped_by_id (who cancelled or stopped an announcement, at the desk or in the
  bot): the broadcast stays cancelled or stopped, by nobody.
- plan_changes.actor_id, goals.created_by_id, extension_requests.decided_by_id: what they did
  in someone else's plan stays in that plan's history, done by nobody.
- reminders.actor_id (who saved a plan at the desk, for the young person's summary not yet
  sent): the summary then says "someone" saved it.
- workshops.created_by_id, workshop_changes.actor_id (what they did to a workshop stays,
  done by nobody; its detail names bookings by id, never a person; listed in /mydata as
  workshop_changes_made, as counselling_changes are).
- counselling_changes.actor_id (what they changed about a counsellor: record, hours, time off,
  attendance; stays, done by nobody; its detail names a booking by id, never a person).
- counsellors.user_id: the counselling service and its bookings stay as staff listed them
  (its name is the staff's listing; staff edit or remove it), no longer linked to the account.

Kept, pointing at nobody: processed_updates (update ids only; gone after
PROCESSED_UPDATE_TTL_HOURS). Dialog state (FSM) is cleared by the handler.

On SQLite deleted rows are overwritten with zeros (PRAGMA secure_delete) and, once the erasure
commits, the WAL is checkpointed and truncated, so nothing of them stays readable in the files.
On PostgreSQL deleted rows stay in table pages until (auto)vacuum reuses them, and in WAL
segments until they are recycled: the database server's disks must be treated as holding
personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.booking import rules as booking
from bot.broadcasts import queries as broadcast_rows
from bot.broadcasts import rules as broadcasts
from bot.db.engine import checkpoint_after_commit
from bot.people import desk_access, mentor_line, mentoring
from bot.people import invite_queries as invites
from bot.people.models import Invite, User
from bot.plans import rules as plans
from bot.plans.reminders import ReminderRules


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
        "workshop_changes_made": await workshops.changes_made_by(session, user),
        "counselling_changes_made": await counselling.changes_made_by(session, user),
        "mentor_line_messages": await mentor_line.export(session, user),
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
    """Deletes the person and every reference to them (see the module docstring)."""
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
    await broadcast_rows.forget_person(session, user.id, user.telegram_id)
    # Their seats and slots are freed first, so the waitlist moves (`bookings`: when, and how).
    await booking.release_all(
        session, user, bookings or booking.Context(datetime.now(UTC), ReminderRules(), "UTC")
    )
    await desk_access.end_all(session, user.id)
    await session.execute(delete(User).where(User.id == user.id))
    session.expunge(user)
    checkpoint_after_commit(session)
    return result
