"""Self-assessment answers per second through the whole bot, and the time to draw the chart.

Usage, from the repository root with the venv active:

    python bench/assessment.py [--users 200] [--charts 20]
    python bench/assessment.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The real dispatcher and middlewares poll a fake Bot API (bot/botapi: real HTTP on
127.0.0.1, no rate limits) served by this process on its main thread; the bot polls from a
thread and event loop of its own (bench/bot_thread.py), so that its CPU is counted apart from the
fake's (as bench/throughput.py does). The database is fresh and migrated: an SQLite file in a
temp dir, or a new PostgreSQL database created beside the one named in --database-url and
dropped afterwards. The users are seeded as consented young people. All of them open the
questionnaire at once and answer it to the end as people do: each taps a random option, waits
until the bot has handled the tap, then taps the next one; text questions are skipped. The last
answer of each person also computes the scores, renders their chart (in a worker thread) and
sends it: its latency is shown apart. Then the chart alone is rendered --charts times.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from pydantic import SecretStr
from sqlalchemy.engine import make_url

# `python bench/assessment.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_thread import BotThread, CpuApart
from bench.throughput import Counter, fresh_database
from bot.app import create_bot
from bot.assessment import chart
from bot.assessment.telegram.callbacks import AssessCb
from bot.botapi import FakeTelegram, FakeUser, StoredMessage
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import create_dispatcher
from bot.i18n.catalogs import compile_all
from bot.kit import helplines
from bot.kit.sealing import new_key
from bot.people import rules as people

TOKEN = "123456:BENCH-assessment-token"
PERSON_TIMEOUT = 600.0
# The domain names in Serbian Cyrillic: the longest labels the chart draws.
SAMPLE_LABELS = [
    "Образовање и обука",
    "Посао и каријера",
    "Становање",
    "Новац",
    "Здравље и добробит",
    "Документа и правна питања",
    "Вештине свакодневног живота",
    "Људи који ме подржавају",
]


class Handled:
    """Tells when the dispatcher has finished an update (as the tests' harness does)."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def event(self, update_id: int) -> asyncio.Event:
        return self._events.setdefault(update_id, asyncio.Event())

    def mark(self, update_id: int) -> None:
        self.event(update_id).set()

    async def wait(self, update_id: int) -> None:
        await asyncio.wait_for(self.event(update_id).wait(), PERSON_TIMEOUT)
        del self._events[update_id]


@dataclass
class Tally:
    answers: int = 0
    latencies: list[float] = field(default_factory=list)
    last_latencies: list[float] = field(default_factory=list)
    completed: int = 0


def buttons(message: StoredMessage) -> list[AssessCb]:
    return [
        AssessCb.unpack(b.data)
        for row in message.buttons
        for b in row
        if b.data and b.data.startswith("as:")
    ]


async def one_person(
    fake: FakeTelegram, user: FakeUser, handled: Handled, tally: Tally, rng: random.Random
) -> None:
    await handled.wait(user.send("/assess"))
    # The full questionnaire (the overview also offers the short check since it was added).
    await handled.wait(user.click(user.last, "📝 Пуна самопроцена"))
    message = user.last
    while True:
        current = fake.message(message.chat_id, message.message_id)
        choices = buttons(current)
        if not choices:
            break
        answers = [c for c in choices if c.act == "a"]
        pick = rng.choice(answers) if answers else next(c for c in choices if c.act == "s")
        started = time.monotonic()
        await handled.wait(user.click_data(current.message_id, pick.pack()))
        took = time.monotonic() - started
        tally.answers += 1
        if buttons(fake.message(message.chat_id, message.message_id)):
            tally.latencies.append(took)
        else:
            tally.last_latencies.append(took)
    if user.last.photo is not None or any(m.photo is not None for m in user.messages[-3:]):
        tally.completed += 1


async def seed(sessions: SessionFactory, users: list[FakeUser]) -> None:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for tg in users:
            user = await people.touch(
                session, telegram_id=tg.id, language_code="sr", now=now, admin_ids=()
            )
            people.give_consent(
                user, now=now, display_name=tg.first_name, birth_year=2004, default_tz="UTC"
            )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Cpu:
    bot: float = 0.0  # every thread but the main one: the bot, its driver's and chart threads
    charts: float = 0.0  # of which drawing charts
    fake: float = 0.0  # the main thread: the fake Bot API and this script


async def run_bot(database_url: str, args: argparse.Namespace) -> tuple[Tally, float, Cpu]:
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
                data_key=SecretStr(new_key()),
                _env_file=None,  # a developer's .env must not point the bot elsewhere
            )
            assembled = create_dispatcher(
                settings=settings,
                sessions=sessions,
                storage=MemoryStorage(),
                clock=SystemClock(),
                helplines=helplines.load(),
            )
            dp = assembled.dispatcher
            handled = Handled()
            feed = dp.feed_update
            main_loop = asyncio.get_running_loop()

            async def feed_and_mark(bot: Bot, update: Update, **kwargs: Any) -> Any:
                try:
                    return await feed(bot, update, **kwargs)
                finally:
                    main_loop.call_soon_threadsafe(handled.mark, update.update_id)

            dp.feed_update = feed_and_mark  # type: ignore[method-assign]
            charts = ChartCpu()
            runner = BotThread(dp, create_bot(settings))
            runner.start()
            try:
                await fake.wait_until_polling(timeout=30)
                tally = Tally()
                rng = random.Random(7)
                cpu = CpuApart()
                drawn = charts.seconds
                started = time.monotonic()
                await asyncio.gather(
                    *(one_person(fake, user, handled, tally, rng) for user in users)
                )
                seconds = time.monotonic() - started
                return tally, seconds, Cpu(cpu.others, charts.seconds - drawn, cpu.main)
            finally:
                charts.restore()
                await runner.stop(close=engine.dispose)
    finally:
        await engine.dispose()


