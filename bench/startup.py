"""Start-up time and memory of `python -m bot` against the in-repo fake Bot API.

Usage, from the repository root with the venv active:

    python bench/startup.py [--runs 5] [--rss-delay 2.0]

Each run launches the bot twice on one fresh SQLite file: first on an empty file (the launch
creates the schema), then again on the now migrated file; then, for scale, a 15-line aiogram
echo bot. A fake Bot API in this process serves them (bot/botapi, real HTTP). A launch
is timed from spawning the interpreter to the fake's first getUpdates call. The RSS of the bot
process is read from /proc once it has answered one /start and at least --rss-delay seconds have
passed since that first getUpdates; then it is stopped with SIGTERM and its exit code shown.

Local mode (no BOT_TOKEN: the embedded Bot API server and the chat page in the bot's process) is
launched the same way, on an empty directory and then again, plus once with --demo: timed from
spawning the interpreter to the page answering GET / with 200, and to /healthz saying the bot is
ready; RSS once one /start sent through the page's API was answered. Then 8 people's chats are
held open at once (8 long polls, as 8 browser tabs) while each of them sends /start: the time
from sending to the reply reaching that chat's poll, and GET / meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# `python bench/startup.py` puts bench/ on sys.path, not the root that holds `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

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


@dataclass
class LocalLaunch:
    seconds_to_page: float
    seconds_to_ready: float
    rss_kib: int
    peak_kib: int
    exit_code: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CHANGE = {"X-Putokaz": "1"}


async def page_round_trip(http: aiohttp.ClientSession, url: str, chat_id: int) -> float:
    """Seconds from sending /start in a chat to the bot's reply reaching that chat's poll."""
    async with http.get(f"{url}api/chats/{chat_id}") as response:
        since = (await response.json())["rev"]
    started = time.monotonic()
    poll = asyncio.create_task(_poll_until_bot(http, url, chat_id, since))
    async with http.post(f"{url}api/chats/{chat_id}/send", json={"text": "/start"}, headers=CHANGE):
        pass
    await poll
    return time.monotonic() - started


async def _poll_until_bot(http: aiohttp.ClientSession, url: str, chat_id: int, since: int) -> None:
    while True:
        async with http.get(f"{url}api/chats/{chat_id}?since={since}&wait=1") as response:
            data = await response.json()
        if any(m.get("out") for m in data["messages"]):
            return
        since = data["rev"]


async def launch_local(
    workdir: Path, label: str, rss_delay: float, args: tuple[str, ...] = ()
) -> LocalLaunch:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if k not in (*SCRUBBED, "BOT_TOKEN")}
    env |= {"LOCAL_PORT": str(port), "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
    log_path = workdir / f"{label}.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *PUTOKAZ, *args, cwd=workdir, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:
            page_at = await _wait_for(http, url, lambda s, _t: s == 200, proc, log_path)
            ready_at = await _wait_for(
                http, url + "healthz", lambda _s, t: t == "ok local", proc, log_path
            )
            async with http.post(
                url + "api/people", json={"name": "Bench", "language": "sr"}, headers=CHANGE
            ) as response:
                chat_id = (await response.json())["id"]
            await page_round_trip(http, url, chat_id)
        await asyncio.sleep(max(0.0, ready_at + rss_delay - time.monotonic()))
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
    return LocalLaunch(
        page_at - started, ready_at - started, status["VmRSS"], status["VmHWM"], code
    )


async def _wait_for(
    http: aiohttp.ClientSession,
    url: str,
    good: Callable[[int, str], bool],
    proc: asyncio.subprocess.Process,
    log: Path,
) -> float:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"local mode stopped (exit {proc.returncode}):\n{log_tail(log)}")
        try:
            async with http.get(url) as response:
                if good(response.status, await response.text()):
                    return time.monotonic()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.005)
    raise RuntimeError(f"{url} never answered:\n{log_tail(log)}")


async def eight_chats(workdir: Path, rounds: int) -> tuple[list[float], list[float]]:
    """8 chats open at once (8 long polls) while each person sends /start, `rounds` times:
    send→reply seconds per message, and GET / seconds meanwhile."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if k not in (*SCRUBBED, "BOT_TOKEN")}
    env |= {"LOCAL_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    log_path = workdir / "eight.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *PUTOKAZ, cwd=workdir, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    replies: list[float] = []
    pages: list[float] = []
    try:
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector) as http:
            await _wait_for(http, url + "healthz", lambda _s, t: t == "ok local", proc, log_path)
            ids = []
            for n in range(8):
                async with http.post(
                    url + "api/people", json={"name": f"P{n}", "language": "sr"}, headers=CHANGE
                ) as response:
                    ids.append((await response.json())["id"])
            # Each chat's page keeps a poll open, as 8 tabs would.
            idle = [asyncio.create_task(_hold_poll(http, url, i)) for i in ids]

            async def page_load() -> None:
                while True:
                    started = time.monotonic()
                    async with http.get(url) as response:
                        await response.read()
                    pages.append(time.monotonic() - started)
                    await asyncio.sleep(0.1)

            loader = asyncio.create_task(page_load())
            for _ in range(rounds):
                replies += await asyncio.gather(*(page_round_trip(http, url, i) for i in ids))
            loader.cancel()
            for task in idle:
                task.cancel()
            await asyncio.gather(loader, *idle, return_exceptions=True)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return replies, pages


