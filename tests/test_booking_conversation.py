"""Workshops, counselling and bookings through the fake Bot API, as people use them."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.booking import counselling, workshops
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
from bot.booking.workshops import draft_of
from bot.i18n.formatting import fmt_datetime, fmt_time, zone_label
from bot.people.models import User
from tests.booking_support import NOW, counsellor_with_hours, ctx, fresh, slots_of, workshop
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
    assert "Kralja Petra 12" in card.body
    # A workshop in Kragujevac at 14:00 is at 14:00 for a reader in Sofia too, the zone named.
    assert fmt_datetime(STARTS, locale, "Europe/Belgrade") in card.body
    note = tr(locale, "({place} time)", place=zone_label("Europe/Belgrade", locale))
    assert (note in card.body) == (locale == "bg")
    booked = await youth.click(tr(locale, "✅ Book a seat"), card)
    assert youth.last_answer == tr(locale, "✅ Booked! See you there.")
    document = booked.document
    assert document is not None and document.file_name == f"putokaz-{found.id}.ics"
    ics = document.data.decode()
    assert "METHOD:PUBLISH\r\n" in ics and "SEQUENCE:0\r\n" in ics
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
    removal = await youth.click(tr(locale, "Yes, cancel the booking"), confirm)
    done = harness.fake.message(confirm.chat_id, confirm.message_id)
    assert tr(locale, "Nothing booked yet.") in done.body
    assert (await fresh(harness.sessions, found.id)).booked == 0
    # The phone's calendar drops the event it was given: same UID, METHOD:CANCEL.
    assert removal.document is not None
    assert tr(locale, "📅 Open the file to take it off your calendar.") in removal.body
    lines = removal.document.data.decode().split("\r\n")
    assert next(x for x in ics.split("\r\n") if x.startswith("UID:")) in lines
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines and "SEQUENCE:1" in lines


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
    # Hours of 10:00-14:00 in Kragujevac are offered as 10:00-14:00 to a reader in Sofia too,
    # with the zone named; who and where come before the booking.
    assert labels(times)[:5] == ["10:00", "10:45", "11:30", "12:15", "13:00"]
    local = tr("bg", "({place} time)", place=zone_label("Europe/Belgrade", "bg"))
    assert local in times.body and "Ana Savetnik" in times.body and "Trg 1" in times.body
    booked = await youth.click("10:45", times)
    assert youth.last_answer == tr("bg", "✅ Booked! See you there.")
    assert booked.document is not None
    first_file = booked.document.data.decode()
    assert "DTSTART:20261201T094500Z" in first_file and "SEQUENCE:0\r\n" in first_file
    # Another time with the same counsellor.
    mine = await youth.send("/bookings")
    opened = await youth.click(next(b for b in labels(mine) if "Career" in b or "✅" in b), mine)
    month = await youth.click(tr("bg", "🔁 Another time"), opened)
    times = await youth.click("8", month)
    moved = await youth.click("12:15", times)
    assert youth.last_answer == tr("bg", "✅ Moved to the new time.")
    assert moved.document is not None
    # The same event in the phone's calendar, replaced: same UID, a higher SEQUENCE.
    second_file = moved.document.data.decode()
    uid = next(line for line in first_file.split("\r\n") if line.startswith("UID:"))
    assert uid in second_file.split("\r\n") and "SEQUENCE:1\r\n" in second_file
    assert "DTSTART:20261208T111500Z" in second_file
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


async def _sofia_counsellor(harness: Harness) -> None:
    """A career counsellor in Sofia: Tuesdays 10:00-12:00 Sofia time, hour-long slots."""
    async with harness.sessions.begin() as session:
        found = await counselling.create_counsellor(
            session, None, service="career", name="Мария", user_id=None, city="sofia",
            address="бул. Витоша 1", online_url=None, timezone="Europe/Sofia", now=NOW,
        )  # fmt: skip
        await counselling.add_hours(session, None, found.id, 1, time(10), time(12), 60, ctx())


@pytest.mark.parametrize("locale", ["sr", "en"])
async def test_the_town_sets_the_clock_and_counsellors_are_picked_by_town(
    harness: Harness, locale: str
) -> None:
    await counsellor_with_hours(harness.sessions)
    await _sofia_counsellor(harness)
    youth = await onboard(harness, locale)
    # Asked where it first matters: the town, not the language, sets the person's time zone.
    question = "🏙 Which town do you live in? Tell me, and times will be shown by your clock."
    first = await youth.send("/counselling")
    assert tr(locale, question) in first.body
    towns = await youth.click(tr(locale, "🏙 My town"), first)
    assert tr(locale, question) in towns.body
    # Back where it was asked, not in Settings: counselling, which asks no more.
    services = await youth.click(tr(locale, "Sofia"), towns)
    assert youth.last_answer == tr(locale, "Town: {place}", place=tr(locale, "Sofia"))
    assert services.message_id == first.message_id
    assert tr(locale, "💬 <b>Counselling</b>\nWho would you like to talk to?") in services.html_text
    # Counsellors of one service come grouped by town, the person's own first.
    assert tr(locale, question) not in services.body
    assert tr(locale, "🏙 My town") not in labels(services)
    places = await youth.click(tr(locale, "Career counselling"), services)
    assert tr(locale, "📍 Where would you like to meet?") in places.body
    assert labels(places)[:2] == [tr(locale, "Sofia"), tr(locale, "Kragujevac")]
    month = await youth.click(tr(locale, "Sofia"), places)
    assert tr(locale, "Sofia") in month.body
    times = await youth.click("1", month)

    # Only Sofia's counsellor, at Sofia's hours, which are the reader's own: no zone named.
    def at(hour: int, minute: int, zone: str) -> str:
        return fmt_time(datetime(2026, 12, 1, hour, minute, tzinfo=UTC), locale, zone)

    assert labels(times)[:2] == [at(8, 0, "Europe/Sofia"), at(9, 0, "Europe/Sofia")]
    assert labels(times)[0] == ("10:00" if locale == "sr" else "10:00\u202fAM")
    assert "Мария" in times.body and "бул. Витоша 1" in times.body
    assert "Ana Savetnik" not in times.body and "(" not in times.body
    # Kragujevac's hours in Kragujevac's time, named for a reader who lives by Sofia's.
    month = await youth.click(tr(locale, "⬅️ Other days"), times)
    places = await youth.click(tr(locale, "⬅️ Back"), month)
    month = await youth.click(tr(locale, "Kragujevac"), places)
    times = await youth.click("1", month)
    belgrade_times = [at(9, 0, "Europe/Belgrade"), at(9, 45, "Europe/Belgrade")]
    assert labels(times)[:2] == belgrade_times and "Trg 1" in times.body
    belgrade = tr(locale, "({place} time)", place=zone_label("Europe/Belgrade", locale))
    assert belgrade in times.body
    async with harness.sessions() as session:
        stored = await session.scalar(select(User).where(User.telegram_id == youth.id))
    assert stored is not None and stored.timezone == "Europe/Sofia"


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_the_town_asked_by_the_workshop_list_leads_back_to_the_list(
    harness: Harness, locale: str
) -> None:
    await workshop(harness.sessions, capacity=3)
    await workshop(harness.sessions, capacity=3, title="Budget", kind="money")
    youth = await onboard(harness, locale)
    question = "🏙 Which town do you live in? Tell me, and times will be shown by your clock."
    listing = await youth.send("/workshops")
    kinds = await youth.click(tr(locale, "🏷 Type: {type}", type=tr(locale, "all")), listing)
    listing = await youth.click(tr(locale, "CV and job search"), kinds)
    assert tr(locale, question) in listing.body and "Budget" not in listing.body
    towns = await youth.click(tr(locale, "🏙 My town"), listing)
    # Back goes to the list as it was; so does picking a town, which the list asks no more.
    again = await youth.click(tr(locale, "⬅️ Back"), towns)
    assert tr(locale, question) in again.body and "Budget" not in again.body
    towns = await youth.click(tr(locale, "🏙 My town"), again)
    shown = await youth.click(tr(locale, "Sofia"), towns)
    assert youth.last_answer == tr(locale, "Town: {place}", place=tr(locale, "Sofia"))
    assert shown.message_id == listing.message_id
    assert tr(locale, "🗓 <b>Workshops</b>") in shown.html_text
    assert "Write your CV" in shown.body and "Budget" not in shown.body
    assert tr(locale, question) not in shown.body
    assert tr(locale, "🏙 My town") not in labels(shown)
    # The list now reads by Sofia's clock: Kragujevac's workshop named with its own.
    belgrade = tr(locale, "({place} time)", place=zone_label("Europe/Belgrade", locale))
    assert belgrade in shown.body
    async with harness.sessions() as session:
        stored = await session.scalar(select(User).where(User.telegram_id == youth.id))
    assert stored is not None and (stored.city, stored.timezone) == ("sofia", "Europe/Sofia")


@pytest.mark.parametrize("locale", ["en", "bg"])
async def test_a_new_time_and_a_cancellation_update_the_phones_calendar(
    harness: Harness, locale: str
) -> None:
    found = await workshop(harness.sessions, capacity=1)
    booked = await onboard(harness, locale, first_name="Booked")
    waiting = await onboard(harness, "sr", first_name="Waiting")
    await open_card(booked, locale)
    first = await booked.click(tr(locale, "✅ Book a seat"))
    assert first.document is not None
    uid = next(x for x in first.document.data.decode().split("\r\n") if x.startswith("UID:"))
    await open_card(waiting, "sr")
    await waiting.click(tr("sr", "🕒 Join the waitlist"))
    sender = sender_for(harness)
    # An hour later: the booked person gets the new file with the message, the waiting one
    # nothing (they never had it).
    later = STARTS + timedelta(hours=1)
    async with harness.sessions.begin() as session:
        current = await session.get(Workshop, found.id)
        assert current is not None
        draft = replace(draft_of(current), starts_at=later, ends_at=later + timedelta(hours=2))
        await workshops.update(session, None, found.id, draft, ctx(harness.clock.now()))
    assert await sender.tick() == 1
    changed = booked.last
    assert changed.document is not None
    assert tr(locale, "✏️ Changed: {title}", title="Write your CV") in changed.body
    ics = changed.document.data.decode().split("\r\n")
    assert uid in ics and "SEQUENCE:1" in ics and "METHOD:PUBLISH" in ics
    assert "DTSTART:20261210T140000Z" in ics
    before = len(waiting.messages)
    # Cancelled: the booked person's calendar drops it; the waiting person is told in words.
    async with harness.sessions.begin() as session:
        await workshops.cancel(session, None, found.id, ctx(harness.clock.now()))
    assert await sender.tick() == 2
    cancelled = booked.last
    assert cancelled.document is not None and cancelled.body.startswith("❌")
    ics = cancelled.document.data.decode().split("\r\n")
    assert uid in ics and "SEQUENCE:2" in ics
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "BEGIN:VALARM" not in ics
    told = waiting.messages[before:]
    assert len(told) == 1 and told[0].document is None and told[0].body.startswith("❌")


async def test_staff_give_a_workshops_time_by_its_towns_clock(harness: Harness) -> None:
    """Staff in Belgrade set a workshop in Sofia for 16:00: 16:00 in Sofia, for everyone."""
    staff = await staff_member(harness)
    youth = await onboard(harness, "sr", first_name="Mila")
    menu = await staff.send("/menu")
    home = await staff.click("🗓 Workshops", menu)
    kinds = await staff.click("➕ New workshop", home)
    await staff.click("Digital skills", kinds)
    await staff.send("Email")
    places = await staff.send("Bring your phone.")
    await staff.click("Sofia", places)
    calendar_message = await staff.send("бул. Витоша 1")
    next_month = await staff.click("▶️", calendar_message)
    times = await staff.click("3", next_month)
    lengths = await staff.click("16:00", times)
    seats = await staff.click("2 h", lengths)
    created = await staff.click("10", seats)
    assert "Workshop created." in created.body
    sofia = tr("en", "({place} time)", place=zone_label("Europe/Sofia", "en"))
    assert f"4:00\u202fPM–6:00\u202fPM {sofia}" in created.body
    async with harness.sessions() as session:
        made = await session.scalar(select(Workshop))
    assert made is not None and made.timezone == "Europe/Sofia"
    assert made.starts_at == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    await open_card(youth, "sr", "Email")
    note = tr("sr", "({place} time)", place=zone_label("Europe/Sofia", "sr"))
    assert f"16:00–18:00 {note}" in youth.last.body
