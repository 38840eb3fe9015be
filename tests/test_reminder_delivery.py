"""Reminders, digests and waitlist offers go out exactly once: SIGTERM, kill -9, two instances.

The subprocess tests run `python -m bot` as production does, on SQLite, against the fake Bot API
with a low REMINDER_RATE so that a batch is long enough to be interrupted. The two-instance tests
run two senders in this process, each with its own engine, HTTP session and pacer, on one
PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.booking import rules as booking
from bot.booking.models import BookingStatus
from bot.botapi import FakeTelegram, FakeUser
from bot.clock import SystemClock
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.people.models import MentorLink, Role, User
from bot.plans import reminder_rows
from bot.plans.models import DigestSent, Reminder, ReminderStatus
from bot.reminder_sender import claim_batch, worker_count
from bot.scheduler import booking_upkeep
from tests.booking_support import NOW as BOOKING_NOW
from tests.booking_support import bookings_of, notices, person, workshop
from tests.booking_support import ctx as booking_ctx
from tests.broadcast_support import seed
from tests.databases import truncate_all
from tests.harness import FakeClock
from tests.reminder_support import (
    TOKEN,
    Node,
    bot_env,
    deliveries,
    due_reminders,
    repeats,
    start_node,
    start_process,
    statuses,
)

STARTUP_SECONDS = 60
PEOPLE = 120
RATE = 20  # reminders per second in the subprocess tests: 120 take six seconds
SENT = ReminderStatus.SENT.value


async def _delivered(fake: FakeTelegram, people: list[FakeUser], at_least: int) -> None:
    await fake.state.changed.wait_for(
        lambda: sum(deliveries(fake, people).values()) >= at_least or None, STARTUP_SECONDS
    )


async def _next_digest_claimed(sessions: SessionFactory, sent: int) -> None:
    """Until `sent` digests are written as sent and one more is claimed, not yet sent (polled:
    no event tells it; "delivered" alone is too early, before the sender has written it)."""

    async def poll() -> None:
        while True:
            async with sessions() as session:
                rows = (await session.scalars(select(DigestSent))).all()
            done = sum(1 for d in rows if d.sent_at is not None)
            waiting = sum(1 for d in rows if d.claim is not None and d.sent_at is None)
            if done >= sent and waiting >= 1:
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), STARTUP_SECONDS)


async def _all_sent(sessions: SessionFactory, count: int) -> None:
    async def poll() -> None:
        while True:
            if (await statuses(sessions))[SENT] >= count:
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), 90)


async def _pending_chats(sessions: SessionFactory) -> set[int]:
    async with sessions() as session:
        found = await session.scalars(
            select(User.telegram_id)
            .join(Reminder, Reminder.user_id == User.id)
            .where(Reminder.status == ReminderStatus.PENDING)
        )
        return set(found.all())


async def _sqlite(tmp_path: Path) -> tuple[str, SessionFactory]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    return url, create_session_factory(engine)


def _env(url: str, fake: FakeTelegram) -> dict[str, str]:
    return bot_env(
        url,
        fake.base_url,
        REMINDER_RATE=str(RATE),
        REMINDER_LEASE_SECONDS="10",
        REMINDER_TICK_SECONDS="0.5",
    )


async def test_sigterm_mid_batch_then_a_restart_sends_every_reminder_exactly_once(
    tmp_path: Path,
) -> None:
    url, sessions = await _sqlite(tmp_path)
    clock = SystemClock()  # the processes run on the system clock: the rows are due by it
    async with FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, PEOPLE, clock.now())
        env = _env(url, fake)
        first = await start_process(tmp_path, env, "first")
        try:
            await _delivered(fake, people, 30)
        finally:
            first.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.wait(), 30)
        before = sum(deliveries(fake, people).values())
        at_stop = await statuses(sessions)
        async with sessions() as session:
            due_later = await session.scalar(
                select(Reminder.id).where(
                    Reminder.status == ReminderStatus.PENDING, Reminder.due_at > clock.now()
                )
            )
        second = await start_process(tmp_path, env, "second")
        try:
            await _all_sent(sessions, PEOPLE)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
    assert 30 <= before < PEOPLE
    assert repeats(fake, people) == {}, "nothing twice after a SIGTERM"
    assert set(deliveries(fake, people)) == {p.id for p in people}, "nobody missed"
    assert first.returncode == 0 and second.returncode == 0
    first_log = (tmp_path / "first.log").read_text()
    assert "Traceback" not in first_log and "CancelledError" not in first_log, first_log
    assert "maximum number of running instances" not in first_log  # no skipped runs either
    # What went out was recorded by the first process; the rest was handed back, due now.
    assert at_stop[SENT] == before
    assert due_later is None


async def test_kill_9_mid_batch_then_a_restart_repeats_at_most_the_messages_in_flight(
    tmp_path: Path,
) -> None:
    url, sessions = await _sqlite(tmp_path)
    clock = SystemClock()
    async with FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, PEOPLE, clock.now())
        env = _env(url, fake)
        first = await start_process(tmp_path, env, "first")
        try:
            await _delivered(fake, people, 30)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        before = sum(deliveries(fake, people).values())
        unrecorded = await _pending_chats(sessions)
        second = await start_process(tmp_path, env, "second")
        try:
            await _all_sent(sessions, PEOPLE)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
    assert 30 <= before < PEOPLE
    got = deliveries(fake, people)
    assert set(got) == {p.id for p in people}, "nobody missed"
    doubled = repeats(fake, people)
    assert set(doubled) <= unrecorded, "only what was not yet recorded may go out again"
    # Each sending worker has at most one message between its send and its record.
    assert len(doubled) <= worker_count(RATE), doubled
    assert max(got.values()) <= 2


async def _run_until_sent(node: Node, sessions: SessionFactory, count: int) -> int:
    """The scheduler's ticks, back to back, until every reminder is sent."""
    sent = 0
    while (await statuses(sessions))[SENT] < count:
        done = await node.sender.tick()
        sent += done
        if not done:
            await asyncio.sleep(0.1)
    return sent


