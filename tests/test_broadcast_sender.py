"""Delivering broadcasts through the fake Bot API: rate limits, 429 storms, 5xx, 403s, a sender
killed mid-way and a new one taking over, two instances on one database, replies not starved."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.botapi import FakeTelegram
from bot.broadcasts.models import (
    EVERYONE,
    Audience,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from bot.broadcasts.telegram.sender import MAX_ATTEMPTS, backoff
from bot.db.engine import create_engine, create_session_factory
from bot.people.models import User
from tests.broadcast_support import (
    TOKEN,
    announce,
    deliveries,
    seed,
    staff_member,
    start_node,
    statuses,
)
from tests.harness import FakeClock


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, rate_limit=30, strict_html=True) as server:
        yield server


async def test_everyone_gets_it_once_in_their_language(db_url: str, fake: FakeTelegram) -> None:
    clock = FakeClock()
    node = start_node(fake, db_url, clock, broadcast_rate=100)
    try:
        people = await seed(node.sessions, fake, 12, clock.now())
        author = await staff_member(node.sessions, fake, clock.now())
        texts = {"sr": "Радионица <b>сутра</b>", "bg": "Работилница утре", EVERYONE: "Workshop"}
        broadcast_id = await announce(node.sessions, author, clock.now(), texts)
        await node.sender.run_round()
    finally:
        await node.close()
    assert deliveries(fake, people) == {p.id: 1 for p in people}
    got = {p.id: p.last.html_text for p in people}
    locales = ["sr", "sr_Latn", "bg", "en"]
    expected = {
        "sr": "Радионица <b>сутра</b>",
        "sr_Latn": "Radionica <b>sutra</b>",  # transliterated, tags untouched
        "bg": "Работилница утре",
        "en": "Workshop",  # no English text: the one for everyone
    }
    # Each begins with who sends it, in the reader's language.
    signed = {
        "sr": "📣 Обавештење: <b>Тим Путоказа</b>",
        "sr_Latn": "📣 Obaveštenje: <b>Tim Putokaza</b>",
        "bg": "📣 Съобщение: <b>Екипът на Путоказ</b>",
        "en": "📣 <b>The Putokaz team</b> announces:",
    }
    for index, person in enumerate(people):
        locale = locales[index % 4]
        assert got[person.id] == f"{signed[locale]}\n\n{expected[locale]}"
    assert await statuses(node.sessions, broadcast_id) == {RecipientStatus.SENT: 12}
    async with node.sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.status == BroadcastStatus.DONE
        sent = (await session.scalars(select(BroadcastRecipient))).all()
        assert all(r.sent_at is not None and r.message_id for r in sent)
    # The author gets the report.
    report = fake.user_by_id(author.telegram_id).last
    assert "Delivered: 12" in report.body


async def test_the_rate_holds_and_a_429_pauses_the_whole_queue(
    db_url: str, fake: FakeTelegram
) -> None:
    clock = FakeClock()
    node = start_node(fake, db_url, clock, broadcast_rate=20)
    try:
        people = await seed(node.sessions, fake, 40, clock.now())
        author = await staff_member(node.sessions, fake, clock.now())
        fake.fail_next("sendMessage", status=429, retry_after=2, times=1)
        await announce(node.sessions, author, clock.now())
        started = time.monotonic()
        await node.sender.run_round()
        elapsed = time.monotonic() - started
    finally:
        await node.close()
    assert deliveries(fake, people) == {p.id: 1 for p in people}
    refused = [r for r in fake.calls("sendMessage") if r.status == 429]
    assert len(refused) == 1 and node.sender.stats.rate_limited == 1
    # Nothing at all went out during the pause.
    after = [r for r in fake.calls("sendMessage") if r.index > refused[0].index]
    assert min(r.at for r in after) - refused[0].at >= 2 - 0.05
    # 40 messages at 20/s take about two seconds, plus the pause; never faster than the rate.
    assert elapsed >= 39 / 20 + 2 - 0.1
    sends = sorted(r.at for r in fake.sent("sendMessage"))
    assert all(sends[i + 20] - sends[i] >= 1 - 0.05 for i in range(len(sends) - 20))


async def test_a_429_storm_against_a_tight_limit_loses_and_doubles_nothing(
    db_url: str,
) -> None:
    """The sender believes it may send 60/s; Telegram allows 15/s and answers 429s."""
    async with FakeTelegram(token=TOKEN, rate_limit=15) as fake:
        clock = FakeClock()
        node = start_node(fake, db_url, clock, broadcast_rate=60)
        try:
            people = await seed(node.sessions, fake, 60, clock.now())
            author = await staff_member(node.sessions, fake, clock.now())
            broadcast_id = await announce(node.sessions, author, clock.now())
            await asyncio.wait_for(node.sender.run_round(), 60)
        finally:
            await node.close()
        ids = {str(p.id) for p in people}
        refused = [
            r for r in fake.calls("sendMessage") if r.status == 429 and str(r.chat_id) in ids
        ]
        assert refused and node.sender.stats.rate_limited == len(refused)
        assert deliveries(fake, people) == {p.id: 1 for p in people}
        assert await statuses(node.sessions, broadcast_id) == {RecipientStatus.SENT: 60}


async def test_server_errors_are_retried_later_then_given_up(
    db_url: str, fake: FakeTelegram
) -> None:
    clock = FakeClock()
    node = start_node(fake, db_url, clock, broadcast_rate=100)
    try:
        people = await seed(node.sessions, fake, 6, clock.now())
        author = await staff_member(node.sessions, fake, clock.now())
        stubborn, flaky = people[0], people[1]
        fake.fail_next("sendMessage", status=502, chat_id=stubborn.id, times=MAX_ATTEMPTS)
        fake.fail_next("sendMessage", status=500, chat_id=flaky.id, times=1)
        broadcast_id = await announce(node.sessions, author, clock.now())
        await node.sender.run_round()
        # Each failed once; none retried at once (no sleeping in the request, no hammering).
        assert deliveries(fake, people) == {p.id: 1 for p in people[2:]}
        assert len(fake.calls("sendMessage", chat_id=stubborn.id)) == 1
        for attempt in range(1, MAX_ATTEMPTS):
            clock.advance(backoff(attempt))
            await node.sender.run_round()
        counts = await statuses(node.sessions, broadcast_id)
    finally:
        await node.close()
    assert deliveries(fake, people) == {p.id: 1 for p in people[1:]}
    assert len(fake.calls("sendMessage", chat_id=stubborn.id)) == MAX_ATTEMPTS
    assert counts == {RecipientStatus.SENT: 5, RecipientStatus.FAILED: 1}
    async with node.sessions() as session:
        row = await session.scalar(
            select(BroadcastRecipient)
            .join(User, User.id == BroadcastRecipient.user_id)
            .where(User.telegram_id == stubborn.id)
        )
        assert (
            row is not None and row.attempts == MAX_ATTEMPTS and "Bad Gateway" in (row.error or "")
        )


async def test_people_who_blocked_the_bot_are_marked_and_skipped_next_time(
    db_url: str, fake: FakeTelegram
) -> None:
    clock = FakeClock()
    node = start_node(fake, db_url, clock, broadcast_rate=100)
    try:
        people = await seed(node.sessions, fake, 8, clock.now())
        author = await staff_member(node.sessions, fake, clock.now())
        people[0].block()
        people[1].deactivate()
        first = await announce(node.sessions, author, clock.now())
        await node.sender.run_round()
        assert await statuses(node.sessions, first) == {
            RecipientStatus.SENT: 6,
            RecipientStatus.BLOCKED: 2,
        }
        async with node.sessions() as session:
            inactive = await session.scalars(
                select(User.telegram_id).where(User.is_active.is_(False))
            )
            assert set(inactive.all()) == {people[0].id, people[1].id}
        second = await announce(node.sessions, author, clock.now())
        await node.sender.run_round()
        assert await statuses(node.sessions, second) == {RecipientStatus.SENT: 6}
    finally:
        await node.close()
    report = fake.user_by_id(author.telegram_id).messages[-2]
    assert "Blocked the bot: 2" in report.body
    assert report.buttons[0][0].text == "📄 Not delivered (CSV)"


async def test_a_sender_killed_mid_way_is_taken_over_without_loss(db_url: str) -> None:
    """The first process dies while sending; a new one resumes after the lease. Only messages
    that were in flight at the kill may arrive twice."""
    async with FakeTelegram(token=TOKEN, rate_limit=30) as fake:
        clock = FakeClock()
        first = start_node(fake, db_url, clock, broadcast_rate=25, broadcast_lease_seconds=30)
        people = await seed(first.sessions, fake, 120, clock.now())
        author = await staff_member(first.sessions, fake, clock.now())
        broadcast_id = await announce(first.sessions, author, clock.now())
        round_ = asyncio.create_task(first.sender.run_round())
        await fake.state.changed.wait_for(lambda: len(fake.sent()) >= 40 or None, 20)
        round_.cancel()  # as abrupt as it gets inside one process: nothing is handed back
        with contextlib.suppress(asyncio.CancelledError):
            await round_
        await first.close()
        async with create_session_factory(create_engine(db_url))() as session:
            in_flight = set(
                (
                    await session.scalars(
                        select(User.telegram_id)
                        .join(BroadcastRecipient, BroadcastRecipient.user_id == User.id)
                        .where(BroadcastRecipient.status == RecipientStatus.SENDING)
                    )
                ).all()
            )
        assert in_flight, "the kill should catch some rows claimed"

        second = start_node(fake, db_url, clock, broadcast_rate=25, broadcast_lease_seconds=30)
        try:
            await second.sender.run_round()
            # The first one's rows are still leased: not touched yet.
            assert (await statuses(second.sessions, broadcast_id))[RecipientStatus.SENDING] > 0
            clock.advance(timedelta(seconds=31))
            await second.sender.run_round()
            counts = await statuses(second.sessions, broadcast_id)
        finally:
            await second.close()
        assert counts == {RecipientStatus.SENT: 120}
        got = deliveries(fake, people)
        assert set(got) == {p.id for p in people}, "nobody skipped"
        doubled = {chat for chat, n in got.items() if n > 1}
        assert doubled <= in_flight
        assert max(got.values()) <= 2


async def test_two_instances_on_one_database_share_the_work(postgres_url: str) -> None:
    from tests.databases import truncate_all

    engine = create_engine(postgres_url)
    await truncate_all(engine)
    await engine.dispose()
    async with FakeTelegram(token=TOKEN, rate_limit=None) as fake:
        clock = FakeClock()
        nodes = [start_node(fake, postgres_url, clock, broadcast_rate=200) for _ in range(2)]
        try:
            people = await seed(nodes[0].sessions, fake, 600, clock.now())
            author = await staff_member(nodes[0].sessions, fake, clock.now())
            broadcast_id = await announce(nodes[0].sessions, author, clock.now())
            await asyncio.gather(*(n.sender.run_round() for n in nodes))
            counts = await statuses(nodes[0].sessions, broadcast_id)
        finally:
            for node in nodes:
                await node.close()
        assert counts == {RecipientStatus.SENT: 600}
        assert deliveries(fake, people) == {p.id: 1 for p in people}
        shares = [n.sender.stats.sent for n in nodes]
        assert sum(shares) == 600 and min(shares) > 100, shares


async def test_each_broadcast_gets_its_share_of_the_queue(db_url: str, fake: FakeTelegram) -> None:
    """A mentor's note to a few does not wait behind an announcement to many."""
    clock = FakeClock()
    node = start_node(fake, db_url, clock, broadcast_rate=30)
    try:
        people = await seed(node.sessions, fake, 150, clock.now())
        author = await staff_member(node.sessions, fake, clock.now())
        big = await announce(node.sessions, author, clock.now())
        small = await announce(
            node.sessions, author, clock.now(), audience=(Audience.LANGUAGE, "bg")
        )
        round_ = asyncio.create_task(node.sender.run_round())
        bg = [p for p in people if p.language_code == "bg"]
        for _ in range(400):  # the sender has no hook for tests: the database is the truth
            if (await statuses(node.sessions, small))[RecipientStatus.SENT] == len(bg):
                break
            await asyncio.sleep(0.05)
        big_counts = await statuses(node.sessions, big)
        await round_
    finally:
        await node.close()
    assert big_counts[RecipientStatus.SENT] < 100, "the small one finished first"
    assert await statuses(node.sessions, small) == {RecipientStatus.SENT: len(bg)}
