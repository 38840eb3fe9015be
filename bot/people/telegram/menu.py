"""Main menu, help, help now and /cancel. Help now and /cancel work before consent too."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.filters import Consented
from bot.kit.help_now import help_now as help_now_card
from bot.kit.helplines import Helplines
from bot.kit.render import show
from bot.kit.texts import _, paragraphs
from bot.people import rules as people
from bot.people.models import User
from bot.people.telegram import screens


async def help_now(event: Message | CallbackQuery, user: User, helplines: Helplines) -> None:
    text, markup = help_now_card(helplines, user.locale, not people.needs_consent(user))
    await show(event, text, markup)


async def help_now_young(query: CallbackQuery, user: User, helplines: Helplines) -> None:
    """Help now from the under-15 screen: Back returns there, not to the start."""
    consented = not people.needs_consent(user)
    text, markup = help_now_card(helplines, user.locale, consented, back=Page.YOUNG)
    await show(query, text, markup)


async def too_young(query: CallbackQuery, user: User) -> None:
    if not people.needs_consent(user):
        await show(query, *screens.menu(user))
        return
    await show(query, *screens.too_young())


async def cancel(message: Message, state: FSMContext, user: User) -> None:
    await state.clear()
    if people.needs_consent(user):
        await message.answer(_("Okay. Send /start when you are ready."))
        return
    text, markup = screens.menu(user)
    await message.answer(paragraphs(_("Okay, stopped."), text), reply_markup=markup)


async def help_screen(event: Message | CallbackQuery, user: User) -> None:
    text = "\n".join(
        [
            _("❓ <b>How Putokaz works</b>"),
            _("Tap the buttons: that is the easiest way. You do not need to type."),
            "",
            _("/menu — main menu"),
            _("/sos — help now: emergency numbers"),
            _("/language — change language"),
            _("/privacy — what I keep about you"),
            _("/cancel — stop what you are doing"),
        ]
    )
    markup = kb.menu_only() if not people.needs_consent(user) else None
    await show(event, text, markup)


async def main_menu(event: Message | CallbackQuery, state: FSMContext, user: User) -> None:
    await state.clear()
    text, markup = screens.menu(user)
    await show(event, text, markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="menu")
    router.message.register(help_now, Command("sos"))
    router.callback_query.register(help_now, NavCb.filter(F.to == Page.SOS))
    router.callback_query.register(help_now_young, NavCb.filter(F.to == Page.SOS_YOUNG))
    router.callback_query.register(too_young, NavCb.filter(F.to == Page.YOUNG))
    router.message.register(cancel, Command("cancel"))
    router.message.register(help_screen, Command("help"))
    router.callback_query.register(help_screen, NavCb.filter(F.to == Page.HELP))
    router.message.register(main_menu, Command("menu"), Consented())
    router.callback_query.register(main_menu, NavCb.filter(F.to == Page.MENU), Consented())
    return router
