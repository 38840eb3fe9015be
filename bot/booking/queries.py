"""Queries on bookings, seats and slots. Each seat move is one conditional UPDATE.

Lock order, the same everywhere so that PostgreSQL never deadlocks: the person, then the
workshop (or slot), then booking rows. A "lock" is a no-op UPDATE of the row: on PostgreSQL it
holds that row until commit; on SQLite it starts the write transaction, which is exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.booking.models import (
    Booking,
    BookingStatus,
    Counsellor,
    Slot,
    SlotStatus,
    Workshop,
    WorkshopStatus,
    WorkshopText,
)
from bot.people.models import User

ACTIVE = (BookingStatus.BOOKED, BookingStatus.WAITING, BookingStatus.OFFERED)


# The statements every booking runs are built once, with their values bound at execution:
# building them (and their cache keys) per call took some 0.3 ms of a booking's 8 ms of CPU
# (bench/booking.py; take_seat's UPDATE alone ~150 µs). The two UPDATEs are Core on the
# tables: the ORM's UPDATE copies the statement on every execution (and computes its cache key
# again), for an identity map these do not touch (synchronize_session=False). The SQL is the
# same.
_USERS = cast(Table, User.__table__)
_WORKSHOPS = cast(Table, Workshop.__table__)
_LOCK_PERSON = (
    update(_USERS).where(_USERS.c.id == bindparam("user_id")).values(is_active=_USERS.c.is_active)
)


async def lock_person(session: AsyncSession, user_id: int) -> None:
    """One person's bookings one at a time: the overlap check then sees their last booking."""
    await session.execute(_LOCK_PERSON, {"user_id": user_id})


async def lock_workshop(session: AsyncSession, workshop_id: int) -> Workshop | None:
    """The workshop as it is now, held until commit (seat counts and the waitlist move)."""
    await session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(booked=Workshop.booked)
        .execution_options(synchronize_session=False)
    )
    return await fresh_workshop(session, workshop_id)


async def fresh_workshop(session: AsyncSession, workshop_id: int) -> Workshop | None:
    return await session.scalar(
        select(Workshop).where(Workshop.id == workshop_id).execution_options(populate_existing=True)
    )


_WAITING_ROW = aliased(Booking)
# A workshop's card in one statement, built once: the workshop as it is now, the person's row
# for it (if any), how many wait, and its text in one language (it was five statements; on
# SQLite each waits its turn on the one connection while everyone books the same workshop,
# bench/burst.py).
_CARD = (
    select(
        Workshop,
        Booking,
        select(func.count())
        .select_from(_WAITING_ROW)
        .where(
            _WAITING_ROW.workshop_id == Workshop.id,
            _WAITING_ROW.status == BookingStatus.WAITING,
        )
        .correlate(Workshop)
        .scalar_subquery(),
        WorkshopText,
    )
    .outerjoin(
        Booking,
        and_(Booking.workshop_id == Workshop.id, Booking.user_id == bindparam("user_id")),
    )
    .outerjoin(
        WorkshopText,
        and_(WorkshopText.workshop_id == Workshop.id, WorkshopText.locale == bindparam("locale")),
    )
    .where(Workshop.id == bindparam("workshop_id"))
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True)
class CardRows:
    workshop: Workshop
    mine: Booking | None  # the person's row for it, in whatever status
    waiting: int
    text: WorkshopText | None  # its title and description in `locale`, if it has them


def _overlaps(
    row: type[Booking], user_id: Any, starts_at: Any, ends_at: Any
) -> list[ColumnElement[bool]]:
    """The rule for a booking of this person that shares some time with [starts_at, ends_at)."""
    return [
        row.user_id == user_id,
        row.status == BookingStatus.BOOKED,
        row.starts_at < ends_at,
        row.ends_at > starts_at,
    ]


_OTHER = aliased(Booking)
# The card's rows, and the person's first booking that shares time with the workshop (as
# `overlapping` finds it): what booking a seat checks, in one statement instead of two.
_CARD_TO_BOOK = _CARD.add_columns(
    select(_OTHER.id)
    .where(*_overlaps(_OTHER, bindparam("user_id"), Workshop.starts_at, Workshop.ends_at))
    .order_by(_OTHER.starts_at)
    .limit(1)
    .correlate(Workshop)
    .scalar_subquery()
)


