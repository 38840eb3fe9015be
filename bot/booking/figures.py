"""Workshop and counselling figures for the desk's reports, each one aggregate query.

Workshops are counted by their own town and programme (an online workshop has no town), since a
seat belongs to the workshop; counselling sessions by the young person who booked them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.models import Attendance, Booking, BookingStatus, Workshop, WorkshopStatus
from bot.people.figures import Cohort, Period, in_cohort
from bot.people.models import User


@dataclass(frozen=True)
class WorkshopFigures:
    workshops: int  # held or scheduled in the period, not cancelled
    seats: int  # their capacity
    filled: int  # seats booked
    attended: int  # marked as came
    no_show: int  # marked as did not come


async def workshops(session: AsyncSession, cohort: Cohort, period: Period) -> WorkshopFigures:
    where = [
        Workshop.status == WorkshopStatus.SCHEDULED,
        Workshop.starts_at >= period.start,
        Workshop.starts_at < period.end,
    ]
    if cohort.programme is not None:
        where.append(Workshop.programme == cohort.programme)
    if cohort.city is not None:
        where.append(Workshop.city == cohort.city)
    held = (
        await session.execute(select(func.count(), func.sum(Workshop.capacity)).where(*where))
    ).one()
    booked = Booking.status == BookingStatus.BOOKED
    seats = (
        await session.execute(
            select(
                func.count(),
                func.sum(case((Booking.attendance == Attendance.ATTENDED, 1), else_=0)),
                func.sum(case((Booking.attendance == Attendance.NO_SHOW, 1), else_=0)),
            )
            .join(Workshop, Workshop.id == Booking.workshop_id)
            .where(booked, *where)
        )
    ).one()
    return WorkshopFigures(
        int(held[0]), int(held[1] or 0), int(seats[0]), int(seats[1] or 0), int(seats[2] or 0)
    )


@dataclass(frozen=True)
class CounsellingFigures:
    held: int  # booked sessions that have begun and were not marked as missed
    no_show: int  # marked as missed


async def counselling(
    session: AsyncSession, cohort: Cohort, period: Period, now: datetime
) -> CounsellingFigures:
    until = min(period.end, now)
    missed = Booking.attendance == Attendance.NO_SHOW
    row = (
        await session.execute(
            select(
                func.sum(case((or_(Booking.attendance.is_(None), ~missed), 1), else_=0)),
                func.sum(case((missed, 1), else_=0)),
            )
            .join(User, User.id == Booking.user_id)
            .where(
                in_cohort(cohort),
                and_(Booking.counsellor_id.is_not(None), Booking.status == BookingStatus.BOOKED),
                Booking.starts_at >= period.start,
                Booking.starts_at < until,
            )
        )
    ).one()
    return CounsellingFigures(int(row[0] or 0), int(row[1] or 0))
