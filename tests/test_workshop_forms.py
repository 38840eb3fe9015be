"""The staff's workshop forms (aiogram-dialog): Back on every step, bad input, editing, old
buttons, and a form that survives a restart on Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import select

from bot.booking.models import Workshop
from bot.booking.telegram.callbacks import StaffWsAction, StaffWsCb
from bot.botapi import FakeTelegram, StoredMessage
from tests.booking_support import fresh, workshop
from tests.conftest import ADMIN_ID
from tests.conversation import labels, onboard, tr
from tests.databases import REDIS_URL
from tests.harness import TOKEN, Harness, Person, running_bot
from tests.test_booking_conversation import open_card
from tests.test_plan_conversation import sender_for
from tests.test_roles import staff_member

REFUSAL = "This button no longer works."
KINDS = "➕ New workshop\nWhat kind?"
TITLE = "Type the title, for example: How to write a CV."
DESCRIPTION = "Type a short description, or tap Skip."
WHERE = "📍 Where?"
LINK = "Send the link people join with (https://…)."
ADDRESS = "Type the address, for example: Kralja Petra 12, room 3."
DAY = "📅 Which day?"
TIME = "🕒 What time does it start? Tap one or type it, like 17:30."
LENGTH = "⏱ How long?"
SEATS = "🪑 How many seats? Tap one or type a number."


def _fits(message: StoredMessage) -> None:
    """Every button of a form carries at most 64 bytes (Telegram's limit)."""
    for row in message.buttons:
        for button in row:
            assert button.data is None or len(button.data.encode()) <= 64, button


async def _new_form(staff: Person) -> StoredMessage:
    home = await staff.send("/workshops")
    kinds = await staff.click("➕ New workshop", home)
    assert kinds.message_id == home.message_id and kinds.body == KINDS  # edited in place
    _fits(kinds)
    return kinds


async def test_back_on_every_step_of_a_new_workshop(harness: Harness) -> None:
    staff = await staff_member(harness)
    kinds = await _new_form(staff)
    home = await staff.click("⬅️ Back", kinds)
    assert "Workshops</b> · staff" in home.html_text and "➕ New workshop" in labels(home)
    kinds = await staff.click("➕ New workshop", home)
    title = await staff.click("Digital skills", kinds)
    assert title.body == TITLE
    assert (await staff.click("⬅️ Back", title)).body == KINDS
    await staff.click("Digital skills", title)
    description = await staff.send("Email and phone")
    assert description.body == DESCRIPTION
    assert (await staff.click("⬅️ Back", description)).body == TITLE
    description = await staff.send("Email and phone, again")
    where = await staff.click("Skip", description)
    assert where.body == WHERE and "💻 Online" in labels(where)
    assert (await staff.click("⬅️ Back", where)).body == DESCRIPTION
    where = await staff.click("Skip", description)
    address = await staff.click("Niš", where)
    assert address.body == ADDRESS
    where = await staff.click("⬅️ Back", address)
    link = await staff.click("💻 Online", where)
    assert link.body == LINK
    calendar = await staff.send("https://meet.example.org/cv")
    assert calendar.body == DAY
    _fits(calendar)
    assert (await staff.click("⬅️ Back", calendar)).body == LINK
    calendar = await staff.send("https://meet.example.org/email")
    times = await staff.click("30", calendar)
    assert times.body == TIME
    assert (await staff.click("⬅️ Back", times)).body == DAY
    times = await staff.click("30", calendar)
    lengths = await staff.click("10:00", times)
    assert lengths.body == LENGTH
    times = await staff.click("⬅️ Back", lengths)
    assert times.body == TIME
    lengths = await staff.send("17:30")
    seats = await staff.click("1.5 h", lengths)
    assert seats.body == SEATS
    assert (await staff.click("⬅️ Back", seats)).body == LENGTH
    seats = await staff.click("1.5 h", lengths)
    created = await staff.send("25")
    assert created.body.startswith("✅ Workshop created.")
    assert "👥 Who booked" in labels(created)
    async with harness.sessions() as session:
        made = await session.scalar(select(Workshop))
    assert made is not None
    assert (made.kind, made.title, made.description) == ("digital", "Email and phone, again", None)
    assert (made.city, made.address, made.online_url) == (
        None,
        None,
        "https://meet.example.org/email",
    )
    # 17:30 in Belgrade on 30 November is 16:30 UTC; an hour and a half.
    assert made.starts_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert made.ends_at == made.starts_at + timedelta(minutes=90) and made.capacity == 25
    # The form is over: typing now is not taken as an answer.
    reply = await staff.send("30")
    assert "Tap a button, or type what you need" in reply.body


async def test_bad_input_is_refused_politely_and_nothing_is_made(harness: Harness) -> None:
    staff = await staff_member(harness)
    kinds = await _new_form(staff)
    again = await staff.send("Digital")  # a button was expected
    assert staff.messages[-2].body == "Please use the buttons 👇"
    assert again.body == KINDS and again.message_id > kinds.message_id
    assert labels(kinds) == []  # the older copy lost its buttons
    await staff.click("Digital skills", again)
    assert (await staff.send("x" * 121)).body == "Too long: at most 120 characters."
    await harness.processed(staff.tg.send_sticker())
    assert staff.last.body == "Please send the text as a message."
    description = await staff.send("x" * 120)  # exactly the limit is fine
    assert description.body == DESCRIPTION
    assert (await staff.send("y" * 1001)).body == "Too long: at most 1000 characters."
    where = await staff.send("Bring a phone.")
    address = await staff.click("💻 Online", where)
    assert (await staff.send("meet.example.org")).body == (
        "That does not look like a link. It starts with https://"
    )
    calendar = await staff.send("https://meet.example.org")
    # Days before today are blank; a day that passed while the calendar was open is refused.
    assert "28" not in labels(calendar) and "29" in labels(calendar)
    same = await staff.click("Mo", calendar)  # a label: answered, nothing changes
    assert staff.last_answer is None and same.edits == calendar.edits
    harness.clock.advance(timedelta(days=1))
    await staff.click("29", calendar)
    assert staff.last_answer == "That day has passed. Please pick another."
    day_button = calendar.button("30").data
    assert day_button is not None
    await staff.click_data(day_button.rsplit(":", 1)[0] + ":99999999999999", calendar)
    assert staff.last_answer == REFUSAL  # a forged, impossible day
    times = await staff.click("30", calendar)
    assert times.body == TIME
    # It is now 11:00 in Belgrade on the 30th: 10:00 has passed.
    await staff.click("10:00", times)
    assert staff.last_answer == "That time has passed. Pick another."
    assert (await staff.send("25:00")).body == "Please type a time like 17:30."
    assert (await staff.send("10.30")).body == "That time has passed. Pick another."
    lengths = await staff.send("11.30")
    assert lengths.body == LENGTH
    await staff.click("1 h", lengths)
    for typed in ("0", "501", "ten", "-3"):
        assert (await staff.send(typed)).body == "Please type a number from 1 to 500."
    async with harness.sessions() as session:
        assert await session.scalar(select(Workshop)) is None
    created = await staff.send("500")
    assert created.body.startswith("✅ Workshop created.")
    async with harness.sessions() as session:
        made = await session.scalar(select(Workshop))
    assert made is not None and made.title == "x" * 120 and made.capacity == 500
    assert made.starts_at == datetime(2026, 11, 30, 10, 30, tzinfo=UTC) and address


async def test_editing_a_workshop_field_by_field(harness: Harness) -> None:
    staff = await staff_member(harness)
    found = await workshop(harness.sessions, capacity=5)
    youth = await onboard(harness, "sr", first_name="Mila")
    await open_card(youth, "sr")
    await youth.click(tr("sr", "✅ Book a seat"))
    home = await staff.send("/workshops")
    card = await staff.click(next(b for b in labels(home) if b.startswith("Write your CV")), home)
    menu = await staff.click("✏️ Edit", card)
    assert menu.body.startswith("✏️ What do you want to change?")
    _fits(menu)
    # Back from a step is the menu, Back from the menu is the card.
    calendar = await staff.click("📅 Time", menu)
    assert calendar.body == DAY
    menu = await staff.click("⬅️ Back", calendar)
    card = await staff.click("⬅️ Back", menu)
    assert "Booked: 1 of 5" in card.body and "✏️ Edit" in labels(card)
    # A new time: day, time, length; the booked person is told, booking closes 2 h before still.
    menu = await staff.click("✏️ Edit", card)
    calendar = await staff.click("📅 Time", menu)
    times = await staff.click("12", await staff.click("▶️", calendar))
    assert (await staff.click("⬅️ Back", times)).body == DAY
    times = await staff.click("12", calendar)
    card = await staff.click("3 h", await staff.click("16:00", times))
    assert staff.last_answer == "Saved. 1 person will be told."
    assert "Booked: 1 of 5" in card.body and "✏️ Edit" in labels(card)
    moved = await fresh(harness.sessions, found.id)
    assert moved.starts_at == datetime(2026, 12, 12, 15, 0, tzinfo=UTC)
    assert moved.ends_at == datetime(2026, 12, 12, 18, 0, tzinfo=UTC)
    assert moved.closes_at == moved.starts_at - timedelta(hours=2)
    assert await sender_for(harness).tick() == 1  # the change, in Mila's language
    # Another place, typed: the card comes below.
    where = await staff.click("📍 Place", await staff.click("✏️ Edit", card))
    address = await staff.click("Niš", where)
    assert (await staff.click("⬅️ Back", address)).body == WHERE
    address = await staff.click("Niš", where)
    assert (await staff.send("z" * 301)).body == "Too long: at most 300 characters."
    saved = await staff.send("Obrenovićeva 1")
    assert saved.body.startswith("Saved. 1 person will be told.")
    assert "Niš, Obrenovićeva 1" in saved.body
    assert labels(address) == []  # the form's message has no buttons left
    # Type, title, booking closes, programme, languages: each saved on its own.
    await staff.click("Digital skills", await staff.click("🏷 Type", await staff.click("✏️ Edit")))
    assert staff.last_answer == "Saved."
    await staff.click("✏️ Title", await staff.click("✏️ Edit"))
    assert (await staff.send("t" * 121)).body == "Too long: at most 120 characters."
    saved = await staff.send("Email <and> phone")
    assert "Email &lt;and&gt; phone" in saved.html_text
    closes = await staff.click("⏳ Booking closes", await staff.click("✏️ Edit"))
    await staff.click("6 h before", closes)
    programmes = await staff.click("🏷 Programme", await staff.click("✏️ Edit"))
    await staff.click(labels(programmes)[0], programmes)
    languages = await staff.click("🌐 For which languages", await staff.click("✏️ Edit"))
    languages = await staff.click("Български", languages)
    assert "✓ Български" in labels(languages)
    languages = await staff.click("English", languages)
    languages = await staff.click("✓ English", languages)
    menu = await staff.click("⬅️ Back", languages)
    card = await staff.click("⬅️ Back", menu)
    assert "For: Български" in card.body
    edited = await fresh(harness.sessions, found.id)
    assert (edited.kind, edited.title, edited.city, edited.address) == (
        "digital",
        "Email <and> phone",
        "nis",
        "Obrenovićeva 1",
    )
    assert edited.closes_at == edited.starts_at - timedelta(hours=6)
    assert edited.programme is not None and edited.languages == "bg"


async def test_old_and_foreign_form_buttons_get_the_stale_answer(harness: Harness) -> None:
    staff = await staff_member(harness)
    found = await workshop(harness.sessions)
    first = await _new_form(staff)
    second = await _new_form(staff)  # /workshops again: a new form, the first one is gone
    await staff.click("Digital skills", first)
    assert staff.last_answer == REFUSAL
    assert (await staff.click("Digital skills", second)).body == TITLE
    await staff.send("/menu")  # leaving a form through the menu ends it
    await staff.click("⬅️ Back", second)
    assert staff.last_answer == REFUSAL
    assert "Tap a button, or type what you need" in (await staff.send("A title")).body
    # Someone who is not staff cannot open or use a form.
    youth = await onboard(harness, "en")
    for data in (
        StaffWsCb(a=StaffWsAction.NEW).pack(),
        StaffWsCb(a=StaffWsAction.EDIT, id=found.id).pack(),
        second.button("⬅️ Back").data or "",
    ):
        await youth.click_data(data)
        assert youth.last_answer == REFUSAL, data
    # Editing a workshop that is gone.
    await staff.click_data(StaffWsCb(a=StaffWsAction.EDIT, id=found.id + 100).pack())
    assert staff.last_answer == REFUSAL


async def test_a_form_is_forgotten_by_a_restart_without_redis(sqlite_url: str) -> None:
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake, admin_ids=frozenset({ADMIN_ID})) as first:
            staff = await staff_member(first)
            kinds = await _new_form(staff)
        async with running_bot(sqlite_url, fake=fake, admin_ids=frozenset({ADMIN_ID})) as second:
            again = Person(second, staff.tg)
            await again.click("Digital skills", kinds)
            assert again.last_answer == REFUSAL
            assert "Tap a button, or type what you need" in (await again.send("A title")).body


