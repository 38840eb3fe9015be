"""Multi-step staff forms as aiogram-dialog dialogs, fitted to the unit of work and answer-first.

A form is a `Dialog` of windows and widgets; aiogram-dialog keeps its stack and data in the FSM
storage (Redis when REDIS_URL is set, so a form survives a restart). What this module adds:

- `FormGate`, the forms router's outermost middleware (before aiogram-dialog's own). Typed text
  reaches a form only while the person's FSM state is `Forms.open`: `open_form` sets it, and
  /menu, /cancel and every other flow clear it, as they end any dialog. Of buttons, only a form's
  own (their data carries aiogram-dialog's intent id) and the ones that open a form come in;
  everything else passes on without a storage read. A form's button whose form is gone (a
  restart without Redis, an older message, a form left through /menu) gets the stale-button
  answer, like any old button.
- `QuietMessages`, aiogram-dialog's message manager without its own answer to the button
  (AnswerFirst answers every button, first, with the text the handler set) and without edits
  that would change nothing (Telegram refuses them: a tap on a calendar label, a double tap).
- `DayPicker`, aiogram-dialog's calendar with Babel's month and weekday names, the bot's clock
  for today and no days before it.
- `Tr`, a text translated when the window is drawn, in the person's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram_dialog import DialogManager, ShowMode, StartMode, Window, setup_dialogs
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.api.protocols import MessageNotModified
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.utils import CB_SEP
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Back,
    Calendar,
    CalendarConfig,
    CalendarScope,
    Keyboard,
    SwitchTo,
)
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScopeView,
    CalendarUserConfig,
    CalendarYearsView,
    date_from_raw,
)
from aiogram_dialog.widgets.text import Const, Format, Text

from bot.clock import Clock
from bot.i18n.formatting import babel_locale, fmt_month, weekday_names
from bot.kit.calendar import last_month
from bot.kit.errors import NotFound, Reason, Unfit
from bot.kit.middlewares.refusals import STALE_BUTTON, STALE_MESSAGE
from bot.kit.render import show, unchanged
from bot.kit.texts import _, ngettext, paragraphs

log = logging.getLogger(__name__)


class Forms(StatesGroup):
    """The FSM state while a form is open (the form's own steps live in aiogram-dialog)."""

    open = State()


# The message whose button is being handled, as Telegram showed it: edits compare against it.
_clicked: ContextVar[Message | None] = ContextVar("putokaz_form_clicked", default=None)
_GONE = (UnknownIntent, OutdatedIntent, UnknownState)


def _in_form(data: dict[str, Any]) -> bool:
    return data.get("raw_state") == Forms.open.state


class FormGate:
    """Outer middleware of a forms router's messages and buttons (see the module's docstring).

    `opens` tells the buttons that start a form (plain callback data) from the rest.
    """

    def __init__(self, opens: Callable[[str], bool]) -> None:
        self.opens = opens

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            if not _in_form(data) or (event.text or "").startswith("/"):
                return UNHANDLED  # commands and text outside a form: not for the forms
            return await self._guarded(handler, event, data)
        if isinstance(event, CallbackQuery):
            payload = event.data or ""
            if CB_SEP not in payload:
                return await handler(event, data) if self.opens(payload) else UNHANDLED
            if not _in_form(data):
                await _stale(event)
                return None
            shown = event.message if isinstance(event.message, Message) else None
            token = _clicked.set(shown)
            try:
                return await self._guarded(handler, event, data)
            finally:
                _clicked.reset(token)
        return await handler(event, data)

    async def _guarded(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Message | CallbackQuery,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except _GONE as exc:
            # The form this belongs to is no longer there: not an error, an old button.
            log.info("form gone: %s", type(exc).__name__)
            state: FSMContext | None = data.get("state")
            if state is not None and isinstance(event, Message):
                await state.clear()
            await _stale(event)
            return None


async def _stale(event: Message | CallbackQuery) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(_(STALE_BUTTON))
    else:
        await event.answer(_(STALE_MESSAGE))


class QuietMessages(MessageManager):
    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        """AnswerFirst answers the button (bot/kit/middlewares/callbacks.py), not the library."""

    async def show_message(
        self, bot: Bot, new_message: NewMessage, old_message: OldMessage | None
    ) -> OldMessage:
        shown = _clicked.get()
        if (
            new_message.show_mode is ShowMode.EDIT
            and shown is not None
            and old_message is not None
            and shown.message_id == old_message.message_id
            and isinstance(new_message.reply_markup, InlineKeyboardMarkup | None)
            and new_message.media is None
            and unchanged(shown, new_message.text, new_message.reply_markup)
        ):
            raise MessageNotModified("the window is shown as it is")
        return await super().show_message(bot, new_message, old_message)


def setup(router: Router, opens: Callable[[str], bool]) -> None:
    """Makes `router` (which includes the forms' dialogs) the home of staff forms."""
    gate = FormGate(opens)
    router.message.outer_middleware(gate)
    router.callback_query.outer_middleware(gate)
    setup_dialogs(router, message_manager=QuietMessages())


async def open_form(
    manager: DialogManager, first: State, data: dict[str, Any] | None = None
) -> None:
    """Starts a form afresh (an older one of this person is dropped)."""
    fsm: FSMContext = manager.middleware_data["state"]
    await fsm.clear()
    await fsm.set_state(Forms.open)
    await manager.start(first, data=data, mode=StartMode.RESET_STACK)


async def close_form(manager: DialogManager) -> None:
    """Ends the form; the caller shows what comes next.

    After a button the caller edits its message into the next screen; after typed text the form's
    last message loses its buttons (they would be stale) and the next screen comes below.
    """
    typed = isinstance(manager.event, Message)
    await manager.reset_stack(remove_keyboard=typed)
    fsm: FSMContext = manager.middleware_data["state"]
    await fsm.clear()


def stay(manager: DialogManager) -> None:
    """After a refusal to typed text: the window above stays as it is, nothing is sent again."""
    manager.show_mode = ShowMode.NO_UPDATE


class Tr(Text):
    """A catalog text, translated when drawn (`Tr` is a keyword for `pybabel extract`)."""

    def __init__(self, msgid: str) -> None:
        super().__init__()
        self.msgid = msgid

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return _(self.msgid)


class _Localized(Text):
    def __init__(self, render: Callable[[dict[str, Any], str], str]) -> None:
        super().__init__()
        self.render = render

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return self.render(data, str(manager.middleware_data["locale"]))


def _month_name(data: dict[str, Any], locale: str) -> str:
    return fmt_month(data["date"], locale)


def _standalone_month(data: dict[str, Any], locale: str) -> str:
    month: date = data["date"]
    return str(babel_locale(locale).months["stand-alone"]["wide"][month.month])


def _weekday(data: dict[str, Any], locale: str) -> str:
    day: date = data["date"]
    return weekday_names(locale)[day.weekday()]


def today_of(manager: DialogManager) -> date:
    """Today by the bot's clock, in the person's time zone."""
    clock: Clock = manager.middleware_data["clock"]
    tz: str = manager.middleware_data["tz"]
    return clock.now().astimezone(ZoneInfo(tz)).date()


class DayPicker(Calendar):
    """aiogram-dialog's calendar: Monday first, local names, from today up to a year ahead."""

    def __init__(self, id: str, on_click: Any) -> None:
        super().__init__(id=id, on_click=on_click, config=CalendarConfig(firstweekday=0))

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        day = Format("{date.day}")
        return {
            CalendarScope.DAYS: CalendarDaysView(
                self._item_callback_data,
                date_text=day,
                today_text=day,
                weekday_text=_Localized(_weekday),
                header_text=_Localized(_month_name),
                zoom_out_text=Const("🔍"),
                next_month_text=Const("▶️"),
                prev_month_text=Const("◀️"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                self._item_callback_data,
                month_text=_Localized(_standalone_month),
                this_month_text=_Localized(_standalone_month),
                header_text=Format("{date:%Y}"),
                zoom_out_text=Const("🔍"),
                next_year_text=Const("▶️"),
                prev_year_text=Const("◀️"),
            ),
            CalendarScope.YEARS: CalendarYearsView(self._item_callback_data),
        }

    async def _get_user_config(
        self, data: dict[str, Any], manager: DialogManager
    ) -> CalendarUserConfig:
        today = today_of(manager)
        end = last_month(today)
        following = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        return CalendarUserConfig(
            min_date=today, max_date=date.fromordinal(following.toordinal() - 1)
        )

    def get_offset(self, manager: DialogManager) -> date | None:
        # The library would start from the machine's today; the bot's clock decides here.
        return super().get_offset(manager) or today_of(manager)

    async def _handle_click_date(self, data: str, manager: DialogManager) -> None:
        try:
            date_from_raw(int(data))
        except (ValueError, OverflowError):
            raise NotFound("not a day") from None  # forged: answered as a stale button
        await super()._handle_click_date(data, manager)


# The parts every form is made of: a rule's refusal worded, a step that stays, the way out


T = TypeVar("T")
Then = Callable[[DialogManager, T], Awaitable[None]]  # what follows a step, with its answer


def why(exc: Unfit) -> str:
    """A rule's refusal of what was typed or picked, in the person's language."""
    if exc.reason == Reason.TOO_LONG:
        return ngettext(
            "Too long: at most {n} character.", "Too long: at most {n} characters.", exc.limit
        ).format(n=exc.limit)
    if exc.reason == Reason.NOT_A_LINK:
        return _("That does not look like a link. It starts with https://")
    if exc.reason == Reason.NOT_A_TIME:
        return _("Please type a time like 17:30.")
    if exc.reason == Reason.NOT_HOURS:
        return _("Please type the hours like 10:00-14:00.")
    if exc.reason == Reason.END_FIRST:
        return _("The hours end before they start. Please type them like 10:00-14:00.")
    if exc.reason == Reason.SEATS:
        return _("Please type a number from 1 to {max}.").format(max=exc.limit)
    if exc.reason == Reason.PAST_DAY:
        return _("That day has passed. Please pick another.")
    if exc.reason == Reason.PAST_TIME:
        return _("That time has passed. Pick another.")
    if exc.reason == Reason.BEFORE_FIRST:
        return _("The last day cannot come before the first. Please pick another.")
    return _("Please send the text as a message.")


async def refuse(manager: DialogManager, text: str, *, alert: bool = False) -> None:
    """Input that does not fit: one short line, and the step stays as it is."""
    event = manager.event
    if isinstance(event, CallbackQuery):
        answer: CallbackAnswer = manager.middleware_data["callback_answer"]
        answer.text = text
        answer.show_alert = alert
    elif isinstance(event, Message):
        await event.answer(text)
        stay(manager)


async def end(
    manager: DialogManager, screen: tuple[str, Any], note: str = "", *, noted: bool = False
) -> None:
    """The form is done: its message becomes the next screen (or that comes below typed text).

    After a button the note is the button's answer, or with `noted` the screen's first line;
    after typed text, the screen's first line.
    """
    event = manager.event
    text, markup = screen
    if noted:
        text, note = paragraphs(note, text), ""
    if isinstance(event, CallbackQuery):
        if note:
            answer: CallbackAnswer = manager.middleware_data["callback_answer"]
            answer.text = note
        await close_form(manager)
        await show(event, text, markup)
    elif isinstance(event, Message):
        await close_form(manager)
        await event.answer(paragraphs(note, text), reply_markup=markup)


async def go(manager: DialogManager, then: Then[T], value: T) -> None:
    """On to what follows a step; a rule's Unfit is answered and the step stays."""
    try:
        await then(manager, value)
    except Unfit as exc:
        await refuse(manager, why(exc))


async def buttons_please(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    """Typed where a button is expected: the step is shown again below."""
    await message.answer(_("Please use the buttons 👇"))


async def text_please(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    """A photo, a sticker or a voice where text is expected."""
    await message.answer(_("Please send the text as a message."))
    stay(manager)


async def typed_error(
    message: Message, _widget: ManagedTextInput[Any], manager: DialogManager, error: ValueError
) -> None:
    """A TextInput's type factory (a rule) refused what was typed."""
    if not isinstance(error, Unfit):
        raise error
    await refuse(manager, why(error))


def back() -> Keyboard:
    return Back(Tr("⬅️ Back"))


def back_to(state: State) -> Keyboard:
    return SwitchTo(Tr("⬅️ Back"), id="back", state=state)


Getter = Callable[..., Awaitable[dict[str, Any]]]


def typed(
    state: State,
    text: Text,
    back: Keyboard,
    parse: Callable[[str], T],
    then: Then[T],
    *,
    buttons: tuple[Keyboard, ...] = (),
    getter: Getter | None = None,
) -> Window:
    """A step where a value is typed; `parse` (a rule) converts it or says why it does not fit."""

    async def done(_m: Message, _w: Any, manager: DialogManager, value: T) -> None:
        await go(manager, then, value)

    return Window(
        text,
        *buttons,
        back,
        TextInput(id="typed", type_factory=parse, on_success=done, on_error=typed_error),
        MessageInput(text_please),
        state=state,
        getter=getter,
    )
