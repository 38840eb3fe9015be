"""Staff set up counselling: counsellors, their weekly hours and time off, their linked account."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.booking.models import Availability, TimeOff
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import StaffCoAction, StaffCoCb, StaffWsAction, StaffWsCb
from bot.booking.telegram.states import CounsellorDialog
from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_clock, fmt_day, weekday_names
from bot.kit import calendar
from bot.kit import keyboards as kb
from bot.kit.calendar import parse_clock
from bot.kit.callbacks import Page
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import N_, _, button_name, esc, name_or_someone, ngettext, paragraphs
from bot.people import queries as users
from bot.people.models import Role, User
from bot.people.names import city_name
from bot.people.profile import CITIES

TYPED = F.text & ~F.text.startswith("/")
REASONS = {"holiday": N_("Holiday"), "sick": N_("Sick day"), "other": N_("Other")}
assert set(REASONS) == set(counselling.TIME_OFF_REASONS)
_NOTHING = StaffCoCb(a=StaffCoAction.LABEL).pack()


def _cb(action: StaffCoAction, item_id: int = 0, value: str = "") -> str:
    return StaffCoCb(a=action, id=item_id, v=value).pack()


def _back(counsellor_id: int) -> InlineKeyboardMarkup:
    return kb.only(
        [
            kb.button(
                _("⬅️ Back"),
                _cb(StaffCoAction.CARD, counsellor_id)
                if counsellor_id
                else _cb(StaffCoAction.HOME),
            )
        ]
    )


async def home(query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.clear()
    found = await counselling.all_counsellors(session, user)
    builder = InlineKeyboardBuilder()
    lines = [_("💬 <b>Counselling</b> · staff")]
    if not found:
        lines.append(_("No counsellors yet."))
    for counsellor in found:
        pause = "" if counsellor.active else "⏸ "
        service = screens.service_name(counsellor.service)
        label = f"{pause}{button_name(counsellor.name, 24)} · {service}"
        builder.row(kb.button(label, _cb(StaffCoAction.CARD, counsellor.id)))
    builder.row(kb.button(_("➕ New counsellor"), _cb(StaffCoAction.NEW)))
    builder.row(kb.nav(_("🗓 My counselling day"), Page.C_TODAY))
    builder.row(kb.button(_("⬅️ Back"), StaffWsCb(a=StaffWsAction.HOME).pack()))
    await show(query, "\n".join(lines), builder.as_markup())


async def card_screen(
    session: AsyncSession, counsellor_id: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    plan = await counselling.schedule(session, counsellor_id)
    found = plan.counsellor
    linked = await users.get(session, found.user_id) if found.user_id else None
    days = weekday_names(locale)
    lines = [
        f"💬 <b>{esc(found.name)}</b>",
        screens.service_name(found.service),
        screens.place(found.city, found.address, found.online_url),
        _("Account: {name}").format(name=name_or_someone(linked.display_name) if linked else "—"),
    ]
    if not found.active:
        lines.append(_("⏸ Paused: no new times are offered."))
    lines.append(_("<b>Weekly hours</b>"))
    builder = InlineKeyboardBuilder()
    for rule in plan.hours:
        text = _("{day} {start}–{end}, {minutes} min").format(
            day=days[rule.weekday],
            start=fmt_clock(rule.start, locale),
            end=fmt_clock(rule.end, locale),
            minutes=rule.slot_minutes,
        )
        lines.append("• " + text)
        builder.row(kb.button("✖️ " + text, _cb(StaffCoAction.HOURS_REMOVE, rule.id)))
    if not plan.hours:
        lines.append(_("None yet."))
    if plan.time_off:
        lines.append(_("<b>Time off</b>"))
    for off in plan.time_off:
        days_off = f"{fmt_day(off.first_day, locale)} – {fmt_day(off.last_day, locale)}"
        text = f"{days_off}, {_(REASONS[off.reason])}"
        lines.append("• " + text)
        builder.row(kb.button("✖️ " + text, _cb(StaffCoAction.OFF_REMOVE, off.id)))
    builder.row(kb.button(_("➕ Weekly hours"), _cb(StaffCoAction.HOURS, found.id)))
    builder.row(kb.button(_("➕ Time off"), _cb(StaffCoAction.OFF, found.id)))
    builder.row(kb.button(_("🔗 Account"), _cb(StaffCoAction.LINK, found.id)))
    pause = _("▶️ Offer times again") if not found.active else _("⏸ Pause")
    builder.row(
        kb.button(pause, _cb(StaffCoAction.ACTIVE, found.id, "1" if not found.active else "0"))
    )
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffCoAction.HOME)))
    return "\n".join(lines), builder.as_markup()


async def card(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    await counselling.counsellor(session, user, callback_data.id)
    screen = await card_screen(session, callback_data.id, user.locale)
    await show(query, *screen)


# A new counsellor


async def new(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    builder = InlineKeyboardBuilder()
    for key in counselling.SERVICES:
        builder.row(kb.button(screens.service_name(key), _cb(StaffCoAction.SERVICE, 0, key)))
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffCoAction.HOME)))
    await show(query, _("➕ <b>New counsellor</b>\nWhich service?"), builder.as_markup())


async def service_picked(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.v not in counselling.SERVICES:
        raise NotFound("stale button")
    await state.set_state(CounsellorDialog.name)
    await state.set_data({"service": callback_data.v})
    await show(query, _("Type the counsellor's name as people should see it."), _back(0))


async def name_typed(message: Message, state: FSMContext) -> None:
    name = counselling.clean(message.text, counselling.NAME_LIMIT)
    if name is None:
        return
    await state.update_data(name=name)
    await state.set_state(None)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("💻 Online"), callback_data=_cb(StaffCoAction.CITY, 0, workshops.ONLINE))
    for key in CITIES:
        builder.button(text=city_name(key), callback_data=_cb(StaffCoAction.CITY, 0, key))
    builder.adjust(2)
    await message.answer(_("📍 Where?"), reply_markup=builder.as_markup())


async def city_picked(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    key = callback_data.v
    if key != workshops.ONLINE and key not in CITIES:
        raise NotFound("stale button")
    await state.update_data(city=None if key == workshops.ONLINE else key)
    await state.set_state(CounsellorDialog.address)
    if key == workshops.ONLINE:
        await show(query, _("Send the link people join with (https://…)."))
    else:
        await show(query, _("Type the address, for example: Kralja Petra 12, room 3."))


async def address_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    tz: str,
) -> None:
    text = counselling.clean(message.text, 300)
    data = await state.get_data()
    if text is None:
        return
    online = data.get("city") is None
    await state.clear()
    try:
        found = await counselling.create_counsellor(
            session,
            user,
            service=str(data.get("service")),
            name=str(data.get("name")),
            user_id=None,
            city=data.get("city"),
            address=None if online else text,
            online_url=text if online else None,
            timezone=tz,
            now=clock.now(),
        )
    except ValueError:
        await message.answer(
            _("Something was missing or wrong. Please start again."), reply_markup=_back(0)
        )
        return
    text, markup = await card_screen(session, found.id, user.locale)
    await message.answer(
        paragraphs(_("✅ Counsellor added. Now give their weekly hours."), text),
        reply_markup=markup,
    )


# Linking an account


async def link_menu(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    found = await counselling.counsellor(session, user, callback_data.id)
    builder = InlineKeyboardBuilder()
    for person in await counselling.linkable(session, user):
        mark = "✓ " if person.id == found.user_id else ""
        builder.row(
            kb.button(
                mark + button_name(person.display_name),
                _cb(StaffCoAction.LINK_PICK, found.id, str(person.id)),
            )
        )
    builder.row(kb.button(_("✖️ No account"), _cb(StaffCoAction.LINK_PICK, found.id, "0")))
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffCoAction.CARD, found.id)))
    text = _(
        "🔗 Which staff member or mentor is this counsellor? They will see their day with /today."
    )
    await show(query, text, builder.as_markup())


async def link_picked(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    if not callback_data.v.isdigit():
        raise NotFound("value")
    await counselling.link(session, user, callback_data.id, int(callback_data.v) or None)
    callback_answer.text = _("Saved.")
    await show(query, *await card_screen(session, callback_data.id, user.locale))


async def pause(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    told = await counselling.set_active(
        session,
        user,
        callback_data.id,
        callback_data.v == "1",
        booking_context(settings, clock),
    )
    callback_answer.text = _told(told)
    await show(query, *await card_screen(session, callback_data.id, user.locale))


def _told(told: int) -> str:
    if not told:
        return _("Saved.")
    return ngettext(
        "Saved. {n} person will be told.", "Saved. {n} people will be told.", told
    ).format(n=told)


# Weekly hours


async def hours_weekday(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    found = await counselling.counsellor(session, user, callback_data.id)
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(weekday_names(user.locale)):
        builder.button(text=name, callback_data=_cb(StaffCoAction.HOURS_DAY, found.id, str(index)))
    builder.adjust(7)
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffCoAction.CARD, found.id)))
    await show(query, _("Which day of the week?"), builder.as_markup())


async def hours_day_picked(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.v not in {str(i) for i in range(7)}:
        raise NotFound("stale button")
    await state.set_state(CounsellorDialog.hours)
    await state.set_data({"id": callback_data.id, "weekday": int(callback_data.v)})
    await show(query, _("Type the hours, like 10:00-14:00."), _back(callback_data.id))


async def hours_typed(message: Message, state: FSMContext) -> None:
    parts = (message.text or "").replace("–", "-").split("-")
    start = parse_clock(parts[0]) if len(parts) == 2 else None
    end = parse_clock(parts[1]) if len(parts) == 2 else None
    if start is None or end is None or end <= start:
        await message.answer(_("Please type the hours like 10:00-14:00."))
        return
    await state.update_data(start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
    await state.set_state(None)
    data = await state.get_data()
    builder = InlineKeyboardBuilder()
    for minutes in counselling.SLOT_MINUTES:
        builder.button(
            text=_("{n} min").format(n=minutes),
            callback_data=_cb(StaffCoAction.HOURS_MORE, int(data["id"]), str(minutes)),
        )
    builder.adjust(4)
    await message.answer(_("How long is one appointment?"), reply_markup=builder.as_markup())


async def hours_length_picked(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    await state.clear()
    start, end = parse_clock(str(data.get("start"))), parse_clock(str(data.get("end")))
    if (
        not callback_data.v.isdigit()
        or start is None
        or end is None
        or data.get("id") != callback_data.id
    ):
        raise NotFound("stale button")
    try:
        await counselling.counsellor(session, user, callback_data.id)
        await counselling.add_hours(
            session, user, callback_data.id, int(data["weekday"]), start, end,
            int(callback_data.v), booking_context(settings, clock),
        )  # fmt: skip
    except ValueError:
        callback_answer.text = _("These hours overlap others on that day, or are too short.")
        callback_answer.show_alert = True
    else:
        callback_answer.text = _("Saved.")
    await show(query, *await card_screen(session, callback_data.id, user.locale))


async def hours_removed(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    rule = await session.get(Availability, callback_data.id)
    if rule is None:
        raise NotFound("hours")
    owner = rule.counsellor_id
    told = await counselling.remove_hours(session, user, rule.id, booking_context(settings, clock))
    callback_answer.text = _told(told)
    await show(query, *await card_screen(session, owner, user.locale))


# Time off


# The first and the last day away are picked on the same calendar; each has its month pager.
_OFF_MONTH = {
    StaffCoAction.OFF_FROM: StaffCoAction.OFF_FROM_MONTH,
    StaffCoAction.OFF_TO: StaffCoAction.OFF_TO_MONTH,
}


def _off_calendar(
    counsellor_id: int, step: StaffCoAction, today: date, shown: date, locale: str
) -> InlineKeyboardMarkup:
    picking = calendar.Picking(
        day=lambda day: _cb(step, counsellor_id, day.strftime("%Y%m%d")),
        month=lambda day: _cb(_OFF_MONTH[step], counsellor_id, day.strftime("%Y%m%d")),
        nothing=_NOTHING,
    )
    return calendar.month(
        shown,
        today,
        locale,
        [[kb.button(_("⬅️ Back"), _cb(StaffCoAction.CARD, counsellor_id))]],
        picking,
    )


async def time_off_start(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    found = await counselling.counsellor(session, user, callback_data.id)
    await state.clear()
    today = clock.now().astimezone(ZoneInfo(tz)).date()
    await show(
        query,
        _("📅 First day away?"),
        _off_calendar(found.id, StaffCoAction.OFF_FROM, today, today, user.locale),
    )


async def time_off_month(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    today = clock.now().astimezone(ZoneInfo(tz)).date()
    shown = calendar.parse_day(callback_data.v, today.replace(day=1))
    if shown is None:
        raise NotFound("stale button")
    first = callback_data.a == StaffCoAction.OFF_FROM_MONTH
    step = StaffCoAction.OFF_FROM if first else StaffCoAction.OFF_TO
    text = _("📅 First day away?") if first else _("📅 Last day away?")
    await show(query, text, _off_calendar(callback_data.id, step, today, shown, user.locale))


async def time_off_day(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    today = clock.now().astimezone(ZoneInfo(tz)).date()
    day = calendar.parse_day(callback_data.v, today)
    if day is None:
        callback_answer.text = _("That day has passed. Please pick another.")
        return
    if callback_data.a == StaffCoAction.OFF_FROM:
        await state.set_data({"first": day.isoformat()})
        await show(
            query,
            _("📅 Last day away?"),
            _off_calendar(callback_data.id, StaffCoAction.OFF_TO, day, day, user.locale),
        )
        return
    first = (await state.get_data()).get("first")
    if not isinstance(first, str) or date.fromisoformat(first) > day:
        raise NotFound("stale button")
    await state.update_data(last=day.isoformat())
    builder = InlineKeyboardBuilder()
    for key, name in REASONS.items():
        builder.button(
            text=_(name), callback_data=_cb(StaffCoAction.OFF_CONFIRM, callback_data.id, key)
        )
    builder.adjust(3)
    await show(query, _("Why?"), builder.as_markup())


async def time_off_reason(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        first, last = date.fromisoformat(str(data["first"])), date.fromisoformat(str(data["last"]))
        await counselling.counsellor(session, user, callback_data.id)
        told = await counselling.add_time_off(
            session, user, callback_data.id, first, last, callback_data.v,
            booking_context(settings, clock),
        )  # fmt: skip
    except (KeyError, ValueError, NotFound):
        raise NotFound("stale button") from None
    callback_answer.text = _told(told)
    await show(query, *await card_screen(session, callback_data.id, user.locale))


async def time_off_removed(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    off = await session.get(TimeOff, callback_data.id)
    if off is None:
        raise NotFound("time off")
    owner = off.counsellor_id
    await counselling.remove_time_off(session, user, off.id, booking_context(settings, clock))
    callback_answer.text = _("Saved.")
    await show(query, *await card_screen(session, owner, user.locale))


async def label(query: CallbackQuery) -> None:
    """Calendar labels do nothing."""


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="staff_counselling")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    cb = router.callback_query.register
    cb(home, StaffCoCb.filter(F.a == StaffCoAction.HOME))
    cb(label, StaffCoCb.filter(F.a == StaffCoAction.LABEL))
    cb(card, StaffCoCb.filter(F.a == StaffCoAction.CARD))
    cb(new, StaffCoCb.filter(F.a == StaffCoAction.NEW))
    cb(service_picked, StaffCoCb.filter(F.a == StaffCoAction.SERVICE))
    cb(city_picked, StaffCoCb.filter(F.a == StaffCoAction.CITY))
    cb(link_menu, StaffCoCb.filter(F.a == StaffCoAction.LINK))
    cb(link_picked, StaffCoCb.filter(F.a == StaffCoAction.LINK_PICK))
    cb(pause, StaffCoCb.filter(F.a == StaffCoAction.ACTIVE))
    cb(hours_weekday, StaffCoCb.filter(F.a == StaffCoAction.HOURS))
    cb(hours_day_picked, StaffCoCb.filter(F.a == StaffCoAction.HOURS_DAY))
    cb(hours_length_picked, StaffCoCb.filter(F.a == StaffCoAction.HOURS_MORE))
    cb(hours_removed, StaffCoCb.filter(F.a == StaffCoAction.HOURS_REMOVE))
    cb(time_off_start, StaffCoCb.filter(F.a == StaffCoAction.OFF))
    cb(
        time_off_month,
        StaffCoCb.filter(F.a.in_({StaffCoAction.OFF_FROM_MONTH, StaffCoAction.OFF_TO_MONTH})),
    )
    cb(time_off_day, StaffCoCb.filter(F.a.in_({StaffCoAction.OFF_FROM, StaffCoAction.OFF_TO})))
    cb(time_off_reason, StaffCoCb.filter(F.a == StaffCoAction.OFF_CONFIRM))
    cb(time_off_removed, StaffCoCb.filter(F.a == StaffCoAction.OFF_REMOVE))
    router.message.register(name_typed, StateFilter(CounsellorDialog.name), TYPED)
    router.message.register(address_typed, StateFilter(CounsellorDialog.address), TYPED)
    router.message.register(hours_typed, StateFilter(CounsellorDialog.hours), TYPED)
    return router
