"""Reminder dispatcher on PostgreSQL: tick time with few and many pending reminders, send rate.

Usage, from the repository root with the venv active:

    python bench/reminders.py [--database-url ...] [--big 1000000]

--database-url names a PostgreSQL server (default: postgresql+asyncpg://postgres@127.0.0.1:5432/
test); that database is only used to connect: two new ones are created beside it, migrated to
head, filled with server-side INSERT ... SELECT FROM generate_series, and dropped at the end,
even after a failure.

Part 1, the tick against a small and a big table. In both databases --due reminders (default
200, one tick's batch) are due now, and --small reminders are pending but due over the next 60
days, as plans leave them; the big one then gets --big minus --small more. After VACUUM ANALYZE,
each figure is taken from both databases in turn (small, big, big, small, ...), so that other
work on the machine weighs on both alike:
  * claim: bot.plans.reminder_rows.claim(limit 200) in its own transaction, rolled back so
    every repetition sees the same rows; its UPDATE and its SELECT are also timed at the driver;
  * idle tick: ReminderSender.tick() when nothing is due, what almost every tick does;
  * full tick: ReminderSender.tick() claiming, sending (fake Bot API) and recording the due
    batch; the rows are put back and the table vacuumed between repetitions.
The ratio big/small should stay near 1 if the claim walks the (status, due_at) index instead of
the table. For the big table, EXPLAIN (ANALYZE, BUFFERS) of the claim's inner SELECT, of the
UPDATE and the SELECT that claim() sends, and the generic plan of the UPDATE (what PostgreSQL
may reuse for asyncpg's prepared statement once it looks no dearer) are printed.

Part 2, the send rate, in the big database. The due batch is replaced by --dispatch reminders
due now, one per person, and ReminderSender.tick() runs until nothing is left, with the pacer
effectively off and a fake Bot API without rate limits (bot/botapi: real HTTP on
127.0.0.1, in this process and on the same event loop, so its CPU time is in the figure).
Checked afterwards: every reminder sent exactly once to its person, every row marked sent. For
scale, the same messages are then sent again straight with bot.send_message, 200 at a time: the
ceiling the fake and the HTTP client set by themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from pydantic import SecretStr
from sqlalchemy import Dialect, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

# `python bench/reminders.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput import fresh_database
from bot.app import create_bot
from bot.botapi import FakeTelegram, RecordedRequest
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import create_i18n
from bot.i18n.catalogs import compile_all
from bot.kit.pacing import Pacer
from bot.people.models import Role
from bot.people.rules import PRIVACY_VERSION
from bot.plans import reminder_rows
from bot.plans.models import GoalStatus, Reminder, ReminderStatus, TaskOwner, TaskStatus
from bot.plans.reminders import ON_THE_DAY, OVERDUE, kind_for
from bot.reminder_sender import BATCH, ReminderSender

TOKEN = "123456:BENCH-reminders-token"
DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TZ = "Europe/Belgrade"
# 09:00 in Belgrade on a Monday: the hour reminders go out. Fixed, so every run plans alike.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
TODAY = NOW.date()  # the same day in Belgrade
TG_BASE = 700_000_000  # telegram_id = TG_BASE + users.id, the ids of the fake's users
# Reminders per second: the pacer must not be what is measured. Not 100,000: waiting for a
# token is an asyncio sleep, and the event loop's poll rounds a 10 µs timeout up to 1 ms, so
# that rate alone would hold the pacer to a few thousand per second when the loop is idle.
FAST = 1e9


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


class LogCounter(logging.Handler):
    """Counts warnings and errors logged, so a fast but failing run is not believed."""

    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


# Filling. Ids of users, goals and tasks are given explicitly so reminders can name their task
# without a round trip; goal id = user id (one goal each).

USERS_SQL = """
INSERT INTO users (id, telegram_id, locale, role, timezone, display_name, birth_year,
                   consent_at, consent_version, is_active, created_at, last_seen_at,
                   announcements_muted)
