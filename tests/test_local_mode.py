"""Local mode from the real entry point: `python -m bot` without BOT_TOKEN serves the chat page,
and a person uses the bot through it in headless Chromium (Debian's chromium-driver)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.local.render import entities_to_html
from tests.conversation import tr
from tests.test_desk_browser import PHONE

STARTUP_SECONDS = 90  # a cold interpreter, migrations, and with --demo the seeding
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    for key in ("REDIS_URL", "TELEGRAM_API_BASE", "WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS"):
        env.pop(key, None)
    # A DATABASE_URL in the environment is not local mode's database.
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'real.sqlite3'}"
    env["LOCAL_PORT"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.asynccontextmanager
async def _local(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=tmp_path,
        env={**_env(tmp_path), **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)).decode()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        assert "BOT_TOKEN" in line  # and how to connect to Telegram instead
        yield found.group(0), process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


CHANGE = {"X-Putokaz": "1"}
JELENA, MILICA, KALINA, AMIR, ANA = (
    7_000_000_001,
    7_000_000_002,
    7_000_000_004,
    7_000_000_005,
    7_000_000_006,
)


async def _chat_shows(http: aiohttp.ClientSession, url: str, chat_id: int, needle: str) -> str:
    """The first message in the chat containing ``needle``, waiting for it (long polls)."""

    async def find() -> str:
        since = 0
        while True:
            async with http.get(f"{url}api/chats/{chat_id}?since={since}&wait=1") as response:
                data = await response.json()
            for message in data["messages"]:
                if needle in message.get("html", ""):
                    return str(message["html"])
            since = data["rev"]

    return await asyncio.wait_for(find(), 60)


async def _stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    err = (await asyncio.wait_for(process.stderr.read(), 30)).decode()
    assert await asyncio.wait_for(process.wait(), 30) == 0, err
    assert "Traceback" not in err


async def test_without_a_token_the_bot_runs_locally_with_its_page(tmp_path: Path) -> None:
    greeting = tr("en", "👋 Hi! Choose your language:")
    async with _local(tmp_path) as (url, process), aiohttp.ClientSession() as http:
        async with http.get(url + "healthz") as response:
            assert await response.text() == "ok local"
        async with http.get(url, headers={"Accept-Language": "bg"}) as response:
            assert response.status == 200
            assert tr("bg", "Putokaz on this computer") in await response.text()
        # Another site open in the same browser cannot drive the bot...
        async with http.post(url + "api/people", json={"name": "X"}) as response:
            assert response.status == 403
        # ...nor one whose name it points at 127.0.0.1 (DNS rebinding).
        rebound = {"Host": "attacker.example"}
        async with http.get(url + "api/people", headers=rebound) as response:
            assert response.status == 421
        async with http.post(
            url + "api/people", json={"name": "Sara", "language": "en"}, headers=CHANGE
        ) as response:
            sara = (await response.json())["id"]
        async with http.post(
            f"{url}api/chats/{sara}/send", json={"text": "/start"}, headers=CHANGE
        ) as response:
            assert response.status == 200
        assert await _chat_shows(http, url, sara, greeting)
        await _stop(process)
    assert (tmp_path / "data" / "local.sqlite3").exists()
    assert not (tmp_path / "real.sqlite3").exists()

    # Started again: Sara is still there and the bot still answers her (new update ids go on
    # after the ones it handled, or it would skip them as delivered twice).
    async with _local(tmp_path) as (url, process), aiohttp.ClientSession() as http:
        async with http.get(url + "api/people") as response:
            assert [p["id"] for p in (await response.json())["people"]] == [sara]
        async with http.post(
            f"{url}api/chats/{sara}/send", json={"text": "/start"}, headers=CHANGE
        ) as response:
            assert response.status == 200
        assert await _chat_shows(http, url, sara, greeting)
        await _stop(process)


async def test_the_clock_brings_the_scheduled_announcement_and_demo_data_goes_in_one_step(
    tmp_path: Path,
) -> None:
    async with _local(tmp_path, "--demo") as (url, _process), aiohttp.ClientSession() as http:
        async with http.get(url + "api/people") as response:
            people = (await response.json())["people"]
        assert len(people) == 7 and all(p["demo"] for p in people)
        assert {p["role"] for p in people} == {"youth", "mentor", "staff"}
        # Scheduled for tomorrow at 10:00: two days on it has gone out, in each one's language.
        for _ in range(2):
            async with http.post(url + "api/clock", json={"move": "day"}, headers=CHANGE) as r:
                assert (await r.json())["moved"] is True
        assert await _chat_shows(http, url, MILICA, "Радионице ове недеље")
        assert await _chat_shows(http, url, KALINA, "Работилници тази седмица")
        assert await _chat_shows(http, url, AMIR, "Workshops this week")

        async with http.delete(url + "api/demo", headers=CHANGE) as response:
            assert (await response.json())["removed"] == 7
        async with http.get(url + "api/people") as response:
            assert (await response.json())["people"] == []
        async with http.post(url + "api/demo", headers=CHANGE, json={}) as response:
            assert response.status == 200
        async with http.get(url + "api/people") as response:
            assert len((await response.json())["people"]) == 7


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_demo_staff_member_and_mentor_open_the_desk_from_the_page(
    tmp_path: Path,
) -> None:
    desk = f"http://127.0.0.1:{_free_port()}"
    port = {"WEB_PORT": desk.rsplit(":", 1)[1]}
    async with (
        _local(tmp_path, "--demo", env=port) as (url, _process),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(url + "api/people") as response:
            people = {p["id"]: p for p in (await response.json())["people"]}
        assert people[ANA]["desk"] and people[JELENA]["desk"] and not people[MILICA]["desk"]
        # A young person has no desk; another site cannot ask for a link.
        async with http.post(f"{url}api/chats/{MILICA}/desk", headers=CHANGE, json={}) as r:
            assert r.status == 403
        async with http.post(f"{url}api/chats/{ANA}/desk", json={}) as r:
            assert r.status == 403
        for person, sees in ((ANA, "Калина"), (JELENA, "Милица")):
            async with http.post(f"{url}api/chats/{person}/desk", headers=CHANGE, json={}) as r:
                link = (await r.json())["url"]
            assert link.startswith(f"{desk}/desk/signin?t="), link
            token = link.split("t=", 1)[1]
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
                async with browser.get(link) as response:
                    assert response.status == 200  # the "Sign in" page: a preview spends nothing
                async with browser.post(f"{desk}/desk/signin", data={"t": token}) as response:
                    assert response.status == 200 and response.url.path == "/desk/people"
                    assert sees in await response.text()
                async with browser.post(f"{desk}/desk/signin", data={"t": token}) as response:
                    assert response.status == 400  # used once
        # The mentor sees only her own young people: Kalina (Sofia) is not one of them.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with http.post(f"{url}api/chats/{JELENA}/desk", headers=CHANGE, json={}) as r:
                token = (await r.json())["url"].split("t=", 1)[1]
            async with browser.post(f"{desk}/desk/signin", data={"t": token}) as response:
                assert "Калина" not in await response.text()


def test_a_message_is_drawn_from_telegrams_entities_and_escaped() -> None:
    text = "<b>x</b> here /menu"
    entities = [
        {"type": "text_link", "offset": 0, "length": 8, "url": "javascript:alert(1)"},
        {"type": "bold", "offset": 9, "length": 4},
        {"type": "bot_command", "offset": 14, "length": 5},
    ]
    html = entities_to_html(text, entities)
    assert html.startswith("&lt;b&gt;x&lt;/b&gt; <b>here</b>")
    assert "javascript" not in html
    assert 'data-command="/menu"' in html


# The browser


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path) and not shutil.which(os.path.basename(path)):
            return f"{path} is missing: apt-get install -y chromium chromium-driver"
    return None


@pytest.fixture
def driver() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en"):
        options.add_argument(flag)
    options.add_argument("--window-size=412,900")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(0)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)  # a phone's width
    try:
        yield browser
    finally:
        browser.quit()


async def _until(driver: Any, what: str, script: str, *args: Any) -> Any:
    """Polls a piece of JavaScript in the page until it returns something truthy."""
    for _ in range(400):
        found = await asyncio.to_thread(driver.execute_script, script, *args)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the page never showed {what}")


_BUBBLE_WITH = """
const [needle] = arguments;
return [...document.querySelectorAll('#messages .msg')]
  .find(m => m.textContent.includes(needle)) || null;
