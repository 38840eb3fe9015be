"""Booking rules and their races, on SQLite and PostgreSQL: separate sessions run concurrently."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.booking import counselling, workshops
from bot.booking import rules as booking
from bot.booking.models import BookingStatus, SlotStatus
from bot.db.engine import SessionFactory
from bot.kit.errors import NotFound
from bot.people import privacy
from bot.people.models import User
from bot.plans.reminders import ReminderRules
from tests.booking_support import (
    NOW,
    TZ,
    bookings_of,
    counsellor_with_hours,
    crowd,
    ctx,
    fresh,
    notices,
    person,
    slots_of,
    workshop,
)

CROWD = 200


async def _race(sessions: SessionFactory, attempt: object, people: list[User]) -> Counter[str]:
    """Everyone at once, each in their own session and transaction, as separate updates are."""
    assert callable(attempt)

    async def one(user: User) -> str:
        try:
            async with sessions.begin() as session:
                await attempt(session, user)
        except booking.Full:
            return "full"
        except booking.AlreadyBooked:
            return "already"
        return "booked"

    return Counter(await asyncio.gather(*(one(u) for u in people)))


async def test_200_people_on_the_last_seat_one_gets_it(sessions: SessionFactory) -> None:
    first = await person(sessions, 1)
    found = await workshop(sessions, capacity=2)
    async with sessions.begin() as session:
        await booking.book_workshop(session, first, found.id, ctx())
    others = await crowd(sessions, CROWD)

    async def attempt(session: object, user: User) -> None:
        await booking.book_workshop(session, user, found.id, ctx())  # type: ignore[arg-type]

    results = await _race(sessions, attempt, others)
    assert results == Counter({"booked": 1, "full": CROWD - 1})
    assert (await fresh(sessions, found.id)).booked == 2
    statuses = Counter(b.status for b in await bookings_of(sessions))
    assert statuses == Counter({BookingStatus.BOOKED: 2})


async def test_a_double_tap_books_once(sessions: SessionFactory) -> None:
    user = await person(sessions, 1)
    found = await workshop(sessions, capacity=5)

    async def attempt(session: object, same: User) -> None:
        await booking.book_workshop(session, same, found.id, ctx())  # type: ignore[arg-type]

    results = await _race(sessions, attempt, [user] * 10)
    assert results == Counter({"booked": 1, "already": 9})
    assert (await fresh(sessions, found.id)).booked == 1
    assert len(await bookings_of(sessions)) == 1


async def test_200_people_on_one_counselling_slot_one_gets_it(sessions: SessionFactory) -> None:
    counsellor_id = await counsellor_with_hours(sessions)
    slot = (await slots_of(sessions, counsellor_id))[0]
    others = await crowd(sessions, CROWD)

    async def attempt(session: object, user: User) -> None:
        await booking.book_slot(session, user, slot.id, "career", ctx())  # type: ignore[arg-type]

    results = await _race(sessions, attempt, others)
    assert results == Counter({"booked": 1, "full": CROWD - 1})
    taken = [b for b in await bookings_of(sessions) if b.status == BookingStatus.BOOKED]
    assert len(taken) == 1 and taken[0].slot_id == slot.id
    # The same person again, and a slot asked for under another service, are refused.
    async with sessions.begin() as session:
        winner = await session.get(User, taken[0].user_id)
        assert winner is not None
        with pytest.raises(booking.AlreadyBooked):
            await booking.book_slot(session, winner, slot.id, "career", ctx())
        with pytest.raises(NotFound):
            await booking.book_slot(session, winner, slot.id, "legal", ctx())


async def test_slots_come_from_weekly_hours_and_time_off_calls_bookings_off(
    sessions: SessionFactory,
) -> None:
    counsellor_id = await counsellor_with_hours(sessions)
    slots = await slots_of(sessions, counsellor_id)
    # Tuesdays 10:00-14:00 Belgrade (UTC+1) in 45-minute slots: 5 a day, 4 or 5 Tuesdays ahead.
    first = slots[0]
    assert first.starts_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert first.ends_at - first.starts_at == timedelta(minutes=45)
    assert len([s for s in slots if s.starts_at.date() == date(2026, 12, 1)]) == 5
    youth = await person(sessions, 1)
    async with sessions.begin() as session:
        made = await booking.book_slot(session, youth, first.id, "career", ctx())
    async with sessions.begin() as session:
        told = await counselling.add_time_off(
            session, None, counsellor_id, date(2026, 12, 1), date(2026, 12, 1), "sick", ctx()
        )
    assert told == 1
    after = {s.id: s for s in await slots_of(sessions, counsellor_id)}
    assert after[first.id].status == SlotStatus.REMOVED and not after[first.id].taken
    (called_off,) = await bookings_of(sessions)
    assert called_off.id == made.id and called_off.status == BookingStatus.CALLED_OFF
    assert called_off.calendar_sequence == 1  # the cancelling file replaces version 0
    kinds = {n.kind: n.status for n in await notices(sessions)}
    assert kinds[booking.CALLED_OFF] == "pending"
    assert kinds[booking.BEFORE_24H] == "cancelled"


async def test_a_workshop_at_the_time_of_another_booking_is_refused_with_that_booking(
    sessions: SessionFactory,
) -> None:
    youth = await person(sessions, 1)
    counsellor_id = await counsellor_with_hours(sessions)
    slots = await slots_of(sessions, counsellor_id)  # Tuesday 1 December from 10:00 Belgrade
    async with sessions.begin() as session:
        slot_booking = await booking.book_slot(session, youth, slots[1].id, "career", ctx())
    # 09:30-11:30 UTC holds the slot; a workshop ending as the slot starts does not.
    overlapping = await workshop(sessions, starts=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    before = await workshop(sessions, starts=slots[1].starts_at - timedelta(hours=2))
    async with sessions.begin() as session:
        with pytest.raises(booking.Overlap) as refused:
            await booking.book_workshop(session, youth, overlapping.id, ctx())
        assert refused.value.other.id == slot_booking.id
        assert refused.value.other.starts_at == slots[1].starts_at
    async with sessions.begin() as session:
        made = await booking.book_workshop(session, youth, before.id, ctx())
    assert made.status == BookingStatus.BOOKED


async def test_no_two_bookings_at_once_and_reschedule_keeps_the_counsellor(
    sessions: SessionFactory,
) -> None:
    youth = await person(sessions, 1)
    counsellor_id = await counsellor_with_hours(sessions)
    other_id = await counsellor_with_hours(sessions, "legal")
    slots = await slots_of(sessions, counsellor_id)
    # A workshop on Tuesday 1 December 09:30-11:30 UTC overlaps the first two slots.
    found = await workshop(sessions, starts=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    async with sessions.begin() as session:
        await booking.book_workshop(session, youth, found.id, ctx())
    async with sessions.begin() as session:
        with pytest.raises(booking.Overlap):
            await booking.book_slot(session, youth, slots[0].id, "career", ctx())
    async with sessions.begin() as session:
        made = await booking.book_slot(session, youth, slots[4].id, "career", ctx())
    async with sessions.begin() as session:
        moved = await booking.reschedule(session, youth, made.id, slots[6].id, ctx())
    assert moved.slot_id == slots[6].id
    stored = {b.id: b for b in await bookings_of(sessions)}
    assert stored[made.id].calendar_sequence == 1  # same UID, the next version of the event
    after = {s.id: s.taken for s in await slots_of(sessions, counsellor_id)}
    assert after[slots[4].id] is False and after[slots[6].id] is True
    other_slot = (await slots_of(sessions, other_id))[8]
    async with sessions.begin() as session:
        with pytest.raises(NotFound):
            await booking.reschedule(session, youth, made.id, other_slot.id, ctx())


async def test_counsellors_by_town_each_in_its_own_zone(sessions: SessionFactory) -> None:
    kragujevac = await counsellor_with_hours(sessions)
    async with sessions.begin() as session:
        sofia = await counselling.create_counsellor(
            session, None, service="career", name="Мария", user_id=None, city="sofia",
            address="бул. Витоша 1", online_url=None, timezone="Europe/Sofia", now=NOW,
        )  # fmt: skip
        await counselling.add_hours(session, None, sofia.id, 1, time(10), time(12), 60, ctx())
        online = await counselling.create_counsellor(
            session, None, service="career", name="Online", user_id=None, city=None,
            address=None, online_url="https://meet.example/x", timezone=TZ, now=NOW,
        )  # fmt: skip
        await counselling.add_hours(session, None, online.id, 1, time(16), time(17), 60, ctx())
    youth = await person(sessions, 1, locale="bg")
    async with sessions() as session:
        assert await counselling.towns_of(session, "career") == ["kragujevac", "sofia", "online"]
        assert await counselling.towns_of(session, "legal") == []
        day = date(2026, 12, 1)
        zone = counselling.town_zone("sofia", TZ)
        found = await counselling.free_slots(session, youth, "career", day, zone, NOW, town="sofia")
        assert {c.id for _s, c in found} == {sofia.id}
        # 10:00 in Sofia is 08:00 UTC: the town's own hours.
        assert found[0][0].starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        here = await counselling.free_slots(
            session, youth, "career", day, TZ, NOW, town="kragujevac"
        )
        assert {c.id for _s, c in here} == {kragujevac}
        web = await counselling.free_slots(session, youth, "career", day, TZ, NOW, town="online")
        assert {c.id for _s, c in web} == {online.id}
        days = await counselling.free_days(session, youth, "career", zone, NOW, town="sofia")
        assert day in days


async def test_the_calendar_file_version_follows_the_seat(sessions: SessionFactory) -> None:
    """Only people who had a seat were sent a calendar file; each change raises its version."""
    first, second = await person(sessions, 1), await person(sessions, 2)
    found = await workshop(sessions, capacity=1)
    async with sessions.begin() as session:
        seat = await booking.book_workshop(session, first, found.id, ctx())
        waits = await booking.join_waitlist(session, second, found.id, ctx())
    stored = {b.id: b for b in await bookings_of(sessions)}
    assert stored[seat.id].calendar_sequence == 0 and stored[waits.id].calendar_sequence is None
    moved = replace(workshops.draft_of(found), city="sofia", address="бул. Витоша 1")
    async with sessions.begin() as session:
        await workshops.update(session, None, found.id, moved, ctx())
    stored = {b.id: b for b in await bookings_of(sessions)}
    assert stored[seat.id].calendar_sequence == 1 and stored[waits.id].calendar_sequence is None
    # The workshop moved to Sofia: its times are Sofia's now.
    assert (await fresh(sessions, found.id)).timezone == "Europe/Sofia"
    async with sessions.begin() as session:
        await booking.cancel(session, first, seat.id, ctx())  # the seat is offered on
        offer = await booking.accept_offer(session, second, waits.id, ctx())
    stored = {b.id: b for b in await bookings_of(sessions)}
    assert stored[seat.id].calendar_sequence == 2 and stored[seat.id].status == "cancelled"
    assert offer.id == waits.id and stored[waits.id].calendar_sequence == 0
    async with sessions.begin() as session:
        again = await booking.join_waitlist(session, first, found.id, ctx())
        await booking.cancel(session, second, waits.id, ctx())
        back = await booking.accept_offer(session, first, again.id, ctx())
    # Booked again after a cancellation: a version above the cancelling one.
    assert back.id == seat.id and back.calendar_sequence == 3


async def test_the_waitlist_offers_a_freed_seat_in_turn(sessions: SessionFactory) -> None:
    first, second, third = [await person(sessions, n) for n in (1, 2, 3)]
    found = await workshop(sessions, capacity=1)
    async with sessions.begin() as session:
        seat = await booking.book_workshop(session, first, found.id, ctx())
    with pytest.raises(booking.Full):  # a refusal rolls back what the attempt wrote
        async with sessions.begin() as session:
            await booking.book_workshop(session, second, found.id, ctx())
    async with sessions.begin() as session:
        assert (await booking.join_waitlist(session, second, found.id, ctx())).status == (
            BookingStatus.WAITING
        )
        assert (await booking.join_waitlist(session, third, found.id, ctx())).status == (
            BookingStatus.WAITING
        )
    async with sessions.begin() as session:
        await booking.cancel(session, first, seat.id, ctx())
    rows = {b.user_id: b for b in await bookings_of(sessions)}
    offer = rows[second.id]
    assert offer.status == BookingStatus.OFFERED
    # 12 waking hours to accept: the cut-off (10 Dec, 11:00 UTC) is far away. Sent at 11:00 in
    # Belgrade, 11 hours run until the quiet hours (22:00) and the last one after 08:00.
    expires = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Belgrade
    assert offer.offer_expires_at == expires
    assert (await fresh(sessions, found.id)).booked == 1  # the seat is held for the offer
    # Still open while the person sleeps; gone once its time is up.
    async with sessions.begin() as session:
        assert await booking.expire_offers(session, ctx(NOW + timedelta(hours=12, minutes=1))) == 0
    later = ctx(expires + timedelta(minutes=1))
    async with sessions.begin() as session:
        assert await booking.expire_offers(session, later) == 1
    rows = {b.user_id: b for b in await bookings_of(sessions)}
    assert rows[second.id].status == BookingStatus.EXPIRED
    assert rows[third.id].status == BookingStatus.OFFERED
    async with sessions.begin() as session:
        taken = await booking.accept_offer(session, third, rows[third.id].id, later)
    assert taken.status == BookingStatus.BOOKED
    assert (await fresh(sessions, found.id)).booked == 1
    kinds = Counter((n.user_id, n.kind) for n in await notices(sessions))
    assert kinds[(second.id, booking.OFFER)] == 1 and kinds[(second.id, booking.EXPIRED)] == 1
    assert kinds[(third.id, booking.OFFER)] == 1


async def test_an_offer_before_a_soon_workshop_is_shorter(sessions: SessionFactory) -> None:
    rules = ReminderRules()
    assert booking.offer_deadline(NOW, NOW + timedelta(hours=6), TZ, rules) == NOW + timedelta(
        hours=3
    )
    assert booking.offer_deadline(NOW, NOW + timedelta(minutes=5), TZ, rules) is None


async def test_an_offer_does_not_run_out_while_the_person_sleeps(sessions: SessionFactory) -> None:
    """Sent at 21:04 in Belgrade, an offer's 12 hours stop at 22:00 and go on at 08:00 (the
    reminders' quiet hours): it runs out at 19:04 the next day, not at 09:02."""
    first = await person(sessions, 1)
    belgrade = await person(sessions, 2)
    sofia = await person(sessions, 3, locale="bg")
    found = await workshop(sessions, capacity=1)
    async with sessions.begin() as session:
        seat = await booking.book_workshop(session, first, found.id, ctx())
        await booking.join_waitlist(session, belgrade, found.id, ctx())
    evening = datetime(2026, 12, 1, 20, 4, tzinfo=UTC)  # 21:04 in Belgrade, 22:04 in Sofia
    async with sessions.begin() as session:
        await booking.cancel(session, first, seat.id, ctx(evening))
    offer = {b.user_id: b for b in await bookings_of(sessions)}[belgrade.id]
    assert offer.offer_expires_at == datetime(2026, 12, 2, 18, 4, tzinfo=UTC)  # 19:04 Belgrade
    morning = datetime(2026, 12, 2, 8, 2, tzinfo=UTC)  # 09:02 in Belgrade
    async with sessions.begin() as session:
        assert await booking.expire_offers(session, ctx(morning)) == 0
    async with sessions.begin() as session:
        taken = await booking.accept_offer(session, belgrade, offer.id, ctx(morning))
    assert taken.status == BookingStatus.BOOKED
    # In Sofia 21:04 in Belgrade is already night: the offer goes out at 08:00 and its
    # 12 hours start then.
    async with sessions.begin() as session:
        await booking.join_waitlist(session, sofia, found.id, ctx(morning))
        await booking.cancel(session, belgrade, taken.id, ctx(evening + timedelta(days=1)))
    offer = {b.user_id: b for b in await bookings_of(sessions)}[sofia.id]
    assert offer.offer_expires_at == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # 20:00 Sofia
    sent = [n for n in await notices(sessions) if n.user_id == sofia.id and n.kind == booking.OFFER]
    assert [n.scheduled_at for n in sent] == [datetime(2026, 12, 3, 6, 0, tzinfo=UTC)]


