"""Database rules that must hold under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.db.engine import SessionFactory
from bot.kit import update_claims as updates
from bot.people import invites
from bot.people import queries as users
from bot.people import rules as people
from bot.people.models import InviteKind, MentorLink, Role, User

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


async def test_an_update_id_is_claimed_once_even_concurrently(sessions: SessionFactory) -> None:
    async def claim() -> bool:
        async with sessions.begin() as session:
            return await updates.claim(session, 4242, NOW)

    results = await asyncio.gather(*(claim() for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_old_update_ids_are_forgotten(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await updates.claim(session, 1, NOW - timedelta(days=3))
        await updates.claim(session, 2, NOW)
        assert await updates.forget_before(session, NOW - timedelta(days=1)) == 1
        assert await updates.claim(session, 2, NOW) is False


async def test_first_contact_creates_one_row_under_a_race(sessions: SessionFactory) -> None:
    async def touch() -> int:
        async with sessions.begin() as session:
            user = await people.touch(
                session, telegram_id=77, language_code="bg", now=NOW, admin_ids={1}
            )
            return user.id

    ids = await asyncio.gather(*(touch() for _ in range(8)))
    assert len(set(ids)) == 1
    async with sessions() as session:
        user = await users.get_by_telegram_id(session, 77)
        assert user is not None
        assert (user.locale, user.role, user.consent_at, user.display_name) == (
            "bg",
            "youth",
            None,
            None,
        )
        assert user.created_at == NOW  # aware UTC back from both backends


async def test_admin_ids_become_staff(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        user = await people.touch(
            session, telegram_id=1, language_code="en", now=NOW, admin_ids={1}
        )
        assert user.role == Role.STAFF


async def _person(sessions: SessionFactory, telegram_id: int, role: Role) -> User:
    async with sessions.begin() as session:
        user = await people.touch(
            session, telegram_id=telegram_id, language_code="en", now=NOW, admin_ids=set()
        )
        user.role = role
        people.give_consent(
            user,
            now=NOW,
            display_name=f"P{telegram_id}",
            birth_year=2000,
            default_tz="Europe/Belgrade",
        )
        return user


async def test_an_invite_links_exactly_one_of_many_concurrent_openers(
    sessions: SessionFactory,
) -> None:
    mentor = await _person(sessions, 10, Role.MENTOR)
    youths = [await _person(sessions, 100 + i, Role.YOUTH) for i in range(6)]
    async with sessions.begin() as session:
        creator = await session.get(User, mentor.id)
        assert creator is not None
        created = await invites.create(session, creator, InviteKind.MENTEE, NOW, timedelta(hours=1))

    async def redeem(youth_id: int) -> invites.Outcome:
        async with sessions.begin() as session:
            youth = await session.get(User, youth_id)
            assert youth is not None
            result = await invites.redeem(session, youth, created.token, NOW)
            return result.outcome

    outcomes = await asyncio.gather(*(redeem(y.id) for y in youths))
    assert sorted(outcomes) == sorted([invites.Outcome.LINKED] + [invites.Outcome.USED] * 5)
    async with sessions() as session:
        links = await session.scalar(select(func.count()).select_from(MentorLink))
        assert links == 1


async def test_expired_and_unknown_invites_are_refused(sessions: SessionFactory) -> None:
    staff = await _person(sessions, 20, Role.STAFF)
    youth = await _person(sessions, 21, Role.YOUTH)
    async with sessions.begin() as session:
        creator = await session.get(User, staff.id)
        opener = await session.get(User, youth.id)
        assert creator is not None and opener is not None
        created = await invites.create(session, creator, InviteKind.MENTOR, NOW, timedelta(hours=1))
        later = NOW + timedelta(hours=2)
        assert (await invites.redeem(session, opener, created.token, later)).outcome == "expired"
        assert (await invites.redeem(session, opener, "x" * 24, NOW)).outcome == "unknown"
        assert (await invites.redeem(session, opener, "<script>", NOW)).outcome == "unknown"
        assert opener.role == Role.YOUTH
