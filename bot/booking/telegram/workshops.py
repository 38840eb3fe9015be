"""Workshops for young people: the list with its filters, one workshop, booking, the waitlist."""

from __future__ import annotations

from aiogram import F, Router
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
from bot.booking.telegram.callbacks import (
    AnnouncedAction,
    AnnouncedCb,
    AskedFrom,
    TownCb,
    WorkshopsAction,
    WorkshopsCb,
)
from bot.booking.telegram.replies import calendar_file_of, position, refusal, save_town, undo
from bot.clock import Clock
from bot.config import Settings
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.filters import Consented
from bot.kit.middlewares.refusals import STALE_BUTTON
from bot.kit.render import show
from bot.kit.texts import _
from bot.people.models import User
from bot.people.profile import CITIES


def _filters_ok(city: str, kind: str) -> bool:
    return (not city or city in (*CITIES, workshops.ONLINE)) and (
        not kind or kind in workshops.KINDS
    )


async def listing(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_data: object = None,
    callback_answer: CallbackAnswer | None = None,
) -> None:
    await state.clear()
    # From the menu the callback data is a NavCb: the list unfiltered.
    data = (
        callback_data
        if isinstance(callback_data, WorkshopsCb)
        else WorkshopsCb(a=WorkshopsAction.LIST)
    )
    if not _filters_ok(data.c, data.k):
        if callback_answer is not None:
            callback_answer.text = _(STALE_BUTTON)
        data = WorkshopsCb(a=WorkshopsAction.LIST)
    found = await workshops.upcoming(
        session, user, clock.now(), city=data.c, kind=data.k, page=data.p
    )
    screen = screens.listing_screen(
        found, user.locale, tz, data.c, data.k, ask_town=user.city is None
    )
    await show(event, *screen)


