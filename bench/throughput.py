"""Updates per second of /menu round trips through the whole bot, beside a bare aiogram echo bot.

Usage, from the repository root with the venv active:

    python bench/throughput.py [--users 200] [--rounds 5] [--warmup 1]
    python bench/throughput.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/throughput.py --profile /tmp/menu.prof   # then: python -m pstats /tmp/menu.prof

Both bots poll a fake Bot API (bot/botapi: real HTTP on 127.0.0.1, no rate limits)
served by this process on its main thread; each bot polls from a thread and event loop of its
own (bench/bot_thread.py), so that its CPU is counted apart from the fake's: "bot CPU" is the
process's CPU minus the main thread's (the bot's thread, its database driver's threads and any
worker thread), "fake CPU" the main thread's (the fake Bot API and this script). The echo bot is
measured the same way. Putokaz runs its real dispatcher and middlewares on a fresh migrated
database: an SQLite file in a temp dir, or a new PostgreSQL database created beside the one named
in --database-url (used only to connect) and dropped afterwards. Its users are seeded as
consented adults, so /menu shows the main menu. A round pushes one /menu per user at once and
waits for every reply; latency is push -> the reply's sendMessage as the fake records it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import logging
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message
from pydantic import SecretStr
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# `python bench/throughput.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_thread import BotThread, CpuApart
from bot.app import create_bot
from bot.botapi import FakeTelegram, FakeUser, StoredMessage
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import create_dispatcher
from bot.i18n.catalogs import compile_all
from bot.kit import helplines
from bot.people import rules as people
from bot.people.models import User

TOKEN = "123456:BENCH-throughput-token"
ROUND_TIMEOUT = 120.0


@dataclass
class Result:
    updates: int
    seconds: float
    latencies: list[float]
    sample: StoredMessage
    cpu: float = 0.0  # the bot's CPU seconds (every thread but the main one), timed rounds
    fake_cpu: float = 0.0  # the main thread's: the fake Bot API and this script
    refused: int = 0  # API calls the fake answered with an error, warm-up included

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.updates

    def row(self, name: str) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
        return (
            f"{name:<32} {self.rate:>9.0f} {statistics.median(ms):>8.1f} "
            f"{p95:>8.1f} {ms[-1]:>8.1f} {self.cpu_ms:>8.2f} "
            f"{self.fake_cpu * 1000 / self.updates:>8.2f} {self.refused:>8}"
        )


class Counter(logging.Handler):
    """Counts warnings and errors the bots log, so a fast but failing run is not believed."""

    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def replies(fake: FakeTelegram, pushed: dict[str, float], since: int) -> dict[str, float]:
    """Waits for a sendMessage to every chat in ``pushed``: when the fake recorded each."""
    waiting = set(pushed)
    answered: dict[str, float] = {}
    cursor = since

    def all_replied() -> bool | None:
        nonlocal cursor
        # A cursor instead of fake.wait_for: rescanning every request per wake-up is O(n²).
        requests = fake.requests
        for request in requests[cursor:]:
            chat = str(request.chat_id)
            if request.method == "sendMessage" and request.ok and chat in waiting:
                waiting.discard(chat)
                answered[chat] = request.at
        cursor = len(requests)
        return True if not waiting else None

    await fake.state.changed.wait_for(all_replied, ROUND_TIMEOUT)
    return answered


async def rounds(fake: FakeTelegram, users: list[FakeUser], count: int) -> Result:
    latencies: list[float] = []
    first_push = last_reply = 0.0
    for number in range(count):
        since = fake.mark()
        pushed: dict[str, float] = {}
        for user in users:
            pushed[str(user.id)] = time.monotonic()
            user.send("/menu")
        first_push = first_push if number else min(pushed.values())
        answered = await replies(fake, pushed, since)
        last_reply = max(answered.values())
        latencies += [answered[chat] - pushed[chat] for chat in pushed]
    return Result(count * len(users), last_reply - first_push, latencies, users[0].last)


async def measure(
    dp: Dispatcher,
    bot: Bot,
    fake: FakeTelegram,
    users: list[FakeUser],
    args: argparse.Namespace,
    check: Callable[[StoredMessage], bool],
    profile: str | None = None,
    close: Callable[[], Awaitable[Any]] | None = None,
) -> Result:
    """Polls from a thread of its own; `close` runs there at the end (the bot's engine)."""
    runner = BotThread(dp, bot)
    runner.start()
    try:
        await fake.wait_until_polling(timeout=30)
        warm = await rounds(fake, users, args.warmup)
        if not check(warm.sample):
            raise RuntimeError(f"unexpected reply to /menu: {warm.sample.body!r}")
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            await runner.call(_async(profiler.enable))  # profiles the bot's thread
        cpu = CpuApart()
        result = await rounds(fake, users, args.rounds)
        result.cpu, result.fake_cpu = cpu.others, cpu.main
        if profiler is not None and profile:
            await runner.call(_async(profiler.disable))
            profiler.dump_stats(profile)
        result.refused = sum(1 for r in fake.requests if not r.ok)
        return result
    finally:
        await runner.stop(close=close)


def _async(function: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        function()

    return call


async def seed(sessions: SessionFactory, users: list[FakeUser]) -> None:
    """Consented adults with a year of birth, as onboarding leaves them."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for tg in users:
            user = await people.touch(
                session, telegram_id=tg.id, language_code="sr", now=now, admin_ids=()
            )
            people.give_consent(
                user,
                now=now,
                display_name=tg.first_name,
                birth_year=2004,
                default_tz="Europe/Belgrade",
            )


async def run_putokaz(database_url: str, args: argparse.Namespace) -> Result:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
            users = [fake.user(f"Ana{i}", language_code="sr") for i in range(args.users)]
            await seed(sessions, users)
            await engine.dispose()  # the bot's loop opens its own connections
            settings = Settings(
                bot_token=SecretStr(TOKEN),
                database_url=database_url,
                telegram_api_base=fake.base_url,
                _env_file=None,  # a developer's .env must not point the bot elsewhere
            )
            assembled = create_dispatcher(
                settings=settings,
                sessions=sessions,
                storage=MemoryStorage(),
                clock=SystemClock(),
                helplines=helplines.load(),
            )
            bot = create_bot(settings)
            dp = assembled.dispatcher
            # A young person's main menu has 3 rows: help now, settings and privacy, help.
            return await measure(
                dp,
                bot,
                fake,
                users,
                args,
                lambda m: len(m.buttons) >= 3,
                args.profile,
                close=engine.dispose,
            )
    finally:
        await engine.dispose()


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


async def run_echo_person(database_url: str, args: argparse.Namespace) -> Result:
    """The least a bot that knows its people does: echo, after reading the writer's row.

    Same engine as Putokaz (its pool and SQLite settings), one short session per update that
    reads the person's language by Telegram id, no writes: the floor under any database-backed
    reply, to read Putokaz's own figure against.
    """
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
        users = [fake.user(f"Ana{i}", language_code="sr") for i in range(args.users)]
        await seed(sessions, users)
        await engine.dispose()
        by_id = select(User.locale).where(User.telegram_id == bindparam("tid"))

        async def echo_person(message: Message) -> None:
            assert message.from_user is not None
            async with sessions() as session:
                locale = (await session.execute(by_id, {"tid": message.from_user.id})).scalar()
            await message.answer(f"{message.text or ''} {locale}")

        dp = Dispatcher()
        dp.message.register(echo_person)
        api = TelegramAPIServer.from_base(fake.base_url)
        bot = Bot(TOKEN, session=AiohttpSession(api=api))
        return await measure(
            dp, bot, fake, users, args, lambda m: m.body == "/menu sr", close=engine.dispose
        )


async def run_echo(args: argparse.Namespace) -> Result:
    async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
        users = [fake.user(f"Ana{i}", language_code="sr") for i in range(args.users)]
        dp = Dispatcher()
        dp.message.register(echo)
        api = TelegramAPIServer.from_base(fake.base_url)
        bot = Bot(TOKEN, session=AiohttpSession(api=api))
        return await measure(dp, bot, fake, users, args, lambda m: m.body == "/menu")


@contextlib.asynccontextmanager
async def fresh_database(server_url: str | None) -> AsyncIterator[str]:
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="putokaz-bench-") as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'putokaz.sqlite3'}"
        return
    # Never the named database itself: a new one beside it, dropped even after a failure.
    name = f"putokaz_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    parser.add_argument(
        "--profile", help="write a cProfile of Putokaz's timed rounds (main thread) to this file"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    counter = Counter(logging.WARNING)
    logging.getLogger().addHandler(counter)
    compile_all()  # aiogram refuses a .po without its .mo

    async with fresh_database(args.database_url) as url:
        backend = make_url(url).get_backend_name()
        putokaz = await run_putokaz(url, args)
        putokaz_warnings, counter.count = counter.count, 0
        with_person = await run_echo_person(url, args)
    bare = await run_echo(args)

    print(
        f"\n/menu round trips: {args.users} users x {args.rounds} rounds = "
        f"{args.users * args.rounds} updates timed, after {args.warmup} warm-up round(s)\n"
        "Each bot polls from its own thread and event loop; the fake Bot API (real HTTP on\n"
        "127.0.0.1, no rate limits) runs on the main thread of the same process.\n"
        "bot CPU ms/u: CPU time of every thread but the main one (the bot, its database driver's\n"
        "threads) per timed update; fake ms/u: the main thread's (fake Bot API, this script)."
    )
    print(f"Putokaz reply to /menu: {putokaz.sample.body!r}, {len(putokaz.sample.buttons)} rows")
    columns = ("updates/s", "p50 ms", "p95 ms", "max ms", "bot CPU", "fake CPU", "refused")
    print(f"\n{'bot':<32} {columns[0]:>9} " + " ".join(f"{c:>8}" for c in columns[1:]))
    print(putokaz.row(f"Putokaz, full stack, {backend}"))
    print(with_person.row(f"echo after reading one row, {backend}"))
    print(bare.row("bare aiogram echo, no DB"))
    print(
        f"\nratio Putokaz / echo: CPU per update {bare.cpu_ms / putokaz.cpu_ms:.2f} "
        f"(echo's bot CPU / Putokaz's), updates per second {putokaz.rate / bare.rate:.2f}\n"
        f"ratio echo after one row / echo: CPU per update {bare.cpu_ms / with_person.cpu_ms:.2f}"
        " (the ceiling for any bot that reads its database once per update)"
    )
    print(f"warnings or errors logged: Putokaz {putokaz_warnings}, echo {counter.count}")


if __name__ == "__main__":
    asyncio.run(main())