async def test_fewer_seats_send_the_latest_back_to_the_waitlist(sessions: SessionFactory) -> None:
    people = [await person(sessions, n) for n in range(1, 5)]
    found = await workshop(sessions, capacity=3)
    for number, user in enumerate(people):
        async with sessions.begin() as session:
            when = ctx(NOW + timedelta(minutes=number))
            if number < 3:
                await booking.book_workshop(session, user, found.id, when)
            else:
                await booking.join_waitlist(session, user, found.id, when)
    async with sessions.begin() as session:
        change = await workshops.update(
            session, None, found.id, workshops.draft_of(found).__class__(
                **{**workshops.draft_of(found).__dict__, "capacity": 2}
            ), ctx(),
        )  # fmt: skip
    assert change.told == 1
    rows = {b.user_id: b for b in await bookings_of(sessions)}
    assert rows[people[2].id].status == BookingStatus.WAITING
    assert (await fresh(sessions, found.id)).booked == 2
    # The one who lost the seat is first in line, ahead of who joined the waitlist.
    async with sessions.begin() as session:
        await booking.cancel(session, people[0], rows[people[0].id].id, ctx())
    rows = {b.user_id: b for b in await bookings_of(sessions)}
    assert rows[people[2].id].status == BookingStatus.OFFERED
    assert rows[people[3].id].status == BookingStatus.WAITING
    # More seats: the waitlist is offered them.
    current = await fresh(sessions, found.id)
    async with sessions.begin() as session:
        await workshops.update(
            session, None, found.id, workshops.draft_of(current).__class__(
                **{**workshops.draft_of(current).__dict__, "capacity": 5}
            ), ctx(),
        )  # fmt: skip
    rows = {b.user_id: b for b in await bookings_of(sessions)}
    assert rows[people[3].id].status == BookingStatus.OFFERED
    assert (await fresh(sessions, found.id)).booked == 3