SELECT g, CAST(:tg_base AS bigint) + g, 'en', :role, :tz, 'Bench ' || g, 2007,
       CAST(:now AS timestamptz) - interval '30 days', :version, true,
       CAST(:now AS timestamptz) - interval '30 days', CAST(:now AS timestamptz), false
FROM generate_series(1, CAST(:users AS integer)) AS g
"""

GOALS_SQL = """
INSERT INTO goals (id, youth_id, title, domain, status, created_at)
SELECT g, g, 'Bench goal ' || g, 'work', :active, CAST(:now AS timestamptz) - interval '30 days'
FROM generate_series(1, CAST(:users AS integer)) AS g
"""

# Future tasks: due 4 to 60 days ahead between 08:00 and 17:59 local, so all four of their
# reminders (3 days before, the day before, on the day at the reminder hour; overdue at the
# deadline) fall within the next 60 days and none is due now.
FUTURE_TASKS_SQL = """
INSERT INTO tasks (id, goal_id, youth_id, title, owner, due_date, due_time, status,
                   created_at, updated_at)
SELECT CAST(:first AS integer) + t, u, u, 'Bench task ' || (CAST(:first AS integer) + t), :owner,
       CAST(:today AS date) + 4 + t % 57, time '08:00' + (t % 600) * interval '1 minute', :todo,
       CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM generate_series(0, CAST(:count AS integer) - 1) AS t,
     LATERAL (SELECT t % CAST(:users AS integer) + 1) AS x(u)
"""

FUTURE_REMINDERS_SQL = """
INSERT INTO reminders (user_id, task_id, kind, scheduled_at, due_at, status, attempts)
SELECT t.youth_id, t.id, k.kind, k.at, k.at, :pending, 0
FROM tasks AS t
CROSS JOIN LATERAL (VALUES
    (CAST(:k3 AS varchar), ((t.due_date - 3) + make_time(:hour, 0, 0)) AT TIME ZONE :tz),
    (CAST(:k1 AS varchar), ((t.due_date - 1) + make_time(:hour, 0, 0)) AT TIME ZONE :tz),
    (CAST(:k0 AS varchar), (t.due_date + make_time(:hour, 0, 0)) AT TIME ZONE :tz),
    (CAST(:kover AS varchar), (t.due_date + t.due_time) AT TIME ZONE :tz)
) AS k(kind, at)
WHERE t.id >= :first AND t.id < CAST(:first AS integer) + CAST(:count AS integer)
"""

# Due now, one per person (person i + 1). With :cycle 1 all are "on the day"; with 3 a third
# each is "on the day", "tomorrow" and "overdue" (deadline yesterday), so each text is right.
DUE_TASKS_SQL = """
INSERT INTO tasks (id, goal_id, youth_id, title, owner, due_date, due_time, status,
                   created_at, updated_at)
SELECT CAST(:first AS integer) + i, i + 1, i + 1, 'Bench task ' || (CAST(:first AS integer) + i),
       :owner, CAST(:today AS date) + (ARRAY[0, 1, -1])[i % CAST(:cycle AS integer) + 1],
       time '14:00', :todo, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM generate_series(0, CAST(:count AS integer) - 1) AS i
