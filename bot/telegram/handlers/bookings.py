"""My bookings: what is coming, a calendar file, cancelling, taking an offered seat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.db.booking_models import Booking, BookingStatus, WorkshopText
from bot.db.models import User
from bot.i18n.formatting import fmt_datetime
from bot.repositories import bookings as rows
from bot.services import booking, workshops
from bot.services.booking import Context, Item
from bot.services.errors import NotFound
from bot.services.reminders import ReminderRules
from bot.telegram import booking_screens as screens
from bot.telegram.callbacks import BookingCb, NavCb
from bot.telegram.filters import Consented
from bot.telegram.render import show
from bot.telegram.texts import _, esc, paragraphs


def booking_context(settings: Settings, clock: Clock) -> Context:
    return Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)


async def undo(session: AsyncSession, user: User) -> None:
    """A refused booking may have written rows: they go, and the person is read again."""
    await session.rollback()
    await session.refresh(user)


def refusal(exc: booking.Refused, locale: str, tz: str) -> tuple[str, bool]:
    """What to answer a refused booking with, and whether it needs an alert to be read."""
    if isinstance(exc, booking.Full):
        return _("Sorry, that was the last place: it is taken now."), False
    if isinstance(exc, booking.AlreadyBooked):
        if exc.booking.status == BookingStatus.BOOKED:
            return _("You have booked this already. 🙂"), False
        return _("You are on the waitlist already. 🙂"), False
    if isinstance(exc, booking.Overlap):
        return (
            _("You have something else booked then ({when}). Cancel it first.").format(
                when=fmt_datetime(exc.other.starts_at, locale, tz)
            ),
            True,
        )
    return _("It is too late to book or change this."), False


@dataclass(frozen=True)
class CalendarFile:
    """The .ics file with the time and the address: a booking's confirmation, ready to send."""

    chat_id: int
    document: BufferedInputFile
    caption: str

    async def send(self, bot: Bot) -> None:
        await bot.send_document(self.chat_id, self.document, caption=self.caption)


async def calendar_file(
    session: AsyncSession, user: User, booking_id: int, tz: str, now: datetime
) -> CalendarFile:
    item = await booking.item(session, user, booking_id)
    return calendar_file_of(user, item, await _texts(session, item), tz, now)


def calendar_file_of(
    user: User, item: Item, texts: list[WorkshopText], tz: str, now: datetime
) -> CalendarFile:
    """The same, from rows the caller has read already."""
    return CalendarFile(
        user.telegram_id,
        screens.calendar_file(item, texts, user.locale, now),
        screens.calendar_caption(item, texts, user.locale, tz),
    )


async def send_calendar(
    bot: Bot, session: AsyncSession, user: User, booking_id: int, tz: str, now: datetime
) -> None:
    found = await calendar_file(session, user, booking_id, tz, now)
    await found.send(bot)


async def _texts(session: AsyncSession, item: Item) -> list[WorkshopText]:
    return await workshops.texts_of(session, [item.workshop.id] if item.workshop else [])


async def position(session: AsyncSession, mine: Booking) -> int:
    """1 for the first person waiting."""
    if mine.status != BookingStatus.WAITING or mine.workshop_id is None:
        return 0
    queue = await rows.of_workshop(session, mine.workshop_id, [BookingStatus.WAITING])
    ids = [b.id for b, _u in queue]
    return ids.index(mine.id) + 1 if mine.id in ids else 0


async def my_bookings(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
) -> None:
    await state.clear()
    items = await booking.upcoming(session, user, clock.now())
    ids = [i.workshop.id for i in items if i.workshop is not None]
    texts = await workshops.texts_of(session, ids)
    await show(event, *screens.bookings_screen(items, texts, user.locale, tz))


