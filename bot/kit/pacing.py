"""Shares Telegram's sending budget between the background senders of the bot, in all its processes.

Telegram allows about 30 messages per second in bulk and answers 429 with `retry_after` when a
bot sends too fast; that pause applies to the whole bot, so every background sender waits it
out together. Replies to people do not go through here: they are one per update and must
never queue behind a broadcast. Each background kind has its own rate, so a big broadcast
leaves room for reminders and replies.

`Pacer` paces one process: each kind evenly at its rate. `SharedPacer` (with REDIS_URL) paces
every instance of the bot together through Redis: the rates are for all instances together, and
a 429 seen by one pauses them all.

How the shared budget counts: Telegram counts messages by when they reach it, over a sliding
second. Spacing slots evenly is not enough across processes: a message that leaves a few
milliseconds late (a busy event loop or CPU, the network) lands in the same second on Telegram's
clock as the one a second after it. So a message holds a place in its kind's budget from its
slot until a second after its answer came back, and there are `rate` places: whatever the
delays, no second on Telegram's clock sees more (the send window of bot/kit/send_window.py,
across processes). The answer is known when the task that took the slot asks for its next one,
or ends; senders take a slot right before each message and wait for its answer before the next,
as they do. A place not given back within HOLD seconds is let go (a task that went on to other
work, a process that died). Slots are also at least GAP / rate apart: no burst after a quiet
spell.

Why a few lines of Lua of our own and not a library: `limits` and `pyrate-limiter` count a hit
from the moment it is allowed (`limits` in whole-second windows, stamped with each client's own
clock), so a message that arrives late still meets the next second's; and neither has a pause
that all instances share. The scripts keep, per kind, a sorted set of the places taken (scored by
when they stop counting) and the moment the next slot may go, plus the end of the pause and the
instances seen lately, all on Redis's clock. When Redis cannot be reached, each instance goes on
alone at its share of the rates (the rate divided by the instances seen lately) and logs it once,
until Redis answers again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

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
        self._rates = dict(rates)
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
            await self._take_local(bucket)

    async def close(self) -> None:
        """Releases what the pacer holds (nothing here)."""

    async def _take_local(self, bucket: _Bucket) -> None:
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


# Times in the scripts are whole microseconds on Redis's clock (TIME), so that instances on
# different machines agree; tests may pass their own clock as ARGV[1] instead. Numbers are
# written with %.0f: Lua would print 16 digits as 1.7e+15 and lose the microseconds.
_NOW = """
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function put(value) return string.format('%.0f', value) end
"""

# A message answered by now is counted for one window more; never longer than it already is.
_RELEASE = """
local function release(key, entry, window)
  local until_ = redis.call('ZSCORE', key, entry)
  if until_ and tonumber(until_) > now + window then
    redis.call('ZADD', key, put(now + window), entry)
  end
end
"""

# KEYS: the messages of this kind still counted (sorted by when they stop counting), the
# earliest moment for the next one, the end of the pause, the instances seen lately.
# ARGV: now or '', window, messages per window, least gap between two, how long a message not
# known to be answered is counted, this message, this instance, how long an instance counts as
# seen, how long keys outlive their use (ms). Returns {0, 0, n} for a slot, {1, wait, n} when
# full, {2, wait, n} during a pause, with n the instances seen lately and wait in microseconds.
_SLOT = (
    _NOW
    + """
local window, limit, gap, hold = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5])
local keep = tonumber(ARGV[9])
redis.call('ZADD', KEYS[4], now, ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[8]))
redis.call('PEXPIRE', KEYS[4], keep)
local instances = redis.call('ZCARD', KEYS[4])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then
  return {2, paused - now, instances}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', put(now))
local wait = tonumber(redis.call('GET', KEYS[2]) or '0') - now
if redis.call('ZCARD', KEYS[1]) >= limit then
  -- Whatever is answered after now stops counting a whole window later: no need to look
  -- again before then.
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.max(wait, math.min(tonumber(first[2]) - now, window))
end
if wait > 0 then
  return {1, wait, instances}
end
redis.call('ZADD', KEYS[1], put(now + hold), ARGV[6])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('SET', KEYS[2], put(now + gap), 'PX', keep)
return {0, 0, instances}
"""
)

# KEYS: the messages of a kind still counted. ARGV: now or '', window, the message answered.
_ANSWERED = _NOW + _RELEASE + "release(KEYS[1], ARGV[3], tonumber(ARGV[2]))\n"

# KEYS: end of the pause. ARGV: now or '', pause length, how long the key outlives it (ms).
# A shorter pause never shortens a longer one. Returns the pause left, in microseconds.
_PAUSE = (
    _NOW
    + """
