"""Loads (or creates) the person behind each update. Only private chats reach the handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject
from aiogram.types import User as TgUser
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n.locales import guess_locale
from bot.people import rules as people


class LoadUser(BaseMiddleware):
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if tg_user is None or tg_user.is_bot or (chat is not None and chat.type != "private"):
            # Putokaz talks one to one; groups and channels are ignored.
            return None
        data["locale"] = guess_locale(tg_user.language_code)
        session: AsyncSession = data["session"]
        user = await people.touch(
            session,
            telegram_id=tg_user.id,
            language_code=tg_user.language_code,
            now=self.clock.now(),
            admin_ids=self.settings.admin_ids,
        )
        people.refresh_name(user, tg_user.first_name)
        data["user"] = user
        data["locale"] = user.locale
        data["tz"] = people.timezone_of(user, self.settings.timezone)
        return await handler(event, data)