async def open_booking(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        item = await booking.item(session, user, callback_data.id)
    except NotFound:
        callback_answer.text = _(screens.STALE)
        return
    await _show_item(query, session, user, tz, clock, item)


async def _show_item(
    query: CallbackQuery, session: AsyncSession, user: User, tz: str, clock: Clock, item: Item
) -> None:
    texts = await _texts(session, item)
    place = await position(session, item.booking)
    await show(query, *screens.booking_screen(item, texts, user.locale, tz, clock.now(), place))


async def calendar_again(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    bot: Bot,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        item = await booking.item(session, user, callback_data.id)
        if item.booking.status != BookingStatus.BOOKED:
            raise NotFound("not booked")
    except NotFound:
        callback_answer.text = _(screens.STALE)
        return
    await send_calendar(bot, session, user, item.booking.id, tz, clock.now())


async def ask_cancel(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        item = await booking.item(session, user, callback_data.id)
    except NotFound:
        callback_answer.text = _(screens.STALE)
        return
    if not screens.cancellable(item, clock.now()):
        callback_answer.text = _("It is too late to cancel. Please tell the organisers.")
        callback_answer.show_alert = True
        return
    if item.booking.status != BookingStatus.BOOKED:
        # Leaving a waitlist or saying no to an offer needs no second question.
        await cancel_confirmed(
            query, callback_data, session, user, tz, clock, settings, callback_answer
        )
        return
    texts = await _texts(session, item)
    await show(query, *screens.confirm_cancel(item, texts, user.locale, tz))


async def cancel_confirmed(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        cancelled = await booking.cancel(
            session, user, callback_data.id, booking_context(settings, clock)
        )
    except NotFound:
        await undo(session, user)
        callback_answer.text = _(screens.STALE)
        return
    except booking.Closed:
        await undo(session, user)
        callback_answer.text = _("It is too late to cancel. Please tell the organisers.")
        callback_answer.show_alert = True
        return
    await session.commit()  # the workshop's row lock ends before the Telegram calls
    callback_answer.text = _("Done: cancelled.")
    item = await booking.item(session, user, cancelled.id)
    texts = await _texts(session, item)
    title = esc(screens.item_title(item, texts, user.locale))
    items = await booking.upcoming(session, user, clock.now())
    all_texts = await workshops.texts_of(
        session, [i.workshop.id for i in items if i.workshop is not None]
    )
    text, markup = screens.bookings_screen(items, all_texts, user.locale, tz)
    done = _("✖️ Cancelled: {title}").format(title=f"<b>{title}</b>")
    await show(query, paragraphs(done, text), markup)


async def take_offer(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        taken = await booking.accept_offer(
            session, user, callback_data.id, booking_context(settings, clock)
        )
    except NotFound:
        await undo(session, user)
        callback_answer.text = _(screens.STALE)
        return
    except booking.Closed:
        await undo(session, user)
        callback_answer.text = _("Sorry, this offer has ended.")
        return
    except booking.Refused as exc:
        # Read before the rollback, which expires what the refusal names.
        callback_answer.text, callback_answer.show_alert = refusal(exc, user.locale, tz)
        await undo(session, user)
        return
    await session.commit()
    callback_answer.text = _("✅ The seat is yours!")
    item = await booking.item(session, user, taken.id)
    await _show_item(query, session, user, tz, clock, item)
    await send_calendar(bot, session, user, taken.id, tz, clock.now())


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="bookings")
    router.message.filter(Consented())
    router.callback_query.filter(Consented())
    router.message.register(my_bookings, Command("bookings"))
    router.callback_query.register(my_bookings, NavCb.filter(F.to == "bookings"))
    router.callback_query.register(my_bookings, BookingCb.filter(F.a == "list"))
    router.callback_query.register(open_booking, BookingCb.filter(F.a == "open"))
    router.callback_query.register(calendar_again, BookingCb.filter(F.a == "ics"))
    router.callback_query.register(ask_cancel, BookingCb.filter(F.a == "cancel"))
    router.callback_query.register(cancel_confirmed, BookingCb.filter(F.a == "cancelok"))
    router.callback_query.register(take_offer, BookingCb.filter(F.a == "take"))
    return router