local wanted = now + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if wanted > current then
  local keep = math.ceil(tonumber(ARGV[2]) / 1000) + tonumber(ARGV[3])
  redis.call('SET', KEYS[1], put(wanted), 'PX', keep)
  current = wanted
end
return current - now
"""
)

# Two messages of a kind are at least this share of 1/rate apart: no burst after a quiet spell,
# yet a slot taken a little late can be made up for within the second.
GAP = 0.75
# A place whose answer was not seen (its task went on to something else, or its process died)
# is given back this long after its slot: far longer than a message takes to reach Telegram
# (tens of milliseconds), short enough that idle workers do not hold the budget for long.
HOLD = 2.0
# Redis answering slower than this counts as Redis gone (the sender must not hang on it).
REDIS_TIMEOUT = 2.0
# After Redis failed, the shared schedule is tried again this often.
RETRY_EVERY = 5.0
# During a pause the shared end is looked up again this often (someone may end or extend it).
PAUSE_POLL = 1.0
# An instance that has not asked for a slot this long no longer counts towards the shares.
INSTANCE_SEEN = 60.0
# Keys outlive their last use by this much, then Redis drops them.
KEEP_MS = 120_000

_UNREACHABLE = (RedisError, OSError, TimeoutError)
_SLOTTED, _FULL, _PAUSED = 0, 1, 2


def _micro(seconds: float) -> int:
    return max(0, round(seconds * 1_000_000))


@dataclass(frozen=True)
class _Budget:
    """What the shared window of one kind allows: `limit` messages in any `window` seconds."""

    window: float
    limit: int
    gap: float

    @classmethod
    def of(cls, rate: float) -> _Budget:
        window = max(1.0, 1.0 / rate)  # Telegram counts per second; slower kinds per message
        return cls(window, max(1, math.floor(rate * window + 1e-9)), GAP / rate)


class SharedPacer(Pacer):
    """The same pacer for every instance of one bot, through one Redis.

    A message counts against its kind from its slot until a second (its window) after its
    answer came back, as Telegram counts it by when it arrived: then however late a message
    leaves or arrives, no second on Telegram's clock sees more than the rate. The answer is
    known when the task that took the slot asks for its next one, or ends; senders take a slot
    right before each message and wait for its answer before asking again, as they do.

    `paused_for`, `pause()` and `resume()` stay synchronous for the senders: they read and set
    this instance's view of the pause, and `pause()`/`resume()` write the shared one in the
    background (written before this instance asks for its next slot); the other instances
    learn of it at their next slot, and a waiting one looks again every PAUSE_POLL seconds.
    """

    def __init__(
        self,
        redis: Redis,
        rates: dict[str, float],
        *,
        namespace: str,
        owns_client: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared_clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(rates, clock=clock, sleep=sleep)
        self._redis = redis
        self._owns_client = owns_client
        # One hash tag: all keys of one bot live in one slot of a Redis Cluster.
        self._prefix = f"{{putokaz:pacer:{namespace}}}"
        self._pause_key = f"{self._prefix}:paused"
        self._instances_key = f"{self._prefix}:instances"
        self._instance = secrets.token_hex(6)
        self._budgets = {kind: _Budget.of(rate) for kind, rate in rates.items()}
        self._shared_clock = shared_clock  # tests only: Redis's TIME otherwise
        self._slot_script = redis.register_script(_SLOT)
        self._answered_script = redis.register_script(_ANSWERED)
        self._pause_script = redis.register_script(_PAUSE)
        self._numbers = itertools.count()
        # Each task's last message, not yet known to be answered: (kind, entry).
        self._open: weakref.WeakKeyDictionary[asyncio.Task[Any], tuple[str, str]] = (
            weakref.WeakKeyDictionary()
        )
        self._watched: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._instances = 1  # as last seen, for the shares when Redis goes away
        self._alone = False  # Redis unreachable: pacing with the local buckets at a share
        self._retry_at = 0.0  # local clock: when to try Redis again
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def instances(self) -> int:
        """Instances that asked for a slot lately (as of the last answer from Redis)."""
        return self._instances

    @property
    def shared(self) -> bool:
        """False while Redis is unreachable and this instance paces alone."""
        return not self._alone

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self._write(self._pause_script(keys=[self._pause_key], args=self._pause_args(seconds)))

    def resume(self) -> None:
        super().resume()
        self._write(self._redis.delete(self._pause_key))

    async def flush(self) -> None:
        """Waits until what was given so far (pauses, resumes, answers) is in Redis (or failed)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._open):
            self._answered(task)
        while self._writes:
            await self.flush()
        if self._owns_client:
            await self._redis.aclose()

    async def slot(self, kind: str) -> None:
        bucket = self._buckets[kind]
        budget = self._budgets[kind]
        task = asyncio.current_task()
        assert task is not None  # slot() is awaited, so from a task
        # Back for another slot: the previous message has its answer. Told right away, not
        # when this task's turn comes: until then it would hold a place it no longer needs.
        self._answered(task)
        async with bucket.lock:  # one waiter per kind and instance; Redis orders the instances
            while True:
                if self._alone and self._clock() < self._retry_at:
                    await self._take_local(bucket)
                    return
                await self.flush()  # our own pause is in Redis before we ask
                entry = f"{self._instance}:{next(self._numbers)}"
                args = [
                    self._now_arg(),
                    _micro(budget.window),
                    budget.limit,
                    _micro(budget.gap),
                    _micro(HOLD + budget.window),
                    entry,
                    self._instance,
                    _micro(INSTANCE_SEEN),
                    KEEP_MS,
                ]
                try:
                    async with asyncio.timeout(REDIS_TIMEOUT):
                        answer = await self._slot_script(keys=self._keys(kind), args=args)
                except _UNREACHABLE as exc:
                    self._went_away(exc)
                    continue
                self._came_back()
                outcome, micros, instances = (int(x) for x in answer)
                wait = micros / 1e6
                self._instances = max(1, instances)
                if not self._writes:  # Redis's pause is the pause, unless ours is on its way
                    self._paused_until = self._clock() + wait if outcome == _PAUSED else 0.0
                if outcome == _SLOTTED:
                    self._hold(task, kind, entry)
                    return
                await self._sleep(min(wait, PAUSE_POLL) if outcome == _PAUSED else wait)

    def _keys(self, kind: str) -> list[str]:
        counted = f"{self._prefix}:counted:{kind}"
        return [counted, f"{self._prefix}:next:{kind}", self._pause_key, self._instances_key]

    def _hold(self, task: asyncio.Task[Any], kind: str, entry: str) -> None:
        if task not in self._watched:
            # A task that ends has had all its answers.
            self._watched.add(task)
            task.add_done_callback(self._answered)
        self._open[task] = (kind, entry)

    def _answered(self, task: asyncio.Task[Any]) -> None:
        previous = self._open.pop(task, None)
        if previous is not None:
            self._write(self._answer(*previous))

    def _answer(self, kind: str, entry: str) -> Awaitable[object]:
        window = _micro(self._budgets[kind].window)
        counted = self._keys(kind)[0]
        return self._answered_script(keys=[counted], args=[self._now_arg(), window, entry])

    def _now_arg(self) -> str | int:
        return "" if self._shared_clock is None else _micro(self._shared_clock())

    def _pause_args(self, seconds: float) -> list[str | int]:
        return [self._now_arg(), _micro(max(0.0, seconds)), KEEP_MS]

    def _write(self, call: Awaitable[object]) -> None:
        async def run() -> None:
            try:
                async with asyncio.timeout(REDIS_TIMEOUT):
                    await call
            except _UNREACHABLE as exc:
                self._went_away(exc)

        task = asyncio.get_running_loop().create_task(run())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _went_away(self, exc: BaseException) -> None:
        self._retry_at = self._clock() + RETRY_EVERY
        if self._alone:
            return  # said once per outage
        self._alone = True
        share = self._instances
        for kind, bucket in self._buckets.items():
            bucket.rate = self._rates[kind] / share
        log.warning(
            "Redis is unreachable for the shared sending rate (%s): this instance sends alone "
            "at 1/%d of the rates (the instances seen lately) until Redis answers again",
            type(exc).__name__,
            share,
        )

    def _came_back(self) -> None:
        if not self._alone:
            return
        self._alone = False
        for kind, bucket in self._buckets.items():
            bucket.rate = self._rates[kind]
        log.warning("Redis answers again: the sending rate is shared between instances again")
