"""/console: staff and mentors get a single-use sign-in link to the desk (bot/web)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, WebAppInfo
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.kit import commands
from bot.kit.filters import Consented
from bot.kit.texts import _, esc
from bot.people import desk_access
from bot.people.models import User


async def console(
    message: Message,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    bot: Bot,
    i18n: I18n,
) -> None:
    if not desk_access.may_use_desk(user):
        await message.answer(
            _("The desk is for mentors and programme staff. Everything you need is in /menu.")
        )
        return
    idle = timedelta(hours=settings.web_session_idle_hours)
    token = await desk_access.issue_link(session, user, clock.now(), idle)
    link = f"{settings.desk_url}/desk/signin?t={token}"
    text = _(
        "🖥 <b>Your link to the desk</b>\n{link}\n\n"
        "It works once and for 10 minutes. Do not forward it: whoever opens it is signed in "
        "as you."
    ).format(link=esc(link))
    markup = None
    if settings.desk_app_url is not None:
        # The menu button opens the desk from now on; people who were staff or mentors before
        # the desk went public get it here.
        await commands.set_menu_button(
            bot, i18n, user.telegram_id, user.role, user.locale, settings.desk_app_url
        )
        # Telegram accepts buttons (and Mini Apps) only with a public https address.
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=_("🖥 Open the desk"), url=link)],
                [
                    InlineKeyboardButton(
                        text=_("📱 Open in Telegram"),
                        web_app=WebAppInfo(url=settings.desk_app_url),
                    )
                ],
            ]
        )
    await message.answer(text, reply_markup=markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="desk")
    router.message.filter(Consented())
    router.message.register(console, Command("console"))
    return router
