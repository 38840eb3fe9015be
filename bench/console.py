"""The desk's pages under a full caseload: p95 server time of the people table, a person's page,
the staff reports and a mentor's caseload, and the size of each page.

Usage, from the repository root with the venv active:

    python bench/console.py                      # SQLite, then PostgreSQL
    python bench/console.py --backends sqlite --people 50 --requests 3
    python bench/console.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Each database is fresh and migrated (an SQLite file in a temp dir, or a new PostgreSQL database
beside the one named in --database-url, dropped afterwards; bench/throughput.py's
fresh_database). It is seeded with bulk inserts (executemany, a few thousand rows a statement):
--people young people spread over the programmes and towns, --mentors mentors sharing them,
--tasks tasks (done on time, done late, open, overdue, cancelled), --assessments completed
self-assessments with a score per life domain, workshops with bookings, counselling sessions,
an announcement with its deliveries and some requests for more time.

Then the desk's own aiohttp application (bot/web/routes.py) serves on 127.0.0.1 and each page
is asked for --requests times, one request at a time, by a signed-in staff member (the mentor's
caseload, and a young person's page with the self-assessment history as their mentor sees it, by
that mentor). "Server time" is measured inside the application, from the request
reaching the desk's handler to its answer being ready, so the client's own work is not counted.
The machine's load (uptime) is printed beside the figures: other work on it slows them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiohttp import web
from sqlalchemy import insert
from sqlalchemy.engine import make_url

# `python bench/console.py` puts bench/ on sys.path, not the root that holds `bot`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput import fresh_database
from bot.assessment.models import Assessment, AssessmentScore, AssessmentStatus
from bot.assessment.questionnaire import load_all
from bot.booking.models import (
    Attendance,
    Booking,
    BookingStatus,
    Counsellor,
    Workshop,
    WorkshopStatus,
)
from bot.broadcasts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from bot.config import DatabaseSettings, Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import create_i18n
from bot.i18n.catalogs import compile_all
from bot.people import desk_access
from bot.people.models import MentorLink, Role, User
from bot.people.profile import CITIES, PROGRAMMES
from bot.plans.models import (
    ExtensionRequest,
    ExtensionStatus,
    Goal,
    Task,
    TaskStatus,
)
from bot.plans.reminders import deadline_at
from bot.web.routes import create_app
from bot.web.server import COOKIE, Desk, start

TOKEN = "123456:BENCH-console-token"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CHUNK = 5_000
GOAL_MS = 150.0
NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    def now(self) -> datetime:
        return NOW


def load() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# Seeding


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for first in range(0, len(rows), CHUNK):
        yield rows[first : first + CHUNK]


@dataclass
class Sizes:
    people: int
    mentors: int
    tasks: int
    assessments: int


async def seed(url: str, sizes: Sizes, rng: random.Random) -> tuple[int, int, list[int]]:
    """Bulk rows; ids are given here, so related rows need no round trip. Returns the staff
    member's id, one mentor's id and the young people's ids."""
    engine = create_engine(url)
    zone = DatabaseSettings().timezone
    questionnaire = load_all().current
    domains = [d.id for d in questionnaire.domains]
    ago = NOW - timedelta(days=400)
    users: list[dict[str, Any]] = []
    next_id = 1

    def person(role: str, name: str, **values: Any) -> dict[str, Any]:
        nonlocal next_id
        row = {
            "id": next_id,
            "telegram_id": 10_000_000 + next_id,
            "locale": rng.choice(("sr", "sr_Latn", "bg", "en")),
            "role": role,
            "timezone": None,
            "display_name": name,
            "birth_year": 2005,
            "consent_at": ago,
            "consent_version": 1,
            "is_active": True,
            "city": None,
            "programme": None,
            "announcements_muted": False,
            "created_at": ago,
            "last_seen_at": NOW - timedelta(hours=rng.randint(0, 24 * 60)),
        } | values
        next_id += 1
        users.append(row)
        return row

    staff = person(Role.STAFF, "Staff", locale="en")
    mentors = [person(Role.MENTOR, f"Mentor {i:03d}") for i in range(sizes.mentors)]
    youth = [
        person(
            Role.YOUTH,
            f"Young person {i:05d}",
            city=rng.choice(CITIES),
            programme=rng.choice(PROGRAMMES),
        )
        for i in range(sizes.people)
    ]
    links = [
        {
            "mentor_id": mentors[i % len(mentors)]["id"],
            "youth_id": y["id"],
            "created_at": ago,
        }
        for i, y in enumerate(youth)
    ]
    goals: list[dict[str, Any]] = []
    for i, y in enumerate(youth):
        for g in range(2):
            goals.append(
                {
                    "id": i * 2 + g + 1,
                    "youth_id": y["id"],
                    "title": "Find a job" if g else "Finish school",
                    "domain": "work" if g else "education",
                    "status": "active",
                    "created_at": ago + timedelta(days=rng.randint(0, 300)),
                    "created_by_id": None,
                }
            )
    tasks: list[dict[str, Any]] = []
    today = NOW.date()
    for n in range(sizes.tasks):
        goal = goals[n % len(goals)]
        due = today + timedelta(days=rng.randint(-120, 60))
        roll = rng.random()
        status, done_at = TaskStatus.TODO, None
        if roll < 0.45:
            status = TaskStatus.DONE
            done_at = datetime.combine(due, clock_time(12), tzinfo=UTC) + timedelta(
                days=rng.randint(-5, 4)
            )
            done_at = min(done_at, NOW)
        elif roll < 0.5:
            status = TaskStatus.CANCELLED
        due_time = clock_time(10) if roll > 0.9 else None
        tasks.append(
            {
                "id": n + 1,
                "goal_id": goal["id"],
                "youth_id": goal["youth_id"],
                "title": f"Task {n}",
                "details": None,
                "owner": "me",
                "due_date": due,
                "due_time": due_time,
                "deadline_at": deadline_at(due, due_time, zone),
                "status": status,
                "done_at": done_at,
                "done_note": None,
                "created_at": goal["created_at"],
                "updated_at": goal["created_at"],
            }
        )
    extensions = [
        {
            "task_id": t["id"],
            "requested_at": NOW - timedelta(days=rng.randint(0, 10)),
            "status": ExtensionStatus.PENDING,
        }
        for t in tasks[:: max(1, len(tasks) // 500)]
        if t["status"] == TaskStatus.TODO
    ]
    assessments: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for n in range(sizes.assessments):
        owner = youth[n % len(youth)]
        done = NOW - timedelta(days=rng.randint(0, 360))
        assessments.append(
            {
                "id": n + 1,
                "user_id": owner["id"],
                "version": questionnaire.version,
                "status": AssessmentStatus.COMPLETED,
                "current_question": None,
                "open_for": None,
                "requested_steps": "",
                "started_at": done,
                "updated_at": done,
                "completed_at": done,
                "superseded_at": None,
            }
        )
        for domain in domains:
            average = round(rng.uniform(1, 5), 2)
            scores.append(
                {
                    "assessment_id": n + 1,
                    "domain": domain,
                    "average": average,
                    "level": round(average),
                    "answered": 3,
                    "first_average": None,
                }
            )
    # What completing them one after another would have stored (bot/assessment/queries.py):
    # when each stopped being the person's latest, and the first one's averages on later ones.
    in_order: dict[int, list[dict[str, Any]]] = {}
    for a in sorted(assessments, key=lambda a: (a["completed_at"], a["id"])):
        in_order.setdefault(a["user_id"], []).append(a)
    first_of: dict[int, int] = {}
    for own in in_order.values():
        for earlier, later in itertools.pairwise(own):
            earlier["superseded_at"] = later["completed_at"]
        for a in own[1:]:
            first_of[a["id"]] = own[0]["id"]
    averages = {(s["assessment_id"], s["domain"]): s["average"] for s in scores}
    for s in scores:
        if s["assessment_id"] in first_of:
            s["first_average"] = averages.get((first_of[s["assessment_id"]], s["domain"]))
    workshops = []
    bookings = []
    for n in range(max(2, sizes.people // 50)):
        starts = NOW + timedelta(days=rng.randint(-60, 30), hours=rng.randint(0, 8))
        workshops.append(
            {
                "id": n + 1,
                "kind": "cv",
                "title": f"Workshop {n}",
                "city": rng.choice(CITIES),
                "programme": rng.choice(PROGRAMMES),
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "closes_at": starts - timedelta(hours=2),
                "capacity": 15,
                "booked": 10,
                "languages": "",
                "status": WorkshopStatus.SCHEDULED,
                "created_at": ago,
                "updated_at": ago,
            }
        )
        for seat, y in enumerate(rng.sample(youth, min(10, len(youth)))):
            bookings.append(
                {
                    "user_id": y["id"],
                    "workshop_id": n + 1,
                    "counsellor_id": None,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "status": BookingStatus.BOOKED,
                    "queued_at": ago,
                    "attendance": Attendance.ATTENDED if seat % 3 else Attendance.NO_SHOW,
                    "created_at": ago,
                    "updated_at": ago,
                }
            )
    for _n in range(max(2, sizes.people // 10)):
        starts = NOW + timedelta(days=rng.randint(-60, 30))
        bookings.append(
            {
                "user_id": rng.choice(youth)["id"],
                "workshop_id": None,
                "counsellor_id": 1,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "status": BookingStatus.BOOKED,
                "queued_at": ago,
                "attendance": None,
                "created_at": ago,
                "updated_at": ago,
            }
        )
    sent = NOW - timedelta(days=3)
    recipients = [
        {
            "broadcast_id": 1,
            "user_id": y["id"],
            "status": RecipientStatus.SENT,
            "next_attempt_at": sent,
            "sent_at": sent,
            "attempts": 0,
        }
        for y in youth
    ]
    tables: list[tuple[Any, Sequence[dict[str, Any]]]] = [
        (User, users),
        (MentorLink, links),
        (Goal, goals),
        (Task, tasks),
        (ExtensionRequest, extensions),
        (Assessment, assessments),
        (AssessmentScore, scores),
        (
            Counsellor,
            [
                {
                    "id": 1,
                    "service": "career",
                    "name": "Counsellor",
                    "timezone": "Europe/Belgrade",
                    "active": True,
                    "created_at": ago,
                }
            ],
        ),
        (Workshop, workshops),
        (Booking, bookings),
        (
            Broadcast,
            [
                {
                    "id": 1,
                    "kind": BroadcastKind.ANNOUNCEMENT,
                    "status": BroadcastStatus.DONE,
                    "created_at": sent,
                    "total": len(recipients),
                }
            ],
        ),
        (BroadcastRecipient, recipients),
    ]
    try:
        async with engine.begin() as connection:
            for model, rows in tables:
                for chunk in _chunks(rows):
                    await connection.execute(insert(model), list(chunk))
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                # Ids were given; the sequences must follow. The planner needs statistics, and
                # index-only reads the visibility map: VACUUM leaves the tables as autovacuum
                # would after the inserts of a live service.
                for model, _rows in tables:
                    name = model.__tablename__
                    await connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                await connection.commit()
            # VACUUM cannot run inside a transaction.
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("VACUUM ANALYZE")
        else:
            async with engine.begin() as connection:
                await connection.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return int(staff["id"]), int(mentors[0]["id"]), [int(y["id"]) for y in youth]


# Measuring


@dataclass
class Timed:
    times: list[float]

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        self.times.append((time.perf_counter() - started) * 1000)
        return response


@dataclass
class Figure:
    page: str
    p50: float
    p95: float
    kib: float


def p95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


async def measure(url: str, sizes: Sizes, requests: int, rng: random.Random) -> list[Figure]:
    staff_id, mentor_id, youth_ids = await seed(url, sizes, rng)
    settings = Settings(bot_token=TOKEN, database_url=url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    bot = Bot(TOKEN)
    desk = Desk(settings, sessions, Clock(), create_i18n(), bot, load_all())
    timer = Timed([])
    app = create_app(desk)
    app.middlewares.append(timer.middleware)
    runner, port = await start(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}/desk"
    mentees = youth_ids[:: sizes.mentors]  # the seed links young person i to mentor i % mentors
    figures: list[Figure] = []
    try:
        cookies: dict[int, str] = {}
        for who in (staff_id, mentor_id):
            async with sessions.begin() as session:
                user = await session.get(User, who)
                assert user is not None
                token = await desk_access.issue_link(session, user, NOW, timedelta(hours=12))
                signed = await desk_access.redeem_link(session, token, NOW)
                assert signed is not None
                cookies[who] = signed.token
        pages: list[tuple[str, int, Callable[[], str]]] = [
            ("people table", staff_id, lambda: "/people"),
            ("people table, overdue filter", staff_id, lambda: "/people?late=yes&role=youth"),
            ("person page", staff_id, lambda: f"/people/{rng.choice(youth_ids)}"),
            # Their mentor also sees the self-assessment history with its star charts.
            ("person page, by the mentor", mentor_id, lambda: f"/people/{rng.choice(mentees)}"),
            ("staff dashboard (reports)", staff_id, lambda: "/reports"),
            ("mentor dashboard (caseload)", mentor_id, lambda: "/caseload"),
        ]
        async with aiohttp.ClientSession() as client:
            for name, who, path in pages:
                headers = {"Cookie": f"{COOKIE}={cookies[who]}"}
                sizes_kib: list[float] = []
                times: list[float] = []
                # One untimed request first: the first of each kind compiles its template.
                for n in range(requests + 1):
                    timer.times.clear()
                    async with client.get(base + path(), headers=headers) as response:
                        body = await response.read()
                        assert response.status == 200, (name, response.status, body[:300])
                    if n:
                        sizes_kib.append(len(body) / 1024)
                        times.append(timer.times[-1])
                figures.append(
                    Figure(name, statistics.median(times), p95(times), statistics.mean(sizes_kib))
                )
    finally:
        await runner.cleanup()
        await bot.session.close()
        await engine.dispose()
    return figures


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=None, help="default: 10 per young person")
    parser.add_argument("--assessments", type=int, default=None, help="default: 2 per person")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="a PostgreSQL server")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    sizes = Sizes(
        people=args.people,
        mentors=max(1, min(args.mentors, args.people)),
        tasks=args.tasks if args.tasks is not None else args.people * 10,
        assessments=args.assessments if args.assessments is not None else args.people * 2,
    )
    compile_all()
    worst = 0.0
    for backend in args.backends.split(","):
        server = None if backend == "sqlite" else args.database_url
        print(
            f"\n{backend}: {sizes.people} young people, {sizes.mentors} mentors, "
            f"{sizes.tasks} tasks, {sizes.assessments} self-assessments; "
            f"{args.requests} requests a page",
            flush=True,
        )
        async with fresh_database(server) as url:
            engine = create_engine(url)
            try:
                await upgrade_to_head(engine)
            finally:
                await engine.dispose()
            seeded = time.perf_counter()
            figures = await measure(url, sizes, args.requests, random.Random(args.seed))
            took = time.perf_counter() - seeded
            print(f"  seeded and measured in {took:.1f} s ({make_url(url).get_backend_name()})")
        print(f"  {'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'KiB':>7}")
        for f in figures:
            mark = "" if f.p95 < GOAL_MS else f"  over the {GOAL_MS:.0f} ms goal"
            print(f"  {f.page:<32} {f.p50:8.1f} {f.p95:8.1f} {f.kib:7.1f}{mark}")
            worst = max(worst, f.p95)
        print(f"  {load()}", flush=True)
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
