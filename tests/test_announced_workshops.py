"""An announcement's "🗓 Book a seat" button, put on it in the bot's composer, pressed by young
people in their own languages through the fake Bot API: the card with the seats left opens under
the announcement, a full workshop offers the waitlist, a past or cancelled one says so, and the
bookings remember the announcement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.booking import workshops
from bot.booking.models import Booking, BookingStatus
from bot.broadcasts.models import ButtonKind
from tests.booking_support import ctx, workshop
from tests.conversation import onboard, tr
from tests.harness import Harness
from tests.test_broadcasts import latest_broadcast, new_announcement, sender, write
from tests.test_roles import staff_member


async def bookings(harness: Harness) -> list[Booking]:
    async with harness.sessions() as session:
        return list((await session.scalars(select(Booking).order_by(Booking.id))).all())


async def test_book_a_seat_from_an_announcement_in_each_language(harness: Harness) -> None:
    h = harness
    staff = await staff_member(h)
    jana = await onboard(h, "sr", first_name="Jana")
    ivo = await onboard(h, "bg", first_name="Ivo")
    cv = await workshop(h.sessions, capacity=1, title="Write your CV")

    # The bot's composer: a text for everyone and the workshop's button.
    await new_announcement(staff)
    await write(staff, h, "✏️ Text for everyone", "Come and write your CV")
    prompt = await staff.click("🔗 Button")
    choice = await staff.click("🗓 “Book a seat” for a workshop", prompt)
    draft = await staff.click(next(label for label in _labels(choice) if "Write your CV" in label))
    assert "🗓 Button “Book a seat”: Write your CV" in draft.body
    control = await staff.click("👁 Preview", draft)
    # The staff member's own preview: the Bulgarian readers' message, with their button.
    assert _labels(staff.messages[-2]) == [tr("bg", "🗓 Book a seat")]
    await staff.click("📤 Send now", control)
    await sender(h).run_round()
    sent = await latest_broadcast(h)
    assert sent.button_kind == ButtonKind.WORKSHOP and sent.button_value == str(cv.id)

    # Jana (Serbian): the card opens under the announcement, which stays as it was.
    announcement = jana.last
    assert announcement.body.endswith("\n\nCome and write your CV")
    card = await jana.click(tr("sr", "🗓 Book a seat"), announcement)
    assert card.message_id != announcement.message_id
    assert "Write your CV" in card.body and tr("sr", "{n} seat left", n=1)[:5] in card.body
    await jana.click(tr("sr", "✅ Book a seat"), card)
    booked = h.fake.message(card.chat_id, card.message_id)  # the card, edited; then the .ics
    assert tr("sr", "✅ You have a seat.") in booked.body
    [mine] = await bookings(h)
    assert mine.status == BookingStatus.BOOKED and mine.announcement_id == sent.id

    # Ivo (Bulgarian): full now, so the card offers the waitlist, in Bulgarian.
    card = await ivo.click(tr("bg", "🗓 Book a seat"), ivo.last)
    assert ivo.last_answer == tr("bg", "It is full. You can join the waitlist.")
    assert tr("bg", "🕒 Join the waitlist") in _labels(card)
    waiting = await ivo.click(tr("bg", "🕒 Join the waitlist"), card)
    assert tr("bg", "🕒 You are number {n} on the waitlist.", n=1) in waiting.body
    second = (await bookings(h))[1]
    assert second.status == BookingStatus.WAITING and second.announcement_id == sent.id

    # The staff report in the bot counts them.
    await staff.send("/menu")
    await staff.click("📣 Announcements")
    listed = await staff.click("📋 Sent")
    report = await staff.click(next(x for x in _labels(listed) if x.startswith("✅")), listed)
    assert "🗓 Booked from it: 1, on the waitlist: 1" in report.body

    # Once the workshop began, the same button says so, in each reader's language.
    h.clock.advance(cv.starts_at - h.clock.now() + timedelta(minutes=1))
    await jana.click(tr("sr", "🗓 Book a seat"), announcement)
    assert jana.last_answer == tr("sr", "This workshop has already taken place.")
    assert jana.last.document is not None  # nothing new since the calendar file


async def test_a_cancelled_workshops_button_says_so(harness: Harness) -> None:
    h = harness
    staff = await staff_member(h)
    ivo = await onboard(h, "bg", first_name="Ivo")
    cv = await workshop(h.sessions, title="Write your CV")
    await new_announcement(staff)
    await write(staff, h, "✏️ Text for everyone", "Come")
    choice = await staff.click("🗓 “Book a seat” for a workshop", await staff.click("🔗 Button"))
    draft = await staff.click(next(label for label in _labels(choice) if "Write your CV" in label))
    await staff.click("📤 Send now", await staff.click("👁 Preview", draft))
    await sender(h).run_round()
    announcement = ivo.last
    async with h.sessions.begin() as session:
        await workshops.cancel(session, None, cv.id, ctx(h.clock.now()))
    await ivo.click(tr("bg", "🗓 Book a seat"), announcement)
    assert ivo.last_answer == tr("bg", "This workshop was cancelled.")
    # A forged button for a workshop that never was: the usual polite refusal.
    await ivo.click_data(f"wn:open:{cv.id + 100}:1", announcement)
    assert ivo.last_answer and ivo.last_answer != tr("bg", "This workshop was cancelled.")
    assert await bookings(h) == []


def _labels(message: object) -> list[str]:
    markup = getattr(message, "reply_markup", None) or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
