"""The staff's counselling forms (aiogram-dialog): a new counsellor, weekly hours, time off with
who is told listed before it is saved; Back on every step, bad input and old buttons."""

from __future__ import annotations

from datetime import date, time, timedelta

from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram_dialog.widgets.kbd.calendar_kbd import raw_from_date
from sqlalchemy import select

from bot.booking.models import (
    Availability,
    Booking,
    BookingStatus,
    CounsellingChange,
    Counsellor,
    TimeOff,
)
from bot.booking.telegram.callbacks import (
    CounselAction,
    CounselCb,
    StaffCoAction,
    StaffCoCb,
)
from bot.botapi import FakeTelegram, StoredMessage
from tests.booking_support import counsellor_with_hours, slots_of
from tests.conftest import ADMIN_ID
from tests.conversation import labels, onboard, stored_user, tr
from tests.databases import REDIS_URL
from tests.harness import TOKEN, Harness, Person, running_bot
from tests.test_roles import staff_member
from tests.test_workshop_forms import ADDRESS, LINK, REFUSAL, WHERE
from tests.test_workshop_forms import _fits as fits

SERVICE = "➕ New counsellor\nWhich service?"
NAME = "Type the counsellor's name as people should see it."
WEEKDAY = "Which day of the week?"
HOURS = "Type the hours, like 10:00-14:00."
LENGTH = "How long is one appointment?"
FIRST = "📅 First day away?"
LAST = "📅 Last day away?"
WHY = "Why?"
WEEK = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


async def _home(staff: Person) -> StoredMessage:
    return await staff.click("💬 Counselling", await staff.send("/workshops"))


async def _card(staff: Person) -> StoredMessage:
    home = await _home(staff)
    return await staff.click(next(b for b in labels(home) if b.startswith("Ana Savetnik")), home)


async def test_back_on_every_step_of_a_new_counsellor(harness: Harness) -> None:
    staff = await staff_member(harness)
    home = await _home(staff)
    services = await staff.click("➕ New counsellor", home)
    assert services.message_id == home.message_id and services.body == SERVICE
    fits(services)
    home = await staff.click("⬅️ Back", services)
    assert "Counselling · staff" in home.body and "➕ New counsellor" in labels(home)
    services = await staff.click("➕ New counsellor", home)
    name = await staff.click("Legal aid", services)
    assert name.body == NAME
    assert (await staff.click("⬅️ Back", name)).body == SERVICE
    await staff.click("Career counselling", name)
    where = await staff.send("Ana  Savetnik")
    assert where.body == WHERE and "💻 Online" in labels(where)
    fits(where)
    assert (await staff.click("⬅️ Back", where)).body == NAME
    where = await staff.send("Ana <Savetnica>")
    address = await staff.click("Niš", where)
    assert address.body == ADDRESS
    where = await staff.click("⬅️ Back", address)
    assert where.body == WHERE
    link = await staff.click("💻 Online", where)
    assert link.body == LINK
    card = await staff.send("https://meet.example.org/ana")
    assert card.body.startswith("✅ Counsellor added. Now give their weekly hours.")
    assert "Ana &lt;Savetnica&gt;" in card.html_text and "➕ Weekly hours" in labels(card)
    assert labels(link) == []  # the form's message has no buttons left
    async with harness.sessions() as session:
        made = await session.scalar(select(Counsellor))
    assert made is not None
    assert (made.service, made.name, made.city, made.address, made.online_url) == (
        "career",
        "Ana <Savetnica>",
        None,
        None,
        "https://meet.example.org/ana",
    )
    # The form is over: typing now is not taken as an answer.
    assert "Tap a button, or type what you need" in (await staff.send("Kralja Petra 1")).body


