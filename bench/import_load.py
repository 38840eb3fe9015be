"""A 50,000-row plan import on SQLite while people use the bot: import time and /menu latency.

Usage, from the repository root with the venv active:

    python bench/import_load.py [--rows 50000] [--people 1000] [--users 5] [--think 0.5]
                                [--baseline 20]

One fresh SQLite file in a temp dir, seeded with --people consented young people (the import's
targets) and --users more who keep using the bot: each sends /menu, waits for the reply, then
waits --think seconds, and again. The bot runs its real dispatcher in this process against the
fake Bot API (bot/botapi, real HTTP on 127.0.0.1); the import runs as the operator runs
it, `python -m bot.import_plans FILE` in its own process, on the same file.

Phases: /menu use alone for --baseline seconds; a dry run of the file (all checks, no writes);
the import itself; the same file again (every row already there: the re-run that finishes an
interrupted import). /menu use goes on through all three. A /menu is answered when the main
menu (3 rows of buttons) comes back, failed when anything else comes (the apology after an
error such as "database is locked") or nothing within 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aiogram.fsm.storage.memory import MemoryStorage
from pydantic import SecretStr

# `python bench/import_load.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import create_bot
from bot.botapi import FakeTelegram, FakeUser
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import ALLOWED_UPDATES, create_dispatcher
from bot.i18n.catalogs import compile_all
from bot.kit import helplines
from bot.people import rules as people
from bot.plans.rules import DOMAINS

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-import-load-token"
REPLY_TIMEOUT = 60.0
FIRST_TARGET = 10_000_000  # telegram ids of the people the file is about


@dataclass
class Use:
    """/menu round trips while one phase lasted."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0

    def row(self, name: str) -> str:
        if not self.latencies:
            return f"{name:<34} {0:>8} {self.failed:>7}"
        ms = sorted(x * 1000 for x in self.latencies)
        p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
        return (
            f"{name:<34} {len(ms):>8} {self.failed:>7} {statistics.median(ms):>9.1f} "
            f"{p95:>9.1f} {ms[-1]:>9.1f}"
        )


class Load:
    """People using the bot in a closed loop; `phase` says which Use their round trips go to."""

    def __init__(self, users: list[FakeUser], think: float) -> None:
        self.users, self.think = users, think
        self.phase = Use()
        self.samples: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._person(user)) for user in self.users]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _person(self, user: FakeUser) -> None:
        while True:
            phase = self.phase
            user.send("/menu")
            pushed = time.monotonic()
            try:
                reply = await user.wait_message(timeout=REPLY_TIMEOUT)
            except TimeoutError:
                phase.failed += 1
                continue
            if len(reply.buttons) >= 3:
                phase.latencies.append(time.monotonic() - pushed)
            else:
                phase.failed += 1
                self.samples.append(reply.body[:100])
            await asyncio.sleep(self.think)


def plans_csv(path: Path, rows: int, targets: int) -> None:
    """`rows` tasks spread over `targets` people, 5 goals each, due in the coming months."""
    today = date.today()
    lines = ["telegram_id,goal,domain,task,owner,due_date,due_time,details"]
    for n in range(rows):
        person, task = n % targets, n // targets
        goal = task % 5
        due = today + timedelta(days=30 + task % 90)
        at = "14:30" if n % 3 == 0 else ""
        details = f"Step {task} of the plan; see the notes" if n % 4 == 0 else ""
        lines.append(
            f"{FIRST_TARGET + person},Goal {goal} of {person},{DOMAINS[goal]},"
            f"Task {task},me,{due.isoformat()},{at},{details}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def seed(sessions: SessionFactory, telegram_ids: list[int]) -> None:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for telegram_id in telegram_ids:
            user = await people.touch(
                session, telegram_id=telegram_id, language_code="sr", now=now, admin_ids=()
            )
            people.give_consent(
                user, now=now, display_name=f"P{telegram_id}", birth_year=2004,
                default_tz="Europe/Belgrade",
            )  # fmt: skip


async def import_plans(csv: Path, database_url: str, *args: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.import_plans", str(csv), *args,
        cwd=csv.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    seconds = time.monotonic() - started
    text = output.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise RuntimeError(f"the import failed ({proc.returncode}):\n{text}")
    return seconds, text.splitlines()[-1].partition("): ")[2]  # the summary, without paths


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=1000, help="whose plans the file holds")
    parser.add_argument("--users", type=int, default=5, help="people using the bot meanwhile")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between their /menu")
    parser.add_argument("--baseline", type=float, default=20.0, help="seconds without import")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    compile_all()

    with tempfile.TemporaryDirectory(prefix="putokaz-bench-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'putokaz.sqlite3'}"
        csv = workdir / "plans.csv"
        plans_csv(csv, args.rows, args.people)
        engine = create_engine(url)
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        await seed(sessions, [FIRST_TARGET + n for n in range(args.people)])
        async with FakeTelegram(token=TOKEN, rate_limit=None, per_chat_rate_limit=None) as fake:
            users = [fake.user(f"Ana{i}", language_code="sr") for i in range(args.users)]
            await seed(sessions, [user.id for user in users])
            settings = Settings(
                bot_token=SecretStr(TOKEN), database_url=url, telegram_api_base=fake.base_url,
                _env_file=None,  # a developer's .env must not point the bot elsewhere
            )  # fmt: skip
            assembled = create_dispatcher(
                settings=settings, sessions=sessions, storage=MemoryStorage(),
                clock=SystemClock(), helplines=helplines.load(),
            )  # fmt: skip
            bot = create_bot(settings)
            dp = assembled.dispatcher
            polling = asyncio.create_task(
                dp.start_polling(
                    bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False,
                    close_bot_session=False,
                )
            )  # fmt: skip
            load = Load(users, args.think)
            try:
                await fake.wait_until_polling(timeout=30)
                load.start()
                baseline = load.phase = Use()
                await asyncio.sleep(args.baseline)
                checking = load.phase = Use()
                dry_seconds, dry_line = await import_plans(csv, url, "--dry-run")
                importing = load.phase = Use()
                import_seconds, import_line = await import_plans(csv, url)
                again = load.phase = Use()
                again_seconds, again_line = await import_plans(csv, url)
                load.phase = Use()
            finally:
                await load.stop()
                await dp.stop_polling()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
                await bot.session.close()
        await engine.dispose()
        size = csv.stat().st_size

    print(
        f"\n{args.rows:,} plan rows ({size / 1e6:.1f} MB) for {args.people} people on SQLite, "
        f"imported by `python -m bot.import_plans` in its own process while {args.users} people "
        f"use the bot (/menu, wait for the reply, {args.think:g} s pause, again)\n"
    )
    print(f"dry run (every check, no writes): {dry_seconds:8.1f} s   {dry_line}")
    print(f"import:                           {import_seconds:8.1f} s   {import_line}")
    print(f"same file again (all there):      {again_seconds:8.1f} s   {again_line}")
    print(f"\n{'/menu while…':<34} {'answered':>8} {'failed':>7} {'p50 ms':>9} {'p95 ms':>9} "
          f"{'max ms':>9}")  # fmt: skip
    print(baseline.row(f"nothing else ({args.baseline:g} s)"))
    print(checking.row("the dry run"))
    print(importing.row("the import"))
    print(again.row("the same file again"))
    if load.samples:
        print(f"\nreplies that were not the menu, e.g.: {load.samples[:3]}")
    failed = baseline.failed + checking.failed + importing.failed + again.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