"""
_PRESS = """
const [needle] = arguments;
const b = [...document.querySelectorAll('#messages .inline-row button')]
  .reverse().find(b => b.textContent.includes(needle));
if (b) { b.click(); return true; } return false;
"""


async def test_a_young_person_onboards_and_a_reminder_arrives_on_the_page(
    tmp_path: Path, driver: Any
) -> None:
    async with _local(tmp_path, "--demo") as (url, _process):
        await asyncio.to_thread(driver.get, url + "?lang=en")
        await _until(
            driver,
            "the demo people",
            "return document.querySelectorAll('#people-list li').length >= 7",
        )

        # A new person, through the form behind ☰ on a phone.
        await asyncio.to_thread(
            driver.execute_script, "document.getElementById('people-toggle').click()"
        )
        form_js = """
        const f = document.getElementById('new-person');
        f.name.value = 'Sara'; f.language.value = 'en';
        f.querySelector('button[type=submit]').click(); return true;
        """
        await asyncio.to_thread(driver.execute_script, form_js)
        await _until(
            driver,
            "the Start button",
            "const s = document.getElementById('start');"
            "return s && !s.hidden && s.offsetParent !== null",
        )
        await asyncio.to_thread(driver.execute_script, "document.getElementById('start').click()")
        await _until(
            driver, "the language picker", _BUBBLE_WITH, tr("en", "👋 Hi! Choose your language:")
        )
        assert await _until(driver, "the English button", _PRESS, "English")
        await _until(driver, "the privacy question", _BUBBLE_WITH, tr("en", "Do you agree?"))
        assert await _until(driver, "the agree button", _PRESS, tr("en", "✅ I agree"))
        year = str(datetime.now(UTC).year - 20)
        await _until(
            driver,
            "the year question",
            _BUBBLE_WITH,
            tr("en", "🎂 What is your year of birth? Tap it, or type it (for example 2007)."),
        )
        assert await _until(driver, "the year button", _PRESS, year)
        await _until(driver, "the main menu", _BUBBLE_WITH, tr("en", "✅ All set!"))
        # Edited in place: the onboarding is one message that became the menu.
        count = await asyncio.to_thread(
            driver.execute_script, "return document.querySelectorAll('#messages .msg').length"
        )
        assert count == 2  # the person's /start and the bot's one message
        assert await _until(driver, "the Help now button", _PRESS, tr("en", "🆘 Help now"))

        # Милица has a task due tomorrow; a day later its reminder is in her chat.
        milica = "7000000002"
        await asyncio.to_thread(
            driver.execute_script,
            f"document.querySelector('#people-list button[data-id=\"{milica}\"]').click()",
        )
        await _until(
            driver,
            "Милица's chat",
            "return document.getElementById('chat-title').textContent === 'Милица'",
        )
        assert not await asyncio.to_thread(
            driver.execute_script, _BUBBLE_WITH, "Узети уверење из школе"
        )
        await asyncio.to_thread(
            driver.execute_script, "document.querySelector('[data-move=day]').click()"
        )
        reminder = await _until(
            driver, "the deadline reminder", _BUBBLE_WITH, "Узети уверење из школе"
        )
        assert "⏰" in await asyncio.to_thread(lambda: reminder.text)