async def test_a_form_goes_on_after_a_restart_on_redis(sqlite_url: str, redis_prefix: str) -> None:
    def storage() -> RedisStorage:
        builder = DefaultKeyBuilder(prefix=redis_prefix, with_destiny=True)
        return RedisStorage.from_url(REDIS_URL, key_builder=builder)

    admins = frozenset({ADMIN_ID})
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as one:
            staff = await staff_member(one)
            kinds = await _new_form(staff)
            await staff.click("Digital skills", kinds)
            await staff.send("Email and phone")
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as two:
            again = Person(two, staff.tg)
            where = await again.click("Skip")
            assert where.body == WHERE
            assert (await again.click("Niš", where)).body == ADDRESS
            calendar = await again.send("Obrenovićeva 1")
            await again.click("30", calendar)
            await again.click("16:00")
            await again.click("2 h")
            created = await again.click("10")
            assert created.body.startswith("✅ Workshop created.")
            async with two.sessions() as session:
                made = await session.scalar(select(Workshop))
            assert made is not None and made.title == "Email and phone" and made.city == "nis"


async def test_the_calendar_speaks_the_staff_members_language(harness: Harness) -> None:
    staff = await staff_member(harness, "bg")
    await workshop(harness.sessions)
    home = await staff.send("/workshops")
    card = await staff.click(next(b for b in labels(home) if b.startswith("Write your CV")), home)
    menu = await staff.click(tr("bg", "✏️ Edit"), card)
    calendar = await staff.click(tr("bg", "📅 Time"), menu)
    assert calendar.body == tr("bg", DAY)
    week = ["пн", "вт", "ср", "чт", "пт", "сб", "нд"]
    assert labels(calendar)[:8] == ["ноември 2026\u202fг.", *week]
    december = await staff.click("▶️", calendar)
    assert labels(december)[0] == "декември 2026\u202fг."
    assert tr("bg", "⬅️ Back") in labels(december)
