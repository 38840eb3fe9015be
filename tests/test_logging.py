"""Logs never carry personal data: a real `python -m bot` at DEBUG, and what it wrote."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.botapi import FakeTelegram
from bot.logs import setup_logging
from tests.conversation import labels, onboard, tr
from tests.harness import TOKEN, Person
from tests.test_entrypoint import STARTUP_SECONDS, _env
from tests.test_roles import invite_token, invite_youth

HANDLED = re.compile(r"Update id=(\d+) is (?:not )?handled")
STAFF_ID = 42


class ProcessBot:
    """`python -m bot` as a subprocess; aiogram's "Update id=… is handled" lines on its stderr
    say when an update is done, so conversation helpers work as with the in-process Harness."""

    def __init__(self, fake: FakeTelegram, process: asyncio.subprocess.Process) -> None:
        self._fake = fake
        self.process = process
        self.lines: list[str] = []
        self._handled: Counter[int] = Counter()
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @property
    def fake(self) -> FakeTelegram:
        return self._fake

    def person(self, **kwargs: Any) -> Person:
        return Person(self, self._fake.user(**kwargs))

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            found = HANDLED.search(line)
            if found:
                async with self._changed:
                    self._handled[int(found.group(1))] += 1
                    self._changed.notify_all()

    async def processed(self, update_id: int, times: int = 1, within: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self._handled[update_id] >= times), within
            )

    async def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.wait_for(self._reader, 30)
        return code, "".join(self.lines)


@contextlib.asynccontextmanager
async def process_bot(
    fake: FakeTelegram, tmp_path: Path, **values: str
) -> AsyncIterator[ProcessBot]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot",
        cwd=tmp_path,
        env=_env(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base_url, **values),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = ProcessBot(fake, process)
    try:
        await fake.wait_until_polling(timeout=STARTUP_SECONDS)
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        bot._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot._reader


# Distinctive enough that any appearance in the log is a leak.
STAFF_NAME = "Zlatoslava Kvrgić"
MENTOR_NAME = "Radoslav Pejčinović"
YOUTH_NAME = "Vesna Dragićević-Ilinčić"
GOAL_TITLE = "Posao u Pančevu do leta"
TASK_TITLE = "Apply at Kombinat Zrenjanin"
NOTE = "Predala sam papire u Trstenik-birou"
FREE_TEXT = "Moj broj je 0641234567 i živim u Ulici Lipa 12"
ANNOUNCEMENT = "Radionica Plavi-Suncokret u četvrtak"
SECRETS = (
    STAFF_NAME,
    MENTOR_NAME,
    YOUTH_NAME,
    GOAL_TITLE,
    TASK_TITLE,
    NOTE,
    FREE_TEXT,
    ANNOUNCEMENT,
)


async def conversation(bot: ProcessBot) -> None:
    """Staff invite a mentor, who invites a young person and gives them a task; the young person
    completes it with a note and writes something else; staff send an announcement."""
    staff = await onboard(bot, "en", first_name=STAFF_NAME, user_id=STAFF_ID)
    await staff.send("/menu")
    link = await staff.click("➕ Invite a mentor")
    mentor = await onboard(
        bot, "en", first_name=MENTOR_NAME, start=f"/start {invite_token(link.body)}"
    )
    token = await invite_youth(mentor)
    youth = await onboard(bot, "sr", first_name=YOUTH_NAME, start=f"/start {token}")
    # A goal and a task without a deadline: the subprocess runs on the real clock.
    listing = await mentor.send("/mentees")
    plan = await mentor.click(next(b for b in labels(listing) if b.startswith("Vesna")), listing)
    await mentor.click("➕ Add a task", plan)
    await mentor.click("🎯 Add a goal")
    domains = await mentor.send(GOAL_TITLE)
    await mentor.click("Work and career", domains)
    owner = await mentor.send(TASK_TITLE)
    calendar = await mentor.click("The young person", owner)
    await mentor.click("No deadline", calendar)
    assert TASK_TITLE in mentor.last.body
    plan = await youth.click(tr("sr", "📋 Open my plan"), youth.last)
    card = await youth.click(f"1. {TASK_TITLE}", plan)
    await youth.click(tr("sr", "✅ Done"), card)
    saved = await youth.send(NOTE)
    assert tr("sr", "Thanks! Your note is saved.") in saved.html_text
    await youth.send(FREE_TEXT)

    await staff.send("/menu")
    await staff.click("📣 Announcements")
    await staff.click("➕ New announcement")
    await staff.click("✏️ Text for everyone")
    await staff.send(ANNOUNCEMENT)
    await staff.click("👁 Preview")
    await staff.click("📤 Send now")
    await bot.fake.wait_for(
        lambda r: str(r.params.get("text", "")).endswith("\n\n" + ANNOUNCEMENT),
        method="sendMessage",
        chat_id=youth.id,
        ok=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    "debug",
    [
        # The least that says when an update is done.
        "aiogram.event",
        # Every library asked for by name: still no data.
        "aiogram,aiosqlite,sqlalchemy,asyncpg,aiohttp,apscheduler,asyncio,alembic",
    ],
)
async def test_a_conversation_at_debug_leaves_no_names_or_texts_in_the_log(
    tmp_path: Path, debug: str
) -> None:
    fake = FakeTelegram(token=TOKEN, strict_html=True)
    async with (
        fake,
        process_bot(
            fake, tmp_path, LOG_LEVEL="DEBUG", LOG_DEBUG=debug, ADMIN_IDS=str(STAFF_ID)
        ) as bot,
    ):
        await conversation(bot)
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log, log
    assert HANDLED.search(log), "the log was captured"
    for secret in SECRETS:
        assert secret not in log, f"{secret!r} is in the log"
    # The words alone, too: a log may cut or re-encode a text.
    words = (
        "Zlatoslava",
        "Pejčinović",
        "Pančevu",
        "Kombinat",
        "Trstenik",
        "0641234567",
        "Suncokret",
    )
    for word in words:
        assert word not in log and ascii(word)[1:-1] not in log, word
    if "sqlalchemy" in debug:
        assert "SQL parameters hidden" in log, "statements are logged, their parameters not"


def test_libraries_stay_at_warning_unless_asked_for_by_name() -> None:
    touched = ("bot", "aiogram.event", "aiosqlite", "sqlalchemy", "sqlalchemy.engine")
    for name in touched:
        logging.getLogger(name)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]  # fmt: skip
    saved = [(logger, logger.level) for logger in loggers]
    try:
        setup_logging("DEBUG", ())
        assert logging.getLogger("bot.kit.render").isEnabledFor(logging.DEBUG)
        for name in ("aiogram.event", "aiosqlite", "sqlalchemy.engine.Engine", "apscheduler"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        setup_logging("INFO", ("aiogram.event", "aiosqlite", "sqlalchemy"))
        assert not logging.getLogger("bot").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("aiogram.event").isEnabledFor(logging.DEBUG)
        # These two print parameters and rows at DEBUG: INFO is as far as they go.
        for name in ("aiosqlite", "sqlalchemy.engine.Engine"):
            assert logging.getLogger(name).isEnabledFor(logging.INFO), name
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    finally:
        for logger, level in saved:
            logger.setLevel(level)
