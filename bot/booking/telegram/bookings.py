"""My bookings: what is coming, a calendar file, cancelling, taking an offered seat."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import rules as booking
from bot.booking import workshops
from bot.booking.models import BookingStatus
from bot.booking.rules import Item
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import BookingAction, BookingCb
from bot.booking.telegram.replies import (
    calendar_file_of,
    position,
    refusal,
    send_calendar,
    texts_of,
    undo,
)
from bot.clock import Clock
from bot.config import Settings
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.filters import Consented
from bot.kit.render import show
from bot.kit.texts import _, esc, paragraphs
from bot.people.models import User


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
    item = await booking.item(session, user, callback_data.id)
    await _show_item(query, session, user, tz, clock, item)


async def _show_item(
    query: CallbackQuery, session: AsyncSession, user: User, tz: str, clock: Clock, item: Item
) -> None:
    texts = await texts_of(session, item)
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
    item = await booking.item(session, user, callback_data.id)
    if item.booking.status != BookingStatus.BOOKED:
        raise NotFound("not booked")
    await send_calendar(bot, session, user, item.booking.id, tz, clock.now())


async def ask_cancel(
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
    item = await booking.item(session, user, callback_data.id)
    if not screens.cancellable(item, clock.now()):
        callback_answer.text = _("It is too late to cancel. Please tell the organisers.")
        callback_answer.show_alert = True
        return
    if item.booking.status != BookingStatus.BOOKED:
        # Leaving a waitlist or saying no to an offer needs no second question.
        await cancel_confirmed(
            query, callback_data, session, user, tz, clock, settings, bot, callback_answer
        )
        return
    texts = await texts_of(session, item)
    await show(query, *screens.confirm_cancel(item, texts, user.locale, tz))


async def cancel_confirmed(
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
        cancelled = await booking.cancel(
            session, user, callback_data.id, booking_context(settings, clock)
        )
    except NotFound:
        await undo(session, user)
        raise NotFound("stale button") from None
    except booking.Closed:
        await undo(session, user)
        callback_answer.text = _("It is too late to cancel. Please tell the organisers.")
        callback_answer.show_alert = True
        return
    await session.commit()  # the workshop's row lock ends before the Telegram calls
    callback_answer.text = _("Done: cancelled.")
    item = await booking.item(session, user, cancelled.id)
    texts = await texts_of(session, item)
    title = esc(screens.item_title(item, texts, user.locale))
    items = await booking.upcoming(session, user, clock.now())
    all_texts = await workshops.texts_of(
        session, [i.workshop.id for i in items if i.workshop is not None]
    )
    text, markup = screens.bookings_screen(items, all_texts, user.locale, tz)
    done = _("✖️ Cancelled: {title}").format(title=f"<b>{title}</b>")
    await show(query, paragraphs(done, text), markup)
    if item.booking.calendar_sequence is not None:
        # They were sent the event: the cancelling file takes it off their phone's calendar.
        await calendar_file_of(user, item, texts, tz, clock.now()).send(bot)


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
        raise NotFound("stale button") from None
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
    router.callback_query.register(my_bookings, NavCb.filter(F.to == Page.BOOKINGS))
    router.callback_query.register(my_bookings, BookingCb.filter(F.a == BookingAction.LIST))
    router.callback_query.register(open_booking, BookingCb.filter(F.a == BookingAction.OPEN))
    router.callback_query.register(
        calendar_again, BookingCb.filter(F.a == BookingAction.CALENDAR_FILE)
    )
    router.callback_query.register(ask_cancel, BookingCb.filter(F.a == BookingAction.CANCEL))
    router.callback_query.register(
        cancel_confirmed, BookingCb.filter(F.a == BookingAction.CANCEL_CONFIRMED)
    )
    router.callback_query.register(take_offer, BookingCb.filter(F.a == BookingAction.TAKE))
    return router
