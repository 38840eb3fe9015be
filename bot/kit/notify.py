"""Messages to someone other than the sender of the update (a mentor, a mentee)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import queries as users

log = logging.getLogger(__name__)


async def tell(
    bot: Bot,
    session: AsyncSession,
    telegram_id: int,
    text: str,
    *,
    is_active: bool = True,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Sends unless the person blocked the bot; a block found now is remembered."""
    if not is_active:
        return False
    try:
        await bot.send_message(telegram_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        await users.set_active(session, telegram_id, False)
        return False
    except TelegramBadRequest as exc:
        if "chat not found" not in exc.message:
            raise
        await users.set_active(session, telegram_id, False)
        return False
    return True