async def test_a_new_counsellor_with_bad_input(harness: Harness) -> None:
    staff = await staff_member(harness)
    services = await staff.click("➕ New counsellor", await _home(staff))
    again = await staff.send("Legal")  # a button was expected
    assert staff.messages[-2].body == "Please use the buttons 👇"
    assert again.body == SERVICE and labels(services) == []
    legal = again.button("Legal aid").data
    assert legal is not None
    await staff.click_data(legal.replace("legal", "astrology"), again)  # forged: no such choice
    assert staff.last_answer == REFUSAL
    await staff.click("Legal aid", again)
    await harness.processed(staff.tg.send_sticker())
    assert staff.last.body == "Please send the text as a message."
    assert (await staff.send("x" * 101)).body == "Too long: at most 100 characters."
    where = await staff.send("x" * 100)  # exactly the limit is fine
    address = await staff.click("💻 Online", where)
    assert (await staff.send("meet.example.org")).body == (
        "That does not look like a link. It starts with https://"
    )
    await staff.send("/menu")  # leaving: nothing is made
    async with harness.sessions() as session:
        assert await session.scalar(select(Counsellor)) is None
    await staff.click("⬅️ Back", address)
    assert staff.last_answer == REFUSAL


async def test_weekly_hours_step_by_step(harness: Harness) -> None:
    counsellor_id = await counsellor_with_hours(harness.sessions)  # Tuesdays 10:00-14:00
    staff = await staff_member(harness)
    card = await _card(staff)
    weekdays = await staff.click("➕ Weekly hours", card)
    assert weekdays.body == WEEKDAY and labels(weekdays)[:7] == WEEK
    fits(weekdays)
    card = await staff.click("⬅️ Back", weekdays)
    assert "Ana Savetnik" in card.body and "➕ Weekly hours" in labels(card)
    weekdays = await staff.click("➕ Weekly hours", card)
    hours = await staff.click("Tu", weekdays)
    assert hours.body == HOURS
    assert (await staff.click("⬅️ Back", hours)).body == WEEKDAY
    await staff.click("Tu", weekdays)
    assert (await staff.send("Tu")).body == "Please type the hours like 10:00-14:00."
    assert (await staff.send("25:00-26:00")).body == "Please type the hours like 10:00-14:00."
    assert (await staff.send("10:00")).body == "Please type the hours like 10:00-14:00."
    assert (await staff.send("14:00-10:00")).body == (
        "The hours end before they start. Please type them like 10:00-14:00."
    )
    await harness.processed(staff.tg.send_sticker())
    assert staff.last.body == "Please send the text as a message."
    lengths = await staff.send("12:00–16:00")  # overlaps the hours given for Tuesday
    assert lengths.body == LENGTH and "45 min" in labels(lengths)
    fits(lengths)
    assert (await staff.click("⬅️ Back", lengths)).body == HOURS
    lengths = await staff.send("12.00-16.00")
    same = await staff.click("60 min", lengths)
    assert staff.last_answer == "These hours overlap others on that day, or are too short."
    assert same.body == LENGTH  # the step stays: Back to type other hours
    hours = await staff.click("⬅️ Back", same)
    lengths = await staff.send("14:00-16:00")
    card = await staff.click("60 min", lengths)
    assert staff.last_answer == "Saved."
    assert "Tu 2:00\u202fPM–4:00\u202fPM, 60 min" in card.body
    async with harness.sessions() as session:
        given = (
            await session.scalars(
                select(Availability).where(Availability.counsellor_id == counsellor_id)
            )
        ).all()
    assert {(h.weekday, h.start, h.end, h.slot_minutes) for h in given} == {
        (1, time(10), time(14), 45),
        (1, time(14), time(16), 60),
    }
    assert hours


