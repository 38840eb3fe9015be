"""`python -m bot`: migrate, then long-poll (or serve a webhook) until SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assessment import questionnaire
from bot.broadcasts.telegram.sender import BroadcastSender
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory, safe_url
from bot.db.migrate import upgrade_to_head
from bot.dispatcher import ALLOWED_UPDATES, Assembled, create_dispatcher
from bot.i18n.catalogs import compile_all
from bot.kit import commands
from bot.kit import helplines as helplines_file
from bot.kit.bot_session import JsonBodySession
from bot.kit.dialog_errors import DialogError
from bot.kit.middlewares.session import CommitBeforeTelegram
from bot.kit.retry import RetryPolitely
from bot.people import queries as users
from bot.plans import rules as plans
from bot.reminder_sender import ReminderSender
from bot.scheduler import (
    add_booking_jobs,
    add_broadcast_job,
    add_reminder_jobs,
    create_scheduler,
)

# Connections beyond the updates: reminder and announcement senders, scheduled jobs, the desk.
BACKGROUND_CONNECTIONS = 6
log = logging.getLogger("bot")

EXIT_CONFIG, EXIT_DATABASE, EXIT_TELEGRAM, EXIT_REDIS = 2, 3, 4, 5


class StartupError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def describe_settings_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]).upper() or "settings"
        problems.append(f"{field}: {error['msg']}")
    return "bad configuration: " + "; ".join(problems)


@dataclass(frozen=True)
class Running:
    """What a caller of run() gets once the bot is assembled, before updates flow (local mode)."""

    bot: Bot
    sessions: SessionFactory
    assembled: Assembled
    scheduler: AsyncIOScheduler
    settings: Settings


OnReady = Callable[[Running], Awaitable[None]]


def create_bot(settings: Settings) -> Bot:
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
        if settings.telegram_api_base
        else None
    )
    session = JsonBodySession(api=api) if api else JsonBodySession()
    # Outermost: the update's transaction ends before the request (and before any 429 wait).
    session.middleware(CommitBeforeTelegram())
    session.middleware(RetryPolitely())
    if settings.bot_token is None:
        raise StartupError(EXIT_CONFIG, "BOT_TOKEN is not set")
    try:
        return Bot(
            settings.bot_token.get_secret_value(),
            session=session,
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )
    except TokenValidationError as exc:
        raise StartupError(
            EXIT_CONFIG, "BOT_TOKEN does not look like a token from @BotFather (digits:letters)"
        ) from exc


async def create_storage(settings: Settings) -> BaseStorage:
    if not settings.redis_url:
        return MemoryStorage()
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage  # only needed with Redis

    # with_destiny: the staff forms (aiogram-dialog) keep their stack beside the FSM state.
    storage = RedisStorage.from_url(
        settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True)
    )
    try:
        # redis-py types ping() as sync-or-async.
        await storage.redis.ping()  # type: ignore[misc]
    except Exception as exc:  # redis raises its own and OS errors
        await storage.close()
        raise StartupError(
            EXIT_REDIS,
            f"cannot reach Redis at {safe_url(settings.redis_url)} ({type(exc).__name__}): "
            "check REDIS_URL or unset it to keep dialog state in memory",
        ) from exc
    return storage


async def check_token(bot: Bot, settings: Settings) -> str:
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError as exc:
        raise StartupError(
            EXIT_CONFIG, "Telegram rejected BOT_TOKEN (401 Unauthorized): check it with @BotFather"
        ) from exc
    except (TelegramNetworkError, OSError) as exc:
        where = settings.telegram_api_base or "https://api.telegram.org"
        raise StartupError(
            EXIT_TELEGRAM,
            f"cannot reach the Telegram Bot API at {where}: check TELEGRAM_API_BASE "
            "and the network",
        ) from exc
    return me.username or str(me.id)


async def migrate(settings: Settings, engine: AsyncEngine) -> None:
    try:
        await asyncio.wait_for(upgrade_to_head(engine), timeout=60)
    except (OSError, SQLAlchemyError, TimeoutError) as exc:
        reason = getattr(exc, "orig", None) or exc
        detail = (str(reason).splitlines() or ["no detail"])[0]
        raise StartupError(
            EXIT_DATABASE,
            f"cannot use the database at {safe_url(settings.database_url)} "
            f"({type(reason).__name__}: {detail}): "
            "check DATABASE_URL and that the server is running",
        ) from exc


def on_lifecycle(
    dp: Dispatcher,
    assembled: Assembled,
    sessions: SessionFactory,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> AsyncIOScheduler:
    scheduler = create_scheduler(sessions, settings, clock)
    reminders = ReminderSender(bot, sessions, assembled.i18n, assembled.pacer, clock, settings)
    add_reminder_jobs(scheduler, reminders, settings)
    broadcasts = BroadcastSender(bot, sessions, assembled.pacer, assembled.i18n, clock, settings)
    add_broadcast_job(scheduler, broadcasts, settings)
    add_booking_jobs(scheduler, sessions, settings, clock)

    async def startup() -> None:
        scheduler.start()

    async def shutdown() -> None:
        # No new runs. The senders' running rounds end by themselves: messages in flight are
        # recorded, the rest is handed back for the next start. Only then the scheduler goes,
        # since its shutdown cancels whatever job still runs.
        scheduler.pause()
        grace = settings.shutdown_grace_seconds / 2
        await asyncio.gather(broadcasts.stop(grace), reminders.stop(grace))
        scheduler.shutdown(wait=False)
        # Updates already being handled finish before the database goes away.
        if not await assembled.inflight.drain(settings.shutdown_grace_seconds):
            log.warning("%d updates still running at shutdown", assembled.inflight.count)
        await assembled.pacer.close()  # the shared budget gets this instance's places back

    dp.startup.register(startup)
    dp.shutdown.register(shutdown)
    return scheduler


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_web_app(
    settings: Settings, sessions: SessionFactory, clock: Clock, assembled: Assembled, bot: Bot
) -> web.Application:
    """The bot's web server: the desk (bot/web), /healthz, and in webhook mode the webhook."""
    from bot.kit.webhook import MAX_BODY
    from bot.web.routes import create_app
    from bot.web.server import Desk

    # The questionnaires are the ones the dispatcher checked at start-up.
    questionnaires = assembled.dispatcher["questionnaires"]
    desk = Desk(settings, sessions, clock, assembled.i18n, bot, questionnaires)
    app = create_app(desk, client_max_size=MAX_BODY)
    app.router.add_get("/healthz", _healthz)
    return app


