"""/privacy, /mydata, /deleteme: open to everyone, consented or not."""

from __future__ import annotations

import json

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment import rules as assessment
from bot.assessment.questionnaire import Questionnaires
from bot.booking.rules import context_for as booking_context
from bot.clock import Clock
from bot.config import Settings
from bot.kit import commands, notify
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.render import show
from bot.kit.sealing import Sealer
from bot.kit.texts import _, name_or_someone, paragraphs
from bot.people import privacy
from bot.people import rules as people
from bot.people.models import User
from bot.people.telegram import keyboards as people_kb
from bot.people.telegram import screens
from bot.people.telegram.callbacks import DeleteCb


async def notice(event: Message | CallbackQuery, user: User, settings: Settings) -> None:
    consented = not people.needs_consent(user)
    # Before agreeing, Back leads to the start (language, then the question to agree).
    markup = kb.only([kb.nav(_("⬅️ Back"), Page.PRIVACY if consented else Page.START)])
    await show(event, screens.privacy_notice(settings.unconsented_ttl_days), markup)


async def summary(query: CallbackQuery, user: User) -> None:
    await show(query, screens.privacy_summary(), people_kb.privacy(not people.needs_consent(user)))


async def my_data(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    bot: Bot,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
) -> None:
    data = await privacy.export(session, user, clock.now())
    # The person's own free-text answers are decrypted here: it is their data.
    data["self_assessments"] = await assessment.export(session, user, questionnaires, sealer)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    document = BufferedInputFile(payload, filename="putokaz-my-data.json")
    # The file is for a computer (its keys are English); the person reads this first.
    await bot.send_message(user.telegram_id, screens.my_data_summary(data, user.locale, tz))
    await bot.send_document(
        user.telegram_id, document, caption=_("📦 Everything Putokaz keeps about you.")
    )


async def ask_delete(event: Message | CallbackQuery) -> None:
    text = _(
        "🗑 Delete everything Putokaz keeps about you? This cannot be undone. "
        "People connected with you in Putokaz will be told that you left."
    )
    await show(event, text, people_kb.confirm_delete())


async def delete(
    query: CallbackQuery,
    callback_data: DeleteCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    if not callback_data.confirm:
        if people.needs_consent(user):
            await show(query, _("Okay, nothing was deleted."))
        else:
            text, markup = screens.menu(user)
            await show(query, paragraphs(_("Okay, nothing was deleted."), text), markup)
        return
    goodbye = _("✅ Done. Everything about you is deleted. If you write again, you start fresh.")
    telegram_id = user.telegram_id
    erasure = await privacy.erase(session, user, booking_context(settings, clock))
    await state.clear()
    for contact in erasure.mentors:
        with i18n.use_locale(contact.locale):
            text = _("👋 {name} is no longer in Putokaz; their data was deleted.").format(
                name=name_or_someone(erasure.name)
            )
        await notify.tell(bot, session, contact.telegram_id, text, is_active=contact.is_active)
    for contact in erasure.mentees:
        with i18n.use_locale(contact.locale):
            text = _("👋 Your mentor {name} is no longer in Putokaz.").format(
                name=name_or_someone(erasure.name)
            )
        await notify.tell(bot, session, contact.telegram_id, text, is_active=contact.is_active)
    await commands.clear_for_chat(bot, telegram_id, menu_button=settings.desk_https)
    await show(query, goodbye)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="privacy")
    router.message.register(notice, Command("privacy"))
    router.callback_query.register(notice, NavCb.filter(F.to == Page.NOTICE))
    router.callback_query.register(summary, NavCb.filter(F.to == Page.PRIVACY))
    router.message.register(my_data, Command("mydata"))
    router.callback_query.register(my_data, NavCb.filter(F.to == Page.MYDATA))
    router.message.register(ask_delete, Command("deleteme"))
    router.callback_query.register(ask_delete, NavCb.filter(F.to == Page.DELETEME))
    router.callback_query.register(delete, DeleteCb.filter())
    return router
