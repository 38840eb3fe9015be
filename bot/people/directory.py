"""The desk's view of people: who a staff member or a mentor may list and open, and what they
may change there. Staff see everyone; a mentor sees only their own young people; anyone else,
or anyone else's young person, finds nothing (the same answer as a missing id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotAllowed, NotFound
from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import MentorLink, Role, User
from bot.people.queries import Search
from bot.people.roles import require

PAGE_SIZE = 25


@dataclass(frozen=True)
class Row:
    user: User
    mentor: User | None
    overdue: int


@dataclass(frozen=True)
class Table:
    rows: Sequence[Row]
    page: int
    pages: int
    total: int


def _local(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


def scoped(actor: User, search: Search) -> Search:
    """The search as `actor` may run it: a mentor's is always within their own young people."""
    if actor.role == Role.STAFF:
        return search
    if actor.role == Role.MENTOR:
        return replace(search, within_mentor_id=actor.id, mentor_id=None)
    raise NotAllowed("no desk for this role")


async def table(
    session: AsyncSession, actor: User, search: Search, page: int, now: datetime, tz: str
) -> Table:
    search = scoped(actor, search)
    local = _local(now, tz)
    total = await users.search_count(session, search, local.date(), local.time())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    people = await users.search_rows(
        session, search, local.date(), local.time(), page * PAGE_SIZE, PAGE_SIZE
    )
    ids = [p.id for p in people]
    late = await users.overdue_counts(session, ids, local.date(), local.time())
    mentors = await users.first_mentors(session, ids)
    rows = [Row(p, mentors.get(p.id), late.get(p.id, 0)) for p in people]
    return Table(rows, page, pages, total)


async def mentors_to_filter(session: AsyncSession, actor: User) -> Sequence[User]:
    """The mentor filter's choices: staff only (a mentor's table is their own already)."""
    return await users.all_mentors(session) if actor.role == Role.STAFF else []


async def visible_person(session: AsyncSession, actor: User, user_id: int) -> User:
    """The person `actor` may open at the desk; NotFound for anyone else, gone or never there."""
    if actor.role not in (Role.STAFF, Role.MENTOR):
        raise NotFound("no desk for this role")
    target = await users.get(session, user_id)
    if target is None or target.consent_at is None:
        raise NotFound("user")
    if actor.role == Role.MENTOR and (
        target.role != Role.YOUTH or await mentoring.find(session, actor.id, target.id) is None
    ):
        raise NotFound("user")
    return target


@dataclass(frozen=True)
class Links:
    mentors: Sequence[tuple[User, MentorLink]]
    mentees: Sequence[tuple[User, MentorLink]]


async def links(session: AsyncSession, actor: User, user_id: int) -> Links:
    target = await visible_person(session, actor, user_id)
    mentees = await mentoring.mentees(session, target.id) if actor.role == Role.STAFF else []
    return Links(await mentoring.mentors(session, target.id), mentees)


async def assign_mentor(
    session: AsyncSession, actor: User, youth_id: int, mentor_id: int, now: datetime
) -> tuple[User, User] | None:
    """Staff link a young person to a mentor; None when they were linked already."""
    require(actor, Role.STAFF)
    youth = await visible_person(session, actor, youth_id)
    mentor = await users.get(session, mentor_id)
    if youth.role != Role.YOUTH or mentor is None or mentor.role != Role.MENTOR:
        raise NotFound("mentor or young person")
    if await mentoring.find(session, mentor.id, youth.id) is not None:
        return None
    await mentoring.add(session, mentor.id, youth.id, now)
    return mentor, youth
