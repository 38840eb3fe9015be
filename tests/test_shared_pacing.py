"""With REDIS_URL, every instance of the bot paces its background sending from one budget.

Two SharedPacer objects stand for two instances: they share one Redis and nothing else. Time
is virtual (the pacer's clock and the schedule's clock both), so the checks count slots per
window of virtual time and never time anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.config import Settings
from bot.dispatcher import create_pacer
from bot.kit import pacing
from bot.kit.pacing import Pacer, SharedPacer
from tests.databases import REDIS_URL


@pytest.fixture
async def namespace(redis: Redis) -> AsyncIterator[str]:
    """A bot of its own for each test; its keys are removed afterwards."""
    name = f"test-{secrets.token_hex(4)}"
    yield name
    keys = [key async for key in redis.scan_iter(f"{{putokaz:pacer:{name}}}:*")]
    if keys:
        await redis.delete(*keys)


class VirtualTime:
    """Time that moves only when every task it runs is asleep: to the earliest wake-up.

    The tasks also wait for Redis, which takes real time; time stands still meanwhile, so a slot
    handed out is counted at exactly the moment the schedule in Redis gave it.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = asyncio.Event()
        # Tasks waiting for their turn behind one that sleeps: asleep too.
        self.queued: Callable[[], int] = lambda: 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), woken))
        self._changed.set()
        await woken

    async def run(self, *work: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(w) for w in work]
        for task in tasks:
            task.add_done_callback(lambda _: self._changed.set())
        while running := [t for t in tasks if not t.done()]:
            if len(self._sleepers) + self.queued() < len(running):
                self._changed.clear()
                # Taking a turn sets no event: look again soon.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.001)
                continue
            wake, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            woken.set_result(None)
        for task in tasks:
            task.result()


@pytest.fixture
async def pacers(redis: Redis, namespace: str) -> AsyncIterator[Callable[..., SharedPacer]]:
    """Instances of one bot on one Redis; each has nothing else in common with the others."""
    made: list[SharedPacer] = []

    def instance(time: VirtualTime, rate: float = 10, client: Redis | None = None) -> SharedPacer:
        pacer = SharedPacer(
            client or redis,
            {"broadcast": rate, "reminder": 5},
            namespace=namespace,
            clock=time.clock,
            sleep=time.sleep,
            shared_clock=time.clock,
        )
        made.append(pacer)
        return pacer

    yield instance
    for pacer in made:
        await pacer.close()


@dataclass
class Message:
    granted: float
    answered: float = math.inf  # when the sender had Telegram's answer


