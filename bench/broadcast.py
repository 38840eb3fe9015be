"""Broadcast delivery against the fake Bot API: rate achieved, 429s, duplicates and losses.

Usage, from the repository root with the venv active:

    python bench/broadcast.py [--recipients 10000] [--limit 30] [--fast-limit 1000]
    python bench/broadcast.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/broadcast.py --instances 3 --redis-url redis://127.0.0.1:6379/0 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Two runs, each on a fresh migrated database (an SQLite file in a temp dir, or a new PostgreSQL
database created beside the one named in --database-url and dropped afterwards) holding
--recipients consented people who have written to the bot, and one staff member who sends:

1. Telegram's limit: the fake Bot API answers 429 (with retry_after) to more than --limit
   messages in any sliding second, and BROADCAST_RATE is set to that same limit. The figure is
   the achieved rate as a fraction of the limit (goal: at least 0.95).
2. The sender's own ceiling: the fake's limit raised to --fast-limit (paid broadcasts, a
   self-hosted Bot API server) and BROADCAST_RATE with it; what the sender then achieves.

With --instances N (N > 1; needs --database-url and --redis-url), N bot instances, each its own
process with its own engine, HTTP session, pacer and sender, deliver the same announcement from
one PostgreSQL database, all at BROADCAST_RATE = --limit:

1. sharing the rate through Redis (REDIS_URL set, as in production): together at most the limit;
2. for comparison, the same N without Redis, each pacing alone: together N times the limit, so
   Telegram answers 429s;
3. the sender's ceiling with the fake's limit at --fast-limit, shared through Redis.

The sender is the bot's own BroadcastSender (claims with leases, the shared pacer, outcome
recording, the report), run to the end of one round in this process (with --instances, each
instance runs rounds until nobody is left waiting). The fake Bot API runs in
a child process (bot/botapi over real HTTP on 127.0.0.1), so that its CPU time is not
charged to the sender. Rates are measured between the first and the last message the fake
accepted. A duplicate is a person who got the announcement more than once; a loss is one who
never got it; 429s are the refusals the sender received for people's messages; peak is the
most messages the fake accepted in any sliding second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# `python bench/broadcast.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.botapi import FakeTelegram
from bot.broadcasts.models import EVERYONE, RecipientStatus
from bot.clock import SystemClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.i18n.catalogs import compile_all
from tests.broadcast_support import (
    STAFF_TELEGRAM_ID,
    TOKEN,
    announce,
    seed_rows,
    staff_member,
    start_node,
    statuses,
)

LOCALES = ("sr", "sr_Latn", "bg", "en")
FIRST_ID = 100_000_001  # the fake's first user id


def people_ids(count: int) -> list[int]:
    return list(range(FIRST_ID, FIRST_ID + count))


# The fake Bot API, in a child process


def peak(times: list[float]) -> int:
    """The most moments within any one second (as the fake's limiter counts: (t - 1, t])."""
    times = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def serve(limit: float, count: int) -> None:
    """Prints its base URL, then a JSON report of what it accepted once told "report"."""
    fake = FakeTelegram(token=TOKEN, rate_limit=limit)
    for number in range(count):
        fake.user(f"P{number}", language_code=LOCALES[number % 4][:2], has_started=True)
    fake.user("Sara", language_code="en", user_id=STAFF_TELEGRAM_ID, has_started=True)
    await fake.start()
    print(fake.base_url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    chats = {str(i) for i in people_ids(count)}
    accepted: dict[str, int] = {}
    times = []
    refused = 0
    for request in fake.requests:
        chat = str(request.chat_id)
        if chat not in chats:
            continue
        if request.ok and request.method == "sendMessage":
            accepted[chat] = accepted.get(chat, 0) + 1
            times.append(request.at)
        elif request.status == 429:
            refused += 1
    report = {
        "accepted": accepted,
        "seconds": max(times) - min(times) if times else 0.0,
        "refused": refused,
        "peak": peak(times),
    }
    print(json.dumps(report), flush=True)
    await fake.stop()


@contextlib.asynccontextmanager
async def fake_server(limit: float, count: int) -> AsyncIterator[tuple[str, asyncio.Future[Any]]]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", "--limit", str(limit), "--recipients", str(count),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=2**26,  # the report is one long line
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    base_url = (await child.stdout.readline()).decode().strip()
    report: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    try:
        yield base_url, report
        child.stdin.write(b"report\n")
        await child.stdin.drain()
        report.set_result(json.loads(await child.stdout.readline()))
    finally:
        if child.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), 10)
        if child.returncode is None:
            child.kill()
            await child.wait()


