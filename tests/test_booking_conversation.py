"""Workshops, counselling and bookings through the fake Bot API, as people use them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.booking.models import Booking, BookingStatus, Counsellor, Workshop
from bot.booking.telegram.callbacks import (
    BookingAction,
    BookingCb,
    CounselAction,
    CounselCb,
    StaffWsAction,
    StaffWsCb,
    WorkshopsAction,
    WorkshopsCb,
)
from bot.i18n.formatting import fmt_datetime
from tests.booking_support import counsellor_with_hours, fresh, slots_of, workshop
from tests.conversation import ALL_LOCALES, labels, onboard, tr
from tests.harness import Harness, Person
from tests.test_plan_conversation import sender_for
from tests.test_roles import staff_member

REFUSAL = "This button no longer works."
# 13:00 UTC is 14:00 in Belgrade.
STARTS = datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


async def open_card(youth: Person, locale: str = "en", title: str = "Write your CV") -> None:
    listing = await youth.send("/workshops")
    assert tr(locale, "🗓 <b>Workshops</b>") in listing.html_text
    await youth.click(title, listing)


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_a_young_person_books_and_gets_a_calendar_file(harness: Harness, locale: str) -> None:
    found = await workshop(harness.sessions, capacity=3)
    youth = await onboard(harness, locale)
    assert tr(locale, "🗓 Workshops") in labels(youth.last)
    await open_card(youth, locale)
    card = youth.last
    zone = "Europe/Sofia" if locale == "bg" else "Europe/Belgrade"
    assert "Kralja Petra 12" in card.body
    assert fmt_datetime(STARTS, locale, zone) in card.body
    booked = await youth.click(tr(locale, "✅ Book a seat"), card)
    assert youth.last_answer == tr(locale, "✅ Booked! See you there.")
    document = booked.document
    assert document is not None and document.file_name == f"putokaz-{found.id}.ics"
    ics = document.data.decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261210T130000Z\r\n" in ics and "DTEND:20261210T150000Z\r\n" in ics
    assert "LOCATION:" in ics and "\\, Kralja Petra 12" in ics  # the comma escaped
    assert "Kralja Petra 12" in booked.body
    card = harness.fake.message(card.chat_id, card.message_id)
    assert tr(locale, "✅ You have a seat.") in card.body
    mine = await youth.send("/bookings")
    assert "Write your CV" in mine.body
    opened = await youth.click("✅ Write your CV", mine)
    confirm = await youth.click(tr(locale, "✖️ Cancel my booking"), opened)
    done = await youth.click(tr(locale, "Yes, cancel the booking"), confirm)
    assert tr(locale, "Nothing booked yet.") in done.body
    assert (await fresh(harness.sessions, found.id)).booked == 0


async def test_many_press_book_on_the_last_seat_at_once(harness: Harness) -> None:
    found = await workshop(harness.sessions, capacity=1)
    people = [await onboard(harness, "en", first_name=f"Y{n}") for n in range(12)]
    for youth in people:
        await open_card(youth)
    cards = [youth.last for youth in people]
    await asyncio.gather(
        *(youth.click("✅ Book a seat", card) for youth, card in zip(people, cards, strict=True))
    )
    answers = [youth.last_answer for youth in people]
    assert answers.count("✅ Booked! See you there.") == 1
    assert answers.count("Sorry, it is full now. You can join the waitlist.") == 11
    losers = [y for y, a in zip(people, answers, strict=True) if a != "✅ Booked! See you there."]
    shown = harness.fake.message(losers[0].id, cards[people.index(losers[0])].message_id)
    assert "🕒 Join the waitlist" in labels(shown)
    assert (await fresh(harness.sessions, found.id)).booked == 1
    # A double tap by the winner books nothing more.
    winner = people[answers.index("✅ Booked! See you there.")]
    await winner.click_data(WorkshopsCb(a=WorkshopsAction.BOOK, id=found.id).pack())
    assert winner.last_answer == "You have booked this already. 🙂"
    async with harness.sessions() as session:
        rows = (await session.scalars(select(Booking))).all()
    assert len(rows) == 1


async def test_the_waitlist_offer_comes_with_a_button(harness: Harness) -> None:
    await workshop(harness.sessions, capacity=1)
    first = await onboard(harness, "en", first_name="First")
    second = await onboard(harness, "sr", first_name="Second")
    await open_card(first)
    await first.click("✅ Book a seat")
    await open_card(second, "sr")
    await second.click(tr("sr", "🕒 Join the waitlist"))
    assert second.last_answer == tr(
        "sr", "🕒 You are on the waitlist. I will tell you if a seat frees."
    )
    assert tr("sr", "🕒 You are number {n} on the waitlist.", n=1) in second.last.body
    mine = await first.send("/bookings")
    opened = await first.click("✅ Write your CV", mine)
    confirm = await first.click("✖️ Cancel my booking", opened)
    await first.click("Yes, cancel the booking", confirm)
    sender = sender_for(harness)
    assert await sender.tick() == 1
    offer = second.last
    assert tr("sr", "🎟 A seat is free for you: {title}", title="<b>Write your CV</b>") in (
        offer.html_text
    )
    taken = await second.click(tr("sr", "✅ Take the seat"), offer)
    assert second.last_answer == tr("sr", "✅ The seat is yours!")
    assert taken.document is not None


async def test_buttons_of_others_and_of_cancelled_things_are_refused(harness: Harness) -> None:
    found = await workshop(harness.sessions, capacity=5)
    gone = await workshop(harness.sessions, capacity=5, title="Old one")
    counsellor_id = await counsellor_with_hours(harness.sessions)
    other_id = await counsellor_with_hours(harness.sessions, "legal")
    owner = await onboard(harness, "en", first_name="Owner")
    stranger = await onboard(harness, "en", first_name="Stranger")
    await open_card(owner)
    await owner.click("✅ Book a seat")
    slot = (await slots_of(harness.sessions, counsellor_id))[0]
    other_slot = (await slots_of(harness.sessions, other_id))[0]
    await owner.click_data(CounselCb(a=CounselAction.SLOT, s="career", id=slot.id).pack())
    async with harness.sessions() as session:
        seat, appointment = (await session.scalars(select(Booking).order_by(Booking.id))).all()
    from bot.booking import workshops
    from tests.booking_support import ctx

    async with harness.sessions.begin() as session:
        await workshops.cancel(session, None, gone.id, ctx())
    await stranger.send("/menu")
    for data in [
        BookingCb(a=BookingAction.OPEN, id=seat.id).pack(),
        BookingCb(a=BookingAction.CANCEL, id=seat.id).pack(),
        BookingCb(a=BookingAction.CANCEL_CONFIRMED, id=seat.id).pack(),
        BookingCb(a=BookingAction.CALENDAR_FILE, id=seat.id).pack(),
        BookingCb(a=BookingAction.TAKE, id=seat.id).pack(),
        BookingCb(a=BookingAction.MOVE, id=appointment.id).pack(),
        WorkshopsCb(a=WorkshopsAction.BOOK, id=gone.id).pack(),
        WorkshopsCb(a=WorkshopsAction.WAIT, id=gone.id).pack(),
        WorkshopsCb(a=WorkshopsAction.OPEN, id=gone.id).pack(),
        CounselCb(a=CounselAction.SLOT, s="career", id=other_slot.id).pack(),
        CounselCb(a=CounselAction.SERVICE, s="career", b=appointment.id).pack(),
        StaffWsCb(a=StaffWsAction.CARD, id=found.id).pack(),
        StaffWsCb(a=StaffWsAction.CANCEL_CONFIRMED, id=found.id).pack(),
    ]:
        await stranger.click_data(data)
        assert stranger.last_answer == REFUSAL, data
        assert "Owner" not in stranger.last.body
    # The owner cannot move their appointment to another counsellor's time either.
    await owner.click_data(
        CounselCb(a=CounselAction.SLOT, s="legal", b=appointment.id, id=other_slot.id).pack()
    )
    assert owner.last_answer == REFUSAL
    async with harness.sessions() as session:
        statuses = [b.status for b in (await session.scalars(select(Booking))).all()]
    assert statuses == [BookingStatus.BOOKED, BookingStatus.BOOKED]
    assert (await fresh(harness.sessions, found.id)).booked == 1


async def test_counselling_through_the_calendar_and_the_counsellors_day(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    counsellor_id = await counsellor_with_hours(harness.sessions)
    from tests.conversation import stored_user

    linked = await stored_user(harness, staff.id)
    assert linked is not None
    async with harness.sessions.begin() as session:
        counsellor = await session.get(Counsellor, counsellor_id)
        assert counsellor is not None
        counsellor.user_id = linked.id
    youth = await onboard(harness, "bg", first_name="Ivo")
    services = await youth.click(tr("bg", "💬 Counselling"), youth.last)
    month = await youth.click(tr("bg", "Career counselling"), services)
    days = labels(month)
    # Tuesdays only: 1, 8, 15, 22, 29 December; other days are dots.
    assert "1" in days and "2" not in days and "·" in days
    times = await youth.click("1", month)
    # Shown in the young person's zone: Sofia is an hour ahead of the counsellor in Belgrade.
    assert labels(times)[:5] == ["11:00", "11:45", "12:30", "13:15", "14:00"]
    booked = await youth.click("11:45", times)
    assert youth.last_answer == tr("bg", "✅ Booked! See you there.")
    assert (
        booked.document is not None and "DTSTART:20261201T094500Z" in booked.document.data.decode()
    )
    # Another time with the same counsellor.
    mine = await youth.send("/bookings")
    opened = await youth.click(next(b for b in labels(mine) if "Career" in b or "✅" in b), mine)
    month = await youth.click(tr("bg", "🔁 Another time"), opened)
    times = await youth.click("8", month)
    moved = await youth.click("13:15", times)
    assert youth.last_answer == tr("bg", "✅ Moved to the new time.")
    assert moved.document is not None
    # The counsellor's day, and attendance once it has begun.
    harness.clock.advance(datetime(2026, 12, 8, 11, 20, tzinfo=UTC) - harness.clock.now())
    day = await staff.send("/today")
    assert "12:15\u202fPM · Ivo · Career counselling" in day.body
    await staff.click("✅ Ivo", day)
    assert staff.last_answer == "Saved."
    async with harness.sessions() as session:
        stored = await session.scalar(select(Booking))
    assert stored is not None and stored.attendance == "attended"


async def test_staff_create_a_workshop_and_cancelling_tells_the_booked(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    youth = await onboard(harness, "sr", first_name="Mila")
    menu = await staff.send("/menu")
    home = await staff.click("🗓 Workshops", menu)
    kinds = await staff.click("➕ New workshop", home)
    await staff.click("Digital skills", kinds)
    await staff.send("Email <and> phone")
    places = await staff.send("Bring your phone.")
    await staff.click("Niš", places)
    calendar_message = await staff.send("Obrenovićeva 1")
    next_month = await staff.click("▶️", calendar_message)
    times = await staff.click("3", next_month)
    lengths = await staff.click("16:00", times)
    seats = await staff.click("2 h", lengths)
    created = await staff.click("10", seats)
    assert "Workshop created." in created.body
    assert "Email &lt;and&gt; phone" in created.html_text
    async with harness.sessions() as session:
        made = await session.scalar(select(Workshop))
    assert made is not None and made.starts_at == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert made.closes_at == made.starts_at - timedelta(hours=2)
    await open_card(youth, "sr", "Email <and> phone")
    await youth.click(tr("sr", "✅ Book a seat"))
    people = await staff.click("👥 Who booked", created)
    assert "Mila" in people.body
    card = await staff.click("⬅️ Back", people)
    await staff.click("📄 CSV file", card)
    assert staff.last.document is not None and b"Mila" in staff.last.document.data
    confirm = await staff.click("✖️ Cancel the workshop", card)
    assert "1 person is told" in confirm.body
    await staff.click("Yes, cancel the workshop", confirm)
    assert staff.last_answer == "Cancelled. 1 person will be told."
    assert await sender_for(harness).tick() == 1
    assert "Email &lt;and&gt; phone" in youth.last.html_text
    assert youth.last.html_text.startswith("❌")


async def test_booking_reminders_go_out_24_and_2_hours_before(harness: Harness) -> None:
    await workshop(harness.sessions, capacity=3)
    youth = await onboard(harness, "en")
    await open_card(youth)
    await youth.click("✅ Book a seat")
    sender = sender_for(harness)
    assert await sender.tick() == 0
    harness.clock.advance(STARTS - timedelta(hours=24) - harness.clock.now())
    assert await sender.tick() == 1
    reminder = youth.last
    assert reminder.body.startswith("⏰ Reminder: Write your CV")
    assert labels(reminder) == ["✖️ Cancel", "🎫 Open my bookings"]
    assert await sender.tick() == 0
    harness.clock.advance(timedelta(hours=22))
    assert await sender.tick() == 1
    mine = await youth.click("🎫 Open my bookings", youth.last)
    assert "Write your CV" in mine.body


async def test_staff_edit_seats_and_a_text_per_language(harness: Harness) -> None:
    staff = await staff_member(harness)
    found = await workshop(harness.sessions, capacity=2)
    first = await onboard(harness, "bg", first_name="First")
    second = await onboard(harness, "en", first_name="Second")
    for youth, locale in ((first, "bg"), (second, "en")):
        await open_card(youth, locale)
        await youth.click(tr(locale, "✅ Book a seat"))
    home = await staff.send("/workshops")
    card = await staff.click(next(b for b in labels(home) if b.startswith("Write your CV")), home)
    edit = await staff.click("✏️ Edit", card)
    ask = await staff.click("🪑 Seats", edit)
    saved = await staff.send("1")
    assert "Saved. 1 person will be told." in saved.body
    assert "Booked: 1 of 1" in saved.body and "1 person waiting" in saved.body
    assert await sender_for(harness).tick() == 1
    assert "fewer seats" in second.last.body  # the later booking went back to the waitlist
    edit = await staff.click("✏️ Edit", saved)
    languages = await staff.click("🌐 Text in one language", edit)
    await staff.click("Български", languages)
    await staff.send("Напиши CV <днес>")
    done = await staff.click("Skip")
    assert "Saved." in done.body
    listing = await first.send("/workshops")
    assert "Напиши CV &lt;днес&gt;" in listing.html_text
    assert ask.message_id and (await fresh(harness.sessions, found.id)).capacity == 1