async def _hold_poll(http: aiohttp.ClientSession, url: str, chat_id: int) -> None:
    since = 0
    while True:
        async with http.get(f"{url}api/chats/{chat_id}?since={since}&wait=1") as response:
            since = (await response.json())["rev"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


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
    parser.add_argument("--chat-rounds", type=int, default=10, help="8-chat rounds")
    args = parser.parse_args()
    # The bot compiles stale .mo files at start; done here so no run pays that one-off cost.
    compile_all()
    cases: dict[str, list[Launch]] = {name: [] for name in CASES}
    local: dict[str, list[LocalLaunch]] = {"local, empty dir": [], "local, again": []}
    local["local --demo, empty"] = []
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
            with tempfile.TemporaryDirectory(prefix="putokaz-bench-local-") as tmp:
                workdir = Path(tmp)
                for name, label in (("local, empty dir", "empty"), ("local, again", "again")):
                    local[name].append(await launch_local(workdir, label, args.rss_delay))
            with tempfile.TemporaryDirectory(prefix="putokaz-bench-demo-") as tmp:
                launched = await launch_local(Path(tmp), "demo", args.rss_delay, ("--demo",))
                local["local --demo, empty"].append(launched)
            for name, launches in local.items():
                x = launches[-1]
                print(
                    f"run {run} {name:<20}: page {x.seconds_to_page:.3f} s, ready "
                    f"{x.seconds_to_ready:.3f} s, RSS {x.rss_kib / 1024:.1f} MiB, "
                    f"exit {x.exit_code}",
                    flush=True,
                )
    report(args.runs, cases, args.rss_delay)
    report_local(args.runs, local)
    with tempfile.TemporaryDirectory(prefix="putokaz-bench-eight-") as tmp:
        replies, pages = await eight_chats(Path(tmp), args.chat_rounds)
    print(
        f"\nlocal mode, 8 chats open at once (8 long polls), {args.chat_rounds} rounds of 8 "
        f"people sending /start together ({len(replies)} messages):"
    )
    print(
        f"  send→reply in the chat: median {statistics.median(replies) * 1000:.0f} ms, "
        f"p95 {percentile(replies, 0.95) * 1000:.0f} ms, max {max(replies) * 1000:.0f} ms"
    )
    print(
        f"  GET / meanwhile ({len(pages)} loads): median {statistics.median(pages) * 1000:.1f} ms, "
        f"max {max(pages) * 1000:.1f} ms"
    )
    ok = all(x.exit_code == 0 for xs in cases.values() for x in xs)
    return 0 if ok and all(x.exit_code == 0 for xs in local.values() for x in xs) else 1


def report_local(runs: int, local: dict[str, list[LocalLaunch]]) -> None:
    print(f"\nlocal mode (no BOT_TOKEN), {runs} runs; median [min–max]")
    header = (
        f"{'case':<22} {'launch→page 200, s':<22} {'launch→ready, s':<22} {'RSS, MiB':<20} "
        "peak RSS, MiB"
    )
    print(header)
    print("-" * (len(header) + 8))
    for name, launches in local.items():
        print(
            f"{name:<22} {spread([x.seconds_to_page for x in launches], '.3f'):<22} "
            f"{spread([x.seconds_to_ready for x in launches], '.3f'):<22} "
            f"{spread([x.rss_kib / 1024 for x in launches], '.1f'):<20} "
            f"{spread([x.peak_kib / 1024 for x in launches], '.1f')}"
        )
        codes = [x.exit_code for x in launches]
        print(f"  exit codes after SIGTERM: {codes}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
