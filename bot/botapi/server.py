"""The fake Telegram Bot API server: real HTTP on 127.0.0.1, Telegram's answers and refusals.

Point aiogram at it with ``TelegramAPIServer.from_base(fake.base_url)``; it serves
``{base}/bot{token}/{method}`` and ``{base}/file/bot{token}/{file_path}``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.botapi.api_bot import scope_key
from bot.botapi.dispatch import Executor
from bot.botapi.errors import ApiError
from bot.botapi.faults import RateLimiter, is_message_method, make_failure
from bot.botapi.models import (
    CallbackQueryRecord,
    ChatState,
    RecordedRequest,
    StoredFile,
    StoredMessage,
    WebhookConfig,
)
from bot.botapi.params import read_arguments
from bot.botapi.spec import BotApiSpec, load_spec
from bot.botapi.state import BotState
from bot.botapi.users import FakeUser
from bot.botapi.webhook import WebhookSender

_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class FakeTelegram:
    """A Telegram Bot API server for tests. See the package docstring for an overview."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "putokaz_test_bot",
        bot_first_name: str = "Putokaz",
        rate_limit: float | None = None,
        per_chat_rate_limit: float | None = None,
        strict_html: bool = False,
        use_spec: bool = True,
        spec_path: str | Path | None = None,
        allow_http_webhooks: bool = False,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        record_requests: bool = True,
    ) -> None:
        if not re.fullmatch(r"[1-9]\d*:[\w-]+", token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        # A network between the bot and Telegram: each call takes this long in all (half on
        # the way there, half on the way back), as 50-300 ms do over a mobile uplink.
        self.latency = latency
        self.state = BotState(
            token,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            strict_html=strict_html,
            clock=clock,
        )
        self.state.allow_http_webhooks = allow_http_webhooks
        self.state.record_requests = record_requests
        self.spec: BotApiSpec | None = load_spec(spec_path) if use_spec else None
        self.limiter = RateLimiter(rate_limit, per_chat_rate_limit)
        self._executor = Executor(self.state, self.spec, self.limiter)
        self._users: dict[int, FakeUser] = {}
        self._next_user_id = 100_000_001
        self._sender = WebhookSender(self.state, self._execute_reply, webhook_retry_delay)
        self.state.on_webhook_change = self._sender.sync
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    # Lifecycle

    async def start(self, routes: Callable[[web.Application], None] | None = None) -> FakeTelegram:
        """Serves the Bot API; ``routes`` adds more pages to the same server (local mode's)."""
        self.state.updates.closing = False
        app = web.Application(client_max_size=64 * 2**20)  # uploads up to Telegram's 50 MB
        if routes is not None:
            routes(app)
        app.router.add_route("*", "/bot{token}/{method}", self._on_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._on_file)
        app.router.add_route("*", "/{tail:.*}", self._on_other)
        # A bot that gives up on a long poll disconnects; its handler should not linger.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])  # a restart reuses the same port
        self._sender.sync()
        return self

    async def stop(self) -> None:
        self.state.updates.closing = True  # pending long polls answer [] at once
        self.state.changed.fire()
        await self._sender.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("call `await fake.start()` first")
        return f"http://{self._host}:{self._port}"

    @property
    def bot_id(self) -> int:
        return int(self.state.bot_user["id"])

    @property
    def bot_user(self) -> dict[str, Any]:
        return dict(self.state.bot_user)

    # People and updates

    def user(
        self,
        first_name: str = "Ana",
        *,
        language_code: str | None = "sr",
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        is_premium: bool = False,
        has_started: bool = False,
    ) -> FakeUser:
        """A new person. The bot may write to them only after they wrote first (or
        ``has_started``), as on Telegram."""
        if user_id is None:
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self.state.chats:
            raise ValueError(f"user {user_id} already exists")
        profile: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        profile |= {k: v for k, v in optional.items() if v}
        if is_premium:
            profile["is_premium"] = True
        chat = ChatState(profile, known=has_started)
        self.state.chats[user_id] = chat
        self._users[user_id] = FakeUser(self.state, chat)
        return self._users[user_id]

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

    def user_by_id(self, user_id: int) -> FakeUser:
        return self._users[user_id]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queues a raw update; ``update_id`` is assigned when missing."""
        return self.state.updates.push(update)

    def repush(self, update_id: int) -> int:
        """Delivers an earlier update again with the same update_id (a duplicate)."""
        return self.state.updates.repush(update_id)

    def update(self, update_id: int) -> dict[str, Any]:
        return self.state.updates.update(update_id)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.state.updates.pending

    @property
    def dropped_updates(self) -> list[dict[str, Any]]:
        """Updates never queued because allowed_updates excluded their type."""
        return list(self.state.updates.dropped)

    # What the bot did

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    def mark(self) -> int:
        """The index the next request will get: pass it as ``since`` to :meth:`wait_for`."""
        return len(self.state.requests)

    def calls(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        ok: bool | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        return [r for r in self.state.requests[since:] if _matches(r, method, chat_id, ok)]

    def sent(
        self, method: str | None = None, chat_id: int | str | None = None
    ) -> list[RecordedRequest]:
        """Successful calls that put a message in a chat (send*, copy*, forward*)."""
        found = self.calls(method, chat_id=chat_id, ok=True)
        return [r for r in found if is_message_method(r.method.lower())]

    async def wait_for(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        ok: bool | None = None,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> RecordedRequest:
        """The first request from index ``since`` on that matches, waiting up to ``timeout``."""

        def find() -> RecordedRequest | None:
            for request in self.state.requests[since:]:
                if _matches(request, method, chat_id, ok) and (
                    predicate is None or predicate(request)
                ):
                    return request
            return None

        try:
            return await self.state.changed.wait_for(find, timeout)
        except TimeoutError:
            recent = "\n".join(f"  {r}" for r in self.state.requests[since:][-15:])
            raise TimeoutError(
                f"no matching request within {timeout}s "
                f"({self.mark() - since} recorded since #{since}):\n{recent or '  (none)'}"
            ) from None

    def refused(self, description: str = "", *, since: int = 0) -> list[RecordedRequest]:
        """Requests answered with an error whose description contains ``description``
        (e.g. "message is not modified"), from index ``since`` on."""
        return [
            r for r in self.calls(ok=False, since=since) if description in (r.description or "")
        ]

    def count_status(self, status: int) -> int:
        return sum(1 for r in self.state.requests if r.status == status)

    @property
    def rate_limit_hits(self) -> int:
        """429 answers caused by ``rate_limit``/``per_chat_rate_limit``."""
        return self.limiter.hits

    @property
    def polls_waiting(self) -> int:
        """getUpdates calls held open right now: 1 while a bot waits for updates."""
        return self.state.updates.waiting

    async def wait_until_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Returns once a getUpdates call is waiting for updates (the bot is up and idle)."""
        await self.state.changed.wait_for(lambda: self.polls_waiting > 0 or None, timeout)

    @property
    def first_get_updates_at(self) -> float | None:
        """time.monotonic() of the first getUpdates call."""
        return self.state.first_get_updates_at

    @property
    def callback_queries(self) -> dict[str, CallbackQueryRecord]:
        return self.state.callback_queries

    def unanswered_callback_queries(self) -> list[str]:
        return [q.id for q in self.state.callback_queries.values() if not q.answered]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        key = scope_key(scope or {"type": "default"})
        return list(self.state.commands.get((key, language_code), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        chat = self.state.chats.get(chat_id) if chat_id is not None else None
        return (chat.menu_button if chat else None) or self.state.menu_button

    @property
    def webhook(self) -> WebhookConfig:
        return self.state.webhook

    def message(self, chat_id: int, message_id: int) -> StoredMessage:
        return self.state.chats[chat_id].messages[message_id]

    def file(self, file_id: str) -> StoredFile:
        return self.state.files[file_id]

    # Failures

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 3,
        description: str | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
        body: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*": any but getUpdates) fail with ``status``.

        429 carries ``parameters.retry_after``; a bare ``description`` gets Telegram's prefix
        ("chat not found" -> "Bad Request: chat not found"); ``body`` replaces the JSON answer
        with literal text, like the HTML page of a 502 from Telegram's front end.
        """
        self._executor.failures.append(
            make_failure(
                method,
                status=status,
                retry_after=retry_after,
                description=description,
                times=times,
                chat_id=chat_id,
                body=body,
            )
        )

    def clear_failures(self) -> None:
        """Forgets the failures of :meth:`fail_next` that have not happened yet."""
        self._executor.failures.clear()

    # HTTP

    async def _on_api(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        raw, files = await read_arguments(request)
        if ":" not in token:  # Telegram's front end refuses this before the Bot API sees it
            self._executor.record(name, raw, files, 404, dict(_NOT_FOUND))
            return web.json_response(_NOT_FOUND, status=404)
        if token != self.token:
            error = ApiError(401, "Unauthorized")
            self._executor.record(name, raw, files, 401, error.body())
            return web.json_response(error.body(), status=401)
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        status, body, literal = await self._executor.execute(name, raw, files)
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        if literal is not None:
            return web.Response(status=status, text=literal, content_type="text/html")
        dumps = partial(json.dumps, ensure_ascii=False)
        return web.json_response(body, status=status, dumps=dumps)

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        stored = next((f for f in self.state.files.values() if f.file_path == path), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(_NOT_FOUND, status=404)
        mime = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=mime)

    async def _on_other(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(_NOT_FOUND, status=404)

    async def _execute_reply(self, name: str, raw: dict[str, str]) -> None:
        await self._executor.execute(name, raw, {})


def _matches(
    request: RecordedRequest, method: str | None, chat_id: int | str | None, ok: bool | None
) -> bool:
    if method is not None and request.method.lower() != method.lower():
        return False
    if chat_id is not None and str(request.chat_id) != str(chat_id):
        return False
    return ok is None or request.ok == ok
