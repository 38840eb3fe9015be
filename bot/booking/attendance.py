"""Who came: staff mark a workshop's attendance, a counsellor (or staff) their own hours'.

One rule for both kinds of booking, so it lives apart from workshops and counselling.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.booking import queries as rows
from bot.booking.models import Attendance, Booking, BookingStatus
from bot.kit.errors import NotFound
from bot.people.models import Role, User
from bot.people.roles import require


async def mark(
    session: AsyncSession, actor: User, booking_id: int, value: str | None, now: datetime
) -> Booking:
    """Staff (or the booking's counsellor) mark who came, once the event has begun."""
    item = await rows.get(session, booking_id)
    if item is None or item.status != BookingStatus.BOOKED:
        raise NotFound("booking")
    if value is not None and value not in Attendance.__members__.values():
        raise ValueError("attendance")
    if item.workshop_id is not None:
        require(actor, Role.STAFF)
    else:
        await counselling.check_counsellor_of(session, actor, item)
    if item.starts_at > now:
        raise ValueError("not begun yet")
    item.attendance = value
    item.updated_at = now
    await session.flush()
    if item.workshop_id is not None:
        detail = f"booking {item.id}: {value or 'unmarked'}"
        await workshops.record(session, item.workshop_id, actor, "attendance", detail, now)
    elif item.counsellor_id is not None:
        detail = f"{item.id} {value or 'unmarked'}"
        await counselling.record(session, item.counsellor_id, actor, "attendance", detail, now)
    return item
