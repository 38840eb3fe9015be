"""Last in line: whatever no feature understood gets a short, kind answer and a way on."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, MessageEntity
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit import words
from bot.kit.help_now import help_now
from bot.kit.helplines import Helplines
from bot.kit.middlewares.refusals import STALE_BUTTON
from bot.kit.render import show
from bot.kit.texts import _, name_or_someone, paragraphs
from bot.people import mentor_line
from bot.people import rules as people
from bot.people.models import Role, User
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


# The screens typed words may open, per role: each is the command of the same name.
_FEATURES_OF: dict[str, frozenset[str]] = {
    Role.YOUTH: frozenset(words.FEATURES),
    Role.MENTOR: frozenset({"language", "deleteme", "mydata", "privacy", "help", "menu"}),
    Role.STAFF: frozenset(
        {"workshops", "language", "deleteme", "mydata", "privacy", "help", "menu"}
    ),
}


async def free_text(message: Message, **data: Any) -> None:
    """Typed words: distress first (Help now, then an offer to tell the mentor), then a
    feature's screen, else the menu with a line on what one can type. `data` is everything the
    middlewares gave, passed on whole when the text opens a screen through its command."""
    user: User = data["user"]
    helplines: Helplines = data["helplines"]
    typed: words.Words = data["words"]
    text = message.text or ""
    consented = not people.needs_consent(user)
    if typed.is_distress(text):
        card, markup = help_now(helplines, user.locale, consented)
        await message.answer(card, reply_markup=markup)
        if consented:
            await _offer_mentor(message, data["session"], user, distress=True)
        return
    if not consented:
        await message.answer(_("👋 Hi! Tap /start to begin."))
        return
    feature = None if text.startswith("/") else typed.feature(text)
    if feature is not None and feature in _FEATURES_OF.get(user.role, frozenset()):
        command = f"/{feature}"
        opened = message.model_copy(
            update={
                "text": command,
                "entities": [MessageEntity(type="bot_command", offset=0, length=len(command))],
            }
        ).as_(message.bot)
        dispatcher: Dispatcher = data["dispatcher"]
        await dispatcher.propagate_event("message", opened, **data)
        return
    menu_text, markup = screens.menu(user)
    hint = _(
        "Tap a button, or type what you need in a few words, like “my plan”, “workshops” or "
        "“I need help”."
    )
    if text.startswith("/"):
        hint = _("I do not know that command. {hint}").format(hint=hint)
    await message.answer(paragraphs(hint, menu_text), reply_markup=markup)
    await _offer_mentor(message, data["session"], user, distress=False)


async def _offer_mentor(
    message: Message, session: AsyncSession, user: User, *, distress: bool
) -> None:
    """To a young person with a mentor: send what they typed to the mentor, with one tap."""
    try:
        mentors = await mentor_line.mentors_to_write(session, user)
    except mentor_line.LineClosed:
        return
    names = ", ".join(name_or_someone(m.display_name) for m in mentors)
    text = (
        _("💬 Would you like {names} to know? I can send them what you wrote, with your name.")
        if distress
        else _("💬 Or was this meant for {names}? I can send it to them, with your name.")
    ).format(names=names)
    await message.answer(text, reply_markup=people_kb.offer_to_mentor(mentors, message.message_id))


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
