"""Staff run workshops: create, edit, cancel; who booked, the waitlist, attendance, a CSV file.

A new workshop is asked step by step (type, title, description, place, day, time, length,
seats); editing one field runs the same step and saves. Times are in the staff member's zone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops
from bot.booking.models import Workshop, WorkshopStatus
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import StaffCoAction, StaffCoCb, StaffWsAction, StaffWsCb
from bot.booking.telegram.participants import participants_screen
from bot.booking.telegram.states import WorkshopDialog
from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_datetime
from bot.i18n.locales import LANGUAGE_NAMES
from bot.kit import calendar
from bot.kit import keyboards as kb
from bot.kit.calendar import parse_clock
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import _, button_name, esc, ngettext, paragraphs
from bot.people.models import Role, User
from bot.people.names import city_name, programme_name
from bot.people.profile import CITIES, PROGRAMMES
from bot.plans.reminders import to_utc

TYPED = F.text & ~F.text.startswith("/")
TIMES = ("10:00", "12:00", "14:00", "16:00", "18:00")
LENGTHS = (60, 90, 120, 180)
SEATS = (5, 10, 15, 20, 30)
CUTOFFS = (0, 1, 2, 6, 24)  # hours before the start
_NOTHING = StaffWsCb(a=StaffWsAction.LABEL).pack()


def _cb(action: StaffWsAction, workshop_id: int = 0, value: str = "") -> str:
    return StaffWsCb(a=action, id=workshop_id, v=value).pack()


def _today(clock: Clock, tz: str) -> date:
    return clock.now().astimezone(ZoneInfo(tz)).date()


# Lists and the card


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
    page = int(callback_data.v or 0) if isinstance(callback_data, StaffWsCb) else 0
    found = await workshops.staff_listing(session, user, clock.now(), page, past=past)
    lines = [_("🗂 <b>Past workshops</b>") if past else _("🗓 <b>Workshops</b> · staff")]
    builder = InlineKeyboardBuilder()
    if not found.workshops:
        lines.append(_("None yet."))
    for workshop in found.workshops:
        counts = found.counts.get(workshop.id, {})
        waiting = counts.get("waiting", 0) + counts.get("offered", 0)
        mark = "✖️ " if workshop.status == WorkshopStatus.CANCELLED else ""
        seats = f"{counts.get('booked', 0)}/{workshop.capacity}"
        label = f"{mark}{button_name(workshop.title, 30)} · {seats}"
        if waiting:
            label += f" +{waiting}"
        builder.row(kb.button(label, _cb(StaffWsAction.CARD, workshop.id)))
        lines.append(
            f"• {mark}{esc(workshop.title)} — {fmt_datetime(workshop.starts_at, user.locale, tz)}"
        )
    paging = []
    action = StaffWsAction.PAST if past else StaffWsAction.HOME
    if found.page > 0:
        paging.append(kb.button("◀️", _cb(action, 0, str(found.page - 1))))
    if found.page + 1 < found.pages:
        paging.append(kb.button("▶️", _cb(action, 0, str(found.page + 1))))
    if paging:
        builder.row(*paging)
    if not past:
        builder.row(kb.button(_("➕ New workshop"), _cb(StaffWsAction.NEW)))
        builder.row(
            kb.button(_("💬 Counselling"), StaffCoCb(a=StaffCoAction.HOME).pack()),
            kb.button(_("🗂 Past workshops"), _cb(StaffWsAction.PAST)),
        )
    else:
        builder.row(kb.button(_("⬅️ Back"), _cb(StaffWsAction.HOME)))
    builder.row(kb.back_to_menu())
    await show(event, "\n".join(lines), builder.as_markup())


def card_text(workshop: Workshop, locale: str, tz: str, waiting: int) -> str:
    languages = [LANGUAGE_NAMES[c] for c in workshop.languages.split(",") if c in LANGUAGE_NAMES]
    lines = [
        f"🗓 <b>{esc(workshop.title)}</b>",
        screens.kind_name(workshop.kind),
        "📅 " + screens.when(workshop.starts_at, workshop.ends_at, locale, tz),
        screens.place(workshop.city, workshop.address, workshop.online_url),
        _("🪑 Booked: {booked} of {capacity}").format(
            booked=workshop.booked, capacity=workshop.capacity
        ),
        ngettext("{n} person waiting", "{n} people waiting", waiting).format(n=waiting),
        _("Booking closes {when}.").format(when=fmt_datetime(workshop.closes_at, locale, tz)),
        _("For: {languages}").format(languages=esc(", ".join(languages)) or _("everyone")),
        _("Programme: {name}").format(name=esc(programme_name(workshop.programme))),
    ]
    if workshop.status == WorkshopStatus.CANCELLED:
        lines.insert(0, _("✖️ <b>Cancelled</b>"))
    text = "\n".join(lines)
    if workshop.description:
        text = paragraphs(text, esc(workshop.description))
    return text


async def card_screen(
    session: AsyncSession, user: User, workshop_id: int, tz: str, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    listing = await workshops.participants(session, user, workshop_id)
    workshop = listing.workshop
    builder = InlineKeyboardBuilder()
    builder.row(kb.button(_("👥 Who booked"), _cb(StaffWsAction.PEOPLE, workshop.id)))
    builder.row(kb.button(_("📄 CSV file"), _cb(StaffWsAction.CSV, workshop.id)))
    if workshop.status == WorkshopStatus.SCHEDULED and workshop.starts_at > clock.now():
        builder.row(kb.button(_("✏️ Edit"), _cb(StaffWsAction.EDIT, workshop.id)))
        builder.row(kb.button(_("✖️ Cancel the workshop"), _cb(StaffWsAction.CANCEL, workshop.id)))
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffWsAction.HOME)))
    text = card_text(workshop, user.locale, tz, len(listing.waiting))
    return text, builder.as_markup()


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
        [kb.button(_("Yes, cancel it"), _cb(StaffWsAction.CANCEL_CONFIRMED, callback_data.id))],
        [kb.button(_("⬅️ Back"), _cb(StaffWsAction.CARD, callback_data.id))],
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


# Creating and editing


def _kinds_markup(workshop_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key in workshops.KINDS:
        builder.button(
            text=screens.kind_name(key), callback_data=_cb(StaffWsAction.KIND, workshop_id, key)
        )
    builder.adjust(2)
    builder.row(
        kb.button(
            _("⬅️ Back"),
            _cb(StaffWsAction.CARD, workshop_id) if workshop_id else _cb(StaffWsAction.HOME),
        )
    )
    return builder.as_markup()


async def new(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("➕ <b>New workshop</b>\nWhat kind?"), _kinds_markup(0))


async def kind_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.v not in workshops.KINDS:
        raise NotFound("stale button")
    if callback_data.id:
        await _save(
            query,
            session,
            user,
            tz,
            clock,
            settings,
            callback_answer,
            callback_data.id,
            kind=callback_data.v,
        )
        return
    await state.set_state(WorkshopDialog.title)
    await state.set_data({"kind": callback_data.v})
    await show(query, _("Type the title, for example: How to write a CV."), _back(0))


def _back(workshop_id: int) -> InlineKeyboardMarkup:
    return kb.only(
        [
            kb.button(
                _("⬅️ Back"),
                _cb(StaffWsAction.CARD, workshop_id) if workshop_id else _cb(StaffWsAction.HOME),
            )
        ]
    )


async def _editing(state: FSMContext) -> int:
    value = (await state.get_data()).get("id")
    return value if isinstance(value, int) else 0


async def title_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
) -> None:
    title = workshops.clean(message.text, workshops.TITLE_LIMIT)
    if title is None:
        return
    editing = await _editing(state)
    if editing:
        await state.clear()
        await _save_and_answer(message, session, user, tz, clock, settings, editing, title=title)
        return
    await state.update_data(title=title)
    await state.set_state(WorkshopDialog.description)
    markup = kb.only(
        [kb.button(_("Skip"), _cb(StaffWsAction.NO_DESCRIPTION))],
        [kb.button(_("⬅️ Back"), _cb(StaffWsAction.HOME))],
    )
    await message.answer(_("Type a short description, or tap Skip."), reply_markup=markup)


async def description_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
) -> None:
    text = workshops.clean_block(message.text, workshops.DESCRIPTION_LIMIT)
    editing = await _editing(state)
    if editing:
        await state.clear()
        await _save_and_answer(
            message, session, user, tz, clock, settings, editing, description=text
        )
        return
    await state.update_data(description=text)
    await message.answer(_("📍 Where?"), reply_markup=_cities_markup(0))


async def no_description(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(description=None)
    await show(query, _("📍 Where?"), _cities_markup(0))


def _cities_markup(workshop_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("💻 Online"), callback_data=_cb(StaffWsAction.CITY, workshop_id, workshops.ONLINE)
    )
    for key in CITIES:
        builder.button(text=city_name(key), callback_data=_cb(StaffWsAction.CITY, workshop_id, key))
    builder.adjust(2)
    return builder.as_markup()


async def city_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    key = callback_data.v
    if key != workshops.ONLINE and key not in CITIES:
        raise NotFound("stale button")
    if callback_data.id:
        await state.set_data({"id": callback_data.id})
    await state.update_data(city=None if key == workshops.ONLINE else key)
    await state.set_state(WorkshopDialog.address)
    if key == workshops.ONLINE:
        await show(query, _("Send the link people join with (https://…)."))
    else:
        await show(query, _("Type the address, for example: Kralja Petra 12, room 3."))


async def address_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
) -> None:
    text = workshops.clean(message.text, workshops.PLACE_LIMIT)
    data = await state.get_data()
    if text is None:
        return
    online = data.get("city") is None
    if online and not text.startswith(("https://", "http://")):
        await message.answer(_("That does not look like a link. It starts with https://"))
        return
    place = {"address": None if online else text, "online_url": text if online else None}
    editing = await _editing(state)
    if editing:
        await state.clear()
        await _save_and_answer(
            message, session, user, tz, clock, settings, editing, city=data.get("city"), **place
        )
        return
    await state.update_data(place)
    await state.set_state(None)
    await message.answer(
        _("📅 Which day?"), reply_markup=_calendar(clock, tz, user.locale, 0, None)
    )


def _calendar(
    clock: Clock, tz: str, locale: str, workshop_id: int, shown: date | None
) -> InlineKeyboardMarkup:
    today = _today(clock, tz)
    picking = calendar.Picking(
        day=lambda day: _cb(StaffWsAction.DAY, workshop_id, day.strftime("%Y%m%d")),
        month=lambda day: _cb(StaffWsAction.MONTH, workshop_id, day.strftime("%Y%m%d")),
        nothing=_NOTHING,
    )
    back = [
        [
            kb.button(
                _("⬅️ Back"),
                _cb(StaffWsAction.CARD, workshop_id) if workshop_id else _cb(StaffWsAction.HOME),
            )
        ]
    ]
    return calendar.month(shown or today, today, locale, back, picking)


async def calendar_month(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    shown = calendar.parse_day(callback_data.v, _today(clock, tz).replace(day=1))
    if shown is None:
        raise NotFound("stale button")
    await show(
        query, _("📅 Which day?"), _calendar(clock, tz, user.locale, callback_data.id, shown)
    )


async def day_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    day = calendar.parse_day(callback_data.v, _today(clock, tz))
    if day is None:
        callback_answer.text = _("That day has passed. Please pick another.")
        return
    if callback_data.id:
        await state.set_data({"id": callback_data.id})
    await state.update_data(day=day.isoformat())
    await state.set_state(WorkshopDialog.time)
    builder = InlineKeyboardBuilder()
    for label in TIMES:
        builder.button(
            text=label,
            callback_data=_cb(StaffWsAction.TIME, callback_data.id, label.replace(":", "")),
        )
    builder.adjust(5)
    await show(
        query, _("🕒 What time does it start? Tap one or type it, like 17:30."), builder.as_markup()
    )


async def time_typed(message: Message, state: FSMContext) -> None:
    moment = parse_clock(message.text or "")
    if moment is None:
        await message.answer(_("Please type a time like 17:30."))
        return
    await _ask_length(message, state, moment)


async def time_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    moment = parse_clock(callback_data.v[:2] + ":" + callback_data.v[2:])
    if moment is None:
        raise NotFound("stale button")
    await _ask_length(query, state, moment)


async def _ask_length(event: Message | CallbackQuery, state: FSMContext, moment: time) -> None:
    await state.update_data(start=moment.strftime("%H:%M"))
    await state.set_state(None)
    editing = await _editing(state)
    builder = InlineKeyboardBuilder()
    for minutes in LENGTHS:
        label = _("{hours} h").format(hours=f"{minutes / 60:g}")
        builder.button(text=label, callback_data=_cb(StaffWsAction.LENGTH, editing, str(minutes)))
    builder.adjust(4)
    await show(event, _("⏱ How long?"), builder.as_markup())


async def length_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    if not callback_data.v.isdigit() or "day" not in data or "start" not in data:
        raise NotFound("stale button")
    local = datetime.combine(date.fromisoformat(data["day"]), parse_clock(data["start"]) or time(0))
    starts_at = to_utc(local, tz)
    ends_at = starts_at + timedelta(minutes=int(callback_data.v))
    editing = await _editing(state)
    if editing:
        await state.clear()
        await _save(
            query,
            session,
            user,
            tz,
            clock,
            settings,
            callback_answer,
            editing,
            starts_at=starts_at,
            ends_at=ends_at,
            closes_at=None,
        )
        return
    await state.update_data(starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    await state.set_state(WorkshopDialog.seats)
    await show(query, _("🪑 How many seats? Tap one or type a number."), _seats_markup(0))


def _seats_markup(workshop_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for seats in SEATS:
        builder.button(
            text=str(seats), callback_data=_cb(StaffWsAction.SEATS, workshop_id, str(seats))
        )
    builder.adjust(5)
    return builder.as_markup()


async def seats_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= workshops.MAX_CAPACITY:
        await message.answer(
            _("Please type a number from 1 to {max}.").format(max=workshops.MAX_CAPACITY)
        )
        return
    editing = await _editing(state)
    await state.set_state(None)
    if editing:
        await state.clear()
        await _save_and_answer(
            message, session, user, tz, clock, settings, editing, capacity=int(text)
        )
        return
    await _create(message, state, session, user, tz, clock, settings, int(text))


async def seats_picked(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    if not callback_data.v.isdigit():
        raise NotFound("stale button")
    if callback_data.id:
        await state.clear()
        await _save(
            query,
            session,
            user,
            tz,
            clock,
            settings,
            callback_answer,
            callback_data.id,
            capacity=int(callback_data.v),
        )
        return
    await state.set_state(None)
    await _create(query, state, session, user, tz, clock, settings, int(callback_data.v))


async def _create(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    capacity: int,
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        draft = workshops.Draft(
            kind=data["kind"],
            title=data["title"],
            description=data.get("description"),
            city=data.get("city"),
            address=data.get("address"),
            online_url=data.get("online_url"),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            capacity=capacity,
        )
        workshop = await workshops.create(session, user, draft, booking_context(settings, clock))
    except (KeyError, ValueError):
        await show(event, _("Something was missing or wrong. Please start again."), _back(0))
        return
    text, markup = await card_screen(session, user, workshop.id, tz, clock)
    await show(event, paragraphs(_("✅ Workshop created."), text), markup)


async def _save(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
    workshop_id: int,
    **changes: Any,
) -> None:
    try:
        text = await _apply(session, user, settings, clock, workshop_id, changes)
    except ValueError:
        callback_answer.text = _("That does not fit: check the times and seats.")
        callback_answer.show_alert = True
        return
    callback_answer.text = text
    await show(query, *await card_screen(session, user, workshop_id, tz, clock))


async def _save_and_answer(
    message: Message,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    workshop_id: int,
    **changes: Any,
) -> None:
    try:
        note = await _apply(session, user, settings, clock, workshop_id, changes)
    except (NotFound, ValueError):
        await message.answer(
            _("That does not fit: check the times and seats."), reply_markup=_back(workshop_id)
        )
        return
    text, markup = await card_screen(session, user, workshop_id, tz, clock)
    await message.answer(paragraphs(note, text), reply_markup=markup)


async def _apply(
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    workshop_id: int,
    changes: dict[str, Any],
) -> str:
    current = await workshops.staff_workshop(session, user, workshop_id)
    draft = replace(workshops.draft_of(current), **changes)
    change = await workshops.update(
        session, user, workshop_id, draft, booking_context(settings, clock)
    )
    if change.told:
        return ngettext(
            "Saved. {n} person will be told.", "Saved. {n} people will be told.", change.told
        ).format(n=change.told)
    return _("Saved.")


async def edit_menu(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    workshop = await workshops.staff_workshop(session, user, callback_data.id)
    wid = workshop.id
    markup = kb.only(
        [
            kb.button(_("✏️ Title"), _cb(StaffWsAction.FIELD, wid, "title")),
            kb.button(_("✏️ Description"), _cb(StaffWsAction.FIELD, wid, "desc")),
        ],
        [
            kb.button(_("🏷 Type"), _cb(StaffWsAction.FIELD, wid, "kind")),
            kb.button(_("📍 Place"), _cb(StaffWsAction.FIELD, wid, "place")),
        ],
        [
            kb.button(_("📅 Time"), _cb(StaffWsAction.FIELD, wid, "time")),
            kb.button(_("🪑 Seats"), _cb(StaffWsAction.FIELD, wid, "seats")),
        ],
        [kb.button(_("⏳ Booking closes"), _cb(StaffWsAction.FIELD, wid, "closes"))],
        [kb.button(_("🌐 For which languages"), _cb(StaffWsAction.FIELD, wid, "langs"))],
        [kb.button(_("🏷 Programme"), _cb(StaffWsAction.FIELD, wid, "prog"))],
        [kb.button(_("🌐 Text in one language"), _cb(StaffWsAction.FIELD, wid, "text"))],
        [kb.button(_("⬅️ Back"), _cb(StaffWsAction.CARD, wid))],
    )
    await show(
        query, _("✏️ What do you want to change?") + f"\n<b>{esc(workshop.title)}</b>", markup
    )


async def edit_field(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    workshop = await workshops.staff_workshop(session, user, callback_data.id)
    wid, field = workshop.id, callback_data.v
    await state.clear()
    if field == "title":
        await state.set_state(WorkshopDialog.title)
        await state.set_data({"id": wid})
        await show(query, _("Type the new title."), _back(wid))
    elif field == "desc":
        await state.set_state(WorkshopDialog.description)
        await state.set_data({"id": wid})
        await show(query, _("Type the new description."), _back(wid))
    elif field == "kind":
        await show(query, _("What kind?"), _kinds_markup(wid))
    elif field == "place":
        await show(query, _("📍 Where?"), _cities_markup(wid))
    elif field == "time":
        await show(query, _("📅 Which day?"), _calendar(clock, tz, user.locale, wid, None))
    elif field == "seats":
        await state.set_state(WorkshopDialog.seats)
        await state.set_data({"id": wid})
        await show(query, _("🪑 How many seats? Tap one or type a number."), _seats_markup(wid))
    elif field == "closes":
        builder = InlineKeyboardBuilder()
        for hours in CUTOFFS:
            label = _("at the start") if hours == 0 else _("{n} h before").format(n=hours)
            builder.button(text=label, callback_data=_cb(StaffWsAction.CLOSES, wid, str(hours)))
        builder.adjust(1)
        await show(query, _("⏳ Booking and cancelling close:"), builder.as_markup())
    elif field == "langs":
        await show(query, *_languages_screen(workshop))
    elif field == "prog":
        builder = InlineKeyboardBuilder()
        for key in PROGRAMMES:
            mark = "✓ " if key == workshop.programme else ""
            builder.row(
                kb.button(mark + programme_name(key), _cb(StaffWsAction.PROGRAMME, wid, key))
            )
        builder.row(kb.button(_("Everyone"), _cb(StaffWsAction.PROGRAMME, wid, "-")))
        await show(query, _("🏷 Which programme is it for?"), builder.as_markup())
    elif field == "text":
        builder = InlineKeyboardBuilder()
        for code in workshops.TEXT_LOCALES:
            builder.row(
                kb.button(LANGUAGE_NAMES[code], _cb(StaffWsAction.TEXT_LANGUAGE, wid, code))
            )
        builder.row(kb.button(_("⬅️ Back"), _cb(StaffWsAction.EDIT, wid)))
        await show(
            query,
            _("🌐 Which language? Without a text of its own, a language shows the main text."),
            builder.as_markup(),
        )
    else:
        raise NotFound("stale button")


def _languages_screen(workshop: Workshop) -> tuple[str, InlineKeyboardMarkup]:
    chosen = [c for c in workshop.languages.split(",") if c]
    builder = InlineKeyboardBuilder()
    for code in workshops.TEXT_LOCALES:
        mark = "✓ " if code in chosen else ""
        builder.row(
            kb.button(mark + LANGUAGE_NAMES[code], _cb(StaffWsAction.LANGUAGE, workshop.id, code))
        )
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffWsAction.CARD, workshop.id)))
    text = _("🌐 Who sees it: people with these languages. None ticked: everyone.")
    return text, builder.as_markup()


async def toggle_language(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.v not in workshops.TEXT_LOCALES:
        raise NotFound("stale button")
    try:
        workshop = await workshops.staff_workshop(session, user, callback_data.id)
        chosen = {c for c in workshop.languages.split(",") if c} ^ {callback_data.v}
        ordered = tuple(c for c in workshops.TEXT_LOCALES if c in chosen)
        await _apply(session, user, settings, clock, workshop.id, {"languages": ordered})
        workshop = await workshops.staff_workshop(session, user, callback_data.id)
    except (NotFound, ValueError):
        raise NotFound("stale button") from None
    await show(query, *_languages_screen(workshop))


async def simple_choice(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    """Booking closes (hours before) and the programme: one tap, saved."""
    workshop = await workshops.staff_workshop(session, user, callback_data.id)
    changes: dict[str, Any]
    if callback_data.a == StaffWsAction.CLOSES and callback_data.v.isdigit():
        changes = {"closes_at": workshop.starts_at - timedelta(hours=int(callback_data.v))}
    elif callback_data.a == StaffWsAction.PROGRAMME and (
        callback_data.v in PROGRAMMES or callback_data.v == "-"
    ):
        changes = {"programme": None if callback_data.v == "-" else callback_data.v}
    else:
        raise NotFound("stale button")
    await _save(query, session, user, tz, clock, settings, callback_answer, workshop.id, **changes)


async def text_language(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    workshop = await workshops.staff_workshop(session, user, callback_data.id)
    if callback_data.v not in workshops.TEXT_LOCALES:
        raise NotFound("stale button")
    await state.set_state(WorkshopDialog.text_title)
    await state.set_data({"id": workshop.id, "lang": callback_data.v})
    text = _("Type the title in {language}.").format(language=LANGUAGE_NAMES[callback_data.v])
    await show(query, text, _back(workshop.id))


async def text_title_typed(message: Message, state: FSMContext) -> None:
    title = workshops.clean(message.text, workshops.TITLE_LIMIT)
    if title is None:
        return
    await state.update_data(title=title)
    await state.set_state(WorkshopDialog.text_description)
    workshop_id = await _editing(state)
    markup = kb.only([kb.button(_("Skip"), _cb(StaffWsAction.TEXT_SKIP, workshop_id))])
    await message.answer(
        _("Now the description in that language, or tap Skip."), reply_markup=markup
    )


async def text_description_typed(
    message: Message, state: FSMContext, session: AsyncSession, user: User, tz: str, clock: Clock
) -> None:
    await _save_text(message, state, session, user, tz, clock, message.text)


async def text_description_skipped(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
) -> None:
    await _save_text(query, state, session, user, tz, clock, None)


async def _save_text(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    clock: Clock,
    description: str | None,
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        await workshops.set_text(
            session, user, int(data["id"]), str(data["lang"]), str(data["title"]), description
        )
        text, markup = await card_screen(session, user, int(data["id"]), tz, clock)
    except (KeyError, ValueError):
        raise NotFound("the wizard's data is gone") from None
    await show(event, paragraphs(_("Saved."), text), markup)


async def label(query: CallbackQuery) -> None:
    """Calendar labels do nothing."""


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="staff_workshops")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    cb = router.callback_query.register
    router.message.register(home, Command("workshops"))
    cb(home, NavCb.filter(F.to == Page.WORKSHOPS))
    cb(home, StaffWsCb.filter(F.a.in_({StaffWsAction.HOME, StaffWsAction.PAST})))
    cb(label, StaffWsCb.filter(F.a == StaffWsAction.LABEL))
    cb(card, StaffWsCb.filter(F.a == StaffWsAction.CARD))
    cb(people, StaffWsCb.filter(F.a == StaffWsAction.PEOPLE))
    cb(export_csv, StaffWsCb.filter(F.a == StaffWsAction.CSV))
    cb(ask_cancel, StaffWsCb.filter(F.a == StaffWsAction.CANCEL))
    cb(cancel_confirmed, StaffWsCb.filter(F.a == StaffWsAction.CANCEL_CONFIRMED))
    cb(new, StaffWsCb.filter(F.a == StaffWsAction.NEW))
    cb(kind_picked, StaffWsCb.filter(F.a == StaffWsAction.KIND))
    cb(
        no_description,
        StaffWsCb.filter(F.a == StaffWsAction.NO_DESCRIPTION),
        StateFilter(WorkshopDialog.description),
    )
    cb(city_picked, StaffWsCb.filter(F.a == StaffWsAction.CITY))
    cb(calendar_month, StaffWsCb.filter(F.a == StaffWsAction.MONTH))
    cb(day_picked, StaffWsCb.filter(F.a == StaffWsAction.DAY))
    cb(time_picked, StaffWsCb.filter(F.a == StaffWsAction.TIME))
    cb(length_picked, StaffWsCb.filter(F.a == StaffWsAction.LENGTH))
    cb(seats_picked, StaffWsCb.filter(F.a == StaffWsAction.SEATS))
    cb(edit_menu, StaffWsCb.filter(F.a == StaffWsAction.EDIT))
    cb(edit_field, StaffWsCb.filter(F.a == StaffWsAction.FIELD))
    cb(toggle_language, StaffWsCb.filter(F.a == StaffWsAction.LANGUAGE))
    cb(simple_choice, StaffWsCb.filter(F.a.in_({StaffWsAction.CLOSES, StaffWsAction.PROGRAMME})))
    cb(text_language, StaffWsCb.filter(F.a == StaffWsAction.TEXT_LANGUAGE))
    cb(
        text_description_skipped,
        StaffWsCb.filter(F.a == StaffWsAction.TEXT_SKIP),
        StateFilter(WorkshopDialog.text_description),
    )
    router.message.register(title_typed, StateFilter(WorkshopDialog.title), TYPED)
    router.message.register(description_typed, StateFilter(WorkshopDialog.description), TYPED)
    router.message.register(address_typed, StateFilter(WorkshopDialog.address), TYPED)
    router.message.register(time_typed, StateFilter(WorkshopDialog.time), TYPED)
    router.message.register(seats_typed, StateFilter(WorkshopDialog.seats), TYPED)
    router.message.register(text_title_typed, StateFilter(WorkshopDialog.text_title), TYPED)
    router.message.register(
        text_description_typed, StateFilter(WorkshopDialog.text_description), TYPED
    )
    return router
