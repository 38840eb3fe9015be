"""The language comes from the person's stored choice, never from Telegram's bare "sr"."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n.locales import DEFAULT_LOCALE


class StoredLocale(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = data.get("locale", DEFAULT_LOCALE)
        return locale if locale in self.i18n.available_locales else DEFAULT_LOCALE
