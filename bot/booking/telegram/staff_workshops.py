"""Staff run workshops: the list, a card, who booked, attendance, a CSV file, cancelling.

These screens are stateless: every button carries what it needs. Creating and editing a
workshop are forms (bot/booking/telegram/workshop_forms.py); their buttons on the card and the
list open those forms.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram.callbacks import StaffWsAction, StaffWsCb
from bot.booking.telegram.participants import participants_screen
from bot.booking.telegram.staff_screens import card_screen, cb, home_screen
from bot.clock import Clock
from bot.config import Settings
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import _, esc, ngettext, paragraphs
from bot.people.models import Role, User


async def home(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_data: object = None,
) -> None:
    await state.clear()
    past = isinstance(callback_data, StaffWsCb) and callback_data.a == StaffWsAction.PAST
    page = callback_data.p if isinstance(callback_data, StaffWsCb) else 0
    await show(event, *await home_screen(session, user, tz, clock, page, past))


async def card(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    screen = await card_screen(session, user, callback_data.id, tz, clock)
    await show(query, *screen)


async def people(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    screen = await participants_screen(session, user, callback_data.id, tz, clock)
    await show(query, *screen)


async def export_csv(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    payload = await workshops.participants_csv(session, user, callback_data.id)
    document = BufferedInputFile(payload, filename=f"workshop-{callback_data.id}.csv")
    await bot.send_document(user.telegram_id, document, caption=_("📄 Who booked, as a CSV file."))


async def ask_cancel(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    listing = await workshops.participants(session, user, callback_data.id)
    affected = len(listing.booked) + len(listing.waiting)
    text = paragraphs(
        _("Cancel {title}?").format(title=f"<b>{esc(listing.workshop.title)}</b>"),
        ngettext(
            "{n} person is told, in their language.",
            "{n} people are told, in their language.",
            affected,
        ).format(n=affected),
    )
    markup = kb.only(
        [
            kb.button(
                _("Yes, cancel the workshop"), cb(StaffWsAction.CANCEL_CONFIRMED, callback_data.id)
            )
        ],
        [kb.button(_("⬅️ Back"), cb(StaffWsAction.CARD, callback_data.id))],
    )
    await show(query, text, markup)


async def cancel_confirmed(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    change = await workshops.cancel(
        session, user, callback_data.id, booking_context(settings, clock)
    )
    callback_answer.text = ngettext(
        "Cancelled. {n} person will be told.", "Cancelled. {n} people will be told.", change.told
    ).format(n=change.told)
    await show(query, *await card_screen(session, user, change.workshop.id, tz, clock))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="staff_workshops")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    cb_ = router.callback_query.register
    router.message.register(home, Command("workshops"))
    cb_(home, NavCb.filter(F.to == Page.WORKSHOPS))
    cb_(home, StaffWsCb.filter(F.a.in_({StaffWsAction.HOME, StaffWsAction.PAST})))
    cb_(card, StaffWsCb.filter(F.a == StaffWsAction.CARD))
    cb_(people, StaffWsCb.filter(F.a == StaffWsAction.PEOPLE))
    cb_(export_csv, StaffWsCb.filter(F.a == StaffWsAction.CSV))
    cb_(ask_cancel, StaffWsCb.filter(F.a == StaffWsAction.CANCEL))
    cb_(cancel_confirmed, StaffWsCb.filter(F.a == StaffWsAction.CANCEL_CONFIRMED))
    return router