class Sender:
    """Takes a slot, sends (a request of `request` seconds), takes the next slot: as bots do."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.sent: list[Message] = []

    async def send(
        self, pacer: Pacer, count: int, kind: str = "broadcast", request: float = 0.0
    ) -> None:
        for _ in range(count):
            await pacer.slot(kind)
            message = Message(self.time.now)
            self.sent.append(message)
            if request:
                await self.time.sleep(request)
            message.answered = self.time.now


def queued(*pacers: Pacer) -> Callable[[], int]:
    """Tasks waiting for the lock of a kind (one waits for Redis or sleeps at a time)."""

    def count() -> int:
        locks = [bucket.lock for pacer in pacers for bucket in pacer._buckets.values()]
        return sum(len(lock._waiters or ()) for lock in locks)

    return count


def crowded(messages: list[Message], limit: int) -> list[Message]:
    """Messages that went while `limit` others were still on their way or answered less than a
    second before: whenever these others arrived, one second on Telegram's clock could see
    more than `limit`. (A micro-second of slack: Redis counts whole micro-seconds.)"""
    return [
        m
        for m in messages
        if sum(
            1
            for o in messages
            if o is not m and o.granted <= m.granted and o.answered > m.granted - 1 + 1e-6
        )
        >= limit
    ]


def most_in_one_second(messages: list[Message]) -> int:
    moments = sorted(m.granted for m in messages)
    return max(sum(1 for t in moments if start <= t < start + 1 - 2e-6) for start in moments)


async def test_two_instances_together_stay_within_the_rate_and_use_it(
    pacers: Callable[..., SharedPacer],
) -> None:
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    one, other = Sender(time), Sender(time)
    start = time.now
    await time.run(one.send(first, 40), other.send(second, 40))
    sent = one.sent + other.sent
    # Alone, each would send 10 a second: together they would send 20.
    assert most_in_one_second(sent) == 10
    assert crowded(sent, 10) == []
    # ... and together they use the whole budget: 80 at 10 a second.
    assert max(m.granted for m in sent) - start < 8
    assert min(len(one.sent), len(other.sent)) >= 20  # both get their turn


async def test_a_message_counts_until_a_second_after_its_answer(
    pacers: Callable[..., SharedPacer],
) -> None:
    """A slow request (a busy loop, a slow network) holds its place in the budget: however late
    it reaches Telegram, it cannot meet a whole second's worth from the other instance there."""
    time = VirtualTime()
    first, second = pacers(time, rate=2), pacers(time, rate=2)
    slow, quick = Sender(time), Sender(time)
    await time.run(slow.send(first, 2, request=1.5), quick.send(second, 8))
    sent = slow.sent + quick.sent
    assert crowded(sent, 2) == []
    # While the slow one was on its way, the other instance had one place a second, not two.
    during = [m for m in quick.sent if m.granted < slow.sent[0].answered]
    assert most_in_one_second(during) == 1


async def test_a_place_not_given_back_is_let_go(pacers: Callable[..., SharedPacer]) -> None:
    """A task that sends and then goes on to other work (or a process that died) holds its
    place for HOLD seconds at most."""
    time = VirtualTime()
    first, second = pacers(time, rate=2), pacers(time, rate=2)
    quick = Sender(time)
    taken: list[float] = []

    async def send_then_idle() -> None:
        await first.slot("broadcast")
        taken.append(time.now)  # answered at once, but the task does not come back
        await time.sleep(30)

    await time.run(send_then_idle(), quick.send(second, 12))
    let_go = taken[0] + pacing.HOLD + 1
    assert most_in_one_second([m for m in quick.sent if m.granted < let_go]) == 1
    assert most_in_one_second([m for m in quick.sent if m.granted >= let_go]) == 2


async def test_many_senders_in_each_instance(pacers: Callable[..., SharedPacer]) -> None:
    """As the broadcast workers do: the answer of one frees its place while others queue."""
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    time.queued = queued(first, second)
    senders = [Sender(time) for _ in range(6)]
    start = time.now
    await time.run(
        *(s.send(first, 10, request=0.05) for s in senders[:3]),
        *(s.send(second, 10, request=0.05) for s in senders[3:]),
    )
    sent = [m for s in senders for m in s.sent]
    assert crowded(sent, 10) == []
    assert most_in_one_second(sent) == 10
    # 60 at 10 a second, each counted until a second after its answer (0.05 s later).
    assert max(m.granted for m in sent) - start < 6 * 1.05


async def test_each_kind_has_its_own_shared_rate(pacers: Callable[..., SharedPacer]) -> None:
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    broadcasts = [Sender(time), Sender(time)]
    reminders = [Sender(time), Sender(time)]
    await time.run(
        broadcasts[0].send(first, 25),
        broadcasts[1].send(second, 25),
        reminders[0].send(first, 10, kind="reminder"),
        reminders[1].send(second, 10, kind="reminder"),
    )
    assert most_in_one_second(broadcasts[0].sent + broadcasts[1].sent) == 10
    assert most_in_one_second(reminders[0].sent + reminders[1].sent) == 5