async def test_cancelling_a_workshop_calls_off_everyone(sessions: SessionFactory) -> None:
    first, second = await person(sessions, 1), await person(sessions, 2)
    found = await workshop(sessions, capacity=1)
    async with sessions.begin() as session:
        await booking.book_workshop(session, first, found.id, ctx())
        await booking.join_waitlist(session, second, found.id, ctx())
    async with sessions.begin() as session:
        change = await workshops.cancel(session, None, found.id, ctx())
    assert change.told == 2
    assert {b.status for b in await bookings_of(sessions)} == {BookingStatus.CALLED_OFF}
    async with sessions.begin() as session:
        with pytest.raises(NotFound):
            await booking.book_workshop(session, second, found.id, ctx())


async def test_past_and_closed_workshops_cannot_be_booked(sessions: SessionFactory) -> None:
    user = await person(sessions, 1)
    found = await workshop(sessions, starts=NOW + timedelta(hours=3))  # closes 2 h before
    async with sessions.begin() as session:
        with pytest.raises(booking.Closed):
            await booking.book_workshop(session, user, found.id, ctx(NOW + timedelta(hours=2)))


async def test_erasure_frees_the_seat_for_the_waitlist(sessions: SessionFactory) -> None:
    first, second = await person(sessions, 1), await person(sessions, 2)
    found = await workshop(sessions, capacity=1)
    async with sessions.begin() as session:
        await booking.book_workshop(session, first, found.id, ctx())
        await booking.join_waitlist(session, second, found.id, ctx())
    async with sessions.begin() as session:
        leaving = await session.get(User, first.id)
        assert leaving is not None
        await privacy.erase(session, leaving, ctx())
    (left,) = await bookings_of(sessions)
    assert left.user_id == second.id and left.status == BookingStatus.OFFERED
    assert (await fresh(sessions, found.id)).booked == 1


