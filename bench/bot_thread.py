"""Runs a bot's polling on a thread (and event loop) of its own, to count its CPU apart.

The in-process benches serve the fake Bot API on the main thread. With the bot on the same
loop, "CPU per update" was the bot's and the fake's together (the fake parses every request,
stores and answers it). Here the bot polls from its own thread and loop, and its CPU is the
process's minus the main thread's (which runs only the fake and the bench's bookkeeping): the
bot's thread, its database driver's threads and its worker threads (charts) are all counted.
Both the bot under test and the bare echo bot are measured this way.

Everything the bot uses (engine, pool, Bot session) must be first used on the bot's loop: a
pool filled on the main loop is disposed of before the bot starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher

from bot.dispatcher import ALLOWED_UPDATES

T = TypeVar("T")


class BotThread:
    """`dp.start_polling(bot)` on a new thread; `call` runs a coroutine there."""

    def __init__(self, dp: Dispatcher, bot: Bot) -> None:
        self.dp = dp
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self._polling: Future[None] | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        # As `python -m bot` does once started (bot/app.py); the echo bot gets the same.
        gc.collect()
        gc.freeze()
        self._thread.start()
        self._polling = asyncio.run_coroutine_threadsafe(
            self.dp.start_polling(
                self.bot,
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=False,
                close_bot_session=False,
            ),
            self.loop,
        )

    async def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """Runs `work()` on the bot's loop and waits for it from the caller's loop."""

        async def wrapped() -> T:
            return await work()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(wrapped(), self.loop))

    async def stop(self, *, close: Callable[[], Awaitable[Any]] | None = None) -> None:
        await self.call(self.dp.stop_polling)
        if self._polling is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wrap_future(self._polling)
        await self.call(self.bot.session.close)
        if close is not None:
            await self.call(close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join)
        self.loop.close()


class CpuApart:
    """CPU seconds of the process split into the calling (main) thread and all the others."""

    def __init__(self) -> None:
        self._process = time.process_time()
        self._main = time.thread_time()

    @property
    def main(self) -> float:
        return time.thread_time() - self._main

    @property
    def others(self) -> float:
        return time.process_time() - self._process - self.main


def threadsafe(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Callable[[], None]:
    """`callback` made safe to call from the bot's thread: it runs on `loop` (the main one)."""

    def call() -> None:
        loop.call_soon_threadsafe(callback)

    return call
