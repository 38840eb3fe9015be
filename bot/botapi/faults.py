"""Failures on demand and Telegram's flood limits."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.botapi.errors import ApiError, describe, too_many_requests


@dataclass(eq=False)
class Failure:
    method: str  # lower-cased; "*" for any method but getUpdates
    error: ApiError
    times: int
    chat_id: str | None = None
    body: str | None = None  # a literal body instead of JSON, e.g. nginx's HTML 502 page

    def matches(self, method: str, chat_id: str) -> bool:
        if self.method == "*":
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


def make_failure(
    method: str,
    *,
    status: int,
    retry_after: int,
    description: str | None,
    times: int,
    chat_id: int | str | None,
    body: str | None,
) -> Failure:
    if status == 429:
        text = description or f"Too Many Requests: retry after {retry_after}"
        error = ApiError(429, text, {"retry_after": retry_after})
    else:
        # A bare message gets Telegram's prefix: "chat not found" -> "Bad Request: chat not found".
        error = ApiError(status, describe(status, description or ""))
    target = None if chat_id is None else str(chat_id)
    return Failure(method.lower(), error, times, target, body)


def is_message_method(method: str) -> bool:
    """Calls that count towards the flood limits: sending, copying, forwarding messages."""
    return method.startswith(("send", "copy", "forward")) and method != "sendchataction"


class _Window:
    """At most ``count`` events per ``seconds``, over a sliding window."""

    def __init__(self, rate: float) -> None:
        self.count = max(1, int(rate)) if rate >= 1 else 1
        self.seconds = 1.0 if rate >= 1 else 1.0 / rate
        self.times: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.count:
            return None
        return max(1, math.ceil(self.times[0] + self.seconds - now))


class RateLimiter:
    """Optional limits: ``rate`` messages per second overall, ``per_chat`` per chat."""

    def __init__(
        self,
        rate: float | None,
        per_chat: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._global = _Window(rate) if rate else None
        self._per_chat_rate = per_chat
        self._chats: dict[str, _Window] = {}
        self._clock = clock
        self.hits = 0  # 429 answers caused by these limits

    def _windows(self, chat_id: str) -> list[_Window]:
        windows = [self._global] if self._global is not None else []
        if self._per_chat_rate:
            if chat_id not in self._chats:
                self._chats[chat_id] = _Window(self._per_chat_rate)
            windows.append(self._chats[chat_id])
        return windows

    def check(self, method: str, chat_id: str) -> None:
        if not is_message_method(method):
            return
        now = self._clock()
        waits = [w for w in (x.retry_after(now) for x in self._windows(chat_id)) if w is not None]
        if waits:
            self.hits += 1
            raise too_many_requests(max(waits))

    def record(self, method: str, chat_id: str) -> None:
        if is_message_method(method):
            now = self._clock()
            for window in self._windows(chat_id):
                window.times.append(now)
