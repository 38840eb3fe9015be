"""At most `limit` messages in any second, as Telegram counts them on its side.

The pacer spaces the moments a message may go; but a message can reach Telegram later than
that moment (a busy event loop, a slow network), and then arrive together with the next ones:
at exactly the limit that is a 429 and a pause for everyone. This window counts a message from
before its request is written until its answer is back, so whatever the delays, no second on
Telegram's clock sees more than `limit` of them. At steady state it costs one round trip per
second of sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable


class SendWindow:
    def __init__(
        self, rate: float, *, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = max(1, math.floor(rate * seconds + 1e-9))
        self.seconds = seconds
        self._clock = clock
        self._answered: deque[float] = deque()  # when answers came back, oldest first
        self._in_flight = 0
        self._changed = asyncio.Event()

    def _used(self, now: float) -> int:
        while self._answered and self._answered[0] <= now - self.seconds:
            self._answered.popleft()
        return self._in_flight + len(self._answered)

    async def _enter(self) -> None:
        while True:
            now = self._clock()
            if self._used(now) < self.limit:
                self._in_flight += 1
                return
            # Full: wait for the oldest answer to leave the window, or for one to come back.
            wait = self._answered[0] + self.seconds - now if self._answered else None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)

    def _leave(self) -> None:
        self._in_flight -= 1
        self._answered.append(self._clock())
        self._changed.set()

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Around one request: waits while the window is full."""
        await self._enter()
        try:
            yield
        finally:
            self._leave()
