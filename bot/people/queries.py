"""Queries on people. Repositories flush but never commit: the update's session does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.upsert import insert_ignoring_conflicts
from bot.people.models import MentorLink, Role, User
from bot.plans.models import Goal, Task, TaskStatus

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


@dataclass(frozen=True)
class Search:
    """What the desk's people table is narrowed to; None is "any"."""

    text: str | None = None
    role: Role | None = None
    programme: str | None = None
    city: str | None = None
    mentor_id: int | None = None
    locale: str | None = None
    has_plan: bool | None = None
    overdue: bool | None = None
    # Only the young people of this mentor (a mentor's own view); None: everyone.
    within_mentor_id: int | None = None


def overdue_task(today: date, now_time: time) -> ColumnElement[bool]:
    """An open task past its deadline, by the service's local date and time."""
    return and_(
        Task.youth_id == User.id,
        Task.status == TaskStatus.TODO,
        # Implied by what follows; said outright, it is a range an index can be read over alone.
        Task.due_date <= today,
        or_(
            Task.due_date < today,
            and_(Task.due_date == today, Task.due_time.is_not(None), Task.due_time <= now_time),
        ),
    )


def _searched(search: Search, today: date, now_time: time) -> Select[User]:
    query = select(User).where(User.consent_at.is_not(None))
    if search.within_mentor_id is not None:
        query = query.where(
            exists().where(
                MentorLink.youth_id == User.id, MentorLink.mentor_id == search.within_mentor_id
            )
        )
    if search.text:
        # What was typed is matched as typed: % and _ are characters here, not wildcards.
        typed = search.text.lower()
        escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition: ColumnElement[bool] = func.lower(User.display_name).like(
            f"%{escaped}%", escape="\\"
        )
        if search.text.isdigit():
            condition = or_(condition, User.telegram_id == int(search.text))
        query = query.where(condition)
    if search.role is not None:
        query = query.where(User.role == search.role)
    if search.programme is not None:
        query = query.where(User.programme == search.programme)
    if search.city is not None:
        query = query.where(User.city == search.city)
    if search.locale is not None:
        query = query.where(User.locale == search.locale)
    if search.mentor_id is not None:
        query = query.where(
            exists().where(MentorLink.youth_id == User.id, MentorLink.mentor_id == search.mentor_id)
        )
    if search.has_plan is not None:
        planned = exists().where(Goal.youth_id == User.id)
        query = query.where(planned if search.has_plan else ~planned)
    if search.overdue is not None:
        late = exists().where(overdue_task(today, now_time))
        query = query.where(late if search.overdue else ~late)
    return query


async def search_count(session: AsyncSession, search: Search, today: date, now_time: time) -> int:
    query = _searched(search, today, now_time)
    counted = select(func.count()).select_from(query.subquery())
    return int((await session.execute(counted)).scalar_one())


async def search_rows(
    session: AsyncSession, search: Search, today: date, now_time: time, offset: int, limit: int
) -> Sequence[User]:
    """One page of the matching people, by name."""
    query = _searched(search, today, now_time).order_by(User.display_name, User.id)
    return (await session.execute(query.offset(offset).limit(limit))).scalars().all()


async def overdue_counts(
    session: AsyncSession, user_ids: Collection[int], today: date, now_time: time
) -> dict[int, int]:
    if not user_ids:
        return {}
    query = (
        select(User.id, func.count(Task.id))
        .join(Task, overdue_task(today, now_time))
        .where(User.id.in_(list(user_ids)))
        .group_by(User.id)
    )
    return {int(uid): int(n) for uid, n in (await session.execute(query)).all()}


async def first_mentors(session: AsyncSession, youth_ids: Collection[int]) -> dict[int, User]:
    """Each young person's first mentor (by the link's age), for a table's column."""
    if not youth_ids:
        return {}
    query = (
        select(MentorLink.youth_id, User)
        .join(User, User.id == MentorLink.mentor_id)
        .where(MentorLink.youth_id.in_(list(youth_ids)))
        .order_by(MentorLink.created_at, MentorLink.id)
    )
    found: dict[int, User] = {}
    for youth_id, mentor in (await session.execute(query)).all():
        found.setdefault(int(youth_id), mentor)
    return found


async def all_mentors(session: AsyncSession) -> Sequence[User]:
    query = (
        select(User)
        .where(User.role == Role.MENTOR, User.consent_at.is_not(None))
        .order_by(User.display_name, User.id)
    )
    return (await session.execute(query)).scalars().all()
