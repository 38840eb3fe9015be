"""Staff set up counselling: counsellors, their weekly hours and time off, their linked account.

The list, a counsellor's card, linking an account, pausing and removing hours or time off are
plain buttons (each carries all it needs). A new counsellor, new weekly hours and new time off
are forms, declared as aiogram-dialog windows (bot/kit/forms.py), with Back on every step; the
rules in bot/booking/counselling.py check what was typed and do the work. The forms live in the
dispatcher's one forms router (`form_routers`), the plain buttons in `create_router`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, time
from operator import itemgetter
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Keyboard, Select
from aiogram_dialog.widgets.kbd.calendar_kbd import CalendarUserConfig
from aiogram_dialog.widgets.text import Format, Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.booking.models import Availability, TimeOff
from bot.booking.rules import Context
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import StaffCoAction, StaffCoCb, StaffWsAction, StaffWsCb
from bot.booking.telegram.states import CounsellorHours, CounsellorTimeOff, NewCounsellor
from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_clock, fmt_datetime, fmt_day, weekday_names
from bot.kit import forms
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.forms import DayPicker, Tr
from bot.kit.render import show
from bot.kit.texts import (
    N_,
    _,
    button_name,
    current_locale,
    esc,
    name_or_someone,
    ngettext,
    paragraphs,
)
from bot.people import queries as users
from bot.people.models import Role, User
from bot.people.names import city_name
from bot.people.profile import CITIES, zone_of_city

REASONS = {"holiday": N_("Holiday"), "sick": N_("Sick day"), "other": N_("Other")}
assert set(REASONS) == set(counselling.TIME_OFF_REASONS)


def _cb(action: StaffCoAction, item_id: int = 0) -> str:
    return StaffCoCb(a=action, id=item_id).pack()


# Plain screens: the list and a counsellor's card


async def home_screen(session: AsyncSession, user: User) -> tuple[str, InlineKeyboardMarkup]:
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
    return "\n".join(lines), builder.as_markup()


async def home(query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.clear()
    await show(query, *await home_screen(session, user))


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
        text = f"{_days(off.first_day, off.last_day, locale)}, {_(REASONS[off.reason])}"
        lines.append("• " + text)
        builder.row(kb.button("✖️ " + text, _cb(StaffCoAction.OFF_REMOVE, off.id)))
    builder.row(kb.button(_("➕ Weekly hours"), _cb(StaffCoAction.HOURS, found.id)))
    builder.row(kb.button(_("➕ Time off"), _cb(StaffCoAction.OFF, found.id)))
    builder.row(kb.button(_("🔗 Account"), _cb(StaffCoAction.LINK, found.id)))
    pause = _("▶️ Offer times again") if not found.active else _("⏸ Pause")
    builder.row(
        kb.button(pause, StaffCoCb(a=StaffCoAction.ACTIVE, id=found.id, on=not found.active).pack())
    )
    builder.row(kb.button(_("⬅️ Back"), _cb(StaffCoAction.HOME)))
    return "\n".join(lines), builder.as_markup()


def _days(first: date, last: date, locale: str) -> str:
    return f"{fmt_day(first, locale)} – {fmt_day(last, locale)}"


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
    await show(query, *await card_screen(session, callback_data.id, user.locale))


# Linking an account: one pick from a list, each button carrying the counsellor and the account


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
                StaffCoCb(a=StaffCoAction.LINK_PICK, id=found.id, account=person.id).pack(),
            )
        )
    builder.row(
        kb.button(_("✖️ No account"), StaffCoCb(a=StaffCoAction.LINK_PICK, id=found.id).pack())
    )
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
    clock: Clock,
) -> None:
    account = callback_data.account or None
    await counselling.link(session, user, callback_data.id, account, clock.now())
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
        callback_data.on,
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


# The forms' parts: refusing what does not fit, ending on a screen, a choice, a typed answer


Items = Callable[[], list[tuple[str, str]]]  # (key, label), labels in the person's language


def _choice(
    state: State, text: Text, back: Keyboard, items: Items, then: forms.Then[str], *, width: int = 1
) -> Window:
    """Buttons for `items`; a key not among them is a stale or forged button."""

    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, key: str) -> None:
        if key not in {k for k, _label in items()}:
            raise NotFound("not a choice")
        await forms.go(manager, then, key)

    pick = Select(
        Format("{item[1]}"),
        id="pick",
        item_id_getter=itemgetter(0),
        items=lambda _data: items(),
        on_click=picked,
    )
    return Window(
        text, Group(pick, width=width), back, MessageInput(forms.buttons_please), state=state
    )


def _to_card() -> Keyboard:
    """Back from a form's first step: the counsellor's card."""

    async def leave(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await _end_on_card(manager)

    return Button(Tr("⬅️ Back"), id="card", on_click=leave)


def _keeping(field: str) -> forms.Then[Any]:
    """Keeps the answer (JSON: days and times as ISO text) and goes on to the next step."""

    async def then(manager: DialogManager, value: object) -> None:
        manager.dialog_data[field] = value.isoformat() if isinstance(value, date | time) else value
        await manager.next()

    return then


def _counsellor_id(manager: DialogManager) -> int:
    start = manager.start_data
    found = start.get("counsellor") if isinstance(start, dict) else None
    if not isinstance(found, int):
        raise NotFound("no counsellor in the form")
    return found


def _answer(manager: DialogManager, field: str) -> str:
    value = manager.dialog_data.get(field)
    if not isinstance(value, str):
        raise NotFound(f"the form lost its {field}")  # answered as a stale button
    return value


def _ctx(manager: DialogManager) -> Context:
    data = manager.middleware_data
    return booking_context(data["settings"], data["clock"])


async def _end_on_card(manager: DialogManager, note: str = "") -> None:
    data = manager.middleware_data
    user: User = data["user"]
    screen = await card_screen(data["session"], _counsellor_id(manager), user.locale)
    await forms.end(manager, screen, note)


# A new counsellor: service, name, where, address or link


def _services() -> list[tuple[str, str]]:
    return [(key, screens.service_name(key)) for key in counselling.SERVICES]


def _cities() -> list[tuple[str, str]]:
    return [(workshops.ONLINE, _("💻 Online")), *((key, city_name(key)) for key in CITIES)]


async def _place_prompt(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    if dialog_manager.dialog_data.get("city") == workshops.ONLINE:
        return {"prompt": _("Send the link people join with (https://…).")}
    return {"prompt": _("Type the address, for example: Kralja Petra 12, room 3.")}


async def _create(manager: DialogManager, text: str) -> None:
    data = manager.middleware_data
    session: AsyncSession = data["session"]
    user: User = data["user"]
    city = _answer(manager, "city")
    online = city == workshops.ONLINE
    place = counselling.typed_place(text, online)
    try:
        found = await counselling.create_counsellor(
            session,
            user,
            service=_answer(manager, "service"),
            name=_answer(manager, "name"),
            user_id=None,
            city=None if online else city,
            address=None if online else place,
            online_url=place if online else None,
            # Weekly hours are the place's: its town's zone, or the author's when online.
            timezone=zone_of_city(None if online else city) or data["tz"],
            now=data["clock"].now(),
        )
    except ValueError:
        await forms.refuse(manager, _("Something was missing or wrong. Please start again."))
        return
    screen = await card_screen(session, found.id, user.locale)
    await forms.end(manager, screen, _("✅ Counsellor added. Now give their weekly hours."))


def new_dialog() -> Dialog:
    async def leave(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        data = manager.middleware_data
        await forms.end(manager, await home_screen(data["session"], data["user"]))

    return Dialog(
        _choice(
            NewCounsellor.service,
            Tr("➕ <b>New counsellor</b>\nWhich service?"),
            Button(Tr("⬅️ Back"), id="home", on_click=leave),
            _services,
            _keeping("service"),
        ),
        forms.typed(
            NewCounsellor.name,
            Tr("Type the counsellor's name as people should see it."),
            forms.back(),
            counselling.typed_name,
            _keeping("name"),
        ),
        _choice(
            NewCounsellor.city, Tr("📍 Where?"), forms.back(), _cities, _keeping("city"), width=2
        ),
        forms.typed(
            NewCounsellor.address,
            Format("{prompt}"),
            forms.back(),
            str,
            _create,
            getter=_place_prompt,
        ),
    )


# Weekly hours: day of the week, hours, length of one appointment


def _weekdays() -> list[tuple[str, str]]:
    return [(str(index), name) for index, name in enumerate(weekday_names(current_locale()))]


def _lengths() -> list[tuple[str, str]]:
    return [(str(m), _("{n} min").format(n=m)) for m in counselling.SLOT_MINUTES]


async def _hours_typed(manager: DialogManager, hours: tuple[time, time]) -> None:
    start, end = hours
    manager.dialog_data.update(start=start.isoformat(), end=end.isoformat())
    await manager.next()


async def _add_hours(manager: DialogManager, minutes: str) -> None:
    data = manager.middleware_data
    try:
        told = await counselling.add_hours(
            data["session"],
            data["user"],
            _counsellor_id(manager),
            int(_answer(manager, "weekday")),
            time.fromisoformat(_answer(manager, "start")),
            time.fromisoformat(_answer(manager, "end")),
            int(minutes),
            _ctx(manager),
        )
    except ValueError:  # a rule's refusal; NotFound (a counsellor gone) is no ValueError
        text = _("These hours overlap others on that day, or are too short.")
        await forms.refuse(manager, text, alert=True)
        return
    await _end_on_card(manager, _told(told))


def hours_dialog() -> Dialog:
    return Dialog(
        _choice(
            CounsellorHours.weekday,
            Tr("Which day of the week?"),
            _to_card(),
            _weekdays,
            _keeping("weekday"),
            width=7,
        ),
        forms.typed(
            CounsellorHours.hours,
            Tr("Type the hours, like 10:00-14:00."),
            forms.back(),
            counselling.typed_hours,
            _hours_typed,
        ),
        _choice(
            CounsellorHours.length,
            Tr("How long is one appointment?"),
            forms.back(),
            _lengths,
            _add_hours,
            width=4,
        ),
    )


# Time off: first day, last day, why, and who is told, before it is saved


class LastDayPicker(DayPicker):
    """The calendar of the last day away: no days before the first."""

    async def _get_user_config(
        self, data: dict[str, Any], manager: DialogManager
    ) -> CalendarUserConfig:
        config = await super()._get_user_config(data, manager)
        first = date.fromisoformat(_answer(manager, "first"))
        return replace(config, min_date=max(first, config.min_date or first))

    def get_offset(self, manager: DialogManager) -> date | None:
        shown = super().get_offset(manager)
        first = date.fromisoformat(_answer(manager, "first"))
        return shown if shown and shown >= first.replace(day=1) else first


def _day_step(
    state: State, text: Text, picker: type[DayPicker], back: Keyboard, then: forms.Then[date]
) -> Window:
    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, day: date) -> None:
        await forms.go(manager, then, day)

    return Window(
        text,
        picker(id="day", on_click=picked),
        back,
        MessageInput(forms.buttons_please),
        state=state,
    )


async def _first_day(manager: DialogManager, day: date) -> None:
    counselling.check_first_day(day, forms.today_of(manager))
    await _keeping("first")(manager, day)


async def _last_day(manager: DialogManager, day: date) -> None:
    first = date.fromisoformat(_answer(manager, "first"))
    counselling.check_first_day(day, forms.today_of(manager))
    counselling.check_last_day(first, day)
    await _keeping("last")(manager, day)


def _reasons() -> list[tuple[str, str]]:
    return [(key, _(name)) for key, name in REASONS.items()]


def _time_off_answers(manager: DialogManager) -> tuple[date, date, str]:
    first = date.fromisoformat(_answer(manager, "first"))
    last = date.fromisoformat(_answer(manager, "last"))
    return first, last, _answer(manager, "reason")


async def _affected_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    """What the time off is, and whose appointments it calls off (they are told)."""
    first, last, reason = _time_off_answers(dialog_manager)
    user: User = data["user"]
    tz: str = data["tz"]
    affected = await counselling.affected_by_time_off(
        data["session"], user, _counsellor_id(dialog_manager), first, last, data["clock"].now()
    )
    days = _days(first, last, user.locale)
    head = _("🗓 Time off: {days}, {reason}.").format(days=days, reason=_(REASONS[reason]))
    if not affected:
        return {"summary": paragraphs(head, _("No appointments fall on these days."))}
    told = ngettext(
        "{n} person is told, in their language.",
        "{n} people are told, in their language.",
        len(affected),
    ).format(n=len(affected))
    people = [
        f"• {name_or_someone(a.name)}, {fmt_datetime(a.starts_at, user.locale, tz)}"
        for a in affected
    ]
    return {"summary": paragraphs(head, "\n".join([told, *people]))}


async def _save_time_off(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    first, last, reason = _time_off_answers(manager)
    try:
        told = await counselling.add_time_off(
            data["session"], data["user"], _counsellor_id(manager), first, last, reason,
            _ctx(manager),
        )  # fmt: skip
    except ValueError:
        raise NotFound("the form's time off does not fit") from None
    await _end_on_card(manager, _told(told))


def time_off_dialog() -> Dialog:
    off = CounsellorTimeOff
    return Dialog(
        _day_step(off.first, Tr("📅 First day away?"), DayPicker, _to_card(), _first_day),
        _day_step(off.last, Tr("📅 Last day away?"), LastDayPicker, forms.back(), _last_day),
        _choice(off.reason, Tr("Why?"), forms.back(), _reasons, _keeping("reason"), width=3),
        Window(
            Format("{summary}"),
            Button(Tr("✅ Save"), id="save", on_click=_save_time_off),
            forms.back(),
            MessageInput(forms.buttons_please),
            state=off.confirm,
            getter=_affected_getter,
        ),
    )


# Opening a form: plain buttons on the list and the card


async def new(query: CallbackQuery, dialog_manager: DialogManager) -> None:
    await forms.open_form(dialog_manager, NewCounsellor.service)


async def add_hours(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    found = await counselling.counsellor(session, user, callback_data.id)
    await forms.open_form(dialog_manager, CounsellorHours.weekday, {"counsellor": found.id})


async def add_time_off(
    query: CallbackQuery,
    callback_data: StaffCoCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    found = await counselling.counsellor(session, user, callback_data.id)
    await forms.open_form(dialog_manager, CounsellorTimeOff.first, {"counsellor": found.id})


_OPENS = frozenset({StaffCoAction.NEW, StaffCoAction.HOURS, StaffCoAction.OFF})


def opens(data: str) -> bool:
    """Whether a plain button opens one of these forms (the forms router lets it in)."""
    if not data.startswith(StaffCoCb.__prefix__ + ":"):
        return False
    try:
        return StaffCoCb.unpack(data).a in _OPENS
    except (ValueError, TypeError):
        return False


def form_routers() -> tuple[Router, Router]:
    """The buttons opening the forms, and the forms, for the dispatcher's one forms router.

    Every form's openers go before any form: an open form's dialog takes every button it is
    shown, its own or not.
    """
    openers = Router(name="counselling_form_openers")
    dialogs = Router(name="counselling_forms")
    for router in (openers, dialogs):
        router.message.filter(HasRole(Role.STAFF))
        router.callback_query.filter(HasRole(Role.STAFF))
    openers.callback_query.register(new, StaffCoCb.filter(F.a == StaffCoAction.NEW))
    openers.callback_query.register(add_hours, StaffCoCb.filter(F.a == StaffCoAction.HOURS))
    openers.callback_query.register(add_time_off, StaffCoCb.filter(F.a == StaffCoAction.OFF))
    dialogs.include_routers(new_dialog(), hours_dialog(), time_off_dialog())
    return openers, dialogs


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="staff_counselling")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    cb = router.callback_query.register
    cb(home, StaffCoCb.filter(F.a == StaffCoAction.HOME))
    cb(card, StaffCoCb.filter(F.a == StaffCoAction.CARD))
    cb(link_menu, StaffCoCb.filter(F.a == StaffCoAction.LINK))
    cb(link_picked, StaffCoCb.filter(F.a == StaffCoAction.LINK_PICK))
    cb(pause, StaffCoCb.filter(F.a == StaffCoAction.ACTIVE))
    cb(hours_removed, StaffCoCb.filter(F.a == StaffCoAction.HOURS_REMOVE))
    cb(time_off_removed, StaffCoCb.filter(F.a == StaffCoAction.OFF_REMOVE))
    return router