async def _card_row(
    session: AsyncSession, statement: Any, workshop_id: int, user_id: int, locale: str
) -> tuple[CardRows, tuple[Any, ...]] | None:
    """The card's rows, and what `statement` selects after them."""
    values = {"workshop_id": workshop_id, "user_id": user_id, "locale": locale}
    found = (await session.execute(statement, values)).first()
    if found is None:
        return None
    workshop, mine, waiting, text, *more = found
    return CardRows(workshop, mine, int(waiting or 0), text), tuple(more)


async def card(
    session: AsyncSession, workshop_id: int, user_id: int, locale: str
) -> CardRows | None:
    """A workshop as it is now, with what its card shows to one person (texts in `locale`)."""
    found = await _card_row(session, _CARD, workshop_id, user_id, locale)
    return found[0] if found is not None else None


async def card_to_book(
    session: AsyncSession, workshop_id: int, user_id: int, locale: str
) -> tuple[CardRows, int | None] | None:
    """The card's rows, and the id of the person's booking that overlaps the workshop if any."""
    found = await _card_row(session, _CARD_TO_BOOK, workshop_id, user_id, locale)
    if found is None:
        return None
    rows, (overlapping_id,) = found
    return rows, overlapping_id


_TAKE_SEAT = (
    update(_WORKSHOPS)
    .where(
        _WORKSHOPS.c.id == bindparam("workshop_id"),
        _WORKSHOPS.c.booked < _WORKSHOPS.c.capacity,
        _WORKSHOPS.c.status == WorkshopStatus.SCHEDULED,
        _WORKSHOPS.c.closes_at > bindparam("now"),
    )
    .values(booked=_WORKSHOPS.c.booked + 1)
    .returning(_WORKSHOPS.c.id)
)


async def take_seat(session: AsyncSession, workshop_id: int, now: datetime) -> bool:
    """A seat if one is free and booking is open. Of many at once, only as many as are free win."""
    taken = await session.scalar(_TAKE_SEAT, {"workshop_id": workshop_id, "now": now})
    return taken is not None


async def take_seat_by_hand(session: AsyncSession, workshop_id: int) -> bool:
    """A free seat, whatever the booking cut-off: staff seating someone by hand."""
    taken = await session.scalar(
        update(Workshop)
        .where(
            Workshop.id == workshop_id,
            Workshop.booked < Workshop.capacity,
            Workshop.status == WorkshopStatus.SCHEDULED,
        )
        .values(booked=Workshop.booked + 1)
        .returning(Workshop.id)
        .execution_options(synchronize_session=False)
    )
    return taken is not None


async def add_capacity(session: AsyncSession, workshop_id: int, delta: int) -> None:
    await session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(capacity=Workshop.capacity + delta)
        .execution_options(synchronize_session=False)
    )


async def add_seats(session: AsyncSession, workshop_id: int, delta: int) -> None:
    await session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(booked=Workshop.booked + delta)
        .execution_options(synchronize_session=False)
    )


async def take_slot(session: AsyncSession, slot_id: int, now: datetime) -> bool:
    taken = await session.scalar(
        update(Slot)
        .where(
            Slot.id == slot_id,
            Slot.taken.is_(False),
            Slot.status == SlotStatus.OPEN,
            Slot.starts_at > now,
        )
        .values(taken=True)
        .returning(Slot.id)
        .execution_options(synchronize_session=False)
    )
    return taken is not None


async def free_slot(session: AsyncSession, slot_id: int) -> None:
    await session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(taken=False)
        .execution_options(synchronize_session=False)
    )


async def set_status(
    session: AsyncSession, booking_id: int, old: Sequence[str], new: str, now: datetime
) -> bool:
    """Moves a booking from one of `old` to `new`; False when someone else moved it first."""
    changed = await session.scalar(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status.in_(list(old)))
        .values(status=new, updated_at=now)
        .returning(Booking.id)
        .execution_options(synchronize_session=False)
    )
    return changed is not None


async def get(session: AsyncSession, booking_id: int) -> Booking | None:
    return await session.scalar(
        select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
    )


