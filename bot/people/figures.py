"""Who the desk's reports count, and the people figures of them: a cohort of young people (by
programme, town or mentor) and a period of local days. Every feature's `figures` module narrows
its own counts with `in_cohort`, so the dashboard's numbers all speak of the same people.

No web and no Telegram here: bot/reports assembles these into pages and downloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people.models import MentorLink, Role, User
from bot.plans.reminders import to_utc


@dataclass(frozen=True)
class Cohort:
    """Which young people a figure is about; None is "any"."""

    programme: str | None = None
    city: str | None = None
    # A mentor's own young people (their dashboard); None: everyone (staff).
    mentor_id: int | None = None


@dataclass(frozen=True)
class Period:
    """Local days `first`..`last`, both included, in the service's time zone."""

    first: date
    last: date
    tz: str

    @property
    def start(self) -> datetime:
        return to_utc(datetime.combine(self.first, time(0)), self.tz)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return to_utc(datetime.combine(self.last + timedelta(days=1), time(0)), self.tz)


def in_cohort(cohort: Cohort) -> ColumnElement[bool]:
    """The condition on `User` that keeps the cohort's young people (who consented)."""
    conditions: list[ColumnElement[bool]] = [User.role == Role.YOUTH, User.consent_at.is_not(None)]
    if cohort.programme is not None:
        conditions.append(User.programme == cohort.programme)
    if cohort.city is not None:
        conditions.append(User.city == cohort.city)
    if cohort.mentor_id is not None:
        conditions.append(
            exists().where(MentorLink.youth_id == User.id, MentorLink.mentor_id == cohort.mentor_id)
        )
    return and_(true(), *conditions)


async def young_people(session: AsyncSession, cohort: Cohort, period: Period) -> tuple[int, int]:
    """(signed up by the period's end, of them active: seen on or after its first day).

    Only the last time someone was seen is kept, so "active" for a past period means "used the
    bot during it or later"; for a period that ends today the two are the same.
    """
    query = select(
        func.count(),
        func.coalesce(func.sum(case((User.last_seen_at >= period.start, 1), else_=0)), 0),
    ).where(in_cohort(cohort), User.consent_at < period.end)
    total, active = (await session.execute(query)).one()
    return int(total), int(active)


async def not_seen_since(
    session: AsyncSession, cohort: Cohort, cutoff: datetime, limit: int
) -> tuple[int, Sequence[User]]:
    """Young people of the cohort whose last visit is before `cutoff`: how many, and the
    longest-unseen `limit` of them."""
    condition = and_(in_cohort(cohort), User.last_seen_at < cutoff)
    total = await session.scalar(select(func.count()).select_from(User).where(condition))
    rows = await session.scalars(
        select(User).where(condition).order_by(User.last_seen_at, User.id).limit(limit)
    )
    return int(total or 0), rows.all()
