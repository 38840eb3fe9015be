"""Stale, forbidden and not found, answered in one place.

Rules raise `NotFound` (nothing of that id that this person may see: a deleted workshop, an old
button, a forged callback) or `NotAllowed` (not theirs, wrong role). Handlers do not catch them:
this inner middleware answers the pressed button with one short line in the person's language,
or the typed message with one line and the way back, and the update ends normally (rules refuse
before they write, so what the update did before, such as "last seen", is kept). Handlers that
have something better to say than the plain refusal still catch the exception themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.kit.errors import NotAllowed, NotFound
from bot.kit.middlewares.callbacks import PendingAnswer
from bot.kit.texts import N_, _

log = logging.getLogger(__name__)

STALE_BUTTON = N_("This button no longer works.")
STALE_MESSAGE = N_("That is no longer available. Tap /menu to go on.")


class AnswerRefusals(BaseMiddleware):
    """Inner middleware of messages and callback queries; for buttons, inside AnswerFirst."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except (NotFound, NotAllowed) as exc:
            # Which rule refused, never what was asked for: ids in a forged button are noise.
            log.info("refused: %s", type(exc).__name__)
            await refuse(event, data)
            return None


async def refuse(event: TelegramObject, data: dict[str, Any]) -> None:
    if isinstance(event, CallbackQuery):
        answer = data.get("callback_answer")
        if isinstance(answer, PendingAnswer) and not answer.answered:
            answer.text = _(STALE_BUTTON)
            answer.show_alert = False
            return
        # The button was answered already (the handler had sent something first): say it in
        # the chat instead, so the refusal is not lost.
        bot: Bot = data["bot"]
        try:
            await bot.send_message(event.from_user.id, _(STALE_BUTTON))
        except TelegramAPIError as exc:
            log.warning("could not send the refusal: %s", type(exc).__name__)
        return
    if isinstance(event, Message):
        await event.answer(_(STALE_MESSAGE))