"""

DUE_REMINDERS_SQL = """
INSERT INTO reminders (user_id, task_id, kind, scheduled_at, due_at, status, attempts)
SELECT t.youth_id, t.id, k.kind, k.at, k.at, :pending, 0
FROM tasks AS t
CROSS JOIN LATERAL (SELECT (t.id - CAST(:first AS integer)) % CAST(:cycle AS integer) AS n) AS c
CROSS JOIN LATERAL (SELECT
    (ARRAY[CAST(:k0 AS varchar), CAST(:k1 AS varchar), CAST(:kover AS varchar)])[c.n + 1] AS kind,
    CASE WHEN c.n = 2 THEN (t.due_date + t.due_time) AT TIME ZONE :tz
         ELSE CAST(:now AS timestamptz) - ((t.id - CAST(:first AS integer)) % 3600)
              * interval '1 second' END AS at
) AS k
WHERE t.id >= :first AND t.id < CAST(:first AS integer) + CAST(:count AS integer)
"""

RESET_DUE_SQL = """
UPDATE reminders SET status = :pending, due_at = scheduled_at, attempts = 0, sent_at = NULL
WHERE task_id >= :first AND task_id < CAST(:first AS integer) + CAST(:count AS integer)
"""


class Filler:
    """Fills the bench database; hands out task ids so populations never share one."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.next_task = 1
        self.common: dict[str, Any] = {
            "now": NOW,
            "today": TODAY,
            "tz": TZ,
            "owner": TaskOwner.ME.value,
            "todo": TaskStatus.TODO.value,
            "pending": ReminderStatus.PENDING.value,
            "k3": kind_for(3),
            "k1": kind_for(1),
            "k0": ON_THE_DAY,
            "kover": OVERDUE,
            "hour": settings.reminder_hour,
        }

    def _given(self, *keys: str) -> dict[str, Any]:
        return {k: self.common[k] for k in keys}

    async def _run(self, sql: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(sql), params)

    async def people(self, users: int) -> None:
        await self._run(
            USERS_SQL,
            tg_base=TG_BASE,
            role=Role.YOUTH.value,
            tz=TZ,
            now=NOW,
            version=PRIVACY_VERSION,
            users=users,
        )
        await self._run(GOALS_SQL, active=GoalStatus.ACTIVE.value, now=NOW, users=users)

    async def future(self, reminders: int, users: int) -> None:
        """`reminders` rounded up to a multiple of 4 (four per task)."""
        first, count = self.next_task, math.ceil(reminders / 4)
        self.next_task += count
        tasks = self._given("now", "today", "owner", "todo")
        await self._run(FUTURE_TASKS_SQL, first=first, count=count, users=users, **tasks)
        rows = self._given("pending", "k3", "k1", "k0", "kover", "hour", "tz")
        await self._run(FUTURE_REMINDERS_SQL, first=first, count=count, **rows)

    async def due(self, count: int, *, cycle: int) -> range:
        """`count` reminders due now for persons 1..count. Returns their task ids."""
        first = self.next_task
        self.next_task += count
        tasks = self._given("now", "today", "owner", "todo")
        await self._run(DUE_TASKS_SQL, first=first, count=count, cycle=cycle, **tasks)
        rows = self._given("now", "pending", "k0", "k1", "kover", "tz")
        await self._run(DUE_REMINDERS_SQL, first=first, count=count, cycle=cycle, **rows)
        return range(first, first + count)

    async def reset_due(self, tasks: range) -> None:
        """Puts a sent batch back as it was: pending, due at its planned moment."""
        await self._run(
            RESET_DUE_SQL, pending=self.common["pending"], first=tasks.start, count=len(tasks)
        )

    async def delete_reminders(self, tasks: range) -> None:
        await self._run(
            "DELETE FROM reminders WHERE task_id >= :a AND task_id < :b",
            a=tasks.start,
            b=tasks.stop,
        )

    async def fix_sequences(self) -> None:
        """Explicit ids leave the sequences behind; later ORM inserts must not collide."""
        async with self.engine.begin() as conn:
            for table in ("users", "goals", "tasks"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )

    async def vacuum(self, *, analyze: bool) -> None:
        """VACUUM may not run in a transaction; ANALYZE gives the planner the new sizes."""
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM (ANALYZE)" if analyze else "VACUUM reminders"))


