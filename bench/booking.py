"""Bookings per second and latency of "book" through the whole bot, 200 people at once.

Usage, from the repository root with the venv active:

    python bench/booking.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/booking.py [--users 200] [--rounds 5]          # SQLite in a temp dir
    python bench/booking.py --profile /tmp/booking.prof   # then: python -m pstats /tmp/booking.prof

The real dispatcher polls the fake Bot API served by this process, from a thread and event loop
of its own (bench/bot_thread.py), so that its CPU is counted apart from the fake's, as
bench/throughput.py does; on a fresh migrated database created beside the one named (and dropped
afterwards). This script's own database work (new workshops, counting seats) uses an engine of
its own on the main thread; it is not counted as the bot's CPU. Each person first
gets the menu, then every round all of them press "book" on a new workshop at the same moment:
the booking path is the whole update (middlewares, the seat UPDATE, reminders, the edited card
and the .ics document). Latency is push -> answerCallbackQuery, the last thing the update does.
A last round puts everyone on a workshop with 10 seats: exactly 10 must get one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram.fsm.storage.memory import MemoryStorage
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

# `python bench/booking.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_thread import BotThread, CpuApart
from bench.throughput import Counter, _async, fresh_database, replies, seed
from bot.app import create_bot
from bot.booking import workshops
from bot.booking.models import Booking, BookingStatus
from bot.booking.rules import Context
from bot.booking.telegram.callbacks import WorkshopsAction, WorkshopsCb
from bot.botapi import FakeTelegram, FakeUser
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import create_dispatcher
from bot.i18n.catalogs import compile_all
from bot.kit import helplines
from bot.plans.reminders import ReminderRules

TOKEN = "123456:BENCH-booking-token"
ROUND_TIMEOUT = 120.0


async def new_workshop(sessions: SessionFactory, capacity: int, number: int) -> int:
    now = datetime.now(UTC)
    starts = (now + timedelta(days=7 + number)).replace(minute=0, second=0, microsecond=0)
    draft = workshops.Draft(
        kind="cv_jobs", title=f"Bench workshop {number}", starts_at=starts,
        ends_at=starts + timedelta(hours=2), capacity=capacity, city="kragujevac",
        address="Trg 1",
    )  # fmt: skip
    async with sessions.begin() as session:
        found = await workshops.create(
            session, None, draft, Context(now, ReminderRules(), "Europe/Belgrade")
        )
        return found.id


async def press_book(
    fake: FakeTelegram, users: list[FakeUser], targets: dict[int, int], workshop_id: int
) -> list[float]:
    """Everyone presses "book" at once; seconds from each push to its answerCallbackQuery."""
    since = fake.mark()
    pushed: dict[str, float] = {}
    data = WorkshopsCb(a=WorkshopsAction.BOOK, id=workshop_id).pack()
    for user in users:
        start = time.monotonic()
        user.click_data(targets[user.id], data)
        assert user.last_callback_query_id is not None
        pushed[user.last_callback_query_id] = start
    waiting = set(pushed)
    answered: dict[str, float] = {}
    cursor = since

    def all_answered() -> bool | None:
        nonlocal cursor
        for request in fake.requests[cursor:]:
            query = str(request.params.get("callback_query_id", ""))
            if request.method == "answerCallbackQuery" and query in waiting:
                waiting.discard(query)
                answered[query] = request.at
        cursor = len(fake.requests)
        return True if not waiting else None

    await fake.state.changed.wait_for(all_answered, ROUND_TIMEOUT)
    return [answered[q] - pushed[q] for q in pushed]


async def count_booked(sessions: SessionFactory, workshop_id: int) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.workshop_id == workshop_id, Booking.status == BookingStatus.BOOKED)
        )
    return int(found or 0)


async def run(database_url: str, args: argparse.Namespace) -> None:
    engine = create_engine(database_url)  # the bench's own, on the main thread
    bot_engine = create_engine(database_url)  # the bot's, used only on its thread
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
            users = [fake.user(f"Ana{i}", language_code="sr") for i in range(args.users)]
            await seed(sessions, users)
            settings = Settings(
                bot_token=SecretStr(TOKEN),
                database_url=database_url,
                telegram_api_base=fake.base_url,
                _env_file=None,
            )
            assembled = create_dispatcher(
                settings=settings,
                sessions=create_session_factory(bot_engine),
                storage=MemoryStorage(),
                clock=SystemClock(),
                helplines=helplines.load(),
            )
            runner = BotThread(assembled.dispatcher, create_bot(settings))
            runner.start()
            try:
                await fake.wait_until_polling(timeout=30)
                since = fake.mark()
                pushed = {}
                for user in users:
                    pushed[str(user.id)] = time.monotonic()
                    user.send("/menu")
                await replies(fake, pushed, since)
                targets = {user.id: user.last.message_id for user in users}
                warm = await new_workshop(sessions, args.users, 0)
                await press_book(fake, users, targets, warm)
                latencies: list[float] = []
                booked = 0
                seconds = bot_cpu = fake_cpu = 0.0
                profiler = cProfile.Profile(time.thread_time) if args.profile else None
                if profiler is not None:
                    await runner.call(_async(profiler.enable))  # profiles the bot's thread
                for number in range(1, args.rounds + 1):
                    workshop_id = await new_workshop(sessions, args.users, number)
                    first = time.monotonic()
                    cpu = CpuApart()
                    latencies += await press_book(fake, users, targets, workshop_id)
                    bot_cpu += cpu.others
                    fake_cpu += cpu.main
                    seconds += time.monotonic() - first
                    booked += await count_booked(sessions, workshop_id)
                if profiler is not None:
                    await runner.call(_async(profiler.disable))
                    profiler.dump_stats(args.profile)
                last = await new_workshop(sessions, 10, args.rounds + 1)
                contended = await press_book(fake, users, targets, last)
                last_booked = await count_booked(sessions, last)
                refused = sum(1 for r in fake.requests if not r.ok)
            finally:
                await runner.stop(close=bot_engine.dispose)
    finally:
        await engine.dispose()

    def row(name: str, values: list[float], count: int, took: float) -> str:
        ms = sorted(x * 1000 for x in values)
        p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
        return (
            f"{name:<34} {count / took:>10.0f} {statistics.median(ms):>8.1f} "
            f"{p95:>8.1f} {ms[-1]:>8.1f}"
        )

    backend = make_url(database_url).get_backend_name()
    print(
        f"\n'Book' pressed by {args.users} people at once, {args.rounds} timed round(s) after one "
        f"warm-up, {backend}.\nEach booking: seat UPDATE, booking row, 2 reminder rows, the card "
        "edited, the .ics sent, the button answered. The bot polls from its own thread; the\n"
        "fake Bot API runs on the main thread of the same process."
    )
    print(f"\n{'round':<34} {'bookings/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(row("every press gets a seat", latencies, booked, seconds))
    print(row("200 presses on 10 seats", contended, len(contended), max(contended)))
    print(
        f"\nbooked {booked} of {args.users * args.rounds} presses; last seats: {last_booked} of "
        f"10 taken by {args.users} presses (must be 10); API calls refused {refused}"
    )
    print(
        f"bot CPU per booking {bot_cpu * 1000 / max(booked, 1):.2f} ms (every thread but the "
        f"main one, timed rounds); fake Bot API {fake_cpu * 1000 / max(booked, 1):.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    parser.add_argument(
        "--profile", help="write a cProfile of the bot's thread in the timed rounds to this file"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    counter = Counter(logging.WARNING)
    logging.getLogger().addHandler(counter)
    compile_all()
    async with fresh_database(args.database_url) as url:
        await run(url, args)
    print(f"warnings or errors logged: {counter.count}")


if __name__ == "__main__":
    asyncio.run(main())
