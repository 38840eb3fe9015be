"""The send window: never more than its limit in flight or answered within the last second.

The window and the test read one clock that the test moves (a little every millisecond while
requests are under way): the window's own account and the test's record of each request are
then taken at the same moments, however busy the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.kit.send_window import SendWindow

STEP = 0.001


class Ticks:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0
        self._moved = asyncio.Condition()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        async with self._moved:
            await self._moved.wait_for(lambda: self.now >= until)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Moves the clock by STEP per turn of the event loop's timer while the block runs."""

        async def drive() -> None:
            while True:
                await asyncio.sleep(STEP)
                async with self._moved:
                    self.now += STEP
                    self._moved.notify_all()

        driver = asyncio.create_task(drive())
        try:
            yield
        finally:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    ticks = Ticks()
    window = SendWindow(50, seconds=0.2, clock=ticks.clock)  # 10 per 0.2 s
    assert window.limit == 10
    spans: list[tuple[float, float]] = []

    async def request(delay: float) -> None:
        async with window.sending():
            started = ticks.now  # no await since the window let it in: the same moment
            await ticks.sleep(delay)  # some answers are slow, as on a busy network
            spans.append((started, ticks.now))  # nor before the window counts the answer

    async with ticks.running():
        await asyncio.gather(*(request(0.05 if i % 7 == 0 else 0.005) for i in range(40)))
    assert len(spans) == 40
    most = 0
    for start, _end in spans:
        # Everything that could have reached the server in the 0.2 s before this one started.
        counted = sum(1 for s, e in spans if s <= start and e > start - 0.2)
        most = max(most, counted)
    assert most == 10  # full, never over
    # 40 at 10 per 0.2 s: the last ones could not start before three windows had gone by.
    assert max(s for s, _e in spans) - min(s for s, _e in spans) >= 0.6


async def test_a_free_window_does_not_wait() -> None:
    ticks = Ticks()  # never moves: a request that waited for time to pass would never go
    window = SendWindow(25, clock=ticks.clock)

    async def send_all() -> None:
        for _ in range(25):
            async with window.sending():
                pass

    await asyncio.wait_for(send_all(), timeout=30)  # only against a hang, not a measurement
    late = asyncio.create_task(send_all())  # the 26th has to wait for the clock
    await asyncio.sleep(0.01)
    assert not late.done()
    late.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await late