async def for_workshop(session: AsyncSession, workshop_id: int, user_id: int) -> Booking | None:
    return await session.scalar(
        select(Booking)
        .where(Booking.workshop_id == workshop_id, Booking.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def for_slot(session: AsyncSession, slot_id: int) -> Booking | None:
    return await session.scalar(
        select(Booking)
        .where(Booking.slot_id == slot_id, Booking.status == BookingStatus.BOOKED)
        .execution_options(populate_existing=True)
    )


_OVERLAPPING_ANY = select(Booking).where(
    *_overlaps(Booking, bindparam("user_id"), bindparam("starts_at"), bindparam("ends_at"))
)
_OVERLAPPING = _OVERLAPPING_ANY.order_by(Booking.starts_at).limit(1)
_OVERLAPPING_BESIDES = (
    _OVERLAPPING_ANY.where(Booking.id != bindparam("besides")).order_by(Booking.starts_at).limit(1)
)


async def overlapping(
    session: AsyncSession,
    user_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    besides: int | None = None,
) -> Booking | None:
    """A booking of this person that shares some time with [starts_at, ends_at)."""
    values = {"user_id": user_id, "starts_at": starts_at, "ends_at": ends_at}
    if besides is None:
        return await session.scalar(_OVERLAPPING, values)
    return await session.scalar(_OVERLAPPING_BESIDES, {**values, "besides": besides})


async def first_waiting(session: AsyncSession, workshop_id: int) -> Booking | None:
    return await session.scalar(
        select(Booking)
        .where(Booking.workshop_id == workshop_id, Booking.status == BookingStatus.WAITING)
        .order_by(Booking.queued_at, Booking.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def of_workshop(
    session: AsyncSession, workshop_id: int, statuses: Sequence[str]
) -> Sequence[tuple[Booking, User]]:
    rows = await session.execute(
        select(Booking, User)
        .join(User, User.id == Booking.user_id)
        .where(Booking.workshop_id == workshop_id, Booking.status.in_(list(statuses)))
        .order_by(Booking.queued_at, Booking.id)
        .execution_options(populate_existing=True)
    )
    return [(b, u) for b, u in rows.all()]


async def counts(session: AsyncSession, workshop_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Bookings per workshop and status."""
    if not workshop_ids:
        return {}
    rows = await session.execute(
        select(Booking.workshop_id, Booking.status, func.count())
        .where(Booking.workshop_id.in_(list(workshop_ids)))
        .group_by(Booking.workshop_id, Booking.status)
    )
    found: dict[int, dict[str, int]] = {}
    for workshop_id, status, number in rows.all():
        if workshop_id is not None:
            found.setdefault(int(workshop_id), {})[str(status)] = int(number)
    return found


async def upcoming_of(
    session: AsyncSession, user_id: int, now: datetime
) -> Sequence[tuple[Booking, Workshop | None, Counsellor | None]]:
    rows = await session.execute(
        select(Booking, Workshop, Counsellor)
        .outerjoin(Workshop, Workshop.id == Booking.workshop_id)
        .outerjoin(Counsellor, Counsellor.id == Booking.counsellor_id)
        .where(
            Booking.user_id == user_id,
            Booking.status.in_(list(ACTIVE)),
            Booking.ends_at > now,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return [(b, w, c) for b, w, c in rows.all()]


async def all_of(session: AsyncSession, user_id: int) -> Sequence[Booking]:
    return (
        await session.scalars(
            select(Booking).where(Booking.user_id == user_id).order_by(Booking.starts_at)
        )
    ).all()


async def offers_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Booking]:
    return (
        await session.scalars(
            select(Booking)
            .where(Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at <= now)
            .order_by(Booking.offer_expires_at)
            .limit(limit)
        )
    ).all()


async def workshops_with_free_seats_and_waitlist(
    session: AsyncSession, now: datetime
) -> Sequence[int]:
    """A safety net: free seats while people wait should never last."""
    waiting = select(Booking.id).where(
        Booking.workshop_id == Workshop.id, Booking.status == BookingStatus.WAITING
    )
    return (
        await session.scalars(
            select(Workshop.id).where(
                Workshop.status == WorkshopStatus.SCHEDULED,
                Workshop.closes_at > now,
                Workshop.booked < Workshop.capacity,
                waiting.exists(),
            )
        )
    ).all()


async def of_counsellors_between(
    session: AsyncSession, counsellor_ids: Sequence[int], start: datetime, end: datetime
) -> Sequence[tuple[Booking, User, Counsellor]]:
    rows = await session.execute(
        select(Booking, User, Counsellor)
        .join(User, User.id == Booking.user_id)
        .join(Counsellor, Counsellor.id == Booking.counsellor_id)
        .where(
            Booking.counsellor_id.in_(list(counsellor_ids)),
            Booking.status == BookingStatus.BOOKED,
            and_(Booking.starts_at >= start, Booking.starts_at < end),
        )
        .order_by(Booking.starts_at)
    )
    return [(b, u, c) for b, u, c in rows.all()]