# Measuring


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """Nearest rank: of 20 values, the 19th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def alternate(
    sides: Sequence[Side],
    action: Callable[[Side], Awaitable[int]],
    expected: Callable[[Side], int],
    reps: int,
    warmup: int,
    between: Callable[[Side], Awaitable[None]] | None = None,
) -> list[list[float]]:
    """Seconds per call of `action` on each side, the sides taking turns and swapping who goes
    first, after untimed warm-up runs; each call must return `expected(side)` reminders."""
    times: list[list[float]] = [[] for _ in sides]
    for number in range(warmup + reps):
        order = list(enumerate(sides))
        for index, side in order if number % 2 == 0 else reversed(order):
            started = time.perf_counter()
            got = await action(side)
            elapsed = time.perf_counter() - started
            if got != expected(side):
                raise RuntimeError(f"{side.label}: expected {expected(side)} reminders, got {got}")
            if number >= warmup:
                times[index].append(elapsed)
            if between is not None:
                await between(side)
    return times


FIGURES = {
    "claim": "claim(), the whole call",
    "update": "  its UPDATE ... RETURNING",
    "load": "  its SELECT of the claimed rows",
    "idle": "idle tick (nothing due)",
    "full": "full tick (claim, send, record)",
}


@dataclass
class Population:
    pending: int  # future reminders, besides the due batch
    table_mb: float
    index_mb: float
    times: dict[str, list[float]]  # seconds, by the keys of FIGURES
    scans: tuple[str, str, str]  # joins and scans of claim()'s inner SELECT, UPDATE, SELECT


class StatementClock:
    """Times claim()'s two statements as the driver runs them (asyncpg fetches the rows inside
    execute), to tell the database's share of a slower claim from the ORM's."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.times: dict[str, list[float]] = {"update": [], "load": []}
        self._started = 0.0

    def _before(self, *args: Any) -> None:
        self._started = time.perf_counter()

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        elapsed = time.perf_counter() - self._started
        head = statement.lstrip()[:40].upper()
        if head.startswith("UPDATE REMINDERS"):
            self.times["update"].append(elapsed)
        elif head.startswith("SELECT REMINDERS.ID, REMINDERS.USER_ID"):
            self.times["load"].append(elapsed)

    def __enter__(self) -> StatementClock:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(self.engine.sync_engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._before)
        event.remove(self.engine.sync_engine, "after_cursor_execute", self._after)


@dataclass
class Captured:
    statement: str = ""
    parameters: tuple[Any, ...] = ()