class _Remote(FakeTelegram):
    """Only the base URL of the fake in the child process: what start_node needs."""

    def __init__(self, base_url: str) -> None:
        self._remote = base_url

    @property
    def base_url(self) -> str:
        return self._remote


# The measurement


@dataclass
class Run:
    name: str
    limit: float
    recipients: int
    seconds: float  # first to last accepted message
    wall: float  # the whole round: claiming, sending, recording, the report
    refused_429: int
    duplicates: int
    losses: int
    not_sent_in_db: int
    cpu: float  # the sender processes only: sending and database work
    peak: int = 0  # most accepted in any sliding second
    instances: int = 1
    per_instance: tuple[int, ...] = ()  # messages each instance got through

    @property
    def achieved(self) -> float:
        return (self.recipients - 1) / self.seconds if self.seconds > 0 else 0.0

    def row(self) -> str:
        return (
            f"{self.name:<22} {self.limit:>7.0f} {self.recipients:>7} {self.achieved:>8.1f} "
            f"{self.achieved / self.limit:>7.3f} {self.seconds:>8.1f} {self.wall:>7.1f} "
            f"{self.peak:>5} {self.refused_429:>5} {self.duplicates:>5} {self.losses:>6} "
            f"{self.cpu * 1000 / self.recipients:>8.2f}"
        )


async def measure(name: str, url: str, limit: float, count: int) -> Run:
    clock = SystemClock()
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    async with fake_server(limit, count) as (base_url, report):
        node = start_node(_Remote(base_url), url, clock, broadcast_rate=limit)
        try:
            chosen = [(tid, LOCALES[i % 4]) for i, tid in enumerate(people_ids(count))]
            await seed_rows(node.sessions, chosen, clock.now())
            author = await staff_member(node.sessions, None, clock.now())
            texts = {EVERYONE: "📣 Workshop on Friday", "sr": "📣 Радионица у петак"}
            broadcast_id = await announce(node.sessions, author, clock.now(), texts)
            cpu, started = time.process_time(), time.monotonic()
            await node.sender.run_round()
            wall, cpu = time.monotonic() - started, time.process_time() - cpu
            counts = await statuses(node.sessions, broadcast_id)
        finally:
            await node.close()
    got: dict[str, int] = report.result()["accepted"]
    return Run(
        name=name,
        limit=limit,
        recipients=count,
        seconds=float(report.result()["seconds"]),
        wall=wall,
        refused_429=int(report.result()["refused"]),
        duplicates=sum(1 for n in got.values() if n > 1),
        losses=count - len(got),
        not_sent_in_db=count - counts.get(RecipientStatus.SENT, 0),
        cpu=cpu,
        peak=int(report.result()["peak"]),
    )


# Several instances, each in a process of its own


