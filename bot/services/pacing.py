"""Shares Telegram's sending budget between the background senders of one bot process.

Telegram allows about 30 messages per second in bulk and answers 429 with `retry_after` when a
bot sends too fast; that pause applies to the whole bot, so every background sender waits it
out together. Replies to people do not go through here: they are one per update and must
never queue behind a broadcast. Each background kind has its own rate, so a big broadcast
leaves room for reminders and replies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

_EPSILON = 1e-9


@dataclass
class _Bucket:
    rate: float  # messages per second
    capacity: float
    tokens: float = 0.0
    updated: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Pacer:
    def __init__(
        self,
        rates: dict[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        now = clock()
        # No bursts: Telegram counts over a sliding second, so a full second's worth sent at
        # once after a quiet spell (or after a 429 pause) would run straight into the limit.
        self._buckets = {
            kind: _Bucket(rate=rate, capacity=1.0, tokens=1.0, updated=now)
            for kind, rate in rates.items()
        }
        self._paused_until = 0.0

    @property
    def paused_for(self) -> float:
        """Seconds left of a 429 pause (0 when sending is allowed)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends until retry_after has passed."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def resume(self) -> None:
        """Ends a pause early (an operator's decision, or a test that cannot wait)."""
        self._paused_until = 0.0

    async def slot(self, kind: str) -> None:
        """Waits until one message of this kind may be sent."""
        bucket = self._buckets[kind]
        async with bucket.lock:  # one waiter per kind at a time keeps the order fair
            while True:
                pause = self.paused_for
                if pause > 0:
                    await self._sleep(pause)
                    continue
                now = self._clock()
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.rate)
                bucket.updated = now
                if bucket.tokens >= 1.0 - _EPSILON:  # float sums stop a hair short of 1.0
                    bucket.tokens = max(0.0, bucket.tokens - 1.0)
                    return
                await self._sleep((1.0 - bucket.tokens) / bucket.rate)
