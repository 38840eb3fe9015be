"""Fails a test when a Bot API request starts while its task holds a database connection.

The rule (issue 11): no database transaction or pooled connection is held across a Bot API
call. The pool's checkout/checkin events record which asyncio task holds which connection; a
request middleware on the bot's session, innermost so that it sees what reaches the wire,
records every request made by a task that still holds one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class ConnectionsHeld:
    def __init__(self) -> None:
        self._holders: dict[int, asyncio.Task[Any] | None] = {}
        self.violations: list[str] = []

    def watch(self, engine: AsyncEngine) -> None:
        pool = engine.sync_engine.pool
        event.listen(pool, "checkout", self._checkout)
        event.listen(pool, "checkin", self._checkin)

    def _checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        self._holders[id(record)] = _task()

    def _checkin(self, _dbapi: Any, record: Any) -> None:
        self._holders.pop(id(record), None)

    def held_by_current_task(self) -> int:
        task = _task()
        return sum(1 for holder in self._holders.values() if holder is task and task is not None)

    def guard(self) -> GuardRequests:
        return GuardRequests(self)


def _task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a synchronous pool event outside asyncio)
        return None


class GuardRequests(BaseRequestMiddleware):
    def __init__(self, held: ConnectionsHeld) -> None:
        self.held = held

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        count = self.held.held_by_current_task()
        if count:
            self.held.violations.append(
                f"{type(method).__name__} started while holding {count} database connection(s)"
            )
        return await make_request(bot, method)
