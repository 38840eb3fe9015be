"""The pacer keeps each background kind at its rate and stops everyone during a 429 pause."""

from __future__ import annotations

import asyncio

from bot.kit.pacing import Pacer


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_each_kind_is_held_to_its_rate() -> None:
    time = VirtualTime()
    pacer = Pacer({"broadcast": 25, "reminder": 5}, clock=time.clock, sleep=time.sleep)
    start = time.now
    for _ in range(251):
        await pacer.slot("broadcast")
    assert 9.9 <= time.now - start <= 10.1  # 250 messages after the first at 25/s


async def test_a_429_pause_stops_every_kind() -> None:
    time = VirtualTime()
    pacer = Pacer({"broadcast": 25, "reminder": 5}, clock=time.clock, sleep=time.sleep)
    await pacer.slot("reminder")
    pacer.pause(120)
    assert pacer.paused_for == 120
    before = time.now
    await pacer.slot("broadcast")
    assert time.now - before >= 120
    assert pacer.paused_for == 0


async def test_a_shorter_pause_does_not_shorten_a_longer_one() -> None:
    time = VirtualTime()
    pacer = Pacer({"reminder": 5}, clock=time.clock, sleep=time.sleep)
    pacer.pause(60)
    pacer.pause(5)
    assert pacer.paused_for == 60


async def test_no_burst_after_a_quiet_spell_or_a_pause() -> None:
    """A sliding one-second window at the limit sees at most `rate` messages, even after idling."""
    time = VirtualTime()
    pacer = Pacer({"broadcast": 30}, clock=time.clock, sleep=time.sleep)
    time.now += 60  # idle for a minute
    sent = []
    for _ in range(40):
        await pacer.slot("broadcast")
        sent.append(time.now)
    assert sum(1 for t in sent if t < sent[0] + 1 - 1e-9) <= 30
    pacer.pause(5)
    await pacer.slot("broadcast")
    resumed = time.now
    for _ in range(30):
        await pacer.slot("broadcast")
    assert time.now - resumed >= 30 / 30 - 1e-6