def test_reminders_24_and_2_hours_before_respect_quiet_hours() -> None:
    rules = ReminderRules()
    # 15:00 Belgrade: 24 h and 2 h before are both outside the quiet hours.
    afternoon = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert booking.planned(afternoon, "Europe/Belgrade", rules, NOW) == {
        "b24": afternoon - timedelta(hours=24),
        "b2": afternoon - timedelta(hours=2),
    }
    # 09:00 Belgrade: 2 h before is 07:00, quiet; moved to 08:00, still before the start.
    morning = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    assert booking.planned(morning, "Europe/Belgrade", rules, NOW)["b2"] == datetime(
        2026, 12, 10, 7, 0, tzinfo=UTC
    )
    # 08:30 Belgrade: 06:30 moves to 08:00, before 08:30: kept. 07:30: 08:00 is too late.
    early = datetime(2026, 12, 10, 7, 30, tzinfo=UTC)
    assert "b2" in booking.planned(early, "Europe/Belgrade", rules, NOW)
    too_early = datetime(2026, 12, 10, 6, 30, tzinfo=UTC)
    assert "b2" not in booking.planned(too_early, "Europe/Belgrade", rules, NOW)


async def test_assessment_next_steps_link_to_what_can_be_booked(sessions: SessionFactory) -> None:
    from bot.assessment import next_steps

    youth = await person(sessions, 1)
    steps = ["career", "cv_workshop", "money_workshop", "legal_aid"]
    async with sessions() as session:
        assert await next_steps.bookable(session, youth, NOW, steps) == {}
    await workshop(sessions)  # CV and job search
    await counsellor_with_hours(sessions)  # career
    async with sessions() as session:
        found = await next_steps.bookable(session, youth, NOW, steps)
    assert found == {"career": ("counselling", "career"), "cv_workshop": ("workshop", "cv_jobs")}
