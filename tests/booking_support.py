"""Building blocks for booking tests: people, a workshop, a counsellor with hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from bot.booking import counselling, workshops
from bot.booking.models import Booking, Slot, Workshop
from bot.booking.rules import Context
from bot.db.engine import SessionFactory
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans.models import Reminder
from bot.plans.reminders import ReminderRules

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TZ = "Europe/Belgrade"


def ctx(now: datetime = NOW) -> Context:
    return Context(now, ReminderRules(), TZ)


async def person(
    sessions: SessionFactory, telegram_id: int, role: Role = Role.YOUTH, locale: str = "sr"
) -> User:
    async with sessions.begin() as session:
        user = await people.touch(
            session, telegram_id=telegram_id, language_code=locale, now=NOW, admin_ids=set()
        )
        user.role = role
        people.give_consent(
            user, now=NOW, display_name=f"P{telegram_id}", birth_year=2004, default_tz=TZ
        )
        return user


async def crowd(sessions: SessionFactory, count: int, first_id: int = 1000) -> list[User]:
    """Many consented young people in one transaction (fast on both databases)."""
    async with sessions.begin() as session:
        for n in range(count):
            user = await people.touch(
                session, telegram_id=first_id + n, language_code="sr", now=NOW, admin_ids=set()
            )
            people.give_consent(user, now=NOW, display_name=f"Y{n}", birth_year=2004, default_tz=TZ)
    async with sessions() as session:
        found = await session.scalars(
            select(User).where(User.telegram_id >= first_id).order_by(User.telegram_id)
        )
        return list(found.all())[:count]


def draft(
    capacity: int = 10,
    starts: datetime = datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
    hours: int = 2,
    **extra: object,
) -> workshops.Draft:
    values: dict[str, object] = {
        "kind": "cv_jobs",
        "title": "Write your CV",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=hours),
        "capacity": capacity,
        "city": "kragujevac",
        "address": "Kralja Petra 12",
    }
    values.update(extra)
    return workshops.Draft(**values)  # type: ignore[arg-type]


async def workshop(sessions: SessionFactory, **kwargs: object) -> Workshop:
    async with sessions.begin() as session:
        return await workshops.create(session, None, draft(**kwargs), ctx())  # type: ignore[arg-type]


async def counsellor_with_hours(
    sessions: SessionFactory, service: str = "career", weekday: int = 1
) -> int:
    """A career counsellor in Kragujevac: Tuesdays 10:00-14:00, 45-minute slots."""
    async with sessions.begin() as session:
        found = await counselling.create_counsellor(
            session, None, service=service, name="Ana Savetnik", user_id=None,
            city="kragujevac", address="Trg 1", online_url=None, timezone=TZ, now=NOW,
        )  # fmt: skip
        await counselling.add_hours(session, None, found.id, weekday, time(10), time(14), 45, ctx())
        return found.id


async def slots_of(sessions: SessionFactory, counsellor_id: int) -> list[Slot]:
    async with sessions() as session:
        found = await session.scalars(
            select(Slot).where(Slot.counsellor_id == counsellor_id).order_by(Slot.starts_at)
        )
        return list(found.all())


async def fresh(sessions: SessionFactory, workshop_id: int) -> Workshop:
    async with sessions() as session:
        found = await session.get(Workshop, workshop_id)
        assert found is not None
        return found


async def bookings_of(sessions: SessionFactory) -> list[Booking]:
    async with sessions() as session:
        return list((await session.scalars(select(Booking).order_by(Booking.id))).all())


async def notices(sessions: SessionFactory) -> list[Reminder]:
    async with sessions() as session:
        found = await session.scalars(
            select(Reminder).where(Reminder.booking_id.is_not(None)).order_by(Reminder.id)
        )
        return list(found.all())
