"""Delivers queued updates to the bot's webhook, one at a time, as Telegram does.

An update leaves the queue once the webhook answers 2xx; otherwise the error is kept for
getWebhookInfo and delivery is retried. A JSON reply naming a ``method`` is executed as an API
call, like Telegram's "reply to the webhook" feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.botapi.state import BotState

Execute = Callable[[str, dict[str, str]], Awaitable[Any]]


class WebhookSender:
    def __init__(self, state: BotState, execute: Execute, retry_delay: float = 0.2) -> None:
        self._state = state
        self._execute = execute
        self._retry_delay = retry_delay
        self._task: asyncio.Task[None] | None = None

    def sync(self) -> None:
        """Starts delivering when a webhook is set; stops when it is deleted."""
        if self._state.webhook.url and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _next(self) -> Any:
        if not self._state.webhook.url:
            return False  # not None: ends the wait, and the loop
        return self._state.updates.first()

    async def _run(self) -> None:
        hook = self._state.webhook
        async with aiohttp.ClientSession() as session:
            while hook.url:
                entry = await self._state.changed.wait_for(self._next, None)
                if entry is False:
                    return
                if await self._post(session, hook.url, entry.update):
                    self._state.updates.remove(entry)
                    hook.delivered += 1
                    self._state.changed.fire()
                else:
                    await asyncio.sleep(self._retry_delay)

    def _failed(self, message: str) -> bool:
        self._state.webhook.last_error_date = self._state.now()
        self._state.webhook.last_error_message = message
        self._state.changed.fire()
        return False

    async def _post(self, session: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> bool:
        secret = self._state.webhook.secret_token
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with session.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                body = await response.read()
                status, reason = response.status, response.reason
        except aiohttp.ClientConnectorError:
            return self._failed("Connection refused")
        except TimeoutError:
            return self._failed("Read timeout expired")
        except aiohttp.ClientError as error:
            return self._failed(str(error))
        if not 200 <= status < 300:
            return self._failed(f"Wrong response from the webhook: {status} {reason}")
        await self._reply(body)
        return True

    async def _reply(self, body: bytes) -> None:
        try:
            reply = json.loads(body) if body else None
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            args = {
                k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for k, v in reply.items()
                if k != "method" and v is not None
            }
            await self._execute(reply["method"], args)
