"""Last in line: whatever no feature understood gets a short, kind answer and a way on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.kit.middlewares.refusals import STALE_BUTTON
from bot.kit.render import show
from bot.kit.texts import _, paragraphs
from bot.people import rules as people
from bot.people.models import User
from bot.people.telegram import keyboards as people_kb
from bot.people.telegram import screens


async def stale_button(
    query: CallbackQuery, user: User, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    """Old, forged or no-longer-allowed buttons: the same answer, revealing nothing."""
    callback_answer.text = _(STALE_BUTTON)
    if people.needs_consent(user):
        await show(
            query,
            _("👋 Hi! Choose your language:"),
            people_kb.languages(user.locale, onboarding=True),
        )
        return
    await state.clear()
    text, markup = screens.menu(user)
    await show(query, text, markup)


async def free_text(message: Message, user: User) -> None:
    if people.needs_consent(user):
        await message.answer(_("👋 Hi! Tap /start to begin."))
        return
    text, markup = screens.menu(user)
    await message.answer(
        paragraphs(_("I understand buttons best 🙂 Here is the menu."), text), reply_markup=markup
    )


async def other_content(message: Message, user: User) -> None:
    """Photos, stickers, voice, locations, files: nothing here reads them."""
    note = _("I cannot open photos, stickers, voice messages or files. Please use the buttons.")
    if people.needs_consent(user):
        await message.answer(paragraphs(note, _("👋 Hi! Tap /start to begin.")))
        return
    text, markup = screens.menu(user)
    await message.answer(paragraphs(note, text), reply_markup=markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(free_text, F.text)
    router.message.register(other_content)
    return router
