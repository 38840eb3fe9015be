"""Every button press is answered once, and first: before any other request of its update.

aiogram's CallbackAnswerMiddleware answers after the handler has finished, so the spinner on the
person's phone turns while the handler edits messages, sends photos or waits on Telegram. Here
the answer waits only for the handler's own decisions (a stale button's text, an alert): the
request gate in `session.py` sends it together with the handler's first other Bot API call
(started first, without waiting for it: over a slow network a round trip of its own would
delay the new screen), and this middleware sends it when the handler returns without one.
Handlers flagged `flags={"callback_answer": {"pre": True}}` are answered before they start;
slow work that makes no request (drawing a chart) calls `answer_now` first. Handlers keep
using aiogram's `CallbackAnswer` (`callback_answer.text = …`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from bot.kit.middlewares.session import current_scope

log = logging.getLogger(__name__)


class PendingAnswer(CallbackAnswer):
    """aiogram's CallbackAnswer that knows its query and tolerates a late setting.

    aiogram raises when a field is set after the answer went out; here the answer may have gone
    out early (before a reply), so a late setting is logged and dropped instead of failing the
    update.
    """

    def __init__(self, query: CallbackQuery) -> None:
        super().__init__(answered=False)
        self.query = query
        self.outgoing: AnswerCallbackQuery | None = None  # the answer this object is sending
        self._task: asyncio.Task[None] | None = None

    @property
    def answered(self) -> bool:
        return self._answered

    @answered.setter
    def answered(self, value: bool) -> None:
        self._answered = value

    def _late(self, name: str) -> bool:
        if self._answered:
            # stacklevel: the line of the handler that set it, not this property.
            log.warning("callback answer %s set after the answer went out", name, stacklevel=3)
            return True
        return False

    @property
    def text(self) -> str | None:
        return self._text

    @text.setter
    def text(self, value: str | None) -> None:
        if not self._late("text"):
            self._text = value

    @property
    def show_alert(self) -> bool | None:
        return self._show_alert

    @show_alert.setter
    def show_alert(self, value: bool | None) -> None:
        if not self._late("show_alert"):
            self._show_alert = value

    def is_answer(self, method: TelegramMethod[Any]) -> bool:
        return isinstance(method, AnswerCallbackQuery) and method.callback_query_id == self.query.id

    def method(self) -> AnswerCallbackQuery:
        return AnswerCallbackQuery(
            callback_query_id=self.query.id,
            text=self._text,
            show_alert=self._show_alert,
            url=self._url,
            cache_time=self._cache_time,
        )

    async def send(self, bot: Bot) -> None:
        """Answers now (once); a query Telegram no longer knows is not worth failing for."""
        if self._answered or self._disabled:
            return
        self._answered = True
        self.outgoing = self.method()
        try:
            await bot(self.outgoing)
        except TelegramBadRequest as exc:
            log.info("callback query could not be answered: %s", exc.message)
        except TelegramAPIError as exc:  # the spinner stops by itself; the update goes on
            log.warning("callback query not answered: %s", type(exc).__name__)

    def start(self, bot: Bot) -> None:
        """Answers beside the request about to go out: first on the wire, no round trip lost."""
        if not self._answered and not self._disabled:
            self._task = asyncio.create_task(self.send(bot))

    async def settle(self) -> None:
        """Waits for an answer started with `start`, so the update ends with its button answered."""
        if self._task is not None:
            await self._task


async def answer_now(callback_answer: CallbackAnswer, bot: Bot) -> None:
    """Before slow work that makes no request (drawing a chart): stop the spinner now."""
    if isinstance(callback_answer, PendingAnswer):
        await callback_answer.send(bot)


class AnswerFirst(BaseMiddleware):
    """Inner middleware of callback queries: puts a PendingAnswer where handlers expect one."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        flags = get_flag(data, "callback_answer")
        pre = isinstance(flags, dict) and bool(flags.get("pre"))
        pending = PendingAnswer(event)
        data["callback_answer"] = pending
        scope = current_scope()
        if scope is not None:
            scope.pending_answer = pending
        bot: Bot = data["bot"]
        if pre:
            await pending.send(bot)
        try:
            result = await handler(event, data)
        finally:
            await pending.settle()
        # Only on success: a failing update is rolled back and answered by the error boundary.
        await pending.send(bot)
        return result
