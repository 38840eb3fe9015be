"""The webhook endpoint: aiogram's handler, behind a check that the body is a Telegram update.

aiogram parses the body itself and answers 500 with a traceback in the log when it is not JSON;
anyone who knows the URL and the secret (or a broken proxy) could fill the log that way. Here a
body that is not an update is answered 400 with a short plain text, and logged in one line that
says what was wrong with it, never what it held.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes (a 4096-character text with its entities, a reply);
# 1 MiB leaves room for anything it sends and bounds what a forged request makes us read.
MAX_BODY = 1024 * 1024
# Updates nest about a dozen levels (message, reply, keyboard rows); Telegram cuts replies of
# replies. Deeper is not an update.
MAX_DEPTH = 32


class NotAnUpdate(Exception):
    """The body of a webhook request is not a Telegram update; the text says why, in brief."""


def _depth(value: Any) -> int:
    """How deep lists and objects nest, without recursion (a forged body may nest deeply)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook body, or NotAnUpdate."""
    if not body.strip():
        raise NotAnUpdate("empty body")
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise NotAnUpdate("not UTF-8") from None
    except ValueError:
        raise NotAnUpdate("not JSON") from None
    except RecursionError:  # the decoder gives up on very deep nesting by itself
        raise NotAnUpdate(f"nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise NotAnUpdate(f"a JSON {type(data).__name__}, not an object")
    if _depth(data) > MAX_DEPTH:
        raise NotAnUpdate(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return Update.model_validate(data, context={"bot": bot})
    except ValidationError as exc:
        # Field paths only: the error's own text quotes the values it refused.
        where = sorted({".".join(str(p) for p in e["loc"]) or "update" for e in exc.errors()})
        raise NotAnUpdate(f"not an update ({', '.join(where[:3])})") from None


class CheckedRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler for one bot, answering 400 to bodies that are not updates."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str) -> None:
        super().__init__(dispatcher=dispatcher, bot=bot, secret_token=secret_token)

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        # The secret first: without it nothing is read.
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            update = parse_update(await _read(request), bot)
        except NotAnUpdate as exc:
            log.warning("webhook request refused with 400: %s", exc)
            return web.Response(text=f"Bad Request: {exc}", status=400)
        # Telegram gets its answer at once and the update is handled in the background, as
        # aiogram's handler does by default.
        task = asyncio.create_task(self._feed(bot, update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception as exc:  # the error middleware logs what it catches; this is the rest
            log.error("update %s failed: %s", update.update_id, type(exc).__name__)
            return
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)

    __call__ = handle


async def _read(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise NotAnUpdate(f"larger than {MAX_BODY} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # no or a false Content-Length
        raise NotAnUpdate(f"larger than {MAX_BODY} bytes") from None