async def town(
    query: CallbackQuery,
    callback_data: TownCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """The town the list asked for: the towns, then, once picked, the list again as it was."""
    if not callback_data.key:
        await show(query, *screens.towns_to_pick(callback_data))
        return
    tz = save_town(callback_data, user, settings, callback_answer)
    asked = callback_data
    back = WorkshopsCb(a=WorkshopsAction.LIST, p=asked.p, c=asked.c, k=asked.k)
    await listing(query, state, session, user, tz, clock, back, callback_answer)


async def pick_city(
    query: CallbackQuery,
    callback_data: WorkshopsCb,
    session: AsyncSession,
    user: User,
    clock: Clock,
) -> None:
    found = await workshops.upcoming(session, user, clock.now(), kind=callback_data.k)
    labels = {key: screens.city_label(key) for key in found.cities}
    markup = screens.filter_screen(
        found.cities,
        callback_data.c,
        labels,
        lambda key: WorkshopsCb(a=WorkshopsAction.LIST, c=key, k=callback_data.k).pack(),
    )
    await show(query, _("🏙 Where?"), markup)


async def pick_kind(
    query: CallbackQuery,
    callback_data: WorkshopsCb,
    session: AsyncSession,
    user: User,
    clock: Clock,
) -> None:
    found = await workshops.upcoming(session, user, clock.now(), city=callback_data.c)
    labels = {key: screens.kind_name(key) for key in found.kinds}
    markup = screens.filter_screen(
        found.kinds,
        callback_data.k,
        labels,
        lambda key: WorkshopsCb(a=WorkshopsAction.LIST, c=callback_data.c, k=key).pack(),
    )
    await show(query, _("🏷 What kind of workshop?"), markup)


async def open_workshop(
    query: CallbackQuery,
    callback_data: WorkshopsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    await _show_card(query, session, user, tz, clock, callback_data, callback_answer)


async def _show_card(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    data: WorkshopsCb,
    callback_answer: CallbackAnswer,
    *,
    with_calendar: bool = False,
    via: int | None = None,
) -> None:
    card = await workshops.card(session, user, data.id)
    back = WorkshopsCb(a=WorkshopsAction.LIST, p=data.p, c=data.c, k=data.k)
    place = await position(session, card.mine) if card.mine is not None else 0
    screen = screens.workshop_screen(card, user.locale, tz, clock.now(), back, place, via=via)
    confirmation = (
        # From the card's rows: the booking and the texts are not read a second time.
        calendar_file_of(user, Item(card.mine, card.workshop, None), card.texts, tz, clock.now())
        if with_calendar and card.mine is not None and card.mine.status == BookingStatus.BOOKED
        else None
    )
    await show(query, *screen)
    if confirmation is not None and query.bot is not None:
        await confirmation.send(query.bot)


async def book(
    query: CallbackQuery,
    callback_data: WorkshopsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    await _book(query, callback_data, session, user, tz, clock, settings, callback_answer, via=None)


async def _book(
    query: CallbackQuery,
    callback_data: WorkshopsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
    *,
    via: int | None,
) -> None:
    ctx = booking_context(settings, clock)
    try:
        if callback_data.a == WorkshopsAction.WAIT:
            made = await booking.join_waitlist(
                session, user, callback_data.id, ctx, announcement_id=via
            )
        else:
            made = await booking.book_workshop(
                session, user, callback_data.id, ctx, announcement_id=via
            )
    except NotFound:
        await undo(session, user)
        raise NotFound("stale button") from None
    except booking.Full:
        await undo(session, user)
        # The others are told it is full; the card now offers the waitlist.
        callback_answer.text = _("Sorry, it is full now. You can join the waitlist.")
        callback_answer.show_alert = True
    except booking.Refused as exc:
        # Read before the rollback, which expires what the refusal names.
        callback_answer.text, callback_answer.show_alert = refusal(exc, user.locale, tz)
        await undo(session, user)
    else:
        # The seat's row lock ends here, not after the Telegram calls below.
        await session.commit()
        if made.status == BookingStatus.BOOKED:
            callback_answer.text = _("✅ Booked! See you there.")
        else:
            callback_answer.text = _("🕒 You are on the waitlist. I will tell you if a seat frees.")
        await _show_card(
            query,
            session,
            user,
            tz,
            clock,
            callback_data,
            callback_answer,
            with_calendar=True,
            via=via,
        )
        return
    await _show_card(query, session, user, tz, clock, callback_data, callback_answer, via=via)


async def announced(
    query: CallbackQuery,
    callback_data: AnnouncedCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    """An announcement's "Book a seat": the workshop's card as a message of its own below the
    announcement (which stays as it is), then booking from that card records the announcement."""
    via = callback_data.b if callback_data.b > 0 else None
    if callback_data.a != AnnouncedAction.OPEN:
        action = (
            WorkshopsAction.WAIT
            if callback_data.a == AnnouncedAction.WAIT
            else WorkshopsAction.BOOK
        )
        data = WorkshopsCb(a=action, id=callback_data.id)
        await _book(query, data, session, user, tz, clock, settings, callback_answer, via=via)
        return
    try:
        card = await workshops.announced_card(session, user, callback_data.id, clock.now())
    except workshops.Gone as gone:
        callback_answer.text = (
            _("This workshop has already taken place.")
            if gone.why == "past"
            else _("This workshop was cancelled.")
        )
        callback_answer.show_alert = True
        return
    back = WorkshopsCb(a=WorkshopsAction.LIST)
    place = await position(session, card.mine) if card.mine is not None else 0
    text, markup = screens.workshop_screen(card, user.locale, tz, clock.now(), back, place, via=via)
    if card.mine is None and workshops.seats_left(card.workshop) == 0:
        callback_answer.text = _("It is full. You can join the waitlist.")
    await session.commit()  # nothing written; the transaction ends before Telegram is called
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    if query.bot is not None:
        await query.bot.send_message(chat_id, text, reply_markup=markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="workshops")
    router.message.filter(Consented())
    router.callback_query.filter(Consented())
    router.message.register(listing, Command("workshops"))
    router.callback_query.register(listing, NavCb.filter(F.to == Page.WORKSHOPS))
    router.callback_query.register(listing, WorkshopsCb.filter(F.a == WorkshopsAction.LIST))
    router.callback_query.register(pick_city, WorkshopsCb.filter(F.a == WorkshopsAction.CITIES))
    router.callback_query.register(town, TownCb.filter(F.f == AskedFrom.WORKSHOPS))
    router.callback_query.register(pick_kind, WorkshopsCb.filter(F.a == WorkshopsAction.KINDS))
    router.callback_query.register(open_workshop, WorkshopsCb.filter(F.a == WorkshopsAction.OPEN))
    router.callback_query.register(
        book, WorkshopsCb.filter(F.a.in_({WorkshopsAction.BOOK, WorkshopsAction.WAIT}))
    )
    router.callback_query.register(announced, AnnouncedCb.filter())
    return router
