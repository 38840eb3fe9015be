"""The recipient queue on SQLite and PostgreSQL: who is chosen, claims and leases, outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.broadcasts import queries as rows
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from bot.broadcasts.queries import Outcome
from bot.db.engine import SessionFactory
from bot.people.models import MentorLink, Role, User

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def person(sessions: SessionFactory, telegram_id: int, **values: object) -> int:
    row = {
        "telegram_id": telegram_id,
        "locale": "sr",
        "role": Role.YOUTH,
        "consent_at": NOW,
        "consent_version": 1,
        "is_active": True,
        "created_at": NOW,
        "last_seen_at": NOW,
    } | values
    async with sessions.begin() as session:
        await session.execute(insert(User), [row])
        found = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
        assert found is not None
        return found


async def broadcast(sessions: SessionFactory, author_id: int, **values: object) -> Broadcast:
    async with sessions.begin() as session:
        return await rows.add(
            session,
            Broadcast(
                kind=values.pop("kind", BroadcastKind.ANNOUNCEMENT),
                author_id=author_id,
                status=BroadcastStatus.SENDING,
                audience=values.pop("audience", Audience.ALL),
                audience_value=values.pop("audience_value", None),
                created_at=NOW,
                total=0,
            ),
        )


async def chosen(sessions: SessionFactory, found: Broadcast) -> set[int]:
    async with sessions.begin() as session:
        await rows.materialize(session, found, NOW)
        ids = await session.scalars(
            select(User.telegram_id)
            .join(BroadcastRecipient, BroadcastRecipient.user_id == User.id)
            .where(BroadcastRecipient.broadcast_id == found.id)
        )
        return set(ids.all())


async def test_audiences_choose_the_right_people(sessions: SessionFactory) -> None:
    staff = await person(sessions, 1, role=Role.STAFF, locale="en")
    mentor = await person(sessions, 2, role=Role.MENTOR)
    await person(sessions, 3, locale="sr_Latn", city="nis")
    await person(sessions, 4, locale="bg", programme="di_bg")
    await person(sessions, 5, announcements_muted=True)
    await person(sessions, 6, is_active=False)
    await person(sessions, 7, consent_at=None)
    mentee = await person(sessions, 8, announcements_muted=True)
    async with sessions.begin() as session:
        session.add(MentorLink(mentor_id=mentor, youth_id=mentee, created_at=NOW))

    async def audience(kind: str, value: str | None = None, author: int = staff) -> set[int]:
        found = await broadcast(sessions, author, audience=kind, audience_value=value)
        return await chosen(sessions, found)

    # Never the author, nobody muted, blocked or without consent.
    assert await audience(Audience.ALL) == {2, 3, 4}
    assert await audience(Audience.ROLE, Role.MENTOR) == {2}
    assert await audience(Audience.LANGUAGE, "sr") == {2, 3}  # both scripts
    assert await audience(Audience.LANGUAGE, "bg") == {4}
    assert await audience(Audience.CITY, "nis") == {3}
    assert await audience(Audience.PROGRAMME, "di_bg") == {4}
    assert await audience(Audience.MENTEES, str(mentor)) == set()  # muted announcements
    assert await audience("workshop", "12") == set()  # not known in this version
    own = await broadcast(
        sessions,
        mentor,
        kind=BroadcastKind.MENTOR,
        audience=Audience.MENTEES,
        audience_value=str(mentor),
    )
    assert await chosen(sessions, own) == {8}  # a mentor's own message still reaches them


async def test_claims_never_overlap_and_a_lost_lease_is_taken_over(
    sessions: SessionFactory,
) -> None:
    author = await person(sessions, 1, role=Role.STAFF)
    for telegram_id in range(10, 30):
        await person(sessions, telegram_id)
    found = await broadcast(sessions, author)
    async with sessions.begin() as session:
        assert await rows.materialize(session, found, NOW) == 20
    async with sessions.begin() as session:
        first = await rows.claim(session, found.id, NOW, LEASE, 8, "a")
    soon = NOW + timedelta(seconds=30)
    async with sessions.begin() as session:
        second = await rows.claim(session, found.id, soon, LEASE, 100, "b")
    assert len(first) == 8 and len(second) == 12
    assert not {c.id for c in first} & {c.id for c in second}
    async with sessions.begin() as session:
        assert await rows.claim(session, found.id, soon, LEASE, 100, "c") == []

    # "a" dies; after its lease its rows go to "c".
    later = NOW + LEASE + timedelta(seconds=1)
    async with sessions.begin() as session:
        taken = await rows.claim(session, found.id, later, LEASE, 100, "c")
    assert {c.id for c in taken} == {c.id for c in first}

    # "a" comes back late: its delivery is a fact and is recorded, its retry is not.
    delivered, retried = first[0], first[1]
    async with sessions.begin() as session:
        await rows.record(
            session,
            [
                Outcome(delivered.id, delivered.user_id, RecipientStatus.SENT, "a", message_id=5),
                Outcome(retried.id, retried.user_id, RecipientStatus.PENDING, "a", retry_at=later),
            ],
            later,
        )
    async with sessions() as session:
        states = dict(
            (await session.execute(select(BroadcastRecipient.id, BroadcastRecipient.claim))).all()
        )
        sent = await session.get(BroadcastRecipient, delivered.id)
        assert sent is not None and sent.status == RecipientStatus.SENT and sent.message_id == 5
        assert states[retried.id] == "c"


async def test_a_scheduled_broadcast_starts_once(sessions: SessionFactory) -> None:
    author = await person(sessions, 1, role=Role.STAFF)
    await person(sessions, 2)
    async with sessions.begin() as session:
        due = await rows.add(
            session,
            Broadcast(
                kind=BroadcastKind.ANNOUNCEMENT,
                author_id=author,
                status=BroadcastStatus.SCHEDULED,
                audience=Audience.ALL,
                created_at=NOW,
                send_at=NOW + timedelta(hours=1),
                total=0,
            ),
        )
    async with sessions.begin() as session:
        assert await broadcasts.start_due(session, NOW) == []
    later = NOW + timedelta(hours=1)
    async with sessions.begin() as session:
        started = await broadcasts.start_due(session, later)
    async with sessions.begin() as session:
        again = await broadcasts.start_due(session, later)
    assert [b.id for b in started] == [due.id] and again == []
    assert started[0].total == 1
    async with sessions.begin() as session:
        done = await rows.finish_ready(session, later)
        assert done == []  # one person still waits
