"""The desk's seat moves under the bot's race guarantees: staff giving a seat from the waitlist
while the holder cancels and a crowd presses "book" keeps the seat count true (both databases)."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.booking import rules as booking
from bot.booking import workshops
from bot.booking.models import Booking, BookingStatus
from bot.db.engine import SessionFactory
from bot.people.models import Role, User
from tests.booking_support import crowd, ctx, fresh, person, workshop


async def test_a_seat_given_by_hand_during_a_cancel_and_a_crowd_is_counted_once(
    sessions: SessionFactory,
) -> None:
    found = await workshop(sessions, capacity=1)
    staff = await person(sessions, 1, Role.STAFF)
    holder = await person(sessions, 2)
    waiting = await person(sessions, 3)
    async with sessions.begin() as session:
        seat = await booking.book_workshop(session, holder, found.id, ctx())
    async with sessions.begin() as session:
        queued = await booking.join_waitlist(session, waiting, found.id, ctx())
    assert queued.status == BookingStatus.WAITING
    others = await crowd(sessions, 20)

    async def by_hand() -> str:
        try:
            async with sessions.begin() as session:
                await workshops.seat_from_waitlist(session, staff, queued.id, ctx())
        except booking.Full:
            return "full"
        return "seated"

    async def cancel() -> str:
        async with sessions.begin() as session:
            await booking.cancel(session, holder, seat.id, ctx())
        return "cancelled"

    async def press(user: User) -> str:
        try:
            async with sessions.begin() as session:
                await booking.book_workshop(session, user, found.id, ctx())
        except booking.Full:
            return "full"
        return "booked"

    results = await asyncio.gather(by_hand(), cancel(), *(press(u) for u in others))
    assert results[1] == "cancelled"
    # The freed seat is the waiting person's (by hand, or as the bot's offer): nobody else's.
    assert Counter(results[2:]) == Counter({"full": 20})
    async with sessions() as session:
        mine = await session.get(Booking, queued.id)
        held = await session.scalar(
            select(func.count(Booking.id)).where(
                Booking.workshop_id == found.id,
                Booking.status.in_([BookingStatus.BOOKED, BookingStatus.OFFERED]),
            )
        )
    assert mine is not None and mine.status in (BookingStatus.BOOKED, BookingStatus.OFFERED)
    if results[0] == "seated":
        assert mine.status == BookingStatus.BOOKED
    now = await fresh(sessions, found.id)
    assert now.booked == held == 1 and now.capacity == 1
