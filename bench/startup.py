"""Start-up time and memory of `python -m bot` against the in-repo fake Bot API.

Usage, from the repository root with the venv active:

    python bench/startup.py [--runs 5] [--rss-delay 2.0]

Each run launches the bot twice on one fresh SQLite file: first on an empty file (the launch
creates the schema), then again on the now migrated file; then, for scale, a 15-line aiogram
echo bot. A fake Bot API in this process serves them (bot/botapi, real HTTP). A launch
is timed from spawning the interpreter to the fake's first getUpdates call. The RSS of the bot
process is read from /proc once it has answered one /start and at least --rss-delay seconds have
passed since that first getUpdates; then it is stopped with SIGTERM and its exit code shown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# `python bench/startup.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.botapi import FakeTelegram
from bot.i18n.catalogs import compile_all

TOKEN = "123456:BENCH-startup-token"
# Settings the bot would otherwise pick up from the caller's shell and that change the mode.
SCRUBBED = ("REDIS_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS", "TELEGRAM_API_BASE")
PUTOKAZ = ("-m", "bot")
# A baseline for what any aiogram bot pays before its first poll (mostly importing aiogram).
BARE_ECHO = """
import asyncio, os
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dp = Dispatcher()

@dp.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "?")

async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"])
    await dp.start_polling(Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api)))

asyncio.run(main())
"""
CASES = {  # name: (log label, arguments to the interpreter)
    "fresh database": ("fresh", PUTOKAZ),
    "migrated database": ("again", PUTOKAZ),
    "bare aiogram echo": ("echo", ("-c", BARE_ECHO)),
}


@dataclass
class Launch:
    seconds_to_poll: float
    rss_kib: int
    peak_kib: int
    exit_code: int
    log_problems: int  # WARNING/ERROR/Traceback lines the process wrote


def proc_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])  # kB
    return values


def log_tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:]


def bot_env(base_url: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env |= {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    return env


async def launch(
    fake: FakeTelegram,
    argv: tuple[str, ...],
    database_url: str,
    workdir: Path,
    label: str,
    rss_delay: float,
) -> Launch:
    """One bot process. The fake is shared by both launches of a run: a new fake would number
    updates from 1 again, and the bot's dedup would rightly skip ids it already handled."""
    log_path = workdir / f"{label}.log"
    fake.state.first_get_updates_at = None
    with log_path.open("wb") as log:
        started = time.monotonic()
        # cwd is the temp dir so that a developer's .env in the repo root is not read.
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            cwd=workdir,
            env=bot_env(fake.base_url, database_url),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        polled_at = await wait_first_poll(fake, proc, log_path)
        person = fake.user(label.title(), language_code="sr")
        person.send("/start")
        await person.wait_message(timeout=30)
        await asyncio.sleep(max(0.0, polled_at + rss_delay - time.monotonic()))
        status = proc_status(proc.pid)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 60)
    except BaseException:
        print(log_tail(log_path), file=sys.stderr)
        raise
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    problems = sum(  # aiogram logs the SIGTERM we sent as a warning: that one is expected
        1 for line in log_tail(log_path, 10**6).splitlines()
        if (" WARNING " in line or " ERROR " in line or line.startswith("Traceback"))
        and "Received SIGTERM" not in line
    )  # fmt: skip
    return Launch(polled_at - started, status["VmRSS"], status["VmHWM"], code, problems)


async def wait_first_poll(fake: FakeTelegram, proc: asyncio.subprocess.Process, log: Path) -> float:
    deadline = time.monotonic() + 120
    while fake.first_get_updates_at is None:
        if proc.returncode is not None or time.monotonic() > deadline:
            tail = log_tail(log)
            raise RuntimeError(f"the bot never polled (exit {proc.returncode}):\n{tail}")
        await asyncio.sleep(0.001)  # 1 ms granularity is well below what is measured
    return fake.first_get_updates_at


def spread(values: list[float], fmt: str) -> str:
    median = statistics.median(values)
    return f"{median:{fmt}} [{min(values):{fmt}}–{max(values):{fmt}}]"


def report(runs: int, cases: dict[str, list[Launch]], rss_delay: float) -> None:
    print(f"\n`python -m bot` start-up on SQLite, long polling, {runs} runs")
    print("(bare aiogram echo: the same launch of a 15-line aiogram bot, no DB, for scale)")
    print("median [min–max]")
    header = f"{'case':<20} {'launch→getUpdates, s':<24} {'RSS, MiB':<22} peak RSS, MiB"
    print(header)
    print("-" * (len(header) + 8))
    for name, launches in cases.items():
        seconds = [x.seconds_to_poll for x in launches]
        rss = [x.rss_kib / 1024 for x in launches]
        peak = [x.peak_kib / 1024 for x in launches]
        print(
            f"{name:<20} {spread(seconds, '.3f'):<24} {spread(rss, '.1f'):<22} "
            f"{spread(peak, '.1f')}"
        )
    print(
        f"\nRSS read from /proc/<pid>/status (VmRSS, VmHWM) after one /start was answered and "
        f">= {rss_delay:g} s after the first getUpdates."
    )
    for name, launches in cases.items():
        codes = [x.exit_code for x in launches]
        verdict = "ok" if all(c == 0 for c in codes) else "NOT ALL 0"
        print(f"exit codes after SIGTERM, {name}: {codes} ({verdict})")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rss-delay", type=float, default=2.0, help="seconds after getUpdates")
    args = parser.parse_args()
    # The bot compiles stale .mo files at start; done here so no run pays that one-off cost.
    compile_all()
    cases: dict[str, list[Launch]] = {name: [] for name in CASES}
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="putokaz-bench-") as tmp:
            workdir = Path(tmp)
            url = f"sqlite+aiosqlite:///{workdir / 'putokaz.sqlite3'}"
            async with FakeTelegram(token=TOKEN) as fake:
                for name, (label, argv) in CASES.items():
                    result = await launch(fake, argv, url, workdir, label, args.rss_delay)
                    cases[name].append(result)
                    print(
                        f"run {run} {name:<17}: {result.seconds_to_poll:.3f} s, "
                        f"RSS {result.rss_kib / 1024:.1f} MiB, exit {result.exit_code}, "
                        f"warnings/errors in its log {result.log_problems}",
                        flush=True,
                    )
                    if result.exit_code != 0 or result.log_problems:
                        print(log_tail(workdir / f"{label}.log"))
    report(args.runs, cases, args.rss_delay)
    return 0 if all(x.exit_code == 0 for xs in cases.values() for x in xs) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