async def test_a_pause_from_one_instance_stops_the_other(
    pacers: Callable[..., SharedPacer],
) -> None:
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    await time.run(second.slot("broadcast"))
    first.pause(120)  # a 429 seen by the first instance
    assert first.paused_for == 120
    await first.flush()
    seen: list[float] = []

    async def send() -> None:
        await second.slot("reminder")
        seen.append(time.now)

    async def watch() -> None:
        await time.sleep(30)
        seen.append(second.paused_for)

    before = time.now
    await time.run(send(), watch())
    waited_at_30, sent_at = seen
    assert 89 <= waited_at_30 <= 90  # the second instance knows, for its own senders too
    assert sent_at - before >= 120
    assert second.paused_for == 0 and first.paused_for == 0


async def test_a_resume_from_one_instance_lets_the_other_go(
    pacers: Callable[..., SharedPacer],
) -> None:
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    second.pause(600)
    await second.flush()
    sent: list[float] = []

    async def send() -> None:
        await first.slot("broadcast")
        sent.append(time.now)

    async def operator() -> None:
        await time.sleep(10)
        sent.append(first.paused_for)  # the first instance did wait for the second's pause
        second.resume()
        await second.flush()

    before = time.now
    await time.run(send(), operator())
    waiting, sent_at = sent
    assert waiting > 500
    assert sent_at - before < 15  # not the 600 s of the pause


async def test_a_shorter_pause_does_not_shorten_a_longer_one(
    pacers: Callable[..., SharedPacer],
) -> None:
    time = VirtualTime()
    first, second = pacers(time), pacers(time)
    first.pause(60)
    second.pause(5)
    await first.flush()
    await second.flush()

    async def send() -> None:
        await second.slot("broadcast")

    before = time.now
    await time.run(send())
    assert time.now - before >= 60


class Proxy:
    """A TCP relay to Redis that can be cut, as a Redis restart or a network failure would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server: asyncio.Server | None = None
        self.port = 0
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self._links:
            writer.close()
        await self.server.wait_closed()
        self._links.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, ConnectionError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_when_redis_goes_away_sending_goes_on_at_a_share(
    redis: Redis, pacers: Callable[..., SharedPacer], caplog: pytest.LogCaptureFixture
) -> None:
    host = redis.connection_pool.connection_kwargs.get("host", "127.0.0.1")
    port = redis.connection_pool.connection_kwargs.get("port", 6379)
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    proxy = Proxy((host, port))
    await proxy.start()
    through_proxy = Redis(host="127.0.0.1", port=proxy.port, db=db)
    time = VirtualTime()
    first = pacers(time, client=through_proxy)
    second = pacers(time)
    try:
        await time.run(second.slot("broadcast"))
        await time.run(first.slot("broadcast"))
        assert first.instances == 2 and first.shared
        await proxy.cut()
        alone = Sender(time)
        with caplog.at_level(logging.WARNING, logger=pacing.__name__):
            first.pause(1)  # a pause while Redis is away neither raises nor is lost here
            await time.run(alone.send(first, 30))
        assert not first.shared
        warnings = [r for r in caplog.records if r.name == pacing.__name__]
        assert len(warnings) == 1 and "1/2" in warnings[0].getMessage()  # said once
        # Alone at half the rate: what the two instances had together, not twice as much.
        assert most_in_one_second(alone.sent) == 5

        await proxy.start()  # Redis is back: the next slot after the retry delay shares again
        caplog.clear()

        async def wait_then_send() -> None:
            await time.sleep(pacing.RETRY_EVERY)
            await Sender(time).send(first, 2)

        with caplog.at_level(logging.WARNING, logger=pacing.__name__):
            await time.run(wait_then_send())
        assert first.shared
        assert "again" in caplog.records[-1].getMessage()
    finally:
        await through_proxy.aclose()
        if proxy.server is not None:
            await proxy.cut()


def settings(**values: Any) -> Settings:
    return Settings(bot_token=SecretStr("123456:TEST-token"), _env_file=None, **values)


async def test_the_factory_shares_only_with_redis() -> None:
    assert type(create_pacer(settings())) is Pacer  # one instance: exactly as before
    shared = create_pacer(settings(redis_url=REDIS_URL))
    try:
        assert isinstance(shared, SharedPacer)
    finally:
        await shared.close()
