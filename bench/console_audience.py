"""The desk's live audience count: "everyone in Serbian in Kragujevac" over 100,000 people.

Usage, from the repository root with the venv active:

    python bench/console_audience.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/console_audience.py [--people 100000] [--repeats 50]   # SQLite in a temp dir

On a fresh migrated database (on PostgreSQL a new one beside the one named, dropped afterwards)
it writes the people (languages, towns, roles, blocked and muted ones mixed in), then asks what
the page's script asks on every change of the audience form: the count per language through
bot/broadcasts (console.count, the same query the announcement's rows are made from), each in a
unit of work of its own. It checks the count against the people written and prints p50/p95 with
the machine's load; the target is a p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

# `python bench/console_audience.py` puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput import fresh_database
from bot.broadcasts import audience as conditions
from bot.broadcasts import console
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.people.models import Role, User
from bot.people.profile import CITIES, PROGRAMMES

TARGET_MS = 100.0
LOCALES = ("sr", "sr_Latn", "bg", "en")
LOCALE_WEIGHTS = (40, 15, 25, 20)
CHUNK = 5000


@dataclass(frozen=True)
class Result:
    people: int
    expected: int
    counted: int
    p50_ms: float
    p95_ms: float
    repeats: int


def _people(count: int, rng: random.Random, now: datetime) -> tuple[list[dict[str, Any]], int]:
    """The rows, and how many of them are Serbian speakers in Kragujevac that an announcement
    reaches (consented, not blocked, not muted; the staff author excluded by the query)."""
    rows: list[dict[str, Any]] = []
    expected = 0
    for n in range(count):
        locale = rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
        # Kragujevac is one town of many, but a large one.
        city = "kragujevac" if rng.random() < 0.12 else rng.choice(CITIES)
        consented = rng.random() > 0.03
        active = rng.random() > 0.05
        muted = rng.random() < 0.04
        role = Role.MENTOR if rng.random() < 0.02 else Role.YOUTH
        rows.append(
            {
                "telegram_id": 10_000_000 + n,
                "locale": locale,
                "role": role.value,
                "timezone": "Europe/Belgrade",
                "display_name": f"P{n}",
                "birth_year": 2000 + n % 10,
                "consent_at": now if consented else None,
                "consent_version": 1 if consented else None,
                "is_active": active,
                "city": city,
                "programme": rng.choice(PROGRAMMES) if rng.random() < 0.5 else None,
                "announcements_muted": muted,
                "created_at": now,
                "last_seen_at": now,
            }
        )
        if locale in ("sr", "sr_Latn") and city == "kragujevac" and consented and active:
            expected += 0 if muted else 1
    return rows, expected


async def run(database_url: str, people: int, repeats: int, warmup: int = 3) -> Result:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        now = datetime.now(UTC)
        rows, expected = _people(people, random.Random(14), now)
        async with sessions.begin() as session:
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(User), rows[start : start + CHUNK])
            staff = User(
                telegram_id=1,
                locale="sr",
                role=Role.STAFF,
                display_name="Staff",
                consent_at=now,
                consent_version=1,
                is_active=True,
                created_at=now,
                last_seen_at=now,
            )
            session.add(staff)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE users"))
                await connection.commit()
        else:
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
        filters = conditions.Filters(language="sr", town="kragujevac")
        timings: list[float] = []
        counted = 0
        for n in range(warmup + repeats):
            started = time.perf_counter()
            async with sessions() as session:
                actor = await session.get(User, staff.id)
                assert actor is not None
                by_locale = await console.count(session, actor, filters)
            elapsed = (time.perf_counter() - started) * 1000
            counted = sum(by_locale.values())
            if n >= warmup:
                timings.append(elapsed)
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        return Result(people, expected, counted, statistics.median(timings), p95, repeats)
    finally:
        await engine.dispose()


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    args = parser.parse_args()
    async with fresh_database(args.database_url) as url:
        kind = "PostgreSQL" if args.database_url else "SQLite"
        print(f"load before: {load()}")
        result = await run(url, args.people, args.repeats)
        print(f"load after:  {load()}")
    verdict = "OK" if result.p95_ms < TARGET_MS else "SLOWER THAN TARGET"
    print(
        f"{kind}: audience count 'everyone in Serbian in Kragujevac' over {result.people:,} "
        f"people = {result.counted:,} (expected {result.expected:,}); "
        f"p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms over {result.repeats} "
        f"repeats; target p95 < {TARGET_MS:.0f} ms: {verdict}"
    )
    if result.counted != result.expected:
        raise SystemExit("the count is wrong")


if __name__ == "__main__":
    asyncio.run(main())