async def _two_instances(
    postgres_url: str, count: int, rate: float, lease: int, *, fail_after: int | None = None
) -> tuple[list[FakeUser], FakeTelegram, list[int]]:
    engine = create_engine(postgres_url)
    await truncate_all(engine)
    sessions = create_session_factory(engine)
    clock = SystemClock()
    async with FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, count, clock.now())
        nodes = [
            start_node(fake, postgres_url, clock, reminder_rate=rate, reminder_lease_seconds=lease)
            for _ in range(2)
        ]
        try:
            runs = asyncio.gather(*(_run_until_sent(node, sessions, count) for node in nodes))
            if fail_after is not None:
                await _delivered(fake, people, fail_after)
                # Telegram's flood control: two answers "wait", each pausing a whole instance.
                fake.fail_next("sendMessage", status=429, retry_after=3, times=2)
            sent = await asyncio.wait_for(runs, 120)
        finally:
            for node in nodes:
                await node.close()
            await engine.dispose()
    return people, fake, sent


async def test_two_instances_at_a_slow_rate_send_each_reminder_once(postgres_url: str) -> None:
    # At 2 a second a batch of 40 would take 20 s, four leases of 5 s.
    people, fake, sent = await _two_instances(postgres_url, 40, rate=2, lease=5)
    assert repeats(fake, people) == {}
    assert set(deliveries(fake, people)) == {p.id for p in people}
    assert sum(sent) == 40


async def test_two_instances_through_429_pauses_send_each_reminder_once(
    postgres_url: str,
) -> None:
    # 40 at 10 a second fit a lease of 6 s; two 3 s pauses do not.
    people, fake, sent = await _two_instances(postgres_url, 40, rate=10, lease=6, fail_after=8)
    assert fake.count_status(429) == 2
    assert repeats(fake, people) == {}
    assert set(deliveries(fake, people)) == {p.id for p in people}
    assert sum(sent) == 40


async def test_a_lease_taken_over_while_waiting_is_not_sent_by_the_first_sender(
    db_url: str,
) -> None:
    """A sender slowed past its lease (a long 429 pause, a stalled machine) must not send what
    another instance has taken over meanwhile; what it did send stays recorded."""
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    clock = FakeClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    async with FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, 3, clock.now())
        # One message every 5 s: the first goes at once, the second waits long enough, even on
        # a loaded machine, for the other instance to find the lease run out.
        slow = start_node(fake, db_url, clock, reminder_rate=0.2, reminder_lease_seconds=60)
        other = start_node(fake, db_url, clock, reminder_rate=100, reminder_lease_seconds=60)
        try:
            first = asyncio.create_task(slow.sender.tick())
            await _delivered(fake, people, 1)
            # Delivered is too early: the sender writes it as sent just after Telegram answers.
            await _all_sent(sessions, 1)
            clock.advance(timedelta(seconds=61))  # the slow one's lease has run out
            taken_over = await other.sender.tick()
            await asyncio.wait_for(first, 30)
        finally:
            await slow.close()
            await other.close()
    await engine.dispose()
    assert repeats(fake, people) == {}
    assert set(deliveries(fake, people)) == {p.id for p in people}
    assert taken_over == 2 and first.result() == 1


