"""Reminders through SIGTERM, kill -9 and two instances: how many due, delivered, repeated, lost.

Usage, from the repository root with the venv active (about two minutes):

    python bench/reminder_restart.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Every run starts from a fresh migrated database holding --people consented young people (300),
each with one late task and its "overdue" reminder, all due now, and the fake Bot API
(bot/botapi, real HTTP on 127.0.0.1, in this process):

a. SIGTERM: `python -m bot` on SQLite, REMINDER_RATE=20 and REMINDER_LEASE_SECONDS=10, is sent
   SIGTERM once a third of the reminders went out, then started again until every reminder is
   recorded as sent. Its log is searched for tracebacks.
b. kill -9: the same, killed with SIGKILL instead; the second process waits out the lease of
   what the first one held.
c. two instances, slow: two reminder senders in this process (each its own engine, HTTP session
   and pacer, ticking back to back as the scheduler would) on one PostgreSQL database (a new
   one beside the one --database-url names, dropped afterwards) with --slow-people reminders
   (40), REMINDER_RATE=1 and a lease of 10 s, so that a batch claimed the old way (200 at once)
   lasts far longer than its lease.
d. two instances, 429: the same with all --people reminders at REMINDER_RATE=50 and a lease of
   12 s (the defaults, 5/s and 120 s, ten times faster), the Bot API answering 429 with
   retry_after=3 to one message in every 50 that it accepts.

A run ends when every reminder is recorded as sent, or after --cap seconds. Counted from the
sendMessage calls the fake accepted: delivered = people who got their reminder, repeated =
messages beyond the first to a person, lost = people who got none, left = rows not recorded as
sent at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# `python bench/reminder_restart.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput import fresh_database
from bot.botapi import FakeTelegram, FakeUser
from bot.clock import SystemClock
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.i18n.catalogs import compile_all
from bot.plans.models import ReminderStatus
from tests.reminder_support import (
    TOKEN,
    Node,
    bot_env,
    deliveries,
    due_reminders,
    start_node,
    start_process,
    statuses,
)

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SENT = ReminderStatus.SENT.value


@dataclass
class Figures:
    name: str
    due: int
    delivered: int
    repeated: int
    lost: int
    left: int
    seconds: float
    note: str = ""

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.due:>5} {self.delivered:>9} {self.repeated:>8} "
            f"{self.lost:>5} {self.left:>5} {self.seconds:>7.1f}  {self.note}"
        )


HEADER = (
    f"{'run':<28} {'due':>5} {'delivered':>9} {'repeated':>8} {'lost':>5} {'left':>5} "
    f"{'seconds':>7}"
)


def figures(
    name: str,
    fake: FakeTelegram,
    people: list[FakeUser],
    counts: dict[str, int],
    started: float,
    note: str = "",
) -> Figures:
    got = deliveries(fake, people)
    return Figures(
        name=name,
        due=len(people),
        delivered=len(got),
        repeated=sum(n - 1 for n in got.values()),
        lost=sum(1 for p in people if got[p.id] == 0),
        left=len(people) - counts.get(SENT, 0),
        seconds=time.monotonic() - started,
        note=note,
    )


async def until(check: Callable[[], Awaitable[bool]], cap: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + cap
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


async def all_sent(sessions: SessionFactory, count: int) -> bool:
    return (await statuses(sessions))[SENT] >= count


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[tuple[Path, str, SessionFactory]]:
    with tempfile.TemporaryDirectory(prefix="putokaz-restart-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bot.sqlite3'}"
        engine = create_engine(url)
        await upgrade_to_head(engine)
        try:
            yield Path(tmp), url, create_session_factory(engine)
        finally:
            await engine.dispose()


async def restart_run(kill: signal.Signals, people_count: int, cap: float) -> Figures:
    """(a) and (b): a real `python -m bot`, stopped a third of the way, then started again."""
    name = "a. SIGTERM + restart" if kill == signal.SIGTERM else "b. kill -9 + restart"
    async with sqlite_database() as (tmp, url, sessions), FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, people_count, SystemClock().now())
        env = bot_env(
            url,
            fake.base_url,
            REMINDER_RATE="20",
            REMINDER_LEASE_SECONDS="10",
            REMINDER_TICK_SECONDS="0.5",
        )
        started = time.monotonic()
        first = await start_process(tmp, env, "first")
        try:
            await fake.state.changed.wait_for(
                lambda: sum(deliveries(fake, people).values()) >= people_count // 3 or None, cap
            )
        finally:
            first.send_signal(kill)
            await asyncio.wait_for(first.wait(), 60)
        at_stop = sum(deliveries(fake, people).values())
        recorded = (await statuses(sessions))[SENT]
        log = (tmp / "first.log").read_text(errors="replace")
        second = await start_process(tmp, env, "second")
        try:
            await until(lambda: all_sent(sessions, people_count), cap)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 60)
        note = (
            f"stopped after {at_stop} sent, {recorded} recorded; exit {first.returncode}; "
            f"tracebacks in its log: {log.count('Traceback')}"
        )
        return figures(name, fake, people, await statuses(sessions), started, note)


async def two_instances(
    server: str,
    name: str,
    people_count: int,
    rate: float,
    lease: int,
    cap: float,
    *,
    refuse_every: int = 0,
) -> Figures:
    """(c) and (d): two senders with their own engines on one PostgreSQL database."""
    async with fresh_database(server) as url:
        engine = create_engine(url)
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        clock = SystemClock()
        async with FakeTelegram(token=TOKEN) as fake:
            people = await due_reminders(sessions, fake, people_count, clock.now())
            nodes = [
                start_node(fake, url, clock, reminder_rate=rate, reminder_lease_seconds=lease)
                for _ in range(2)
            ]
            done = asyncio.Event()

            async def ticking(node: Node) -> None:
                while not done.is_set():
                    if not await node.sender.tick():
                        await asyncio.sleep(0.2)

            async def flood_control() -> None:
                # Telegram's answer to a bot over its limit, one message in every `refuse_every`.
                refused = 0
                while not done.is_set():
                    accepted = len(fake.sent("sendMessage"))
                    if accepted >= (refused + 1) * refuse_every:
                        fake.fail_next("sendMessage", status=429, retry_after=3)
                        refused += 1
                    await asyncio.sleep(0.05)

            started = time.monotonic()
            workers = [asyncio.create_task(ticking(node)) for node in nodes]
            if refuse_every:
                workers.append(asyncio.create_task(flood_control()))
            try:
                await until(lambda: all_sent(sessions, people_count), cap)
            finally:
                done.set()
                # Each tick ends within its batch; one claimed the old way may last minutes.
                _finished, unfinished = await asyncio.wait(workers, timeout=30)
                for task in unfinished:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                for node in nodes:
                    await node.close()
            note = f"REMINDER_RATE={rate:g}, lease {lease} s"
            if refuse_every:
                note += f", 429 answers: {fake.count_status(429)}"
            result = figures(name, fake, people, await statuses(sessions), started, note)
        await engine.dispose()
        return result


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="a PostgreSQL server")
    parser.add_argument("--people", type=int, default=300, help="reminders due in a, b and d")
    parser.add_argument("--slow-people", type=int, default=40, help="reminders due in c")
    parser.add_argument("--cap", type=float, default=60, help="seconds a run may take at most")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    compile_all()  # aiogram refuses a .po without its .mo
    runs = [
        await restart_run(signal.SIGTERM, args.people, args.cap),
        await restart_run(signal.SIGKILL, args.people, args.cap),
        await two_instances(
            args.database_url, "c. two instances, slow", args.slow_people, 1, 10, args.cap
        ),
        await two_instances(
            args.database_url,
            "d. two instances, 429",
            args.people,
            50,
            12,
            args.cap,
            refuse_every=50,
        ),
    ]
    print(HEADER)
    for run in runs:
        print(run.line())
    return 0 if all(r.repeated == 0 and r.lost == 0 for r in runs if r.name[0] != "b") else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
