"""The desk's workshop list with 5,000 workshops and 100,000 bookings: p95 server time (goal:
under 150 ms).

Usage, from the repository root with the venv active:

    python bench/console_workshops.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/console_workshops.py                       # SQLite in a temp dir
    python bench/console_workshops.py --workshops 50 --bookings 500 --requests 5   # a smoke run

The real bot and its desk run against the in-repo fake Bot API (tests/desk_support.py) on a
fresh migrated database (beside the one named, dropped afterwards). Workshops and bookings are
written in bulk; a staff member signs in with the bot's /console link like anyone; then the
list is fetched over HTTP on 127.0.0.1 with the filters staff use (none, a town, a type, a
programme, past ones, a later page), in turns. The time is the request's round trip on the
loopback, which is the server's time plus a socket hop. `uptime` is printed beside the figures:
the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, update
from sqlalchemy.engine import make_url

# `python bench/console_workshops.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput import fresh_database
from bot.booking import workshops
from bot.booking.models import Booking, BookingStatus, Workshop
from bot.db.engine import SessionFactory, create_engine
from bot.db.migrate import upgrade_to_head
from bot.i18n.catalogs import compile_all
from bot.people.models import Role, User
from bot.people.profile import CITIES, PROGRAMMES
from tests.desk_support import browser, console_link, page, running_desk, sign_in
from tests.harness import FakeClock
from tests.test_roles import staff_member

PEOPLE = 5_000
CHUNK = 2_000
QUERIES = (
    "",
    "?town=kragujevac",
    "?type=digital",
    "?programme=nova",
    "?when=past",
    "?page=40",
    "?town=online&type=cv_jobs",
)


@dataclass(frozen=True)
class Figures:
    backend: str
    workshops: int
    bookings: int
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float


async def seed(sessions: SessionFactory, now_clock: FakeClock, count: int, bookings: int) -> None:
    """`count` workshops a year around now, `bookings` bookings spread over them."""
    now = now_clock.now()
    people = min(PEOPLE, max(bookings, 1))
    async with sessions.begin() as session:
        for start in range(0, people, CHUNK):
            await session.execute(
                insert(User),
                [
                    {
                        "telegram_id": 9_000_000 + n,
                        "locale": ("sr", "sr_Latn", "bg", "en")[n % 4],
                        "role": Role.YOUTH,
                        "display_name": f"Y{n}",
                        "consent_at": now,
                        "consent_version": 1,
                        "is_active": True,
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for n in range(start, min(start + CHUNK, people))
                ],
            )
        user_ids = [
            row[0]
            for row in (
                await session.execute(User.__table__.select().with_only_columns(User.id))
            ).all()
        ]
    per_workshop = -(-bookings // max(count, 1))
    made = 0
    for start in range(0, count, CHUNK):
        async with sessions.begin() as session:
            rows = []
            for n in range(start, min(start + CHUNK, count)):
                starts = now + timedelta(hours=(n * 7919) % (24 * 365) - 24 * 180)
                online = n % 9 == 0
                rows.append(
                    {
                        "kind": workshops.KINDS[n % len(workshops.KINDS)],
                        "title": f"Workshop {n}",
                        "city": None if online else CITIES[n % len(CITIES)],
                        "address": None if online else "Trg 1",
                        "online_url": "https://meet.example.org/w" if online else None,
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=2),
                        "closes_at": starts - timedelta(hours=2),
                        "capacity": 15,
                        "booked": 0,
                        "languages": "",
                        "programme": PROGRAMMES[n % len(PROGRAMMES)] if n % 3 == 0 else None,
                        "status": "scheduled",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            ids = list((await session.scalars(insert(Workshop).returning(Workshop.id), rows)).all())
            booking_rows = []
            for index, workshop_id in enumerate(ids):
                wanted = min(per_workshop, bookings - made)
                if wanted <= 0:
                    break
                source = rows[index]
                for k in range(wanted):
                    booking_rows.append(
                        {
                            "user_id": user_ids[(workshop_id * 31 + k) % len(user_ids)],
                            "workshop_id": workshop_id,
                            "starts_at": source["starts_at"],
                            "ends_at": source["ends_at"],
                            "status": BookingStatus.BOOKED if k < 15 else BookingStatus.WAITING,
                            "queued_at": now,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                made += wanted
                await session.execute(
                    update(Workshop)
                    .where(Workshop.id == workshop_id)
                    .values(booked=min(wanted, 15))
                )
            for offset in range(0, len(booking_rows), CHUNK):
                await session.execute(insert(Booking), booking_rows[offset : offset + CHUNK])


async def measure(
    database_url: str, count: int, bookings: int, requests: int, warmup: int = 3
) -> Figures:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    async with running_desk(database_url) as desk:
        await seed(desk.harness.sessions, desk.harness.clock, count, bookings)
        staff = await staff_member(desk.harness)
        times: list[float] = []
        async with browser() as client:
            await sign_in(client, await console_link(staff))
            for n in range(warmup + requests):
                url = f"{desk.base}/desk/workshops{QUERIES[n % len(QUERIES)]}"
                started = time.perf_counter()
                status, html = await page(client, url)
                took = time.perf_counter() - started
                assert status == 200 and 'id="count"' in html, (status, html[:500])
                if n >= warmup:
                    times.append(took * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(len(times) * 0.95) - 1))]
    return Figures(
        backend=make_url(database_url).get_backend_name(),
        workshops=count,
        bookings=bookings,
        requests=requests,
        p50_ms=statistics.median(times),
        p95_ms=p95,
        max_ms=times[-1],
    )


async def run(server_url: str | None, count: int, bookings: int, requests: int) -> Figures:
    async with fresh_database(server_url) as url:
        return await measure(url, count, bookings, requests)


def uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "uptime: unavailable"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workshops", type=int, default=5_000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=140)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    compile_all()
    before = uptime()
    figures = await run(args.database_url, args.workshops, args.bookings, args.requests)
    print(
        f"workshop list ({figures.backend}, {figures.workshops} workshops, {figures.bookings} "
        f"bookings, {figures.requests} requests): p50 {figures.p50_ms:.1f} ms, "
        f"p95 {figures.p95_ms:.1f} ms (goal < 150 ms), max {figures.max_ms:.1f} ms"
    )
    print(f"load before: {before}")
    print(f"load after:  {uptime()}")


if __name__ == "__main__":
    asyncio.run(main())