async def test_stop_finishes_the_message_in_flight_and_hands_the_rest_back(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    sessions = create_session_factory(engine)
    clock = SystemClock()
    async with FakeTelegram(token=TOKEN) as fake:
        people = await due_reminders(sessions, fake, 20, clock.now())
        node = start_node(fake, sqlite_url, clock, reminder_rate=5)
        try:
            running = asyncio.create_task(node.sender.tick())
            await _delivered(fake, people, 3)
            await node.sender.stop(5.0)
            sent = await asyncio.wait_for(running, 5)  # returns: no CancelledError
            assert await node.sender.tick() == 0  # a stopped sender claims nothing
        finally:
            await node.close()
        async with sessions() as session:
            rows = (await session.scalars(select(Reminder))).all()
    await engine.dispose()
    delivered = sum(deliveries(fake, people).values())
    assert sent == delivered and 3 <= delivered < 20
    assert Counter(r.status for r in rows) == {SENT: delivered, "pending": 20 - delivered}
    handed_back = [r for r in rows if r.status == ReminderStatus.PENDING]
    # Due now for the next start, and the interrupted claim not counted as an attempt.
    assert all(r.due_at <= clock.now() and r.attempts == 0 for r in handed_back)


# The claim, the hold and the record, row by row


async def test_a_taken_over_row_is_not_held_but_its_delivery_is_still_recorded(
    db_url: str,
) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    lease = timedelta(seconds=60)
    async with FakeTelegram(token=TOKEN) as fake:
        await due_reminders(sessions, fake, 2, now)
    async with sessions.begin() as session:
        slow = await reminder_rows.claim(session, now, 10, lease)
    later = now + lease + timedelta(seconds=1)
    async with sessions.begin() as session:
        held = await reminder_rows.hold(session, slow[:1], now + timedelta(seconds=10), lease)
        assert held == {slow[0].reminder.id}  # within the lease: held, the lease pushed ahead
        assert await reminder_rows.claim(session, later - timedelta(seconds=2), 10, lease) == []
    async with sessions.begin() as session:
        # The first row is held for 9 s more; the second's lease has run out.
        taken = await reminder_rows.claim(session, later, 10, lease)
    assert [c.reminder.id for c in taken] == [slow[1].reminder.id]
    async with sessions.begin() as session:
        assert await reminder_rows.hold(session, slow, later, lease) == {slow[0].reminder.id}
        # What the slow sender did deliver stays delivered, whoever holds the row now; its
        # other outcomes no longer count.
        assert await reminder_rows.finish(session, [slow[0]], ReminderStatus.SENT, later) == 1
        assert await reminder_rows.finish(session, [slow[1]], ReminderStatus.FAILED, later) == 0
        await reminder_rows.release(session, [slow[1]], later, counted=False)
    async with sessions() as session:
        rows = {r.id: r for r in (await session.scalars(select(Reminder))).all()}
    await engine.dispose()
    assert rows[slow[0].reminder.id].status == ReminderStatus.SENT
    second = rows[slow[1].reminder.id]
    assert second.status == ReminderStatus.PENDING and second.claim == taken[0].token
    assert second.attempts == 2  # claimed twice; the slow sender's release changed nothing


def test_a_batch_is_what_the_rate_sends_in_half_the_lease() -> None:
    assert claim_batch(1, 120) == 60
    assert claim_batch(2, 5) == 5
    assert claim_batch(0.1, 5) == 1
    assert claim_batch(5, 120) == 200  # the default rate: at most 200 at a time
    for rate in (0.2, 1, 2, 5, 25, 1000):
        for lease in (5, 60, 120, 600):
            batch = claim_batch(rate, lease)
            assert batch == 1 or batch / rate <= lease / 2


# Mentors' morning digest


async def _mentors(
    sessions: SessionFactory, fake: FakeTelegram, count: int, now: datetime
) -> list[FakeUser]:
    """`count` mentors, each following one young person with a late task."""
    youths = await due_reminders(sessions, fake, count, now)
    mentors = await seed(sessions, fake, count, now - timedelta(days=30), role=Role.MENTOR)
    async with sessions.begin() as session:
        ids = {
            u.telegram_id: u.id
            for u in await session.scalars(
                select(User).where(User.telegram_id.in_([p.id for p in youths + mentors]))
            )
        }
        await session.execute(
            insert(MentorLink),
            [
                {"mentor_id": ids[m.id], "youth_id": ids[y.id], "created_at": now}
                for m, y in zip(mentors, youths, strict=True)
            ],
        )
    return mentors


# 09:30 in Belgrade: after the quiet hours, before noon.
MORNING = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)