async def test_time_off_lists_who_is_told_before_it_is_saved(harness_any_db: Harness) -> None:
    harness = harness_any_db  # the query of who is told runs on both databases
    counsellor_id = await counsellor_with_hours(harness.sessions)  # Tuesdays 10:00-14:00
    youth = await onboard(harness, "sr", first_name="Mila")
    slot = (await slots_of(harness.sessions, counsellor_id))[0]  # Tuesday 1 December, 10:00
    await youth.click_data(CounselCb(a=CounselAction.SLOT, s="career", id=slot.id).pack())
    staff = await staff_member(harness)
    card = await _card(staff)
    first = await staff.click("➕ Time off", card)
    assert first.body == FIRST and "28" not in labels(first) and "29" in labels(first)
    fits(first)
    card = await staff.click("⬅️ Back", first)
    assert "➕ Time off" in labels(card)
    first = await staff.click("➕ Time off", card)
    await staff.send("1 December")  # a button was expected
    assert staff.messages[-2].body == "Please use the buttons 👇"
    first = staff.last
    assert first.body == FIRST
    day_button = first.button("30").data
    assert day_button is not None
    await staff.click_data(day_button.rsplit(":", 1)[0] + ":99999999999999", first)
    assert staff.last_answer == REFUSAL  # a forged, impossible day
    last = await staff.click("30", first)
    assert last.body == LAST and "29" not in labels(last) and "30" in labels(last)
    fits(last)
    assert (await staff.click("⬅️ Back", last)).body == FIRST
    last = await staff.click("30", first)
    # The calendar of the last day shows none before the first; a forged one is refused.
    day_30 = last.button("30").data
    assert day_30 is not None
    earlier = raw_from_date(date(2026, 11, 29))
    await staff.click_data(day_30.rsplit(":", 1)[0] + f":{earlier}", last)
    assert staff.last_answer == ("The last day cannot come before the first. Please pick another.")
    why = await staff.click("2", await staff.click("▶️", last))
    assert why.body == WHY and labels(why)[:3] == ["Holiday", "Sick day", "Other"]
    fits(why)
    assert (await staff.click("⬅️ Back", why)).body == LAST
    why = await staff.click("2", last)
    confirm = await staff.click("Sick day", why)
    assert confirm.body.startswith("🗓 Time off: Nov 30, 2026 – Dec 2, 2026, Sick day.")
    assert "1 person is told, in their language." in confirm.body
    assert "• Mila, Dec 1, 2026" in confirm.body
    fits(confirm)
    assert (await staff.click("⬅️ Back", confirm)).body == WHY
    confirm = await staff.click("Sick day", why)
    async with harness.sessions() as session:
        assert await session.scalar(select(TimeOff)) is None  # nothing yet
    card = await staff.click("✅ Save", confirm)
    assert staff.last_answer == "Saved. 1 person will be told."
    assert "Nov 30, 2026 – Dec 2, 2026, Sick day" in card.body
    async with harness.sessions() as session:
        off = await session.scalar(select(TimeOff))
        booked = await session.scalar(select(Booking))
    assert off is not None and (off.first_day, off.last_day, off.reason) == (
        date(2026, 11, 30),
        date(2026, 12, 2),
        "sick",
    )
    assert booked is not None and booked.status == BookingStatus.CALLED_OFF
    # Time off where nobody is booked says so.
    first = await staff.click("➕ Time off", card)
    harness.clock.advance(timedelta(days=1))
    await staff.click("29", first)
    assert staff.last_answer == "That day has passed. Please pick another."
    why = await staff.click("9", await staff.click("9", await staff.click("▶️", first)))
    confirm = await staff.click("Holiday", why)
    assert "No appointments fall on these days." in confirm.body


async def test_old_and_foreign_counselling_buttons_get_the_stale_answer(
    harness: Harness,
) -> None:
    counsellor_id = await counsellor_with_hours(harness.sessions)
    staff = await staff_member(harness)
    weekdays = await staff.click("➕ Weekly hours", await _card(staff))
    first = await staff.click("➕ Time off", await _card(staff))  # a new form: the first is gone
    back = first.button("⬅️ Back").data
    assert back is not None
    await staff.click("Tu", weekdays)
    assert staff.last_answer == REFUSAL
    await staff.click("⬅️ Back", weekdays)
    assert staff.last_answer == REFUSAL
    assert (await staff.click("30", first)).body == LAST
    # Buttons of the counselling wizard before it became forms: refused politely.
    for data in ("sq:city:0:nis", "sq:hm:1:45", f"sq:or:{counsellor_id}:sick", "sq:x:0:"):
        await staff.click_data(data)
        assert staff.last_answer == REFUSAL, data
    # A workshop form and a counselling form open each other's place: each one's buttons work.
    kinds = await staff.click("➕ New workshop", await staff.send("/workshops"))
    assert (await staff.click("Digital skills", kinds)).body.startswith("Type the title")
    card = await _card(staff)
    await staff.send("A title")  # the workshop form is still open, and shown below
    weekdays = await staff.click("➕ Weekly hours", card)
    assert weekdays.body == WEEKDAY
    kinds = await staff.click("➕ New workshop", await staff.send("/workshops"))
    assert kinds.body.startswith("➕ New workshop")
    await staff.click("Tu", weekdays)
    assert staff.last_answer == REFUSAL
    # Someone who is not staff cannot open or use a form.
    youth = await onboard(harness, "en")
    for data in (
        StaffCoCb(a=StaffCoAction.NEW).pack(),
        StaffCoCb(a=StaffCoAction.HOURS, id=counsellor_id).pack(),
        StaffCoCb(a=StaffCoAction.OFF, id=counsellor_id).pack(),
        back,
    ):
        await youth.click_data(data)
        assert youth.last_answer == REFUSAL, data
    # A counsellor that is gone.
    for action in (StaffCoAction.HOURS, StaffCoAction.OFF):
        await staff.click_data(StaffCoCb(a=action, id=counsellor_id + 100).pack())
        assert staff.last_answer == REFUSAL


