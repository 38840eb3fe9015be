"""Nothing goes unanswered: an unexpected error gets an apology, an outage a "try again".

An unexpected error is logged with an id (never message texts) and the person gets an apology
with that id. When the database or Redis cannot be reached (a restart, a network cut, SQLite
locked by a long job), the update was rolled back: the person is told to try again in a minute,
a pressed button stops spinning, and `/sos` or Help now is answered from memory, since the
emergency numbers must never depend on the database. This sits outside the FSM storage and the
unit of work (which also claims the update id), so their failures land here too.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, TelegramObject, Update
from aiogram.utils.i18n import I18n
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.db.engine import SessionFactory
from bot.i18n.locales import guess_locale
from bot.kit.callbacks import NavCb
from bot.kit.help_now import help_now
from bot.kit.helplines import Helplines
from bot.people import queries as users

log = logging.getLogger("bot.errors")

# A server that is away (or SQLite locked past its busy timeout): nothing the person did wrong.
OUTAGES: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)


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
            with suppress(*OUTAGES):
                await self._mark_inactive(data)
            return None
        except OUTAGES as exc:
            update_id = event.update_id if isinstance(event, Update) else None
            log.warning(
                "update %s not handled, a server is unavailable: %s", update_id, outage(exc)
            )
            await self._outage_answer(event, data)
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
        with self.i18n.context(), self.i18n.use_locale(_locale(data)):
            text = self.i18n.gettext(
                "😔 Sorry, something went wrong on my side. Please try again, or tap /menu. "
                "(Code: {code})"
            ).format(code=error_id)
        await self._tell(event, data, text, None, f"the apology for error {error_id}")

    async def _outage_answer(self, event: TelegramObject, data: dict[str, Any]) -> None:
        helplines: Helplines | None = data.get("helplines")
        locale = _locale(data)
        with self.i18n.context(), self.i18n.use_locale(locale):
            if helplines is not None and isinstance(event, Update) and asks_for_help(event):
                text, markup = help_now(helplines, locale, consented=True)
                await self._tell(event, data, text, markup, "help now during an outage")
                return
            text = self.i18n.gettext(
                "⏳ Sorry, I cannot do that right now. Please try again in a minute. "
                "If you need help now, tap /sos."
            )
        await self._tell(event, data, text, None, "the outage notice")

    async def _tell(
        self,
        event: TelegramObject,
        data: dict[str, Any],
        text: str,
        markup: InlineKeyboardMarkup | None,
        what: str,
    ) -> None:
        bot: Bot | None = data.get("bot")
        tg_user = data.get("event_from_user")
        chat = data.get("event_chat")
        if bot is None or tg_user is None or (chat is not None and chat.type != "private"):
            return
        if isinstance(event, Update) and event.callback_query is not None:
            with suppress(TelegramAPIError):
                await event.callback_query.answer()  # a second answer is refused; that is fine
        try:
            await bot.send_message(tg_user.id, text, reply_markup=markup)
        except TelegramForbiddenError:
            with suppress(*OUTAGES):
                await self._mark_inactive(data)
        except TelegramAPIError as exc:
            log.warning("could not send %s: %s", what, exc.message)


def _locale(data: dict[str, Any]) -> str:
    """The stored choice when it was loaded, else a guess from Telegram's language."""
    locale = data.get("locale")
    if isinstance(locale, str):
        return locale
    tg_user = data.get("event_from_user")
    return guess_locale(tg_user.language_code if tg_user is not None else None)


def asks_for_help(update: Update) -> bool:
    """/sos typed, or the Help now button pressed."""
    if update.message is not None and update.message.text:
        command = update.message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()
        return command == "/sos"
    if update.callback_query is not None and update.callback_query.data:
        with suppress(ValueError, TypeError):
            return NavCb.unpack(update.callback_query.data).to == "sos"
    return False


def outage(exc: BaseException) -> str:
    """A log line's worth: the type and, for driver errors, which server is away."""
    return type(getattr(exc, "orig", None) or exc).__name__
