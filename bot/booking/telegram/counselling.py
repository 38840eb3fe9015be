"""Counselling: a service, a day with free times, a time; another time later. And a
counsellor's own day: who comes when, and who came."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import attendance as attendance_rules
from bot.booking import counselling
from bot.booking import queries as rows
from bot.booking import rules as booking
from bot.booking.models import Attendance, Booking, Counsellor
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import (
    AskedFrom,
    AttendCb,
    BookingAction,
    BookingCb,
    CounselAction,
    CounselCb,
    Mark,
    TownCb,
)
from bot.booking.telegram.participants import participants_screen
from bot.booking.telegram.replies import calendar_file, refusal, save_town, undo
from bot.booking.telegram.screens import ATTENDANCE_MARKS, attendance_buttons
from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_day, fmt_time
from bot.kit import calendar
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.filters import Consented
from bot.kit.render import show
from bot.kit.texts import _, esc, name_or_someone, paragraphs
from bot.people.models import Role, User
from bot.people.profile import CITIES

_NOTHING = CounselCb(a=CounselAction.LABEL).pack()


def _today(clock: Clock, tz: str) -> date:
    return clock.now().astimezone(ZoneInfo(tz)).date()


def _day_key(day: date) -> str:
    return day.strftime("%Y%m%d")


async def services(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await state.clear()
    offered = await counselling.services_offered(session)
    await show(event, *screens.services_screen(offered, ask_town=user.city is None))


async def town(
    query: CallbackQuery,
    callback_data: TownCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    """The town counselling asked for: the towns, then, once picked, counselling again (its
    places are offered with the person's own town first)."""
    if not callback_data.key:
        await show(query, *screens.towns_to_pick(callback_data))
        return
    save_town(callback_data, user, settings, callback_answer)
    await services(query, state, session, user)


async def _moving(session: AsyncSession, user: User, booking_id: int) -> Booking | None:
    """The booking being moved to another time; NotFound unless it is theirs and movable."""
    if not booking_id:
        return None
    found = await rows.get(session, booking_id)
    if found is None or found.user_id != user.id or found.counsellor_id is None:
        raise NotFound("booking")
    return found


async def _where_and_zone(
    session: AsyncSession, user: User, tz: str, data: CounselCb
) -> tuple[Booking | None, str, str]:
    """The booking being moved, the town picked, and the zone the times are shown in: the
    counsellor's own when moving, else the town's (online: the reader's)."""
    moving = await _moving(session, user, data.b)
    if moving is not None:
        counsellor = await session.get(Counsellor, moving.counsellor_id)
        return moving, "", counsellor.timezone if counsellor is not None else tz
    if data.t and data.t not in (*CITIES, counselling.ONLINE):
        raise NotFound("town")
    return None, data.t, counselling.town_zone(data.t, tz)


async def service(
    query: CallbackQuery,
    callback_data: CounselCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """A service picked: first where (when its counsellors are in more than one place), then
    the month. The place is known before anything is booked."""
    if callback_data.s not in counselling.SERVICES:
        raise NotFound("service")
    if callback_data.b or callback_data.t:
        await month(query, callback_data, session, user, tz, clock, callback_answer)
        return
    towns = await counselling.towns_of(session, callback_data.s)
    if len(towns) == 1:
        picked = CounselCb(a=CounselAction.SERVICE, s=callback_data.s, t=towns[0])
        await month(query, picked, session, user, tz, clock, callback_answer)
        return
    await show(query, *screens.towns_screen(callback_data.s, towns, user.city))


async def month(
    query: CallbackQuery,
    callback_data: CounselCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    service = callback_data.s
    if service not in counselling.SERVICES:
        raise NotFound("service")
    moving, town, zone = await _where_and_zone(session, user, tz, callback_data)
    today = _today(clock, zone)
    shown = calendar.parse_day(callback_data.d, today.replace(day=1)) if callback_data.d else today
    if shown is None:
        raise NotFound("day")
    counsellor_id = moving.counsellor_id if moving else None
    days = await counselling.free_days(
        session, user, service, zone, clock.now(), counsellor_id, town
    )
    back = (
        BookingCb(a=BookingAction.OPEN, id=callback_data.b).pack()
        if callback_data.b
        else CounselCb(a=CounselAction.SERVICE, s=service).pack()
        if town and len(await counselling.towns_of(session, service)) > 1
        else NavCb(to=Page.COUNSEL).pack()
    )
    extra = [[kb.button(_("⬅️ Back"), back)]]
    head = f"💬 <b>{screens.service_name(service)}</b>"
    if town:
        head += " · " + esc(screens.city_label(town))
    if not days:
        text = paragraphs(
            head, _("No free times in the coming weeks. Please look again in a few days.")
        )
        await show(query, text, kb.only(*extra))
        return

    def day_data(day: date) -> str:
        return CounselCb(
            a=CounselAction.DAY, s=service, b=callback_data.b, d=_day_key(day), t=town
        ).pack()

    def month_data(day: date) -> str:
        return CounselCb(
            a=CounselAction.MONTH, s=service, b=callback_data.b, d=_day_key(day), t=town
        ).pack()

    picking = calendar.Picking(
        day=day_data,
        month=month_data,
        nothing=_NOTHING,
        pickable=lambda day: day in days,
        last=max(days),
    )
    if callback_data.a == CounselAction.SERVICE:
        shown = min(days)
    text = paragraphs(head, _("📅 Pick a day. Days with a number have free times."))
    await show(query, text, calendar.month(shown, today, user.locale, extra, picking))


async def day(
    query: CallbackQuery,
    callback_data: CounselCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
) -> None:
    moving, town, zone = await _where_and_zone(session, user, tz, callback_data)
    picked = calendar.parse_day(callback_data.d, _today(clock, zone))
    if picked is None or callback_data.s not in counselling.SERVICES:
        raise NotFound("day")
    await _show_day(query, session, user, tz, zone, clock, callback_data, picked, moving, town)


async def _show_day(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    tz: str,
    zone: str,
    clock: Clock,
    data: CounselCb,
    picked: date,
    moving: Booking | None,
    town: str,
) -> None:
    counsellor_id = moving.counsellor_id if moving else None
    found = await counselling.free_slots(
        session, user, data.s, picked, zone, clock.now(), counsellor_id, town
    )
    many = len({c.id for _s, c in found}) > 1
    builder = InlineKeyboardBuilder()
    for slot, counsellor in found:
        label = screens.slot_label(slot.starts_at, zone, user.locale, counsellor, many)
        builder.button(
            text=label,
            callback_data=CounselCb(a=CounselAction.SLOT, s=data.s, b=data.b, id=slot.id),
        )
    builder.adjust(1 if many else 3)
    back = CounselCb(a=CounselAction.MONTH, s=data.s, b=data.b, d=_day_key(picked), t=town).pack()
    builder.row(kb.button(_("⬅️ Other days"), back))
    head = f"💬 <b>{screens.service_name(data.s)}</b> · {fmt_day(picked, user.locale)}"
    if not found:
        text = paragraphs(head, _("These times have just been taken. Please pick another day."))
    else:
        # Who and where before booking: each counsellor of the day with their place.
        counsellors = list({c.id: c for _s, c in found}.values())
        text = paragraphs(
            head,
            _("🕒 Pick a time.") + screens.zone_note(zone, tz, user.locale),
            "\n\n".join(_where(c) for c in counsellors),
        )
    await show(query, text, builder.as_markup())


def _where(counsellor: Counsellor) -> str:
    return "\n".join(
        [
            _("With: {name}").format(name=esc(counsellor.name)),
            screens.place(counsellor.city, counsellor.address, counsellor.online_url),
        ]
    )


async def pick_slot(
    query: CallbackQuery,
    callback_data: CounselCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    ctx = booking_context(settings, clock)
    try:
        if callback_data.b:
            made = await booking.reschedule(session, user, callback_data.b, callback_data.id, ctx)
        else:
            made = await booking.book_slot(session, user, callback_data.id, callback_data.s, ctx)
    except NotFound:
        await undo(session, user)
        raise NotFound("stale button") from None
    except booking.Full:
        await undo(session, user)
        callback_answer.text = _("Sorry, someone just took this time. Please pick another.")
        callback_answer.show_alert = True
        return
    except booking.Refused as exc:
        # Read before the rollback, which expires what the refusal names.
        callback_answer.text, callback_answer.show_alert = refusal(exc, user.locale, tz)
        await undo(session, user)
        return
    await session.commit()  # the slot's row lock ends before the Telegram calls
    callback_answer.text = (
        _("✅ Moved to the new time.") if callback_data.b else _("✅ Booked! See you there.")
    )
    item = await booking.item(session, user, made.id)
    screen = screens.booking_screen(item, [], user.locale, tz, clock.now())
    confirmation = await calendar_file(session, user, made.id, tz, clock.now())
    await show(query, *screen)
    await confirmation.send(bot)


async def move(
    query: CallbackQuery,
    callback_data: BookingCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """ "Another time": the same counsellor's calendar, the current booking kept until then."""
    item = await booking.item(session, user, callback_data.id)
    if item.counsellor is None:
        raise NotFound("not counselling")
    data = CounselCb(a=CounselAction.SERVICE, s=item.counsellor.service, b=item.booking.id)
    await month(query, data, session, user, tz, clock, callback_answer)


async def label(query: CallbackQuery) -> None:
    """Month names, weekdays and days without free times: pressing them does nothing."""


# A counsellor's day


async def my_day(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_data: object = None,
    callback_answer: CallbackAnswer | None = None,
) -> None:
    try:
        # Today by the counsellor's place, not the reader's calendar.
        shown, _zone = await counselling.counsellor_today(session, user, clock.now())
        if isinstance(callback_data, CounselCb) and callback_data.d:
            with contextlib.suppress(ValueError):
                shown = datetime.strptime(callback_data.d, "%Y%m%d").date()
        text, markup = await day_screen(session, user, tz, shown, clock.now())
    except NotAllowed:
        text = _("You are not set up as a counsellor. Staff can link you to a counsellor.")
        markup = kb.menu_only()
    await show(event, text, markup)


async def day_screen(
    session: AsyncSession, user: User, tz: str, shown: date, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    found = await counselling.day_bookings(session, user, shown)
    lines = [_("🗓 <b>Counselling on {day}</b>").format(day=fmt_day(shown, user.locale))]
    builder = InlineKeyboardBuilder()
    if not found:
        lines.append(_("Nobody booked."))
    for item, person, counsellor in found:
        mark = ATTENDANCE_MARKS.get(item.attendance or "", "")
        # The counsellor's clock, named when it is not the reader's.
        zone = counsellor.timezone
        clock_time = fmt_time(item.starts_at, user.locale, zone) + screens.zone_note(
            zone, tz, user.locale
        )
        lines.append(
            f"{clock_time} · {name_or_someone(person.display_name)}"
            f" · {screens.service_name(counsellor.service)} {mark}".rstrip()
        )
        if item.starts_at <= now:
            builder.row(*attendance_buttons(item, person))
    previous, following = shown - timedelta(days=1), shown + timedelta(days=1)
    builder.row(
        kb.button("◀️", CounselCb(a=CounselAction.COUNSELLOR_DAY, d=_day_key(previous)).pack()),
        kb.button("▶️", CounselCb(a=CounselAction.COUNSELLOR_DAY, d=_day_key(following)).pack()),
    )
    builder.row(kb.back_to_menu())
    return "\n".join(lines), builder.as_markup()


async def attendance(
    query: CallbackQuery,
    callback_data: AttendCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    value = {Mark.ATTENDED: Attendance.ATTENDED, Mark.NO_SHOW: Attendance.NO_SHOW}.get(
        callback_data.v
    )
    try:
        item = await attendance_rules.mark(session, user, callback_data.id, value, clock.now())
    except (NotFound, NotAllowed, ValueError):
        raise NotFound("stale button") from None
    callback_answer.text = _("Saved.")
    if item.workshop_id is not None and user.role == Role.STAFF:
        await show(query, *await participants_screen(session, user, item.workshop_id, tz, clock))
        return
    # Back to the day it is on by its counsellor's clock, the day the list was showing.
    counsellor = await session.get(Counsellor, item.counsellor_id)
    zone = counsellor.timezone if counsellor is not None else tz
    local = item.starts_at.astimezone(ZoneInfo(zone)).date()
    await show(query, *await day_screen(session, user, tz, local, clock.now()))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="counselling")
    router.message.filter(Consented())
    router.callback_query.filter(Consented())
    router.message.register(services, Command("counselling"))
    router.callback_query.register(services, NavCb.filter(F.to == Page.COUNSEL))
    router.callback_query.register(town, TownCb.filter(F.f == AskedFrom.COUNSEL))
    router.callback_query.register(label, CounselCb.filter(F.a == CounselAction.LABEL))
    router.callback_query.register(service, CounselCb.filter(F.a == CounselAction.SERVICE))
    router.callback_query.register(month, CounselCb.filter(F.a == CounselAction.MONTH))
    router.callback_query.register(day, CounselCb.filter(F.a == CounselAction.DAY))
    router.callback_query.register(pick_slot, CounselCb.filter(F.a == CounselAction.SLOT))
    router.callback_query.register(move, BookingCb.filter(F.a == BookingAction.MOVE))
    router.message.register(my_day, Command("today"))
    router.callback_query.register(my_day, NavCb.filter(F.to == Page.C_TODAY))
    router.callback_query.register(my_day, CounselCb.filter(F.a == CounselAction.COUNSELLOR_DAY))
    router.callback_query.register(attendance, AttendCb.filter())
    return router
