"""The chat page: the same aiohttp server as the embedded Bot API serves a Telegram-like chat
for each person, a switcher between them, the clock's buttons and the demo data's.

Only 127.0.0.1 is served (the runner binds there); requests naming another host are refused,
and changes need a header a foreign web page cannot send without asking first, so a site open
in the same browser cannot drive the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from sqlalchemy import func, select

from bot.app import Running
from bot.botapi import FakeTelegram
from bot.botapi.api_bot import scope_key
from bot.botapi.models import ChatState
from bot.i18n.formatting import fmt_date, fmt_time
from bot.kit.update_claims import ProcessedUpdate
from bot.local import demo
from bot.local.clock import MovableClock
from bot.local.moments import advance, next_due
from bot.local.render import message_json
from bot.local.texts import page_locale, page_texts
from bot.people import desk_access
from bot.people import queries as people_queries
from bot.people.models import Role, User

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
DESK_ROLES = {str(Role.STAFF), str(Role.MENTOR)}
POLL_SECONDS = 25.0
ANSWER_SECONDS = 10.0
MAX_TEXT = 4096
LANGUAGES = ("sr", "bg", "en")
_CHANGE_HEADER = "X-Putokaz"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChatPage:
    def __init__(self, server: FakeTelegram, clock: MovableClock, timezone: str) -> None:
        self.server = server
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.running: Running | None = None
        self.port = 0
        self._templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._busy = asyncio.Lock()  # demo seeding and removal, one at a time
        self._moving = asyncio.Lock()  # one move of the clock at a time

    # Wiring

    def add_routes(self, app: web.Application) -> None:
        get, post = app.router.add_get, app.router.add_post
        get("/", self._guarded(self.index))
        get("/healthz", self.healthz)
        app.router.add_static("/static/", HERE / "static", append_version=False)
        get("/api/people", self._guarded(self.people))
        post("/api/people", self._guarded(self.add_person, change=True))
        get("/api/chats/{chat_id:\\d+}", self._guarded(self.chat))
        post("/api/chats/{chat_id:\\d+}/send", self._guarded(self.send, change=True))
        post("/api/chats/{chat_id:\\d+}/press", self._guarded(self.press, change=True))
        get("/files/{file_id}", self._guarded(self.file))
        post("/api/clock", self._guarded(self.move_clock, change=True))
        post("/api/demo", self._guarded(self.add_demo, change=True))
        post("/api/chats/{chat_id:\\d+}/desk", self._guarded(self.desk_link, change=True))
        app.router.add_delete("/api/demo", self._guarded(self.remove_demo, change=True))

    async def ready(self, running: Running) -> None:
        """The bot is assembled: every person in the database gets their chat back."""
        async with running.sessions() as session:
            people = (await session.execute(select(User.telegram_id, User.display_name))).all()
            handled = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
        # The bot skips update ids it handled before: numbering goes on where it stopped.
        self.server.state.updates.continue_after(handled or 0)
        for telegram_id, name in people:
            self.ensure_chat(telegram_id, name or f"#{telegram_id}", None)
        self.running = running  # only now: updates are numbered right from here on

    def ensure_chat(self, telegram_id: int, name: str, language: str | None) -> ChatState:
        chat = self.server.state.chats.get(telegram_id)
        if chat is None:
            self.server.user(name, language_code=language, user_id=telegram_id, has_started=True)
            chat = self.server.state.chats[telegram_id]
        return chat

    def _guarded(self, handler: Handler, *, change: bool = False) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if request.host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):
                return web.Response(status=421, text="wrong host")
            if change and request.headers.get(_CHANGE_HEADER) != "1":
                return web.Response(status=403, text="the page's own requests only")
            return await handler(request)

        return guarded

    # Pages

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok local" if self.running else "starting local")

    async def index(self, request: web.Request) -> web.Response:
        locale = page_locale(request.query.get("lang"), request.headers.get("Accept-Language", ""))
        texts = page_texts(locale)
        template = self._templates.get_template("chat.html")
        html = template.render(
            locale=locale,
            html_lang=locale.replace("_", "-"),
            texts=texts,
            config={
                "texts": texts,
                "locale": locale,
                "bot": self.server.bot_user,
                "languages": LANGUAGES,
            },
        )
        return web.Response(text=html, content_type="text/html")

    # People

    async def people(self, request: web.Request) -> web.Response:
        locale = page_locale(request.query.get("lang"), "")
        roles: dict[int, str] = {}
        if self.running is not None:
            async with self.running.sessions() as session:
                rows = (await session.execute(select(User.telegram_id, User.role))).all()
            roles = {int(tid): str(role) for tid, role in rows}
        chats = sorted(
            self.server.state.chats.values(),
            key=lambda c: (not demo.is_demo(c.id), demo.order(c.id), c.id),
        )
        people = [
            {
                "id": chat.id,
                "name": str(chat.user.get("first_name", "")),
                "role": roles.get(chat.id),
                "desk": roles.get(chat.id) in DESK_ROLES,
                "demo": demo.is_demo(chat.id),
                "about": demo.about(chat.id, locale),
                "rev": chat.rev,
            }
            for chat in chats
        ]
        return web.json_response(
            {
                "people": people,
                "clock": self._clock_label(locale),
                "demo": any(p["demo"] for p in people),
                "ready": self.running is not None,
            }
        )

    async def add_person(self, request: web.Request) -> web.Response:
        body = await _json(request)
        name = " ".join(str(body.get("name", "")).split())[:64]
        language = str(body.get("language", ""))
        if not name or language not in (*LANGUAGES, ""):
            return web.json_response({"error": "name"}, status=400)
        chats = self.server.state.chats
        user_id = max((i for i in chats if not demo.is_demo(i)), default=100_000_000) + 1
        self.server.user(name, language_code=language or None, user_id=user_id)
        return web.json_response({"id": user_id})

    async def desk_link(self, request: web.Request) -> web.Response:
        """The desk for a staff member or mentor of this page, without Telegram: the same
        single-use sign-in link /console gives, opened by the page in a new tab."""
        running = self._running()
        telegram_id = int(request.match_info["chat_id"])
        settings = running.settings
        async with running.sessions.begin() as session:
            user = await people_queries.get_by_telegram_id(session, telegram_id)
            if not desk_access.may_use_desk(user):
                return web.json_response({"error": "role"}, status=403)
            assert user is not None
            idle = timedelta(hours=settings.web_session_idle_hours)
            token = await desk_access.issue_link(session, user, self.clock.now(), idle)
        return web.json_response({"url": f"{settings.desk_url}/desk/signin?t={token}"})

    # One chat

    def _chat(self, request: web.Request) -> ChatState:
        chat = self.server.state.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise web.HTTPNotFound(text="no such person")
        return chat

    async def chat(self, request: web.Request) -> web.Response:
        """What changed in a chat after revision ``since``; waits for a change (long polling)."""
        chat = self._chat(request)
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            since = 0
        if chat.rev <= since and request.query.get("wait") == "1":
            with contextlib.suppress(TimeoutError):
                await self.server.state.changed.wait_for(
                    lambda: True if chat.rev > since else None, POLL_SECONDS
                )
        messages = [
            message_json(m, self.zone)
            for _, m in sorted(chat.messages.items())
            if m.rev > since and not (since == 0 and m.deleted)
        ]
        locale = page_locale(request.query.get("lang"), "")
        return web.json_response(
            {
                "rev": chat.rev,
                "messages": messages,
                "keyboard": _keyboard(chat),
                "commands": self._commands(chat),
                "clock": self._clock_label(locale),
            }
        )

    async def send(self, request: web.Request) -> web.Response:
        self._running()  # updates flow once the bot knows which ids it handled before
        chat = self._chat(request)
        text = str((await _json(request)).get("text", "")).strip()
        if not text or len(text) > MAX_TEXT:
            return web.json_response({"error": "text"}, status=400)
        self.server.user_by_id(chat.id).send(text)
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        """A button press; answers with the bot's answerCallbackQuery (toast or alert)."""
        self._running()
        chat = self._chat(request)
        body = await _json(request)
        try:
            message_id, data = int(body["message_id"]), str(body["data"])
        except (KeyError, TypeError, ValueError):
            return web.json_response({"error": "button"}, status=400)
        user = self.server.user_by_id(chat.id)
        user.click_data(message_id, data)
        query_id = user.last_callback_query_id
        assert query_id is not None
        record = self.server.state.callback_queries[query_id]
        try:
            await self.server.state.changed.wait_for(
                lambda: True if record.answered else None, ANSWER_SECONDS
            )
        except TimeoutError:
            return web.json_response({"answered": False})
        return web.json_response({"answered": True, **(record.answer or {})})

    async def file(self, request: web.Request) -> web.Response:
        stored = self.server.state.files.get(request.match_info["file_id"])
        if stored is None or not stored.data:
            raise web.HTTPNotFound(text="no such file")
        headers = {"Cache-Control": "private, max-age=86400"}
        if request.query.get("download") == "1":
            name = quote(stored.file_name or "file")
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        mime = stored.mime_type or ("image/png" if stored.kind == "photo" else None)
        return web.Response(
            body=stored.data, content_type=mime or "application/octet-stream", headers=headers
        )

    # The clock and the demo

    async def move_clock(self, request: web.Request) -> web.Response:
        running = self._running()
        move = str((await _json(request)).get("move", ""))
        locale = page_locale(request.query.get("lang"), "")
        steps = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
        if move in steps:
            target = self.clock.now() + steps[move]
        elif move == "next":
            async with running.sessions() as session:
                due = await next_due(session, self.clock.now(), running.settings)
            if due is None:
                return web.json_response({"moved": False, "clock": self._clock_label(locale)})
            target = due
        else:
            return web.json_response({"error": "move"}, status=400)
        async with self._moving:
            await advance(running, self.clock, target)
        log.info("local clock moved to %s", self.clock.now().isoformat(timespec="minutes"))
        return web.json_response({"moved": True, "clock": self._clock_label(locale)})

    async def add_demo(self, _request: web.Request) -> web.Response:
        running = self._running()
        async with self._busy:
            await demo.seed(running, self.clock, self.ensure_chat)
        return web.json_response({"ok": True})

    async def remove_demo(self, _request: web.Request) -> web.Response:
        running = self._running()
        async with self._busy:
            removed = await demo.remove(running, self.clock)
        for telegram_id in removed:
            self.server.state.chats.pop(telegram_id, None)
        return web.json_response({"ok": True, "removed": len(removed)})

    # Helpers

    def _running(self) -> Running:
        if self.running is None:
            raise web.HTTPServiceUnavailable(text="the bot is still starting")
        return self.running

    def _clock_label(self, locale: str) -> str:
        moment, zone = self.clock.now(), str(self.zone)
        return f"{fmt_date(moment, locale, zone, 'MMMEd')}, {fmt_time(moment, locale, zone)}"

    def _commands(self, chat: ChatState) -> list[dict[str, str]]:
        """The command menu Telegram would show in this chat (scope and language fall back)."""
        language = str(chat.user.get("language_code") or "")
        chat_scope = scope_key({"type": "chat", "chat_id": chat.id})
        private = scope_key({"type": "all_private_chats"})
        default = scope_key({"type": "default"})
        stored = self.server.state.commands
        for scope in (chat_scope, private, default):
            for lang in (language, ""):
                if (scope, lang) in stored:
                    return list(stored[(scope, lang)])
        return []


def _keyboard(chat: ChatState) -> list[list[str]] | None:
    markup = chat.reply_keyboard
    if markup is None:
        return None
    return [
        [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
        for row in markup.get("keyboard", [])
    ]


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="not an object")
    return body
