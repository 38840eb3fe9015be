"""Starts local mode: the embedded Bot API server and the chat page on 127.0.0.1, then the
bot itself (bot.app.run) against them, on its own database under ./data/."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.app import EXIT_CONFIG, Running, StartupError, run
from bot.botapi import FakeTelegram
from bot.config import LOCAL_DATABASE_URL, Settings
from bot.local import demo
from bot.local.clock import MovableClock
from bot.local.page import ChatPage

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
# A token of the right shape; it never leaves this process.
LOCAL_TOKEN = "1000000001:local-putokaz-not-a-telegram-token"
BOT_USERNAME = "putokaz_local_bot"
DATA = Path("data")


def local_data_key(path: Path) -> SecretStr:
    """Free-text answers are encrypted locally too, with a key kept beside the local database."""
    try:
        return SecretStr(path.read_text(encoding="ascii").strip())
    except OSError:
        key = Fernet.generate_key().decode()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key, encoding="ascii")
        path.chmod(0o600)
        return SecretStr(key)


def local_settings(settings: Settings, base_url: str) -> Settings:
    """The settings the bot runs with locally: never the real database, Redis or webhook."""
    return settings.model_copy(
        update={
            "bot_token": SecretStr(LOCAL_TOKEN),
            "telegram_api_base": base_url,
            "database_url": LOCAL_DATABASE_URL,
            "redis_url": None,
            "webhook_url": None,
            "webhook_secret": None,
            "data_key": settings.data_key or local_data_key(DATA / "local-data.key"),
            # The desk beside the chat page, on the next port unless WEB_PORT says otherwise.
            "web_port": settings.web_port
            if "web_port" in settings.model_fields_set
            else (settings.local_port + 1 if settings.local_port else 0),
        }
    )


async def run_local(settings: Settings, *, demo_people: bool = False) -> None:
    clock = MovableClock.load(DATA / "local-clock.json")
    server = FakeTelegram(
        LOCAL_TOKEN,
        bot_username=BOT_USERNAME,
        bot_first_name="Putokaz",
        host=HOST,
        port=settings.local_port,
        clock=clock.timestamp,
        record_requests=False,
    )
    page = ChatPage(server, clock, settings.timezone)
    try:
        await server.start(page.add_routes)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise StartupError(
            EXIT_CONFIG,
            f"port {settings.local_port} on {HOST} is taken: set LOCAL_PORT to a free one "
            "(0 picks any)",
        ) from exc
    page.port = int(server.base_url.rsplit(":", 1)[1])

    async def ready(running: Running) -> None:
        await page.ready(running)
        if demo_people:
            await demo.seed(running, clock, page.ensure_chat)
        print(
            f"Putokaz runs locally: open http://{HOST}:{page.port}/ in a browser "
            "(to connect to Telegram instead, set BOT_TOKEN from @BotFather in .env)",
            flush=True,
        )

    try:
        await run(local_settings(settings, server.base_url), clock, on_ready=ready)
    finally:
        await server.stop()