class ChartCpu:
    """Adds up the CPU time of the threads drawing charts (wraps `chart.render`)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._render = chart.render

        def render(radar: chart.Radar) -> bytes:
            started = time.thread_time()
            try:
                return self._render(radar)
            finally:
                self.seconds += time.thread_time() - started

        chart.render = render  # type: ignore[assignment]

    def restore(self) -> None:
        chart.render = self._render


def chart_times(count: int) -> tuple[float, list[float], int]:
    radar = chart.Radar(
        "Самопроцена",
        SAMPLE_LABELS,
        chart.Series("29. нов 2026.", [3.2, 4.0, 2.5, 5.0, 1.7, 2.0, 3.3, 4.0]),
        chart.Series("1. сеп 2026.", [2.0, 3.0, 2.0, 4.0, 2.0, 3.0, 3.0, 3.0]),
    )
    started = time.perf_counter()
    size = len(chart.render(radar))  # the first one loads the fonts
    first = time.perf_counter() - started
    times = []
    for _ in range(count):
        started = time.perf_counter()
        size = len(chart.render(radar))
        times.append(time.perf_counter() - started)
    return first, times, size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--charts", type=int, default=20, help="charts rendered alone")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    counter = Counter(logging.WARNING)
    logging.getLogger().addHandler(counter)
    compile_all()  # aiogram refuses a .po without its .mo

    first, times, size = chart_times(args.charts)
    async with fresh_database(args.database_url) as url:
        backend = make_url(url).get_backend_name()
        tally, seconds, cpu = await run_bot(url, args)

    ms = [x * 1000 for x in tally.latencies]
    last = [x * 1000 for x in tally.last_latencies]
    print(
        f"\nSelf-assessment, {args.users} people answering at once, full stack on {backend}\n"
        "(the bot polls from its own thread and event loop; the fake Bot API, real HTTP on\n"
        "127.0.0.1, runs on the main thread of the same process)"
    )
    print(f"people who finished:          {tally.completed} of {args.users}")
    print(f"answers handled:              {tally.answers} in {seconds:.1f} s")
    print(f"answers per second:           {tally.answers / seconds:.0f}")
    print(
        f"answer latency (not last):    p50 {statistics.median(ms):.1f} ms, "
        f"p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms"
    )
    print(
        f"last answer (scores, chart, 3 messages): p50 {statistics.median(last):.0f} ms, "
        f"p95 {percentile(last, 0.95):.0f} ms, max {max(last):.0f} ms"
    )
    answers = max(1, tally.answers)
    print(
        f"bot CPU per answer:           {cpu.bot * 1000 / answers:.2f} ms, of which drawing "
        f"charts {cpu.charts * 1000 / answers:.2f} ms (one chart per person, on the last "
        f"answer); without charts {(cpu.bot - cpu.charts) * 1000 / answers:.2f} ms"
    )
    print(f"fake Bot API CPU per answer:  {cpu.fake * 1000 / answers:.2f} ms (not the bot's)")
    print(
        f"\nchart alone ({len(SAMPLE_LABELS)} domains, two assessments, Serbian labels): "
        f"first {first * 1000:.0f} ms (loads the fonts), then median "
        f"{statistics.median(times) * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms "
        f"over {len(times)}; PNG {size / 1024:.0f} KiB"
    )
    print(f"warnings or errors logged: {counter.count}")


if __name__ == "__main__":
    asyncio.run(main())
