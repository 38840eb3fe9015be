"""Queries on people. Repositories flush but never commit: the update's session does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.upsert import insert_ignoring_conflicts
from bot.people.models import MentorLink, Role, User

# Built once: every update loads its person, and building the select per call cost more CPU
# than running it (bench/throughput.py).
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    result = await session.execute(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
    return result.scalar_one_or_none()


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def add_if_absent(session: AsyncSession, **values: object) -> None:
    """Creates the row unless a concurrent first update of the same person already did."""
    statement = insert_ignoring_conflicts(session, User, ["telegram_id"]).values(**values)
    await session.execute(statement)


async def set_active(session: AsyncSession, telegram_id: int, active: bool) -> None:
    await session.execute(
        update(User).where(User.telegram_id == telegram_id).values(is_active=active)
    )


async def promote_to_staff(session: AsyncSession, telegram_ids: Collection[int]) -> int:
    if not telegram_ids:
        return 0
    result = await session.execute(
        update(User)
        .where(User.telegram_id.in_(list(telegram_ids)), User.role != Role.STAFF)
        .values(role=Role.STAFF)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _listing(role: Role | None) -> Select[User]:
    query = select(User).where(User.consent_at.is_not(None))
    if role is not None:
        query = query.where(User.role == role)
    return query


async def page(
    session: AsyncSession, *, role: Role | None, offset: int, limit: int
) -> Sequence[User]:
    query = _listing(role).order_by(User.display_name, User.id).offset(offset).limit(limit)
    return (await session.execute(query)).scalars().all()


async def count(session: AsyncSession, *, role: Role | None) -> int:
    query = select(func.count()).select_from(_listing(role).subquery())
    return int((await session.execute(query)).scalar_one())


async def count_staff(session: AsyncSession) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.STAFF)
    return int((await session.execute(query)).scalar_one())


async def delete_unconsented_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(
        delete(User).where(User.consent_at.is_(None), User.last_seen_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def mentors_of(session: AsyncSession, youth_id: int) -> Sequence[User]:
    query = (
        select(User)
        .join(MentorLink, MentorLink.mentor_id == User.id)
        .where(MentorLink.youth_id == youth_id)
        .order_by(MentorLink.created_at)
    )
    return (await session.execute(query)).scalars().all()
