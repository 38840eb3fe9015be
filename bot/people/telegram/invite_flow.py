"""After an invite is redeemed: tell the person, tell their mentor, refresh their commands."""

from __future__ import annotations

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit import commands, notify
from bot.kit.texts import _, name_or_someone
from bot.people.invites import Outcome, Redemption
from bot.people.models import User
from bot.people.telegram import screens


async def after_redemption(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    user: User,
    result: Redemption,
    desk_app: str | None,
) -> str:
    """The line to show the person; side effects for everyone else."""
    if result.outcome == Outcome.BECAME_MENTOR:
        await commands.set_for_chat(bot, i18n, user.telegram_id, user.role, user.locale, desk_app)
    if result.outcome == Outcome.LINKED and result.mentor is not None:
        mentor = result.mentor
        with i18n.use_locale(mentor.locale):
            text = _("🤝 New connection: {name} is now one of your young people.").format(
                name=name_or_someone(user.display_name)
            )
        await notify.tell(bot, session, mentor.telegram_id, text, is_active=mentor.is_active)
    return screens.redemption(result)
