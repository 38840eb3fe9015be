"""`python -m bot` killed with SIGKILL in the middle of a broadcast, then started again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.botapi import FakeTelegram
from bot.broadcasts.models import BroadcastRecipient, RecipientStatus
from bot.broadcasts.telegram.sender import worker_count
from bot.clock import SystemClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.people.models import User
from tests.broadcast_support import TOKEN, announce, deliveries, seed, staff_member, statuses

STARTUP_SECONDS = 60
PEOPLE = 200


def _env(database_url: str, api_base: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("BOT_", "DATABASE_", "BROADCAST_", "TELEGRAM_", "REDIS_", "WEBHOOK_", "WEB_")
        )
    }
    env.update(
        WEB_PORT="0",  # the desk's server on any free port: tests may run side by side
        BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        TELEGRAM_API_BASE=api_base,
        BROADCAST_RATE="25",
        BROADCAST_LEASE_SECONDS="4",
        PYTHONUNBUFFERED="1",
    )
    return env


async def _start(tmp_path: Path, env: dict[str, str], name: str) -> asyncio.subprocess.Process:
    with (tmp_path / f"{name}.log").open("wb") as log:  # read when a test fails
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=tmp_path,  # no .env there
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip


async def test_killed_mid_broadcast_and_restarted_nobody_missed_only_in_flight_twice(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    sessions = create_session_factory(engine)
    # The processes run on the system clock: the rows must be due by it.
    clock = SystemClock()
    async with FakeTelegram(token=TOKEN, rate_limit=30) as fake:
        people = await seed(sessions, fake, PEOPLE, clock.now())
        author = await staff_member(sessions, fake, clock.now())
        broadcast_id = await announce(sessions, author, clock.now())
        env = _env(database_url, fake.base_url)

        first = await _start(tmp_path, env, "first")
        try:
            await fake.state.changed.wait_for(
                lambda: sum(deliveries(fake, people).values()) >= 60 or None, STARTUP_SECONDS
            )
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        async with sessions() as session:
            in_flight = set(
                (
                    await session.scalars(
                        select(User.telegram_id)
                        .join(BroadcastRecipient, BroadcastRecipient.user_id == User.id)
                        .where(BroadcastRecipient.status == RecipientStatus.SENDING)
                    )
                ).all()
            )
        before = sum(deliveries(fake, people).values())
        assert 60 <= before < PEOPLE

        second = await _start(tmp_path, env, "second")
        try:

            async def finished() -> Counter[str]:
                while True:
                    counts = await statuses(sessions, broadcast_id)
                    if counts == {RecipientStatus.SENT: PEOPLE}:
                        return counts
                    await asyncio.sleep(0.2)

            await asyncio.wait_for(finished(), STARTUP_SECONDS)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
        assert second.returncode == 0
    await engine.dispose()
    got = deliveries(fake, people)
    assert set(got) == {p.id for p in people}, "nobody is skipped"
    doubled = {chat for chat, n in got.items() if n > 1}
    assert doubled <= in_flight, "only messages in flight at the kill may arrive twice"
    # Requests in flight are at most one per worker, plus outcomes not yet written.
    assert len(doubled) <= worker_count(25) + 5
    assert max(got.values()) <= 2
