"""A rush over a real network: many people at once against `python -m bot`, each call delayed.

Usage, from the repository root with the venv active:

    python bench/burst.py [--people 100] [--latency 0.15]
    python bench/burst.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The real bot runs as a subprocess (`python -m bot`) on a fresh database: an SQLite file (the
default kind) or a new PostgreSQL database created beside the one named in --database-url. It
talks to the fake Bot API of bot/botapi, served by this process over real HTTP, which
holds every call for --latency seconds in all (half before, half after handling it), as a
mobile network and Telegram's data centre do. Then --people people, all at the same moment,
each looking at every screen for about --think seconds (0.5x-1.5x, at random) before the next
tap: /start, pick a language, agree, give a year of birth, open "My plan", go back to the
menu, start the full self-assessment and answer three questions, type /menu, open the workshops,
open the one workshop and book a seat.

Printed: actions, reactions missing after 6 s (nothing sent or edited in the chat), button
presses not answered within 6 s and at the end, reaction time p50/p95/max (push -> the first
message or edit in that chat), seats booked, and the lines at WARNING or above in the bot's log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.throughput import fresh_database
from bot.booking import workshops
from bot.booking.models import Booking
from bot.booking.rules import Context
from bot.botapi import FakeTelegram, FakeUser, StoredMessage
from bot.db.engine import create_engine, create_session_factory
from bot.i18n.catalogs import compile_all
from bot.plans.reminders import ReminderRules
from tests.conversation import TELEGRAM_CODE, labels, language_button, tr

TOKEN = "123456:BENCH-burst-token"
REACTION_LIMIT = 6.0  # seconds: after this, a person thinks the bot is broken
STEP_TIMEOUT = 60.0  # the journey goes on after a missing reaction, up to this long
LOCALES = ("sr", "sr_Latn", "bg", "en")
WORKSHOP_TITLE = "Write your CV"


@dataclass
class Tally:
    reactions: list[float] = field(default_factory=list)
    actions: int = 0
    missing: int = 0
    stuck: int = 0  # journeys that could not go on (the next screen never came)
    late_answers: int = 0
    query_ids: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)  # seconds, what was done


class Journey:
    def __init__(
        self, fake: FakeTelegram, user: FakeUser, locale: str, tally: Tally, think: float
    ) -> None:
        self.think = think
        self.fake = fake
        self.user = user
        self.locale = locale
        self.tally = tally

    def _events(self) -> int:
        return len(self.user.messages) + sum(m.edits for m in self.user.messages)

    async def _react(self, push: Callable[[], int], query: bool, what: str) -> None:
        if self.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.think)  # reading the screen
        before = self._events()
        started = time.monotonic()
        push()
        self.tally.actions += 1
        if query:
            query_id = self.user.last_callback_query_id
            assert query_id is not None
            self.tally.query_ids.append(query_id)
            asyncio.get_running_loop().call_later(REACTION_LIMIT, self._check_answer, query_id)
        try:
            await self.fake.state.changed.wait_for(
                lambda: True if self._events() > before else None, REACTION_LIMIT
            )
            self.tally.reactions.append(time.monotonic() - started)
            self.tally.slowest.append((time.monotonic() - started, what))
        except TimeoutError:
            self.tally.missing += 1

    def _check_answer(self, query_id: str) -> None:
        if not self.fake.callback_queries[query_id].answered:
            self.tally.late_answers += 1

    async def send(self, text: str) -> None:
        await self._react(lambda: self.user.send(text), False, text.split()[0])

    async def click(self, label: Callable[[str], bool]) -> None:
        message = await self._screen_with(label)
        button = next(b for row in message.buttons for b in row if label(b.text))
        data = button.data
        assert data is not None
        await self._react(
            lambda: self.user.click_data(message.message_id, data), True, data.split(":")[0]
        )

    async def _screen_with(self, label: Callable[[str], bool]) -> StoredMessage:
        def found() -> StoredMessage | None:
            for message in reversed(self.user.messages):
                current = self.fake.message(message.chat_id, message.message_id)
                if any(label(text) for text in labels(current)):
                    return current
            return None

        try:
            screen: StoredMessage = await self.fake.state.changed.wait_for(found, STEP_TIMEOUT)
        except TimeoutError:
            self.tally.stuck += 1
            raise
        return screen

    def is_(self, msgid: str) -> Callable[[str], bool]:
        text = tr(self.locale, msgid)
        return lambda label: label == text

    async def run(self) -> None:
        with contextlib.suppress(TimeoutError):
            await self.send("/start")
            wanted = language_button(self.locale, await self._screen_with(lambda _label: True))
            await self.click(lambda label: label == wanted)
            await self.click(self.is_("✅ I agree"))
            await self.click(lambda label: label == "2004")
            await self.click(self.is_("📋 My plan"))
            await self.click(self.is_("⬅️ Menu"))
            await self.click(self.is_("📝 Self-assessment"))
            await self.click(self.is_("📝 Full self-assessment"))
            for _ in range(3):
                await self._answer_a_question()
            await self.send("/menu")
            await self.click(self.is_("🗓 Workshops"))
            await self.click(lambda label: WORKSHOP_TITLE in label)
            await self.click(self.is_("✅ Book a seat"))

    async def _answer_a_question(self) -> None:
        # The question's options are the buttons between the question and Back/Skip/Pause.
        pause = tr(self.locale, "⏸ Pause")
        screen = await self._screen_with(lambda label: label == pause)
        option = screen.buttons[0][0].text
        before = screen.edits
        await self.click(lambda label: label == option)
        await self.fake.state.changed.wait_for(
            lambda: (
                True
                if self.fake.message(screen.chat_id, screen.message_id).edits > before
                else None
            ),
            STEP_TIMEOUT,
        )


async def seed_workshop(database_url: str, seats: int) -> None:
    engine = create_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        now = datetime.now(UTC)
        starts = (now + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
        draft = workshops.Draft(
            kind="cv_jobs",
            title=WORKSHOP_TITLE,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=seats,
            city="kragujevac",
            address="Kralja Petra 12",
        )
        ctx = Context(now, ReminderRules(), "Europe/Belgrade")
        async with sessions.begin() as session:
            await workshops.create(session, None, draft, ctx)
    finally:
        await engine.dispose()


async def booked(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(Booking)) or 0)
    finally:
        await engine.dispose()


async def run(database_url: str, args: argparse.Namespace, workdir: Path) -> None:
    async with FakeTelegram(token=TOKEN, latency=args.latency) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
        for key in ("REDIS_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS"):
            env.pop(key, None)
        env.update(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=fake.base_url,
            DATABASE_URL=database_url,
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            WEB_PORT="0",  # the desk's server on any free port
        )
        log_path = workdir / "bot.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=workdir, env=env, stdout=log, stderr=log
            )  # fmt: skip
            try:
                await fake.wait_until_polling(timeout=120)
                await seed_workshop(database_url, seats=args.people)
                cpu_at_start = _cpu_seconds(process.pid)
                tally = Tally()
                journeys = [
                    Journey(
                        fake,
                        fake.user(f"Mladen{i}", language_code=TELEGRAM_CODE[locale]),
                        locale,
                        tally,
                        args.think,
                    )
                    for i in range(args.people)
                    for locale in [LOCALES[i % len(LOCALES)]]
                ]
                started = time.monotonic()
                await asyncio.gather(*(j.run() for j in journeys))
                elapsed = time.monotonic() - started
                await asyncio.sleep(REACTION_LIMIT)  # late answers still count as late
                unanswered = sum(
                    1 for q in tally.query_ids if not fake.callback_queries[q].answered
                )
                seats = await booked(database_url)
                cpu = _cpu_seconds(process.pid) - cpu_at_start
            finally:
                process.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 30)
        logged = [
            line
            for line in log_path.read_text(errors="replace").splitlines()
            if " WARNING " in line or " ERROR " in line or "Traceback" in line
        ]
    backend = make_url(database_url).get_backend_name()
    ms = sorted(x * 1000 for x in tally.reactions) or [0.0]
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    print(
        f"\n{backend}: {args.people} people at once, {args.latency * 1000:.0f} ms per Bot API "
        f"call, {args.think:.1f} s to read each screen, {elapsed:.1f} s for every journey"
    )
    print(f"  actions                       {tally.actions}")
    print(f"  reactions missing after {REACTION_LIMIT:.0f} s  {tally.missing}")
    print(f"  presses not answered in {REACTION_LIMIT:.0f} s  {tally.late_answers}")
    print(f"  presses never answered        {unanswered}")
    print(f"  journeys stuck                {tally.stuck}")
    print(f"  reaction ms p50 / p95 / max   {statistics.median(ms):.0f} / {p95:.0f} / {ms[-1]:.0f}")
    print(f"  seats booked                  {seats} of {args.people}")
    per_action = cpu * 1000 / max(1, tally.actions)
    print(f"  bot CPU per action            {per_action:.1f} ms (bot process, start-up excluded)")
    slow = sorted(tally.slowest, reverse=True)[: max(1, len(tally.slowest) // 20)]
    kinds: dict[str, int] = {}
    for _seconds, what in slow:
        kinds[what] = kinds.get(what, 0) + 1
    print(
        "  slowest 5% by action          "
        + ", ".join(f"{what} {n}" for what, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    )
    print(f"  log lines at WARNING or above {len(logged)}")
    for line in logged[:5]:
        print(f"    {line[:160]}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the bot process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per Bot API call")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a database on")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a person looks at a screen before the next tap (0: as fast as the "
        "bot answers, which measures saturation rather than people)",
    )
    args = parser.parse_args()
    random.seed(7)
    compile_all()
    with tempfile.TemporaryDirectory(prefix="putokaz-burst-") as tmp:
        workdir = Path(tmp)
        if args.database_url:
            async with fresh_database(args.database_url) as url:
                await run(url, args, workdir)
        else:
            await run(f"sqlite+aiosqlite:///{workdir / 'putokaz.sqlite3'}", args, workdir)
    print(f"\nmachine load (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
