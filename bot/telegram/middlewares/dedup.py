"""Telegram delivers at least once: an update id already claimed is skipped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.repositories import updates

log = logging.getLogger(__name__)


class Dedup(BaseMiddleware):
    """The claim is its own short transaction, so the handler's work never holds it open."""

    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        async with self.sessions.begin() as session:
            first = await updates.claim(session, event.update_id, self.clock.now())
        if not first:
            log.info("update %s was delivered again; skipped", event.update_id)
            return None
        return await handler(event, data)