async def test_the_forms_speak_the_staff_members_language(harness: Harness) -> None:
    await counsellor_with_hours(harness.sessions)
    staff = await staff_member(harness, "bg")
    home = await staff.click(tr("bg", "💬 Counselling"), await staff.send("/workshops"))
    card = await staff.click(next(b for b in labels(home) if b.startswith("Ana Savetnik")), home)
    weekdays = await staff.click(tr("bg", "➕ Weekly hours"), card)
    assert weekdays.body == tr("bg", WEEKDAY)
    assert labels(weekdays)[:7] == ["пн", "вт", "ср", "чт", "пт", "сб", "нд"]
    assert labels(weekdays)[-1] == tr("bg", "⬅️ Back")
    await staff.click("вт", weekdays)
    assert (await staff.send("16:00-12:00")).body == tr(
        "bg", "The hours end before they start. Please type them like 10:00-14:00."
    )


async def test_time_off_goes_on_after_a_restart_on_redis(
    sqlite_url: str, redis_prefix: str
) -> None:
    def storage() -> RedisStorage:
        builder = DefaultKeyBuilder(prefix=redis_prefix, with_destiny=True)
        return RedisStorage.from_url(REDIS_URL, key_builder=builder)

    admins = frozenset({ADMIN_ID})
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as one:
            await counsellor_with_hours(one.sessions)
            staff = await staff_member(one)
            first = await staff.click("➕ Time off", await _card(staff))
            last = await staff.click("30", first)
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as two:
            again = Person(two, staff.tg)
            why = await again.click("30", last)
            assert why.body == WHY
            confirm = await again.click("Other", why)
            assert "No appointments fall on these days." in confirm.body
            await again.click("✅ Save", confirm)
            assert again.last_answer == "Saved."
            async with two.sessions() as session:
                off = await session.scalar(select(TimeOff))
            assert off is not None and (off.first_day, off.last_day, off.reason) == (
                date(2026, 11, 30),
                date(2026, 11, 30),
                "other",
            )


async def test_a_counsellors_hours_are_in_their_towns_time_zone(harness: Harness) -> None:
    """Staff living by Belgrade's clock add a counsellor in Sofia: their hours are Sofia's."""
    staff = await staff_member(harness)
    services = await staff.click("➕ New counsellor", await _home(staff))
    await staff.click("Career counselling", services)
    where = await staff.send("Maria")
    await staff.click("Sofia", where)
    card = await staff.send("bul. Vitosha 1")
    assert card.body.startswith("✅ Counsellor added.")
    async with harness.sessions() as session:
        made = await session.scalar(select(Counsellor))
    assert made is not None and (made.city, made.timezone) == ("sofia", "Europe/Sofia")


async def test_pausing_in_the_bot_is_recorded_with_who_did_it(harness_any_db: Harness) -> None:
    harness = harness_any_db
    counsellor_id = await counsellor_with_hours(harness.sessions)
    staff = await staff_member(harness)
    card = await staff.click("⏸ Pause", await _card(staff))
    card = await staff.click("▶️ Offer times again", card)
    assert "⏸ Pause" in labels(card)
    stored = await stored_user(harness, staff.id)
    assert stored is not None
    async with harness.sessions() as session:
        found = await session.scalars(
            select(CounsellingChange)
            .where(
                CounsellingChange.counsellor_id == counsellor_id,
                CounsellingChange.actor_id.is_not(None),
            )
            .order_by(CounsellingChange.id)
        )
        assert [(c.action, c.actor_id) for c in found] == [
            ("paused", stored.id),
            ("active", stored.id),
        ]