def due_select(dialect: Dialect, limit: int) -> str:
    """claim()'s inner SELECT, built the same way, with its values written in (for EXPLAIN)."""
    due = (
        select(Reminder.id)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= NOW)
        .order_by(Reminder.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return str(due.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def nodes(plan: list[str]) -> str:
    """The joins and scans of an EXPLAIN output, without their figures."""
    wanted = ("Scan", "Join", "Nested Loop")
    found = [line.split("  (")[0].strip().removeprefix("->").strip() for line in plan]
    return " / ".join(n for n in found if any(w in n for w in wanted)) or "(none?)"


def literal(value: object) -> str:
    """A captured driver parameter as SQL text, for EXECUTE of a prepared statement."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"unexpected parameter {value!r}")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"unexpected parameter {value!r}")


class Side:
    """One bench database and the senders working on it."""

    def __init__(
        self,
        label: str,
        engine: AsyncEngine,
        filler: Filler,
        sender: ReminderSender,
        idle: ReminderSender,
    ) -> None:
        self.label = label
        self.engine = engine
        self.sessions = sender.sessions
        self.filler = filler
        self.sender = sender
        self.idle = idle
        self.lease = timedelta(seconds=filler.settings.reminder_lease_seconds)
        self.due_tasks = range(0)  # the batch due now in part 1

    @property
    def batch(self) -> int:
        return min(len(self.due_tasks), BATCH)

    async def claim_once(self) -> int:
        """As a tick claims, but rolled back: the rows stay due for the next repetition."""
        async with self.sessions() as session:
            batch = await reminder_rows.claim(session, NOW, BATCH, self.lease)
            await session.rollback()
        return len(batch)

    async def explain(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[str]:
        """EXPLAIN output; ANALYZE runs the statement, so it is rolled back."""
        async with self.engine.connect() as conn:
            rows = (await conn.exec_driver_sql(sql, parameters)).all()
            await conn.rollback()
        return [str(row[0]) for row in rows]

    async def captured_claim(self) -> dict[str, Captured]:
        """The two statements claim() really sends, with their driver parameters."""
        captured = {"update": Captured(), "load": Captured()}

        def capture(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            head = statement.lstrip()[:40].upper()
            key = "update" if head.startswith("UPDATE REMINDERS") else "load"
            if key == "update" or head.startswith("SELECT REMINDERS.ID, REMINDERS.USER_ID"):
                captured[key] = Captured(statement, tuple(parameters))

        event.listen(self.engine.sync_engine, "before_cursor_execute", capture)
        try:
            await self.claim_once()
        finally:
            event.remove(self.engine.sync_engine, "before_cursor_execute", capture)
        if not all(c.statement for c in captured.values()):
            raise RuntimeError("claim() did not send its UPDATE and SELECT")
        return captured

    async def generic_plan(self, claim: Captured) -> list[str]:
        """The plan PostgreSQL caches for a prepared statement after five runs, when the
        generic one looks no dearer: then the value of `now` is unknown to the planner."""
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.exec_driver_sql(f"PREPARE bench_claim AS {claim.statement}")
            args = ", ".join(literal(v) for v in claim.parameters)
            rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE bench_claim({args})")).all()
            await conn.exec_driver_sql("DEALLOCATE bench_claim")
            await conn.rollback()
        return [str(row[0]) for row in rows]

    async def sizes(self) -> tuple[int, float, float]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE status = :p AND due_at > :now), "
                        "pg_total_relation_size('reminders'), "
                        "pg_relation_size('ix_reminders_status_due_at') FROM reminders"
                    ),
                    {"p": ReminderStatus.PENDING.value, "now": NOW},
                )
            ).one()
        return int(row[0]), row[1] / 2**20, row[2] / 2**20

    async def put_back(self) -> None:
        await self.filler.reset_due(self.due_tasks)
        await self.filler.vacuum(analyze=False)

    async def scans(self) -> tuple[str, str, str]:
        """How the claim's inner SELECT, its UPDATE and its SELECT find their rows, in short."""
        analyze = "EXPLAIN (ANALYZE, BUFFERS) "
        inner = await self.explain(analyze + due_select(self.engine.dialect, BATCH))
        claim = await self.captured_claim()
        update, load = claim["update"], claim["load"]
        outer = await self.explain(analyze + update.statement, update.parameters)
        rows = await self.explain(analyze + load.statement, load.parameters)
        return nodes(inner), nodes(outer), nodes(rows)

    async def plans(self) -> list[str]:
        inner = " ".join(due_select(self.engine.dialect, BATCH).split())
        claim = await self.captured_claim()
        update, load = claim["update"], claim["load"]
        analyze = "EXPLAIN (ANALYZE, BUFFERS) "
        lines = ["claim()'s inner SELECT (as compiled, values written in):", "  " + inner, ""]
        lines += ["EXPLAIN (ANALYZE, BUFFERS) of that SELECT:"]
        lines += ["  " + x for x in await self.explain(analyze + inner)]
        lines += ["", "EXPLAIN (ANALYZE, BUFFERS) of the UPDATE claim() sends:"]
        lines += [
            "  " + x for x in await self.explain(analyze + update.statement, update.parameters)
        ]
        lines += ["", "Generic plan of that UPDATE (plan_cache_mode = force_generic_plan):"]
        lines += ["  " + x for x in await self.generic_plan(update)]
        lines += ["", "EXPLAIN (ANALYZE, BUFFERS) of claim()'s SELECT of the claimed rows:"]
        lines += ["  " + x for x in await self.explain(analyze + load.statement, load.parameters)]
        return lines


async def measure(sides: Sequence[Side], reps: int, warmup: int) -> list[Population]:
    for side in sides:
        await side.filler.vacuum(analyze=True)
    with contextlib.ExitStack() as stack:
        clocks = [stack.enter_context(StatementClock(side.engine)) for side in sides]
        claims = await alternate(
            sides, lambda side: side.claim_once(), lambda side: side.batch, reps, warmup
        )
    idle = await alternate(sides, lambda side: side.idle.tick(), lambda side: 0, reps, warmup)
    for side in sides:
        await side.filler.vacuum(analyze=False)  # the rolled-back claims left dead versions
    full = await alternate(
        sides,
        lambda side: side.sender.tick(),
        lambda side: side.batch,
        reps,
        warmup,
        lambda side: side.put_back(),
    )
    populations = []
    for index, side in enumerate(sides):
        # The statement clocks saw the warm-up runs too: keep the last `reps`.
        times = {
            "claim": claims[index],
            "update": clocks[index].times["update"][-reps:],
            "load": clocks[index].times["load"][-reps:],
            "idle": idle[index],
            "full": full[index],
        }
        pending, table_mb, index_mb = await side.sizes()
        populations.append(Population(pending, table_mb, index_mb, times, await side.scans()))
    return populations


@dataclass
class Dispatch:
    reminders: int
    ticks: int
    seconds: float
    tick_times: list[float]
    bare_seconds: float  # the same messages sent straight with bot.send_message
    cpu: float  # CPU seconds of this process (bot and fake) while the ticks ran
    bare_cpu: float
    ok: int
    refused: int
    twice: int
    missed: int
    wrong: int
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def bare_rate(self) -> float:
        return self.ok / self.bare_seconds if self.bare_seconds else 0.0

    @property
    def sound(self) -> bool:
        return (
            self.ok == self.reminders
            and not (self.refused or self.twice or self.missed or self.wrong)
            and self.statuses == {ReminderStatus.SENT.value: self.reminders}
        )


async def bare_sending(bot: Bot, sent: Sequence[RecordedRequest]) -> tuple[float, float]:
    """Seconds to send the same messages again without the dispatcher, BATCH at a time as a
    tick does: what the HTTP client and the in-process fake cost on their own."""

    async def one(request: RecordedRequest) -> None:
        markup = InlineKeyboardMarkup.model_validate(request.params["reply_markup"])
        await bot.send_message(request.chat_id, request.params["text"], reply_markup=markup)

    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(sent), BATCH):
        await asyncio.gather(*(one(r) for r in sent[start : start + BATCH]))
    return time.perf_counter() - started, time.process_time() - cpu


async def dispatch(side: Side, fake: FakeTelegram, tasks: range) -> Dispatch:
    await side.filler.vacuum(analyze=True)
    async with side.engine.connect() as conn:
        expected = {
            str(chat): title
            for chat, title in (
                await conn.execute(
                    text(
                        "SELECT u.telegram_id, t.title FROM reminders AS r "
                        "JOIN users AS u ON u.id = r.user_id JOIN tasks AS t ON t.id = r.task_id "
                        "WHERE r.task_id >= :a AND r.task_id < :b"
                    ),
                    {"a": tasks.start, "b": tasks.stop},
                )
            ).all()
        }
    mark = fake.mark()
    tick_times: list[float] = []
    started = finished = time.perf_counter()
    cpu = time.process_time()
    while True:
        begun = time.perf_counter()
        sent = await side.sender.tick()
        if not sent:
            break
        finished = time.perf_counter()
        tick_times.append(finished - begun)
    cpu = time.process_time() - cpu
    requests = [r for r in fake.requests[mark:] if r.method == "sendMessage"]
    ok = [r for r in requests if r.ok]
    per_chat = Counter(str(r.chat_id) for r in ok)
    wrong = sum(
        1
        for r in ok
        if str(r.chat_id) not in expected
        or f"<b>{expected[str(r.chat_id)]}</b>" not in str(r.params.get("text"))
    )
    bare_seconds, bare_cpu = await bare_sending(side.sender.bot, ok)
    async with side.engine.connect() as conn:
        statuses = {
            str(status): int(n)
            for status, n in (
                await conn.execute(
                    text(
                        "SELECT status, count(*) FROM reminders "
                        "WHERE task_id >= :a AND task_id < :b GROUP BY status"
                    ),
                    {"a": tasks.start, "b": tasks.stop},
                )
            ).all()
        }
    return Dispatch(
        reminders=len(tasks),
        ticks=len(tick_times),
        seconds=finished - started,
        tick_times=tick_times,
        bare_seconds=bare_seconds,
        cpu=cpu,
        bare_cpu=bare_cpu,
        ok=len(ok),
        refused=len(requests) - len(ok),
        twice=sum(n - 1 for n in per_chat.values() if n > 1),
        missed=sum(1 for chat in expected if per_chat[chat] == 0),
        wrong=wrong,
        statuses=statuses,
    )


def report(
    small: Population, big: Population, sent: Dispatch, plans: list[str], args: argparse.Namespace
) -> None:
    ms = 1000.0
    print(f"\nReminder dispatcher on PostgreSQL: {args.due} due now, the rest pending for later.")
    print(
        f"Medians and p95 of {args.repeat} runs each, after {args.warmup} untimed; times in ms.\n"
    )
    print(
        f"{'':<34} {f'{small.pending:,} pending':>17}  {f'{big.pending:,} pending':>17}  "
        f"{'ratio big/small':>15}"
    )
    print(f"{'times in ms':<34}" + f" {'p50':>8} {'p95':>8} " * 2 + f" {'p50':>8} {'p95':>8}")
    for key, title in FIGURES.items():
        a, b = small.times[key], big.times[key]
        print(
            f"{title:<34} {p50(a) * ms:>8.2f} {p95(a) * ms:>8.2f}  {p50(b) * ms:>8.2f} "
            f"{p95(b) * ms:>8.2f}  {p50(b) / p50(a):>8.2f} {p95(b) / p95(a):>8.2f}"
        )
    print(
        "claim: claim(limit 200) of the due batch in its own transaction, rolled back; its two "
        "statements\ntimed at the driver. Ticks as ReminderSender.tick() runs them; the full "
        "tick's batch is put\nback and the table vacuumed between runs. The two databases took "
        "turns for every figure.\n"
    )
    for pop in (small, big):
        print(
            f"{pop.pending:,} pending: reminders {pop.table_mb:.1f} MB with its indexes, "
            f"ix_reminders_status_due_at {pop.index_mb:.1f} MB\n"
            f"  claim's inner SELECT: {pop.scans[0]}\n  its UPDATE: {pop.scans[1]}\n"
            f"  its SELECT of the claimed rows: {pop.scans[2]}"
        )
    print()
    print("\n".join(plans))
    print(
        f"\nSending {sent.reminders:,} due reminders ({args.big:,} pending later in the table), "
        f"pacer {FAST:.0e}/s, fake Bot API without rate limits:"
    )
    print(
        f"  {sent.ticks} ticks in {sent.seconds:.2f} s: {sent.rate:,.0f} reminders/s handed to "
        f"the Bot API (sendMessage answered ok); tick of {BATCH}: median "
        f"{p50(sent.tick_times) * ms:.0f} ms"
    )
    print(
        f"  the same {sent.ok:,} messages sent straight with bot.send_message, {BATCH} at a time: "
        f"{sent.bare_seconds:.2f} s, {sent.bare_rate:,.0f}/s (the fake's and HTTP's ceiling); "
        f"dispatcher / bare: {sent.rate / (sent.bare_rate or 1):.2f}"
    )
    if sent.ok:
        print(
            f"  CPU of this process (bot and fake, not PostgreSQL) per message: dispatcher "
            f"{sent.cpu * ms / sent.ok:.2f} ms, bare {sent.bare_cpu * ms / sent.ok:.2f} ms"
        )
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(sent.statuses.items()))
    print(
        f"  sendMessage ok {sent.ok}, refused {sent.refused}; sent twice {sent.twice}, "
        f"missed {sent.missed}, wrong text {sent.wrong}; rows: {statuses}"
    )
    print(f"  {'OK' if sent.sound else 'FAILED'}: each reminder sent once, all rows sent")


