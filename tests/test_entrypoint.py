"""`python -m bot` as it runs in production: a subprocess against the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.botapi import FakeTelegram
from tests.conversation import tr
from tests.harness import TOKEN

STARTUP_SECONDS = 60  # a cold interpreter imports aiogram, SQLAlchemy and Babel


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    for key in ("REDIS_URL", "TELEGRAM_API_BASE", "WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS"):
        env.pop(key, None)
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    if "WEBHOOK_URL" not in values:  # webhook tests name their port (WEBHOOK_PORT)
        env["WEB_PORT"] = "0"  # the desk's server on any free port: tests may run side by side
    env.update(values)
    return env


async def _run(tmp_path: Path, *args: str, **values: str) -> tuple[int, str]:
    """Runs the bot to completion (it is expected to stop by itself); rc and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=tmp_path,  # no .env there: only the environment counts
        env=_env(tmp_path, **values),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), STARTUP_SECONDS)
    assert process.returncode is not None
    return process.returncode, err.decode()


@contextlib.asynccontextmanager
async def _bot(tmp_path: Path, **values: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot",
        cwd=tmp_path,
        env=_env(tmp_path, **values),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    err = await asyncio.wait_for(process.stderr.read(), 30)
    return await asyncio.wait_for(process.wait(), 30), err.decode()


def _one_clear_line(stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


async def test_the_bot_migrates_polls_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    fake = FakeTelegram(token=TOKEN, strict_html=True)
    async with fake, _bot(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base_url) as process:
        await fake.wait_until_polling(timeout=STARTUP_SECONDS)
        assert (tmp_path / "bot.sqlite3").exists()
        # Command lists before anyone writes: per Telegram language, in that language.
        for language, locale in (("sr", "sr"), ("bg", "bg"), ("en", "en")):
            listed = fake.commands(language_code=language)
            assert listed[0] == {"command": "menu", "description": tr(locale, "Main menu")}
        assert fake.commands()  # and a default for every other language

        ana = fake.user("Ana", language_code="bg")
        ana.send("/start")
        reply = await ana.wait_message(timeout=10)
        assert reply.text == tr("bg", "👋 Hi! Choose your language:")

        # An update delivered just before SIGTERM is either answered or left unconfirmed,
        # so Telegram delivers it again: never lost.
        update_id = ana.send("/help")
        code, stderr = await _stop(process)
        assert code == 0, stderr
        answered = any(m.text and "/menu" in m.text for m in ana.messages)
        pending = any(u["update_id"] == update_id for u in fake.pending_updates)
        assert answered or pending
        assert "Traceback" not in stderr


def test_demo_people_are_for_local_mode_only(tmp_path: Path) -> None:
    # Without BOT_TOKEN the bot runs locally (tests/test_local_mode.py).
    code, stderr = asyncio.run(_run(tmp_path, "--demo", BOT_TOKEN=TOKEN))
    assert code == 2
    _one_clear_line(stderr, "--demo is for local mode only")


async def test_a_malformed_token_is_one_clear_line(tmp_path: Path) -> None:
    code, stderr = await _run(tmp_path, BOT_TOKEN="not a token")
    assert code == 2
    _one_clear_line(stderr, "BOT_TOKEN does not look like a token")


async def test_a_rejected_token_is_one_clear_line(tmp_path: Path) -> None:
    async with FakeTelegram(token="999:other-token") as fake:
        code, stderr = await _run(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base_url)
    assert code == 2
    _one_clear_line(stderr, "Telegram rejected BOT_TOKEN")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    port = _closed_port()
    async with FakeTelegram(token=TOKEN) as fake:
        code, stderr = await _run(
            tmp_path,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=fake.base_url,
            DATABASE_URL=f"postgresql+asyncpg://putokaz:secret-pw@127.0.0.1:{port}/putokaz",
        )
    assert code == 3
    _one_clear_line(stderr, "cannot use the database", "DATABASE_URL")
    assert "secret-pw" not in stderr


async def test_an_unreachable_bot_api_is_one_clear_line(tmp_path: Path) -> None:
    code, stderr = await _run(
        tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=f"http://127.0.0.1:{_closed_port()}"
    )
    assert code == 4
    _one_clear_line(stderr, "cannot reach the Telegram Bot API")


async def test_an_unreachable_redis_is_one_clear_line(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        code, stderr = await _run(
            tmp_path,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=fake.base_url,
            REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
        )
    assert code == 5
    _one_clear_line(stderr, "cannot reach Redis", "REDIS_URL")


@pytest.mark.parametrize("header", [None, "wrong-secret"])
async def test_webhook_mode_refuses_requests_without_the_secret(
    tmp_path: Path, header: str | None
) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with FakeTelegram(token=TOKEN, allow_http_webhooks=True) as fake:
        async with _bot(
            tmp_path,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=fake.base_url,
            WEBHOOK_URL=url,
            WEBHOOK_SECRET="right-secret",
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        ) as process:
            await fake.wait_for(method="setWebhook", ok=True, timeout=STARTUP_SECONDS)
            assert fake.webhook.url == url
            forged = {
                "update_id": 990001,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 5, "type": "private", "first_name": "X"},
                    "from": {"id": 5, "is_bot": False, "first_name": "X"},
                    "text": "/start",
                },
            }
            headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200

            # Telegram itself sends the secret: that update is handled.
            ana = fake.user("Ana", language_code="sr")
            ana.send("/start")
            reply = await ana.wait_message(timeout=10)
            assert reply.text == tr("sr", "👋 Hi! Choose your language:")
            code, stderr = await _stop(process)
            assert code == 0, stderr
        assert not any(m for m in fake.requests if m.chat_id == 5)


async def test_webhook_answers_400_to_a_body_that_is_not_an_update(tmp_path: Path) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    secret = {"X-Telegram-Bot-Api-Secret-Token": "right-secret"}
    refused: dict[str, bytes] = {
        "malformed JSON": b'{"update_id": 1, "message": {',
        "empty body": b"",
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "deep nesting in an object": b'{"update_id": 3, "x": ' + b"[" * 100_000 + b"]" * 100_000
        + b"}",
        "a list": b"[1, 2, 3]",
        "a string": b'"update"',
        "no update_id": b'{"message": {"text": "hi"}}',
        "a wrong type": b'{"update_id": "not a number"}',
        "not UTF-8": b'{"update_id": 4, "x": "\xff\xfe"}',
        "too big": b'{"update_id": 5, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}',
    }  # fmt: skip
    fake = FakeTelegram(token=TOKEN, allow_http_webhooks=True)
    async with (
        fake,
        _bot(
            tmp_path,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=fake.base_url,
            WEBHOOK_URL=url,
            WEBHOOK_SECRET="right-secret",
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        ) as process,
    ):
        await fake.wait_for(method="setWebhook", ok=True, timeout=STARTUP_SECONDS)
        yana = fake.user("Yana", language_code="bg", has_started=True)
        valid = {
            "update_id": 990002,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": yana.id, "type": "private", "first_name": "Yana"},
                "from": yana.to_api(),
                "text": "/start",
            },
        }
        async with aiohttp.ClientSession() as http:
            for case, body in refused.items():
                async with http.post(url, data=body, headers=secret) as response:
                    assert response.status == 400, case
                    answer = await response.text()
                    assert len(answer) < 100 and "Traceback" not in answer, case
            # Without the secret nothing is even read: still 401.
            async with http.post(url, data=b"[", headers={}) as response:
                assert response.status == 401
            async with http.post(url, json=valid, headers=secret) as response:
                assert response.status == 200
        reply = await fake.wait_for(method="sendMessage", chat_id=yana.id, timeout=10)
        assert reply.ok and reply.params["text"] == tr("bg", "👋 Hi! Choose your language:")
        code, stderr = await _stop(process)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    refusals = [line for line in stderr.splitlines() if "webhook" in line and "400" in line]
    assert len(refusals) == len(refused), stderr
    # The log says what was wrong, never what was sent.
    assert "aaaa" not in stderr and "not a number" not in stderr and '"hi"' not in stderr


async def test_the_desk_is_served_in_polling_mode_too(tmp_path: Path) -> None:
    port = _closed_port()
    fake = FakeTelegram(token=TOKEN, strict_html=True)
    async with (
        fake,
        _bot(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base_url, WEB_PORT=str(port)),
        aiohttp.ClientSession() as client,
    ):
        await fake.wait_until_polling(timeout=STARTUP_SECONDS)
        async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
        async with client.get(
            f"http://127.0.0.1:{port}/desk/people", headers={"Accept-Language": "sr-RS,sr;q=0.9"}
        ) as response:
            assert response.status == 401  # not signed in: how to get a link, in Serbian
            assert tr("sr", "Please sign in") in await response.text()


async def test_a_web_port_in_use_is_a_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with FakeTelegram(token=TOKEN) as fake:
            code, stderr = await _run(
                tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base_url, WEB_PORT=str(port)
            )
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert f"cannot listen on 127.0.0.1:{port}" in stderr.strip().splitlines()[-1]
    assert "WEB_PORT" in stderr