async def start_web(app: web.Application, settings: Settings) -> web.AppRunner:
    from bot.web.server import start

    try:
        runner, port = await start(app, settings.listen_host, settings.listen_port)
    except OSError as exc:
        raise StartupError(
            EXIT_CONFIG,
            f"cannot listen on {settings.listen_host}:{settings.listen_port} ({exc.strerror}): "
            "set WEB_HOST/WEB_PORT to a free address",
        ) from exc
    log.info(
        "the desk is at %s/desk (listening on %s:%s)", settings.desk_url, settings.listen_host, port
    )
    return runner


async def serve_webhook(dp: Dispatcher, bot: Bot, settings: Settings, app: web.Application) -> None:
    from aiogram.webhook.aiohttp_server import setup_application

    from bot.kit.webhook import CheckedRequestHandler

    assert settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    path = urlsplit(settings.webhook_url).path or "/"
    # 401 to a request without the right X-Telegram-Bot-Api-Secret-Token, 400 (and one log
    # line) to a body that is not an update.
    CheckedRequestHandler(dp, bot, secret).register(app, path=path)
    setup_application(app, dp, bot=bot)
    runner = await start_web(app, settings)
    await bot.set_webhook(
        settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
    )
    log.info("webhook listening on %s:%s%s", settings.listen_host, settings.listen_port, path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


async def run(
    settings: Settings, clock: Clock | None = None, *, on_ready: OnReady | None = None
) -> None:
    """The bot until SIGTERM. ``on_ready`` (local mode) runs once it is assembled and announces
    it instead of the usual log line."""
    clock = clock or SystemClock()
    compile_all()
    try:
        helplines = helplines_file.load()
    except DialogError as exc:
        raise StartupError(EXIT_CONFIG, f"broken data file dialogs/{exc}") from exc
    try:
        questionnaires = questionnaire.load_all()
    except DialogError as exc:
        raise StartupError(EXIT_CONFIG, f"broken data file dialogs/assessment/{exc}") from exc
    bot = create_bot(settings)  # a malformed token fails here, before anything is touched
    # The updates handled at once, plus the senders, the scheduler's jobs and the desk.
    engine = create_engine(
        settings.database_url, connections=settings.max_concurrent_updates + BACKGROUND_CONNECTIONS
    )
    storage: BaseStorage | None = None
    try:
        # Cheapest checks first, so a wrong setting is reported before the database is touched.
        username = await check_token(bot, settings)
        storage = await create_storage(settings)
        await migrate(settings, engine)
        sessions = create_session_factory(engine)
        assembled = create_dispatcher(
            settings=settings,
            sessions=sessions,
            storage=storage,
            clock=clock,
            helplines=helplines,
            questionnaires=questionnaires,
        )
        async with sessions.begin() as session:
            await users.promote_to_staff(session, settings.admin_ids)
            # Stored deadline moments follow TIMEZONE (the desk's reports count in it).
            await plans.follow_zone(session, settings.timezone)
        await commands.set_defaults(bot, assembled.i18n)
        scheduler = on_lifecycle(assembled.dispatcher, assembled, sessions, settings, clock, bot)
        if settings.data_key is None:
            # A choice, not a failure: see DATA_KEY in .env.example.
            log.warning("DATA_KEY is not set: the self-assessment skips its free-text questions")
        # Start-up leaves a million long-lived objects (aiogram's types, pydantic's validators,
        # the ORM's mappings): frozen, the collector stops walking them in every full
        # collection, which took ~0.7 s each in a rush (a tenth of the CPU of /menu).
        gc.collect()
        gc.freeze()
        if on_ready is not None:
            await on_ready(Running(bot, sessions, assembled, scheduler, settings))
        else:
            mode = "webhook" if settings.webhook_url else "polling"
            log.info("Putokaz is running as @%s (%s)", username, mode)
        app = create_web_app(settings, sessions, clock, assembled, bot)
        if settings.webhook_url:
            await serve_webhook(assembled.dispatcher, bot, settings, app)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            runner = await start_web(app, settings)
            try:
                await assembled.dispatcher.start_polling(
                    bot, allowed_updates=ALLOWED_UPDATES, handle_signals=True
                )
            finally:
                await runner.cleanup()
    finally:
        if storage is not None:
            await storage.close()
        await bot.session.close()
        await engine.dispose()
