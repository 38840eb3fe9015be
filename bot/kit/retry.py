"""Telegram's 429 asks us to wait; a reply waits a little, longer waits are left to the caller."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

# Background senders (reminders, broadcasts) handle 429 themselves: a pause for the whole queue
# through the pacer, not one request sleeping while the others run into the same limit.
_raise_retry_after: ContextVar[bool] = ContextVar("raise_retry_after", default=False)
# The broadcast sender retries 5xx itself, later and through the pacer, so that a retry is
# counted against the rate and does not hold a sending slot while it sleeps.
_raise_server_errors: ContextVar[bool] = ContextVar("raise_server_errors", default=False)

# aiogram parses every answer as `Response[method.__returning__]`; pydantic keeps such a class
# only weakly, so a garbage collection drops it and the next request builds it anew (a whole
# model class: 8% of the CPU of a booking, bench/booking.py). Held here, it is built once.
_RESPONSE_TYPES: dict[Any, Any] = {}


def _keep_response_type(method: TelegramMethod[Any]) -> None:
    returning = method.__returning__
    if returning not in _RESPONSE_TYPES:
        _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]


@contextmanager
def background_sending(*, retry_server_errors: bool = True) -> Iterator[None]:
    """Inside: a 429 is raised at once; 5xx too unless `retry_server_errors`."""
    token = _raise_retry_after.set(True)
    server_token = _raise_server_errors.set(not retry_server_errors)
    try:
        yield
    finally:
        _raise_server_errors.reset(server_token)
        _raise_retry_after.reset(token)


class RetryPolitely(BaseRequestMiddleware):
    """Retries a request after a short 429 or a 5xx; a long 429 is raised for the caller."""

    def __init__(self, max_wait: float = 10.0, attempts: int = 3) -> None:
        self.max_wait = max_wait
        self.attempts = attempts

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        _keep_response_type(method)
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if (
                    _raise_retry_after.get()
                    or exc.retry_after > self.max_wait
                    or attempt == self.attempts
                ):
                    raise
                log.warning("429 on %s: waiting %ss", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except TelegramServerError:
                if _raise_server_errors.get() or attempt == self.attempts:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")