async def node(args: argparse.Namespace) -> None:
    """One bot instance: waits for "go", sends until nobody is left waiting, prints its stats."""
    clock = SystemClock()
    values: dict[str, Any] = {"broadcast_rate": args.limit}
    if args.redis_url:
        values["redis_url"] = args.redis_url
    instance = start_node(_Remote(args.base_url), args.database_url, clock, **values)
    sender = instance.sender
    loop = asyncio.get_running_loop()
    try:
        print("ready", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        cpu = time.process_time()
        while True:
            await sender.run_round()
            counts = await statuses(instance.sessions, args.broadcast_id)
            if not counts.get(RecipientStatus.PENDING, 0) + counts.get(RecipientStatus.SENDING, 0):
                break
            await asyncio.sleep(0.5)  # rows handed back, or claimed by another instance
        cpu = time.process_time() - cpu
    finally:
        await sender.pacer.close()
        await instance.close()
    stats = {"sent": sender.stats.sent, "rate_limited": sender.stats.rate_limited, "cpu": cpu}
    print(json.dumps(stats), flush=True)


async def forget_pacing(redis_url: str) -> None:
    """No pause or schedule left in Redis by an earlier run of the benchmark's bot."""
    client = Redis.from_url(redis_url)
    try:
        namespace = TOKEN.split(":", 1)[0]
        keys = [key async for key in client.scan_iter(f"{{putokaz:pacer:{namespace}}}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def measure_instances(
    name: str, url: str, limit: float, count: int, instances: int, redis_url: str | None
) -> Run:
    clock = SystemClock()
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    if redis_url:
        await forget_pacing(redis_url)
    async with fake_server(limit, count) as (base_url, report):
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        try:
            chosen = [(tid, LOCALES[i % 4]) for i, tid in enumerate(people_ids(count))]
            await seed_rows(sessions, chosen, clock.now())
            author = await staff_member(sessions, None, clock.now())
            texts = {EVERYONE: "📣 Workshop on Friday", "sr": "📣 Радионица у петак"}
            broadcast_id = await announce(sessions, author, clock.now(), texts)
            command = [
                sys.executable, __file__, "--node", "--base-url", base_url,
                "--database-url", url, "--limit", str(limit), "--broadcast-id", str(broadcast_id),
            ]  # fmt: skip
            if redis_url:
                command += ["--redis-url", redis_url]
            children = [
                await asyncio.create_subprocess_exec(
                    *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
                )
                for _ in range(instances)
            ]
            try:
                for child in children:
                    assert child.stdout is not None
                    assert (await child.stdout.readline()).strip() == b"ready"
                started = time.monotonic()
                for child in children:
                    assert child.stdin is not None
                    child.stdin.write(b"go\n")
                    await child.stdin.drain()
                results = []
                for child in children:
                    assert child.stdout is not None
                    results.append(json.loads(await child.stdout.readline()))
                wall = time.monotonic() - started
            finally:
                for child in children:
                    if child.returncode is None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(child.wait(), 30)
                    if child.returncode is None:
                        child.kill()
                        await child.wait()
            counts = await statuses(sessions, broadcast_id)
        finally:
            await engine.dispose()
    got: dict[str, int] = report.result()["accepted"]
    return Run(
        name=name,
        limit=limit,
        recipients=count,
        seconds=float(report.result()["seconds"]),
        wall=wall,
        refused_429=int(report.result()["refused"]),
        duplicates=sum(1 for n in got.values() if n > 1),
        losses=count - len(got),
        not_sent_in_db=count - counts.get(RecipientStatus.SENT, 0),
        cpu=sum(float(r["cpu"]) for r in results),
        peak=int(report.result()["peak"]),
        instances=instances,
        per_instance=tuple(int(r["sent"]) for r in results),
    )


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
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=30, help="Telegram's messages per second")
    parser.add_argument("--fast-limit", type=float, default=1000, help="0: skip that run")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    parser.add_argument(
        "--instances", type=int, default=1, help="bot processes sharing one database (> 1)"
    )
    parser.add_argument("--redis-url", help="the Redis the instances share the rate through")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--node", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--broadcast-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(args.limit, args.recipients)
        return
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.node:
        await node(args)
        return
    if args.instances > 1 and not (args.database_url and args.redis_url):
        parser.error("--instances needs --database-url (PostgreSQL) and --redis-url")
    compile_all()  # aiogram refuses a .po without its .mo

    runs = []
    backend = "sqlite"
    if args.instances > 1:
        n = args.instances
        multi = [
            (f"{n} sharing via Redis", args.limit, args.redis_url),
            (f"{n} alone, no Redis", args.limit, None),
        ]
        if args.fast_limit:
            multi.append((f"{n} ceiling via Redis", args.fast_limit, args.redis_url))
        for name, limit, redis_url in multi:
            async with fresh_database(args.database_url) as url:
                backend = make_url(url).get_backend_name()
                runs.append(
                    await measure_instances(name, url, limit, args.recipients, n, redis_url)
                )
    else:
        plans = [("at Telegram's limit", args.limit)]
        if args.fast_limit:
            plans.append(("the sender's ceiling", args.fast_limit))
        for name, limit in plans:
            async with fresh_database(args.database_url) as url:
                backend = make_url(url).get_backend_name()
                runs.append(await measure(name, url, limit, args.recipients))

    instances = f" by {args.instances} instances" if args.instances > 1 else ""
    print(
        f"\nOne announcement to {args.recipients} people{instances} on {backend}. The fake Bot "
        "API (its own process)\nanswers 429 beyond its limit in any sliding second; "
        "BROADCAST_RATE is set to that limit."
    )
    head = (
        f"{'run':<22} {'limit/s':>7} {'people':>7} {'sent/s':>8} {'share':>7} {'send s':>8} "
        f"{'wall s':>7} {'peak':>5} {'429s':>5} {'dupl':>5} {'losses':>6} {'CPU ms':>8}"
    )
    print("\n" + head)
    for run in runs:
        print(run.row())
    print(
        "\nsent/s: accepted messages per second, first to last; share: sent/s / limit (goal at "
        "Telegram's limit: >= 0.95);\npeak: most accepted in any sliding second; wall: the whole "
        "round (claims, sending, recording, report);\nCPU ms: the bot processes' CPU per message."
    )
    for run in runs:
        if run.per_instance:
            each = ", ".join(str(n) for n in run.per_instance)
            print(f"{run.name}: messages per instance {each}")
        if run.not_sent_in_db:
            print(f"{run.name}: {run.not_sent_in_db} rows not marked sent in the database")
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    asyncio.run(main())
