"""An unexpected error is logged with an id (never message texts) and the person gets an apology."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import TelegramObject, Update
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import SQLAlchemyError

from bot.db.engine import SessionFactory
from bot.i18n.locales import DEFAULT_LOCALE
from bot.repositories import users

log = logging.getLogger("bot.errors")


def describe(exc: BaseException) -> str:
    """Type and traceback; the message only where it cannot carry what someone wrote."""
    safe = isinstance(exc, TelegramAPIError | SQLAlchemyError)  # parameters are hidden
    head = f"{type(exc).__name__}: {exc}" if safe else type(exc).__name__
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{head}\n{frames}"


class ErrorBoundary(BaseMiddleware):
    def __init__(self, sessions: SessionFactory, i18n: I18n) -> None:
        self.sessions = sessions
        self.i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except TelegramForbiddenError:
            # They blocked the bot while we were answering: remember, and stay quiet.
            await self._mark_inactive(data)
            return None
        except Exception as exc:
            error_id = secrets.token_hex(4)
            update_id = event.update_id if isinstance(event, Update) else None
            log.error("error %s in update %s: %s", error_id, update_id, describe(exc))
            await self._apologise(event, data, error_id)
            return None

    async def _mark_inactive(self, data: dict[str, Any]) -> None:
        tg_user = data.get("event_from_user")
        if tg_user is None:
            return
        async with self.sessions.begin() as session:
            await users.set_active(session, tg_user.id, False)

    async def _apologise(self, event: TelegramObject, data: dict[str, Any], error_id: str) -> None:
        bot: Bot | None = data.get("bot")
        tg_user = data.get("event_from_user")
        chat = data.get("event_chat")
        if bot is None or tg_user is None or (chat is not None and chat.type != "private"):
            return
        locale = data.get("locale", DEFAULT_LOCALE)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = self.i18n.gettext(
                "😔 Sorry, something went wrong on my side. Please try again, or tap /menu. "
                "(Code: {code})"
            ).format(code=error_id)
        if isinstance(event, Update) and event.callback_query is not None:
            with suppress(TelegramAPIError):
                await event.callback_query.answer()  # a second answer is refused; that is fine
        try:
            await bot.send_message(tg_user.id, text)
        except TelegramForbiddenError:
            await self._mark_inactive(data)
        except TelegramAPIError as exc:
            log.warning("could not send the apology for error %s: %s", error_id, exc.message)