async def run(urls: tuple[str, str], args: argparse.Namespace, logged: LogCounter) -> bool:
    engines = [create_engine(url) for url in urls]
    try:
        async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
            for n in range(1, args.users + 1):
                fake.user(f"Bench{n}", language_code="en", user_id=TG_BASE + n, has_started=True)
            settings = Settings(
                bot_token=SecretStr(TOKEN),
                database_url=urls[1],
                telegram_api_base=fake.base_url,
                _env_file=None,  # a developer's .env must not point the bot elsewhere
            )
            bot = create_bot(settings)
            try:
                i18n = create_i18n()
                pacer = Pacer({"reminder": FAST, "broadcast": FAST})
                # An hour earlier nothing is due yet: the tick finds nothing, as most ticks do.
                earlier = FixedClock(NOW - timedelta(hours=1))
                sides = []
                for label, engine in zip(("small", "big"), engines, strict=True):
                    await upgrade_to_head(engine)
                    sessions = create_session_factory(engine)
                    sender = ReminderSender(bot, sessions, i18n, pacer, FixedClock(NOW), settings)
                    idle = ReminderSender(bot, sessions, i18n, pacer, earlier, settings)
                    sides.append(Side(label, engine, Filler(engine, settings), sender, idle))
                big = sides[1]

                started = time.perf_counter()
                for side in sides:  # the same rows in both: people, the due batch, --small
                    await side.filler.people(args.users)
                    side.due_tasks = await side.filler.due(args.due, cycle=1)
                    await side.filler.future(args.small, args.users)
                await big.filler.future(args.big - args.small, args.users)
                print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)
                populations = await measure(sides, args.repeat, args.warmup)
                plans = await big.plans()

                await big.filler.delete_reminders(big.due_tasks)
                sending = await big.filler.due(args.dispatch, cycle=3)
                await big.filler.fix_sequences()
                sent = await dispatch(big, fake, sending)
            finally:
                await bot.session.close()
        report(populations[0], populations[1], sent, plans, args)
        print(f"warnings or errors logged: {logged.count}")
        # Other work on the machine shows up in every figure; this says how much there was.
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average (1, 5, 15 min) at the end: {load}")
        return sent.sound and logged.count == 0
    finally:
        for engine in engines:
            await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", default=DEFAULT_SERVER, help="a PostgreSQL server to create a database on"
    )
    parser.add_argument("--small", type=int, default=10_000, help="pending reminders, first")
    parser.add_argument("--big", type=int, default=1_000_000, help="pending reminders, then")
    parser.add_argument("--due", type=int, default=BATCH, help="reminders due now in part 1")
    parser.add_argument("--dispatch", type=int, default=5_000, help="due reminders in part 2")
    parser.add_argument("--users", type=int, default=10_000, help="people owning the plans")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per figure")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    args = parser.parse_args()
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url must name a PostgreSQL server")
    if not 0 < args.small < args.big:
        parser.error("need 0 < --small < --big")
    if not 0 < args.due <= args.users or not 0 < args.dispatch <= args.users:
        parser.error("--due and --dispatch must be between 1 and --users")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logged = LogCounter(logging.WARNING)
    logging.getLogger().addHandler(logged)
    compile_all()  # aiogram refuses a .po without its .mo

    async with (
        fresh_database(args.database_url) as small,
        fresh_database(args.database_url) as big,
    ):
        return 0 if await run((small, big), args, logged) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
