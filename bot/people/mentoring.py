"""Links between mentors and the young people they follow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people.models import MentorLink, User


async def find(session: AsyncSession, mentor_id: int, youth_id: int) -> MentorLink | None:
    query = select(MentorLink).where(
        MentorLink.mentor_id == mentor_id, MentorLink.youth_id == youth_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add(session: AsyncSession, mentor_id: int, youth_id: int, now: datetime) -> MentorLink:
    link = MentorLink(mentor_id=mentor_id, youth_id=youth_id, created_at=now)
    session.add(link)
    await session.flush()
    return link


async def remove(session: AsyncSession, mentor_id: int, youth_id: int) -> bool:
    result = await session.execute(
        delete(MentorLink).where(MentorLink.mentor_id == mentor_id, MentorLink.youth_id == youth_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def mentees(session: AsyncSession, mentor_id: int) -> Sequence[tuple[User, MentorLink]]:
    query = (
        select(User, MentorLink)
        .join(MentorLink, MentorLink.youth_id == User.id)
        .where(MentorLink.mentor_id == mentor_id)
        .order_by(User.display_name, User.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def mentors(session: AsyncSession, youth_id: int) -> Sequence[tuple[User, MentorLink]]:
    query = (
        select(User, MentorLink)
        .join(MentorLink, MentorLink.mentor_id == User.id)
        .where(MentorLink.youth_id == youth_id)
        .order_by(MentorLink.created_at)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def has_mentor(session: AsyncSession, youth_id: int) -> bool:
    query = select(MentorLink.id).where(MentorLink.youth_id == youth_id).limit(1)
    return (await session.execute(query)).first() is not None