async def test_one_digest_per_mentor_across_two_instances_and_a_restart(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    clock = FakeClock(MORNING)
    async with FakeTelegram(token=TOKEN) as fake:
        mentors = await _mentors(sessions, fake, 6, clock.now())
        # The third mentor's chat is gone: the others still get theirs.
        fake.fail_next(
            "sendMessage", status=400, description="chat not found", chat_id=mentors[2].id
        )
        nodes = [start_node(fake, db_url, clock, reminder_rate=100) for _ in range(2)]
        try:
            first = await asyncio.gather(*(node.sender.digests() for node in nodes))
            clock.advance(timedelta(minutes=30))
            again = await asyncio.gather(*(node.sender.digests() for node in nodes))
            restarted = start_node(fake, db_url, clock, reminder_rate=100)
            after_restart = await restarted.sender.digests()
            await restarted.close()
        finally:
            for node in nodes:
                await node.close()
        async with sessions() as session:
            days = (await session.scalars(select(DigestSent))).all()
    await engine.dispose()
    got = deliveries(fake, mentors)
    assert got == {m.id: 1 for i, m in enumerate(mentors) if i != 2}
    assert sum(first) == 5 and sum(again) == 0 and after_restart == 0
    assert len(days) == 6 and all(d.sent_at is not None for d in days)


async def test_a_digest_taken_over_while_waiting_is_not_sent_twice(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    clock = FakeClock(MORNING)
    async with FakeTelegram(token=TOKEN) as fake:
        mentors = await _mentors(sessions, fake, 2, clock.now())
        # One message every 5 s: the second digest waits for its turn long enough, even on a
        # loaded machine, for the other instance to find its claim run out.
        slow = start_node(fake, db_url, clock, reminder_rate=0.2)
        other = start_node(fake, db_url, clock, reminder_rate=100)
        try:
            first = asyncio.create_task(slow.sender.digests())
            await _delivered(fake, mentors, 1)
            await _next_digest_claimed(sessions, 1)  # the second, waiting for its turn
            clock.advance(timedelta(minutes=6))  # longer than the digest's claim
            taken_over = await other.sender.digests()
            await asyncio.wait_for(first, 30)
        finally:
            await slow.close()
            await other.close()
    await engine.dispose()
    assert deliveries(fake, mentors) == {m.id: 1 for m in mentors}
    assert (taken_over, first.result()) == (1, 1)


# Waitlist offers


async def test_an_offer_expiring_under_two_instances_passes_on_once(postgres_url: str) -> None:
    engines = [create_engine(postgres_url) for _ in range(2)]
    await truncate_all(engines[0])
    sessions = create_session_factory(engines[0])
    clock = FakeClock(BOOKING_NOW)
    async with FakeTelegram(token=TOKEN) as fake:
        users = {n: fake.user(f"W{n}", user_id=n, has_started=True) for n in (9001, 9002, 9003)}
        first, second, third = [await person(sessions, n) for n in users]
        found = await workshop(sessions, capacity=1)
        async with sessions.begin() as session:
            seat = await booking.book_workshop(session, first, found.id, booking_ctx())
        async with sessions.begin() as session:
            await booking.join_waitlist(session, second, found.id, booking_ctx())
        async with sessions.begin() as session:
            await booking.join_waitlist(session, third, found.id, booking_ctx())
        async with sessions.begin() as session:
            await booking.cancel(session, first, seat.id, booking_ctx())
        nodes = [start_node(fake, postgres_url, clock, reminder_rate=100) for _ in range(2)]

        async def both(coroutine: str) -> list[int]:
            return list(await asyncio.gather(*(getattr(n.sender, coroutine)() for n in nodes)))

        try:
            offered = await both("tick")  # the second person's offer
            # Nobody took it: its 12 waking hours (the night does not count) end at 09:00 in
            # Belgrade the next day, and the third person's offer goes out at once.
            clock.advance(timedelta(hours=22, minutes=1))
            moved = await asyncio.gather(
                *(booking_upkeep(n.sessions, n.sender.settings, clock) for n in nodes)
            )
            expired = await both("tick")
            offered_on = await both("tick")
        finally:
            for node in nodes:
                await node.close()
        rows = {b.user_id: b.status for b in await bookings_of(sessions)}
        kinds = Counter((n.user_id, n.kind) for n in await notices(sessions))
    for engine in engines:
        await engine.dispose()
    assert sum(moved) == 1
    assert rows[second.id] == BookingStatus.EXPIRED and rows[third.id] == BookingStatus.OFFERED
    assert kinds[(second.id, booking.EXPIRED)] == 1 and kinds[(third.id, booking.OFFER)] == 1
    assert (sum(offered), sum(expired), sum(offered_on)) == (1, 2, 0)
    assert deliveries(fake, users.values()) == {9002: 2, 9003: 1}
