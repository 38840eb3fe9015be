"""Creating and editing a workshop, declared as aiogram-dialog windows (see bot/kit/forms.py).

New workshop: type, title, description, place, address or link, day, time, length, seats; Back
on every step. Editing: a menu of fields, each the same step as in creating, then the card with
"Saved.". Every step is declared once (a window factory below) and told what comes after it.
The rules in bot/booking/workshops.py check what was typed and do the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any

from aiogram import F, Router
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Keyboard, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format, Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import workshops
from bot.booking.models import Workshop
from bot.booking.rules import Context
from bot.booking.rules import context_for as booking_context
from bot.booking.telegram import screens
from bot.booking.telegram.callbacks import StaffWsAction, StaffWsCb
from bot.booking.telegram.staff_screens import card_screen, home_screen
from bot.booking.telegram.states import EditWorkshop, NewWorkshop
from bot.i18n.formatting import fmt_number
from bot.i18n.locales import LANGUAGE_NAMES
from bot.kit import forms
from bot.kit.errors import NotFound, Unfit
from bot.kit.filters import HasRole
from bot.kit.forms import DayPicker, Tr
from bot.kit.texts import _, current_locale, esc, ngettext
from bot.people.models import Role, User
from bot.people.names import city_name, programme_name
from bot.people.profile import CITIES, PROGRAMMES

TIMES = ("10:00", "12:00", "14:00", "16:00", "18:00")
LENGTHS = (60, 90, 120, 180)
SEATS = (5, 10, 15, 20, 30)
CUTOFFS = (0, 1, 2, 6, 24)  # hours before the start
EVERYONE = "-"  # the programme choice "everyone"


# What the form knows so far (aiogram-dialog keeps it as JSON in the FSM storage)


@dataclass(frozen=True)
class Answers:
    kind: str = ""
    title: str = ""
    description: str | None = None
    city: str | None = None  # None: online
    place: str = ""  # the address, or the link of an online workshop
    day: date | None = None
    start: time | None = None
    minutes: int = 0
    language: str = ""  # editing a text in one language

    @property
    def online(self) -> bool:
        return self.city is None

    @classmethod
    def of(cls, manager: DialogManager) -> Answers:
        raw: dict[str, Any] = manager.dialog_data
        day, start = raw.get("day"), raw.get("start")
        return cls(
            kind=str(raw.get("kind", "")),
            title=str(raw.get("title", "")),
            description=raw.get("description"),
            city=raw.get("city"),
            place=str(raw.get("place", "")),
            day=date.fromisoformat(day) if isinstance(day, str) else None,
            start=time.fromisoformat(start) if isinstance(start, str) else None,
            minutes=int(raw.get("minutes", 0)),
            language=str(raw.get("language", "")),
        )


def keep(manager: DialogManager, **answers: object) -> None:
    for key, value in answers.items():
        manager.dialog_data[key] = value.isoformat() if isinstance(value, date | time) else value


def _when(manager: DialogManager, minutes: int = 0) -> tuple[datetime, datetime]:
    """Start and end of the day and time answered (Unfit when that moment has passed)."""
    answers = Answers.of(manager)
    if answers.day is None or answers.start is None:
        raise NotFound("the form lost its day or time")
    data = manager.middleware_data
    # The time typed is the place's: 16:00 in Kragujevac is 16:00 there, whoever types it.
    zone = manager.dialog_data.get("zone") or workshops.typed_zone(answers.city, data["tz"])
    return workshops.schedule(answers.day, answers.start, minutes, zone, data["clock"].now())


def _ctx(manager: DialogManager) -> Context:
    data = manager.middleware_data
    return booking_context(data["settings"], data["clock"])


# Steps: each a window, declared once for creating and editing


Items = Callable[[], list[tuple[str, str]]]  # (key, label), labels in the person's language
Getter = Callable[..., Awaitable[dict[str, Any]]]


def _select(id: str, items: Items, then: forms.Then[str]) -> Select[str]:
    """Buttons for `items`; a key not among them is a stale or forged button."""

    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, key: str) -> None:
        if key not in {k for k, _label in items()}:
            raise NotFound("not a choice")
        await forms.go(manager, then, key)

    return Select(
        Format("{item[1]}"),
        id=id,
        item_id_getter=itemgetter(0),
        items=lambda data: data.get(id) or items(),  # a getter may mark the current choice
        on_click=picked,
    )


def _choice(
    state: State,
    text: Text,
    back: Keyboard,
    items: Items,
    then: forms.Then[str],
    *,
    width: int = 1,
    getter: Getter | None = None,
) -> Window:
    return Window(
        text,
        Group(_select("pick", items, then), width=width),
        back,
        MessageInput(forms.buttons_please),
        state=state,
        getter=getter,
    )


def _kinds() -> list[tuple[str, str]]:
    return [(key, screens.kind_name(key)) for key in workshops.KINDS]


def _cities() -> list[tuple[str, str]]:
    return [(workshops.ONLINE, _("💻 Online")), *((key, city_name(key)) for key in CITIES)]


def city_step(state: State, back: Keyboard, then: forms.Then[str | None]) -> Window:
    async def picked(manager: DialogManager, key: str) -> None:
        city = None if key == workshops.ONLINE else key
        keep(manager, city=city)
        await then(manager, city)

    return _choice(state, Tr("📍 Where?"), back, _cities, picked, width=2)


async def _place_prompt(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    if Answers.of(dialog_manager).online:
        return {"prompt": _("Send the link people join with (https://…).")}
    return {"prompt": _("Type the address, for example: Kralja Petra 12, room 3.")}


def place_step(state: State, back: Keyboard, then: forms.Then[str]) -> Window:
    """The address, or the link for an online workshop (the city step decided which)."""

    async def typed(manager: DialogManager, text: str) -> None:
        place = workshops.typed_place(text, Answers.of(manager).online)
        keep(manager, place=place)
        await then(manager, place)

    return forms.typed(state, Format("{prompt}"), back, str, typed, getter=_place_prompt)


def day_step(state: State, back: Keyboard, then: forms.Then[date]) -> Window:
    async def checked(manager: DialogManager, day: date) -> None:
        keep(manager, day=workshops.check_day(day, forms.today_of(manager)))
        await then(manager, day)

    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, day: date) -> None:
        await forms.go(manager, checked, day)

    return Window(
        Tr("📅 Which day?"),
        DayPicker(id="day", on_click=picked),
        back,
        MessageInput(forms.buttons_please),
        state=state,
    )


def start_step(state: State, back: Keyboard, then: forms.Then[time]) -> Window:
    """A time button or a typed time; one already past on that day is refused."""

    async def chosen(manager: DialogManager, start: time) -> None:
        keep(manager, start=start)
        _when(manager)  # Unfit when it has passed
        await then(manager, start)

    async def button(manager: DialogManager, key: str) -> None:
        await chosen(manager, time.fromisoformat(key))

    times = Row(_select("time", lambda: [(t, t) for t in TIMES], button))
    text = Tr("🕒 What time does it start? Tap one or type it, like 17:30.")
    return forms.typed(state, text, back, workshops.typed_clock, chosen, buttons=(times,))


def length_step(state: State, back: Keyboard, then: forms.Then[int]) -> Window:
    def lengths() -> list[tuple[str, str]]:
        locale = current_locale()
        return [(str(m), _("{hours} h").format(hours=fmt_number(m / 60, locale))) for m in LENGTHS]

    async def picked(manager: DialogManager, key: str) -> None:
        await then(manager, int(key))

    return _choice(state, Tr("⏱ How long?"), back, lengths, picked, width=4)


def seats_step(state: State, back: Keyboard, then: forms.Then[int]) -> Window:
    async def button(manager: DialogManager, key: str) -> None:
        await then(manager, int(key))

    seats = Row(_select("seats", lambda: [(str(n), str(n)) for n in SEATS], button))
    text = Tr("🪑 How many seats? Tap one or type a number.")
    return forms.typed(state, text, back, workshops.typed_seats, then, buttons=(seats,))


# Creating


def new_dialog() -> Dialog:
    async def leave(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        data = manager.middleware_data
        screen = await home_screen(data["session"], data["user"], data["tz"], data["clock"])
        await forms.end(manager, screen)

    def keeping(field: str) -> forms.Then[Any]:
        async def then(manager: DialogManager, value: object) -> None:
            keep(manager, **{field: value})
            await manager.next()

        return then

    async def skip(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await keeping("description")(manager, None)

    async def onward(manager: DialogManager, _value: object) -> None:
        await manager.next()

    async def length(manager: DialogManager, minutes: int) -> None:
        _when(manager, minutes)  # Unfit when it has passed meanwhile
        await keeping("minutes")(manager, minutes)

    return Dialog(
        _choice(
            NewWorkshop.kind,
            Tr("➕ <b>New workshop</b>\nWhat kind?"),
            Button(Tr("⬅️ Back"), id="leave", on_click=leave),
            _kinds,
            keeping("kind"),
            width=2,
        ),
        forms.typed(
            NewWorkshop.title,
            Tr("Type the title, for example: How to write a CV."),
            forms.back(),
            workshops.typed_title,
            keeping("title"),
        ),
        forms.typed(
            NewWorkshop.description,
            Tr("Type a short description, or tap Skip."),
            forms.back(),
            workshops.typed_description,
            keeping("description"),
            buttons=(Button(Tr("Skip"), id="skip", on_click=skip),),
        ),
        city_step(NewWorkshop.city, forms.back(), onward),
        place_step(NewWorkshop.address, forms.back(), onward),
        day_step(NewWorkshop.day, forms.back(), onward),
        start_step(NewWorkshop.start, forms.back(), onward),
        length_step(NewWorkshop.length, forms.back(), length),
        seats_step(NewWorkshop.seats, forms.back(), create),
    )


async def create(manager: DialogManager, capacity: int) -> None:
    data = manager.middleware_data
    session: AsyncSession = data["session"]
    user: User = data["user"]
    answers = Answers.of(manager)
    try:
        starts_at, ends_at = _when(manager, answers.minutes)
    except Unfit as exc:
        await forms.refuse(manager, forms.why(exc))  # the time passed while the form was open
        await manager.switch_to(NewWorkshop.start)
        return
    draft = workshops.Draft(
        kind=answers.kind,
        title=answers.title,
        description=answers.description,
        city=answers.city,
        address=None if answers.online else answers.place,
        online_url=answers.place if answers.online else None,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        timezone=data["tz"],
    )
    try:
        workshop = await workshops.create(session, user, draft, _ctx(manager))
    except ValueError:
        await forms.refuse(manager, _("Something was missing or wrong. Please start again."))
        return
    text, markup = await card_screen(session, user, workshop.id, data["tz"], data["clock"])
    await forms.end(manager, (text, markup), _("✅ Workshop created."), noted=True)


# Editing


def _editing(manager: DialogManager) -> int:
    start = manager.start_data
    workshop_id = start.get("workshop") if isinstance(start, dict) else None
    if not isinstance(workshop_id, int):
        raise NotFound("no workshop in the form")
    return workshop_id


async def _to_card(manager: DialogManager, note: str = "", *, noted: bool = False) -> None:
    data = manager.middleware_data
    screen = await card_screen(
        data["session"], data["user"], _editing(manager), data["tz"], data["clock"]
    )
    await forms.end(manager, screen, note, noted=noted)


async def _saved(manager: DialogManager, change: Awaitable[workshops.Change]) -> None:
    """A change by a rule, then the card; people booked hear of a new time or place."""
    try:
        told = (await change).told
    except ValueError:
        await forms.refuse(manager, _("That does not fit: check the times and seats."), alert=True)
        return
    if told:
        note = ngettext(
            "Saved. {n} person will be told.", "Saved. {n} people will be told.", told
        ).format(n=told)
    else:
        note = _("Saved.")
    await _to_card(manager, note)


async def save(manager: DialogManager, **fields: Any) -> None:
    data = manager.middleware_data
    change = workshops.change(
        data["session"], data["user"], _editing(manager), _ctx(manager), **fields
    )
    await _saved(manager, change)


def saving(field: str, convert: Callable[[Any], Any] = lambda value: value) -> forms.Then[Any]:
    async def then(manager: DialogManager, value: object) -> None:
        await save(manager, **{field: convert(value)})

    return then


async def _workshop(dialog_manager: DialogManager, data: dict[str, Any]) -> Workshop:
    return await workshops.staff_workshop(data["session"], data["user"], _editing(dialog_manager))


async def _menu_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    workshop = await _workshop(dialog_manager, data)
    prompt = _("✏️ What do you want to change?") + f"\n<b>{esc(workshop.title)}</b>"
    return {"prompt": prompt}


def _menu() -> Window:
    async def leave(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await _to_card(manager)

    menu = EditWorkshop
    return Window(
        Format("{prompt}"),
        Row(
            SwitchTo(Tr("✏️ Title"), id="title", state=menu.title),
            SwitchTo(Tr("✏️ Description"), id="desc", state=menu.description),
        ),
        Row(
            SwitchTo(Tr("🏷 Type"), id="kind", state=menu.kind),
            SwitchTo(Tr("📍 Place"), id="place", state=menu.city),
        ),
        Row(
            SwitchTo(Tr("📅 Time"), id="time", state=menu.day),
            SwitchTo(Tr("🪑 Seats"), id="seats", state=menu.seats),
        ),
        Column(
            SwitchTo(Tr("⏳ Booking closes"), id="closes", state=menu.closes),
            SwitchTo(Tr("🌐 For which languages"), id="langs", state=menu.languages),
            SwitchTo(Tr("🏷 Programme"), id="prog", state=menu.programme),
            SwitchTo(Tr("🌐 Text in one language"), id="text", state=menu.text_language),
        ),
        Button(Tr("⬅️ Back"), id="card", on_click=leave),
        MessageInput(forms.buttons_please),
        state=menu.menu,
        getter=_menu_getter,
    )


def _cutoffs() -> list[tuple[str, str]]:
    return [
        (str(hours), _("at the start") if hours == 0 else _("{n} h before").format(n=hours))
        for hours in CUTOFFS
    ]


def _text_locales() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in workshops.TEXT_LOCALES]


def _programmes() -> list[tuple[str, str]]:
    return [*((key, programme_name(key)) for key in PROGRAMMES), (EVERYONE, _("Everyone"))]


def _ticked(items: list[tuple[str, str]], chosen: set[str]) -> list[tuple[str, str]]:
    return [(key, ("✓ " if key in chosen else "") + label) for key, label in items]


async def _languages_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    workshop = await _workshop(dialog_manager, data)
    return {"pick": _ticked(_text_locales(), set(workshop.languages.split(",")))}


async def _programmes_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    workshop = await _workshop(dialog_manager, data)
    return {"pick": _ticked(_programmes(), {workshop.programme or ""})}


async def _text_title_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    language = LANGUAGE_NAMES.get(Answers.of(dialog_manager).language, "")
    return {"prompt": _("Type the title in {language}.").format(language=language)}


def edit_dialog() -> Dialog:
    async def place(manager: DialogManager, text: str) -> None:
        answers = Answers.of(manager)
        online = answers.online
        await save(
            manager,
            city=answers.city,
            address=None if online else text,
            online_url=text if online else None,
        )

    async def length(manager: DialogManager, minutes: int) -> None:
        workshop = await _workshop(manager, manager.middleware_data)
        manager.dialog_data["zone"] = workshops.zone_of(workshop, manager.middleware_data["tz"])
        starts_at, ends_at = _when(manager, minutes)
        # closes_at None: booking closes as long before the new start as before the old one.
        await save(manager, starts_at=starts_at, ends_at=ends_at, closes_at=None)

    async def closes(manager: DialogManager, hours: str) -> None:
        data = manager.middleware_data
        change = workshops.close_booking_before(
            data["session"], data["user"], _editing(manager), int(hours), _ctx(manager)
        )
        await _saved(manager, change)

    async def toggled(manager: DialogManager, code: str) -> None:
        """Each tap is saved; the window stays, its ticks redrawn."""
        data = manager.middleware_data
        try:
            await workshops.toggle_language(
                data["session"], data["user"], _editing(manager), code, _ctx(manager)
            )
        except ValueError:
            raise NotFound("the workshop cannot change now") from None

    def switching(state: State, keeping: str = "") -> forms.Then[Any]:
        async def then(manager: DialogManager, value: object) -> None:
            if keeping:
                keep(manager, **{keeping: value})
            await manager.switch_to(state)

        return then

    async def text_description(manager: DialogManager, text: str | None) -> None:
        data = manager.middleware_data
        answers = Answers.of(manager)
        workshop_id, language, title = _editing(manager), answers.language, answers.title
        try:
            await workshops.set_text(
                data["session"], data["user"], workshop_id, language, title, text
            )
        except ValueError:
            raise NotFound("the form lost its language or title") from None
        await _to_card(manager, _("Saved."), noted=True)

    async def skip_text(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await text_description(manager, None)

    def menu() -> Keyboard:
        return forms.back_to(EditWorkshop.menu)

    step = EditWorkshop
    return Dialog(
        _menu(),
        _choice(step.kind, Tr("What kind?"), menu(), _kinds, saving("kind"), width=2),
        forms.typed(
            step.title, Tr("Type the new title."), menu(), workshops.typed_title, saving("title")
        ),
        forms.typed(
            step.description,
            Tr("Type the new description."),
            menu(),
            workshops.typed_description,
            saving("description"),
        ),
        city_step(step.city, menu(), switching(step.address)),
        place_step(step.address, forms.back_to(step.city), place),
        day_step(step.day, menu(), switching(step.start)),
        start_step(step.start, forms.back_to(step.day), switching(step.length)),
        length_step(step.length, forms.back_to(step.start), length),
        seats_step(step.seats, menu(), saving("capacity")),
        _choice(step.closes, Tr("⏳ Booking and cancelling close:"), menu(), _cutoffs, closes),
        _choice(
            step.languages,
            Tr("🌐 Who sees it: people with these languages. None ticked: everyone."),
            menu(),
            _text_locales,
            toggled,
            getter=_languages_getter,
        ),
        _choice(
            step.programme,
            Tr("🏷 Which programme is it for?"),
            menu(),
            _programmes,
            saving("programme", lambda key: None if key == EVERYONE else key),
            getter=_programmes_getter,
        ),
        _choice(
            step.text_language,
            Tr("🌐 Which language? Without a text of its own, a language shows the main text."),
            menu(),
            _text_locales,
            switching(step.text_title, "language"),
        ),
        forms.typed(
            step.text_title,
            Format("{prompt}"),
            forms.back_to(step.text_language),
            workshops.typed_title,
            switching(step.text_description, "title"),
            getter=_text_title_getter,
        ),
        forms.typed(
            step.text_description,
            Tr("Now the description in that language, or tap Skip."),
            forms.back_to(step.text_title),
            workshops.typed_description,
            text_description,
            buttons=(Button(Tr("Skip"), id="skip", on_click=skip_text),),
        ),
    )


# Opening a form: plain buttons on the list and the card


async def new(query: CallbackQuery, dialog_manager: DialogManager) -> None:
    await forms.open_form(dialog_manager, NewWorkshop.kind)


async def edit(
    query: CallbackQuery,
    callback_data: StaffWsCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    workshop = await workshops.staff_workshop(session, user, callback_data.id)
    await forms.open_form(dialog_manager, EditWorkshop.menu, {"workshop": workshop.id})


_OPENS = frozenset({StaffWsAction.NEW, StaffWsAction.EDIT})


def opens(data: str) -> bool:
    """Whether a plain button opens one of these forms (the forms router lets it in)."""
    if not data.startswith(StaffWsCb.__prefix__ + ":"):
        return False
    try:
        return StaffWsCb.unpack(data).a in _OPENS
    except (ValueError, TypeError):
        return False


def create_router() -> Router:
    """The forms and the buttons opening them, for the dispatcher's one forms router."""
    router = Router(name="workshop_forms")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    router.callback_query.register(new, StaffWsCb.filter(F.a == StaffWsAction.NEW))
    router.callback_query.register(edit, StaffWsCb.filter(F.a == StaffWsAction.EDIT))
    router.include_routers(new_dialog(), edit_dialog())
    return router
