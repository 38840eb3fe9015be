"""The send window: never more than its limit in flight or answered within the last second."""

from __future__ import annotations

import asyncio
import time

from bot.services.send_window import SendWindow


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    window = SendWindow(50, seconds=0.2)  # 10 per 0.2 s
    assert window.limit == 10
    spans: list[tuple[float, float]] = []

    async def request(delay: float) -> None:
        async with window.sending():
            started = time.monotonic()
            await asyncio.sleep(delay)  # some answers are slow, as on a busy network
        spans.append((started, time.monotonic()))

    began = time.monotonic()
    await asyncio.gather(*(request(0.05 if i % 7 == 0 else 0.005) for i in range(40)))
    took = time.monotonic() - began
    for start, _end in spans:
        # Everything that could have reached the server in the second before this one started.
        counted = sum(1 for s, e in spans if s <= start and e > start - 0.2)
        assert counted <= 10
    # 40 at 10 per 0.2 s (plus the round trips): a bit more than 0.6 s, far less than serial.
    assert 0.6 <= took < 2.0


async def test_a_free_window_does_not_wait() -> None:
    window = SendWindow(25)
    started = time.monotonic()
    for _ in range(25):
        async with window.sending():
            pass
    assert time.monotonic() - started < 0.05
