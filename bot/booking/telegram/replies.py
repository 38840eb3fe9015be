"""What booking screens send beside the card: a refusal's words, the calendar file, the place
on the waitlist, undoing a refused booking, and the town given where a screen asked for it.
Shared by the young person's and staff's screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import queries as rows
from bot.booking import rules as booking
from bot.booking import workshops
from bot.booking.models import Booking, BookingStatus, WorkshopText
from bot.booking.rules import Item
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import TownCb
from bot.config import Settings
from bot.i18n.formatting import fmt_datetime
from bot.kit.bot_session import unread
from bot.kit.errors import NotFound
from bot.kit.texts import _
from bot.people import profile
from bot.people import rules as people
from bot.people.models import User
from bot.people.names import city_name


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
        # The message sent is not read: its answer is not parsed (bot/kit/bot_session.py).
        await unread(
            SendDocument(chat_id=self.chat_id, document=self.document, caption=self.caption).as_(
                bot
            )
        )


async def calendar_file(
    session: AsyncSession, user: User, booking_id: int, tz: str, now: datetime
) -> CalendarFile:
    item = await booking.item(session, user, booking_id)
    return calendar_file_of(user, item, await texts_of(session, item), tz, now)


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


async def texts_of(session: AsyncSession, item: Item) -> list[WorkshopText]:
    return await workshops.texts_of(session, [item.workshop.id] if item.workshop else [])


async def position(session: AsyncSession, mine: Booking) -> int:
    """1 for the first person waiting."""
    if mine.status != BookingStatus.WAITING or mine.workshop_id is None:
        return 0
    queue = await rows.of_workshop(session, mine.workshop_id, [BookingStatus.WAITING])
    ids = [b.id for b, _u in queue]
    return ids.index(mine.id) + 1 if mine.id in ids else 0


def save_town(
    picked: TownCb, user: User, settings: Settings, callback_answer: CallbackAnswer
) -> str:
    """The town picked where a booking screen asked: saved (the person's clock follows it, as in
    Settings), said in the button's answer; the time zone to show that screen in now."""
    if picked.key not in profile.CITIES:
        raise NotFound("town")
    profile.set_city(user, picked.key)
    callback_answer.text = _("Town: {place}").format(place=city_name(picked.key))
    return people.timezone_of(user, settings.timezone)
