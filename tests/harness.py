"""Runs the real dispatcher in-process against the fake Bot API, over real HTTP.

`await person.send("/start")` pushes an update through getUpdates and returns once the bot has
finished handling it (every HTTP call it made is then recorded by the fake server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from pydantic import SecretStr

from bot.app import create_bot
from bot.botapi import FakeTelegram, FakeUser, StoredMessage
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.dispatcher import ALLOWED_UPDATES, Assembled, create_dispatcher
from bot.kit import helplines
from tests.transaction_guard import ConnectionsHeld

TOKEN = "123456:TEST-token-for-putokaz"
NOT_MODIFIED = "message is not modified"  # Telegram's answer to an edit that changes nothing


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class Chats(Protocol):
    """What people talk to: the fake Bot API and a bot that says when it has handled an update
    (the in-process Harness, or a `python -m bot` subprocess)."""

    @property
    def fake(self) -> FakeTelegram: ...

    async def processed(self, update_id: int, times: int = 1, within: float = 10) -> None: ...

    def person(self, **kwargs: Any) -> Person: ...


@dataclass
class Harness:
    fake: FakeTelegram
    settings: Settings
    sessions: SessionFactory
    clock: FakeClock
    assembled: Assembled
    bot: Bot
    held: ConnectionsHeld = field(default_factory=ConnectionsHeld)
    _processed: Counter[int] = field(default_factory=Counter)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None

    async def processed(self, update_id: int, times: int = 1, within: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self._processed[update_id] >= times), within
            )

    async def _mark(self, update_id: int) -> None:
        async with self._changed:
            self._processed[update_id] += 1
            self._changed.notify_all()

    def person(self, **kwargs: Any) -> Person:
        return Person(self, self.fake.user(**kwargs))


@dataclass
class Person:
    """A Telegram user talking to the bot; each action waits until the bot has answered."""

    harness: Chats
    tg: FakeUser

    @property
    def id(self) -> int:
        return self.tg.id

    @property
    def messages(self) -> list[StoredMessage]:
        return self.tg.messages

    @property
    def last(self) -> StoredMessage:
        return self.tg.last

    @property
    def last_answer(self) -> str | None:
        """The text the bot answered the person's last button press with (None: no text)."""
        assert self.tg.last_callback_query_id is not None, "no button was pressed"
        query = self.harness.fake.callback_queries[self.tg.last_callback_query_id]
        assert query.answered, "every button press is answered"
        return (query.answer or {}).get("text")

    async def _after(self, update_id: int) -> StoredMessage:
        await self.harness.processed(update_id)
        return self.tg.last

    async def send(self, text: str) -> StoredMessage:
        return await self._after(self.tg.send(text))

    async def click(self, label: str, message: StoredMessage | None = None) -> StoredMessage:
        target = message or self.tg.last
        return await self._after_click(target, self.tg.click(target, label))

    async def click_data(self, data: str, message: StoredMessage | None = None) -> StoredMessage:
        target = message or self.tg.last
        return await self._after_click(target, self.tg.click_data(target.message_id, data))

    async def _after_click(self, target: StoredMessage, update_id: int) -> StoredMessage:
        """A new message if the bot sent one, else the clicked message as it looks now."""
        newest = self.tg.last.message_id
        await self.harness.processed(update_id)
        if self.tg.last.message_id > newest:
            return self.tg.last
        return self.harness.fake.message(target.chat_id, target.message_id)


class _Recorder(logging.Handler):
    """Keeps the warnings of a button answered before its handler decided its text."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.getMessage()} at {record.pathname}:{record.lineno}")


async def start_harness(
    fake: FakeTelegram,
    database_url: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
    storage: BaseStorage | None = None,
    clock: FakeClock | None = None,
    settings_values: dict[str, Any] | None = None,
) -> tuple[Harness, Any]:
    settings = Settings(
        bot_token=SecretStr(TOKEN),
        database_url=database_url,
        telegram_api_base=fake.base_url,
        admin_ids=admin_ids,
        _env_file=None,
        **(settings_values or {}),
    )
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    clock = clock or FakeClock()
    assembled = create_dispatcher(
        settings=settings,
        sessions=sessions,
        storage=storage or MemoryStorage(),
        clock=clock,
        helplines=helplines.load(),
    )
    bot = create_bot(settings)
    harness = Harness(fake, settings, sessions, clock, assembled, bot)
    harness.held.watch(engine)
    bot.session.middleware(harness.held.guard())  # innermost: sees what reaches the wire
    dp = assembled.dispatcher
    feed_update = dp.feed_update

    async def feed_and_mark(bot: Bot, update: Update, **kwargs: Any) -> Any:
        try:
            return await feed_update(bot, update, **kwargs)
        finally:
            await harness._mark(update.update_id)

    dp.feed_update = feed_and_mark  # type: ignore[method-assign]
    harness._task = asyncio.create_task(
        dp.start_polling(
            bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False, close_bot_session=False
        )
    )
    return harness, engine


async def stop_harness(harness: Harness, engine: Any) -> None:
    await harness.assembled.dispatcher.stop_polling()
    if harness._task is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await harness._task
    await harness.bot.session.close()
    await engine.dispose()


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
    storage: BaseStorage | None = None,
    fake: FakeTelegram | None = None,
    settings_values: dict[str, Any] | None = None,
    **fake_options: Any,
) -> AsyncIterator[Harness]:
    """The bot against ``fake`` (kept running afterwards) or a new fake of its own."""
    own_fake = fake is None
    if fake is None:
        fake = FakeTelegram(token=TOKEN, **fake_options)
        await fake.start()
    harness, engine = await start_harness(
        fake, database_url, admin_ids=admin_ids, storage=storage, settings_values=settings_values
    )
    late = _Recorder()
    logging.getLogger("bot.kit.middlewares.callbacks").addHandler(late)
    try:
        yield harness
        assert fake.unanswered_callback_queries() == [], "every button press is answered"
        assert harness.held.violations == [], "no connection is held across a Bot API call"
        assert late.records == [], "a button's answer text is set before the first reply"
        unchanged = [str(r) for r in fake.refused(NOT_MODIFIED)]
        assert unchanged == [], "no edit that changes nothing"
    finally:
        logging.getLogger("bot.kit.middlewares.callbacks").removeHandler(late)
        await stop_harness(harness, engine)
        if own_fake:
            await fake.stop()
