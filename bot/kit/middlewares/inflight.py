"""Caps and counts the updates being handled.

The cap keeps a rush (everyone tapping right after an announcement) from asking the database
pool for more connections than it has: updates beyond it wait their turn here, before they hold
anything, instead of failing with "QueuePool limit reached". The count lets shutdown wait for
the updates in progress before the database goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlight(BaseMiddleware):
    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            async with self._slots:
                return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def drain(self, grace: float) -> bool:
        """True when every update finished within `grace` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True
