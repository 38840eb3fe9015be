"""Booking rules: seats, the waitlist, counselling slots, overlaps, and the messages they cause.

Rules: one seat per person per workshop; no two bookings of one person at the same time; no
booking of a past, closed or cancelled event. Seats are taken by a conditional UPDATE, so of 200
people pressing "book" on the last seat exactly one gets it, on SQLite and PostgreSQL alike.

Waitlist: a freed seat stays counted as taken and is offered to the first person waiting. The
offer lasts 12 hours, or half the time left until the booking closes when that is shorter (so
the next person still has a chance); both counted on a clock that stops during the person's
quiet hours (the same hours that hold reminders back), so an offer sent at 21:04 does not run
out at 09:02 while they slept. An offer nobody takes passes to the next person. With nobody
waiting, or too little time left, the seat is simply free again.

Messages about a booking (reminders 24 and 2 hours before, offers, cancellations) are rows of
the reminders table, written in the same transaction as the change that causes them and sent by
the reminder sender: nothing is lost in a restart, nothing goes out twice.

A refusal (Refused, NotFound) may come after rows were written: the caller rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import queries as rows
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
from bot.clock import Clock
from bot.config import Settings
from bot.kit.errors import NotFound
from bot.people import directory
from bot.people import queries as users
from bot.people import rules as people
from bot.people.models import User
from bot.plans.models import Reminder, ReminderStatus
from bot.plans.reminders import ReminderRules, to_utc

# Reminder kinds of a booking (the reminders table's `kind`).
BEFORE_24H = "b24"
BEFORE_2H = "b2"
OFFER = "offer"  # a freed seat is yours if you take it
EXPIRED = "expired"  # the offer ran out
CALLED_OFF = "off"  # the workshop is cancelled / the counsellor is away
CHANGED = "changed"  # new time or place
RELEASED = "released"  # fewer seats: back on the waitlist
SEATED = "seated"  # staff gave them a seat from the waitlist
BEFORE = {BEFORE_24H: timedelta(hours=24), BEFORE_2H: timedelta(hours=2)}
NOTICES = (OFFER, EXPIRED, CALLED_OFF, CHANGED, RELEASED, SEATED)

OFFER_TIME = timedelta(hours=12)
MIN_OFFER_TIME = timedelta(minutes=10)
# Counselling can be booked and cancelled until an hour before.
COUNSELLING_CUTOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Context:
    now: datetime
    rules: ReminderRules
    default_tz: str


def context_for(settings: Settings, clock: Clock) -> Context:
    """A change made now, under the configured reminder rules and default time zone."""
    return Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)


class Refused(Exception):
    """A booking that the rules do not allow; the subclass says why."""


class Full(Refused):
    """No seat (or the slot is taken): the waitlist is offered."""


class AlreadyBooked(Refused):
    def __init__(self, booking: Booking) -> None:
        super().__init__("already")
        self.booking = booking


class Closed(Refused):
    """Past, cancelled, or after the booking cut-off."""


class Overlap(Refused):
    def __init__(self, other: Booking) -> None:
        super().__init__("overlap")
        self.other = other


# The calendar file's version


def calendar_issued(booking: Booking) -> None:
    """The person gets the booking's calendar file: its first version, or a new one after a
    cancellation that removed it from their phone."""
    booking.calendar_sequence = (
        0 if booking.calendar_sequence is None else (booking.calendar_sequence + 1)
    )


def calendar_changed(booking: Booking) -> None:
    """A new time or place, or a cancellation: the event the person has (if any) is replaced."""
    if booking.calendar_sequence is not None:
        booking.calendar_sequence += 1


# Who may see a workshop


def base_locale(locale: str) -> str:
    return locale.split("_")[0]


def visible_to(workshop: Workshop, user: User) -> bool:
    languages = [code for code in workshop.languages.split(",") if code]
    if languages and base_locale(user.locale) not in languages:
        return False
    return workshop.programme is None or workshop.programme == user.programme


async def _open_workshop(session: AsyncSession, user: User, workshop_id: int) -> Workshop:
    return _visible(await rows.fresh_workshop(session, workshop_id), user)


def _visible(workshop: Workshop | None, user: User) -> Workshop:
    # A cancelled workshop is as gone as a missing one: its buttons no longer work.
    if (
        workshop is None
        or workshop.status != WorkshopStatus.SCHEDULED
        or not visible_to(workshop, user)
    ):
        raise NotFound("workshop")
    return workshop


def _check_open(workshop: Workshop, now: datetime) -> None:
    if workshop.status != WorkshopStatus.SCHEDULED or workshop.closes_at <= now:
        raise Closed("closed")


# Workshops


async def book_workshop(
    session: AsyncSession,
    user: User,
    workshop_id: int,
    ctx: Context,
    *,
    announcement_id: int | None = None,
) -> Booking:
    await rows.lock_person(session, user.id)
    # The workshop, the person's row for it and their booking at the same time, if any, in one
    # statement (as its card reads them; the card's text is not needed here).
    found = await rows.card_to_book(session, workshop_id, user.id, user.locale)
    card, overlapping_id = found if found is not None else (None, None)
    workshop = _visible(card.workshop if card is not None else None, user)
    existing = card.mine if card is not None else None
    if existing is not None and existing.status in rows.ACTIVE:
        raise AlreadyBooked(existing)
    _check_open(workshop, ctx.now)
    if overlapping_id is not None:
        other = await rows.get(session, overlapping_id)
        assert other is not None  # the person is locked: their bookings stay as they are
        raise Overlap(other)
    booking = await _upsert_row(
        session, user, workshop, existing, BookingStatus.BOOKED, ctx.now, announcement_id
    )
    await sync_reminders(session, booking, user, ctx, new=existing is None)
    # The seat last: on PostgreSQL the workshop's row stays locked from here to the commit,
    # and 200 people pressing at once wait for each other only that long.
    if not await rows.take_seat(session, workshop.id, ctx.now):
        raise Full("full")
    return booking


async def join_waitlist(
    session: AsyncSession,
    user: User,
    workshop_id: int,
    ctx: Context,
    *,
    announcement_id: int | None = None,
) -> Booking:
    """A place in the queue; a seat straight away if one came free meanwhile."""
    await rows.lock_person(session, user.id)
    await _open_workshop(session, user, workshop_id)
    workshop = await rows.lock_workshop(session, workshop_id)
    assert workshop is not None
    existing = await rows.for_workshop(session, workshop.id, user.id)
    if existing is not None and existing.status in rows.ACTIVE:
        raise AlreadyBooked(existing)
    _check_open(workshop, ctx.now)
    await _no_overlap(session, user, workshop.starts_at, workshop.ends_at, None)
    if await rows.take_seat(session, workshop.id, ctx.now):
        booking = await _upsert_row(
            session, user, workshop, existing, BookingStatus.BOOKED, ctx.now, announcement_id
        )
        await sync_reminders(session, booking, user, ctx, new=existing is None)
        return booking
    return await _upsert_row(
        session, user, workshop, existing, BookingStatus.WAITING, ctx.now, announcement_id
    )


async def _upsert_row(
    session: AsyncSession,
    user: User,
    workshop: Workshop,
    existing: Booking | None,
    status: BookingStatus,
    now: datetime,
    announcement_id: int | None,
) -> Booking:
    """The person's one row for this workshop, made or revived (the person is locked).

    `announcement_id`: the announcement it was booked from, if any (an earlier one is kept).
    Set before the flush: set after it, it cost an UPDATE of the row just inserted."""
    if existing is None:
        existing = Booking(
            user_id=user.id,
            workshop_id=workshop.id,
            created_at=now,
        )
        session.add(existing)
    existing.starts_at, existing.ends_at = workshop.starts_at, workshop.ends_at
    existing.status = status
    if status == BookingStatus.BOOKED:
        calendar_issued(existing)
    existing.queued_at = now
    existing.offer_expires_at = None
    existing.attendance = None
    existing.updated_at = now
    existing.announcement_id = announcement_id or existing.announcement_id
    await session.flush()
    return existing


async def _no_overlap(
    session: AsyncSession,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    besides: int | None,
) -> None:
    other = await rows.overlapping(session, user.id, starts_at, ends_at, besides=besides)
    if other is not None:
        raise Overlap(other)


async def _own(session: AsyncSession, user: User, booking_id: int) -> Booking:
    booking = await rows.get(session, booking_id)
    # Someone else's booking looks exactly like a missing one.
    if booking is None or booking.user_id != user.id:
        raise NotFound("booking")
    return booking


async def cancel(session: AsyncSession, user: User, booking_id: int, ctx: Context) -> Booking:
    """The person cancels a seat, leaves the waitlist, declines an offer or cancels a slot."""
    await rows.lock_person(session, user.id)
    booking = await _own(session, user, booking_id)
    if booking.status not in rows.ACTIVE:
        raise NotFound("not active")
    if booking.workshop_id is not None:
        workshop = await rows.lock_workshop(session, booking.workshop_id)
        assert workshop is not None
        booking = await _own(session, user, booking_id)
        held = booking.status in (BookingStatus.BOOKED, BookingStatus.OFFERED)
        if booking.status == BookingStatus.BOOKED and workshop.closes_at <= ctx.now:
            raise Closed("after the cut-off")
        if not await rows.set_status(
            session, booking.id, rows.ACTIVE, BookingStatus.CANCELLED, ctx.now
        ):
            raise NotFound("moved meanwhile")
        if held:
            await free_seat(session, workshop, ctx)
    else:
        if booking.starts_at - COUNSELLING_CUTOFF <= ctx.now:
            raise Closed("too late")
        if not await rows.set_status(
            session, booking.id, [BookingStatus.BOOKED], BookingStatus.CANCELLED, ctx.now
        ):
            raise NotFound("moved meanwhile")
        if booking.slot_id is not None:
            await rows.free_slot(session, booking.slot_id)
    booking = await _own(session, user, booking_id)
    calendar_changed(booking)
    await sync_reminders(session, booking, user, ctx)
    return booking


async def accept_offer(session: AsyncSession, user: User, booking_id: int, ctx: Context) -> Booking:
    await rows.lock_person(session, user.id)
    booking = await _own(session, user, booking_id)
    if booking.status == BookingStatus.BOOKED:
        raise AlreadyBooked(booking)
    if booking.status != BookingStatus.OFFERED or booking.workshop_id is None:
        raise Closed("no offer")
    workshop = await rows.lock_workshop(session, booking.workshop_id)
    booking = await _own(session, user, booking_id)
    expires = booking.offer_expires_at
    if workshop is None or booking.status != BookingStatus.OFFERED or expires is None:
        raise Closed("no offer")
    if expires <= ctx.now or workshop.status != WorkshopStatus.SCHEDULED:
        raise Closed("offer over")
    await _no_overlap(session, user, booking.starts_at, booking.ends_at, booking.id)
    await rows.set_status(
        session, booking.id, [BookingStatus.OFFERED], BookingStatus.BOOKED, ctx.now
    )
    booking = await _own(session, user, booking_id)
    calendar_issued(booking)
    await sync_reminders(session, booking, user, ctx)
    return booking


async def free_seat(session: AsyncSession, workshop: Workshop, ctx: Context) -> Booking | None:
    """A seat came free (the workshop is locked): the next person waiting is offered it."""
    waiting = None
    if workshop.status == WorkshopStatus.SCHEDULED:
        waiting = await rows.first_waiting(session, workshop.id)
    holder = await users.get(session, waiting.user_id) if waiting is not None else None
    if (
        waiting is not None
        and holder is not None
        and await _offer(session, waiting, holder, workshop, ctx) is not None
    ):
        return waiting
    # Nobody waiting, or too late for any offer: the seat is simply free.
    await rows.add_seats(session, workshop.id, -1)
    return None


def offer_deadline(
    sent_at: datetime, closes_at: datetime, tz: str, rules: ReminderRules
) -> datetime | None:
    """When an offer sent at `sent_at` runs out: its time runs only outside the quiet hours."""
    left = rules.awake_between(sent_at, closes_at, tz)
    if left <= MIN_OFFER_TIME:
        return None
    return rules.after_awake(sent_at, min(OFFER_TIME, max(left / 2, MIN_OFFER_TIME)), tz)


def urgent_offer_deadline(sent_at: datetime, closes_at: datetime) -> datetime | None:
    """Too little waking time before the cut-off: the offer's time runs through the night."""
    left = closes_at - sent_at
    if left <= MIN_OFFER_TIME:
        return None
    return sent_at + min(OFFER_TIME, max(left / 2, MIN_OFFER_TIME))


async def _offer(
    session: AsyncSession, booking: Booking, holder: User, workshop: Workshop, ctx: Context
) -> datetime | None:
    tz = people.timezone_of(holder, ctx.default_tz)
    sent_at = quiet_adjusted(ctx.now, tz, ctx.rules)
    deadline = offer_deadline(sent_at, workshop.closes_at, tz, ctx.rules)
    if deadline is None:
        # The morning would be too late: an urgent offer goes out now.
        sent_at = ctx.now
        deadline = urgent_offer_deadline(sent_at, workshop.closes_at)
    if deadline is None:
        return None
    if not await rows.set_status(
        session, booking.id, [BookingStatus.WAITING], BookingStatus.OFFERED, ctx.now
    ):
        return None
    booking = await rows.get(session, booking.id) or booking
    booking.offer_expires_at = deadline
    await session.flush()
    await notice(session, booking, OFFER, sent_at)
    return deadline


async def expire_offers(session: AsyncSession, ctx: Context, limit: int = 100) -> int:
    """Offers nobody took pass to the next person; free seats with a waitlist are offered.

    All in the caller's one transaction; the scheduler rather commits each offer on its own
    (bot/scheduler.py booking_upkeep)."""
    moved = 0
    for booking_id in await due_offers(session, ctx.now, limit):
        moved += await expire_offer(session, booking_id, ctx)
    for workshop_id in await rows.workshops_with_free_seats_and_waitlist(session, ctx.now):
        moved += await fill_free_seats(session, workshop_id, ctx)
    return moved


async def due_offers(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    """Offers whose time is up, oldest first (read without locks: expire_offer checks again)."""
    return [b.id for b in await rows.offers_due(session, now, limit) if b.workshop_id is not None]


async def expire_offer(session: AsyncSession, booking_id: int, ctx: Context) -> int:
    """One offer nobody took: expired, and the seat offered to the next person. 1 if it moved.

    The workshop is locked first and the offer read again under the lock, so of two instances
    expiring the same offer at once exactly one passes the seat on (once); the other finds it
    expired already and does nothing.
    """
    found = await rows.get(session, booking_id)
    if found is None or found.workshop_id is None:
        return 0
    workshop = await rows.lock_workshop(session, found.workshop_id)
    current = await rows.get(session, booking_id)
    if workshop is None or current is None or current.status != BookingStatus.OFFERED:
        return 0
    if current.offer_expires_at is None or current.offer_expires_at > ctx.now:
        return 0
    if not await rows.set_status(
        session, current.id, [BookingStatus.OFFERED], BookingStatus.EXPIRED, ctx.now
    ):
        return 0
    await notice(session, current, EXPIRED, ctx.now)
    await free_seat(session, workshop, ctx)
    return 1


async def workshops_to_fill(session: AsyncSession, now: datetime) -> list[int]:
    """Workshops with a free seat while people wait (a safety net: fill_free_seats each)."""
    return list(await rows.workshops_with_free_seats_and_waitlist(session, now))


async def fill_free_seats(session: AsyncSession, workshop_id: int, ctx: Context) -> int:
    """Free seats go to the waitlist, first come first served (the workshop gets locked)."""
    workshop = await rows.lock_workshop(session, workshop_id)
    offered = 0
    while workshop is not None and workshop.booked < workshop.capacity:
        await rows.add_seats(session, workshop.id, 1)
        if await free_seat(session, workshop, ctx) is None:
            break  # nobody (left) to offer it to: the seat counted back as free
        offered += 1
        workshop = await rows.fresh_workshop(session, workshop_id)
    return offered


# Counselling


async def book_slot(
    session: AsyncSession, user: User, slot_id: int, service: str, ctx: Context
) -> Booking:
    await rows.lock_person(session, user.id)
    slot, counsellor = await _slot(session, slot_id, service)
    mine = await rows.for_slot(session, slot.id)
    if mine is not None and mine.user_id == user.id:
        raise AlreadyBooked(mine)
    if slot.starts_at - COUNSELLING_CUTOFF <= ctx.now:
        raise Closed("too late")
    await _no_overlap(session, user, slot.starts_at, slot.ends_at, None)
    booking = Booking(
        user_id=user.id,
        counsellor_id=counsellor.id,
        slot_id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=BookingStatus.BOOKED,
        queued_at=ctx.now,
        calendar_sequence=0,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(booking)
    await session.flush()
    await sync_reminders(session, booking, user, ctx)
    if not await rows.take_slot(session, slot.id, ctx.now):  # last, as for a seat
        raise Full("taken")
    return booking


async def _slot(session: AsyncSession, slot_id: int, service: str) -> tuple[Slot, Counsellor]:
    row = (
        await session.execute(
            select(Slot, Counsellor)
            .join(Counsellor, Counsellor.id == Slot.counsellor_id)
            .where(Slot.id == slot_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    # A slot of another service (or counsellor) is as good as no slot.
    if row is None or row[1].service != service or not row[1].active:
        raise NotFound("slot")
    slot, counsellor = row
    if slot.status != SlotStatus.OPEN:
        raise Closed("gone")
    return slot, counsellor


async def reschedule(
    session: AsyncSession, user: User, booking_id: int, slot_id: int, ctx: Context
) -> Booking:
    """Another time with the same counsellor: the new slot is taken before the old one goes."""
    await rows.lock_person(session, user.id)
    old = await _own(session, user, booking_id)
    if old.status != BookingStatus.BOOKED or old.counsellor_id is None:
        raise NotFound("not a counselling booking")
    if old.starts_at - COUNSELLING_CUTOFF <= ctx.now:
        raise Closed("too late")
    counsellor = await session.get(Counsellor, old.counsellor_id)
    assert counsellor is not None
    slot, new_counsellor = await _slot(session, slot_id, counsellor.service)
    if new_counsellor.id != counsellor.id:
        raise NotFound("another counsellor's slot")
    if slot.starts_at - COUNSELLING_CUTOFF <= ctx.now:
        raise Closed("too late")
    await _no_overlap(session, user, slot.starts_at, slot.ends_at, old.id)
    if not await rows.take_slot(session, slot.id, ctx.now):
        raise Full("taken")
    if old.slot_id is not None:
        await rows.free_slot(session, old.slot_id)
    old.slot_id, old.starts_at, old.ends_at = slot.id, slot.starts_at, slot.ends_at
    calendar_changed(old)
    old.updated_at = ctx.now
    await session.flush()
    await sync_reminders(session, old, user, ctx)
    return old


# Erasure


async def release_all(session: AsyncSession, user: User, ctx: Context) -> int:
    """Before someone's data is erased: their seats and slots go back (to the waitlist)."""
    await rows.lock_person(session, user.id)
    released = 0
    for booking in await rows.all_of(session, user.id):
        if booking.status not in rows.ACTIVE:
            continue
        if booking.workshop_id is not None:
            workshop = await rows.lock_workshop(session, booking.workshop_id)
            held = booking.status in (BookingStatus.BOOKED, BookingStatus.OFFERED)
            await rows.set_status(
                session, booking.id, rows.ACTIVE, BookingStatus.CANCELLED, ctx.now
            )
            if held and workshop is not None and workshop.starts_at > ctx.now:
                await free_seat(session, workshop, ctx)
        else:
            await rows.set_status(
                session, booking.id, [BookingStatus.BOOKED], BookingStatus.CANCELLED, ctx.now
            )
            if booking.slot_id is not None:
                await rows.free_slot(session, booking.slot_id)
        released += 1
    return released


# Messages about a booking


def quiet_adjusted(now: datetime, tz: str, rules: ReminderRules) -> datetime:
    local = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    moved = rules.out_of_quiet(local)
    return now if moved == local else max(now, to_utc(moved, tz))


def planned(
    starts_at: datetime, tz: str, rules: ReminderRules, now: datetime
) -> dict[str, datetime]:
    """The reminders 24 h and 2 h before. One that falls in the quiet hours moves to their end if
    that is still before the event, else it is dropped; a 24 h one moved past the 2 h one too."""
    moments: dict[str, datetime] = {}
    for kind, before in BEFORE.items():
        moment = quiet_adjusted(starts_at - before, tz, rules)
        if now < moment < starts_at:
            moments[kind] = moment
    early, late = moments.get(BEFORE_24H), moments.get(BEFORE_2H)
    if early is not None and late is not None and early >= late:
        del moments[BEFORE_24H]
    return moments


async def sync_reminders(
    session: AsyncSession, booking: Booking, user: User, ctx: Context, *, new: bool = False
) -> None:
    """The 24 h and 2 h reminders in step with the booking: planned, moved or cancelled.

    `new`: the booking row was inserted in this transaction, so it has no reminders to read.
    """
    tz = people.timezone_of(user, ctx.default_tz)
    want = (
        planned(booking.starts_at, tz, ctx.rules, ctx.now)
        if booking.status == BookingStatus.BOOKED
        else {}
    )
    if new:
        # Nothing to move or cancel: the rows go in one INSERT, not as objects the ORM keeps
        # track of (nobody reads them in this transaction), which SQLite got one at a time.
        added = [
            _reminder_values(booking, kind, moment)
            for kind in BEFORE
            if (moment := want.get(kind)) is not None
        ]
        if added:
            await session.execute(_NEW_REMINDERS, added)
        await session.flush()
        return
    existing = {
        r.kind: r
        for r in (
            await session.scalars(
                select(Reminder).where(
                    Reminder.booking_id == booking.id, Reminder.kind.in_(list(BEFORE))
                )
            )
        ).all()
    }
    for kind in BEFORE:
        row, moment = existing.get(kind), want.get(kind)
        if moment is None:
            if row is not None and row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.CANCELLED
            continue
        if row is None:
            session.add(_reminder(booking, kind, moment))
        elif row.scheduled_at != moment or row.status != ReminderStatus.PENDING:
            if row.status == ReminderStatus.SENT and row.scheduled_at == moment:
                continue
            _revive(row, moment)
    await session.flush()


async def notice(session: AsyncSession, booking: Booking, kind: str, when: datetime) -> None:
    """A one-off message about this booking, sent by the reminder sender at `when`."""
    row = await session.scalar(
        select(Reminder).where(Reminder.booking_id == booking.id, Reminder.kind == kind)
    )
    if row is None:
        session.add(_reminder(booking, kind, when))
    else:
        _revive(row, when)
    await session.flush()


def _reminder(booking: Booking, kind: str, moment: datetime) -> Reminder:
    return Reminder(**_reminder_values(booking, kind, moment))


def _reminder_values(booking: Booking, kind: str, moment: datetime) -> dict[str, Any]:
    return {
        "user_id": booking.user_id,
        "booking_id": booking.id,
        "kind": kind,
        "scheduled_at": moment,
        "due_at": moment,
        "status": ReminderStatus.PENDING,
        "attempts": 0,
    }


# A new booking's reminders, in one statement (Core on the table: executemany).
_NEW_REMINDERS = insert(cast(Table, Reminder.__table__))


def _revive(row: Reminder, moment: datetime) -> None:
    """Due again at `moment`, and no longer claimed: a sender holding the old one drops it."""
    row.scheduled_at = moment
    row.due_at = moment
    row.status = ReminderStatus.PENDING
    row.attempts = 0
    row.sent_at = None
    row.claim = None


def notice_moment(now: datetime, starts_at: datetime, tz: str, rules: ReminderRules) -> datetime:
    """After the quiet hours, unless the event would have begun by then."""
    moment = quiet_adjusted(now, tz, rules)
    return moment if moment < starts_at else now


async def tell(
    session: AsyncSession, booking: Booking, user: User, kind: str, ctx: Context
) -> None:
    tz = people.timezone_of(user, ctx.default_tz)
    await notice(session, booking, kind, notice_moment(ctx.now, booking.starts_at, tz, ctx.rules))


def still_relevant(kind: str, booking: Booking, now: datetime) -> bool:
    """Whether a claimed booking message still makes sense (the sender asks before sending)."""
    if kind in BEFORE:
        return booking.status == BookingStatus.BOOKED and now < booking.starts_at
    if kind == OFFER:
        expires = booking.offer_expires_at
        return booking.status == BookingStatus.OFFERED and expires is not None and now < expires
    if kind == CALLED_OFF:
        return booking.status == BookingStatus.CALLED_OFF
    if kind == RELEASED:
        return booking.status == BookingStatus.WAITING and now < booking.starts_at
    if kind == EXPIRED:
        return booking.status == BookingStatus.EXPIRED
    return booking.status == BookingStatus.BOOKED and now < booking.ends_at


# What a person has


@dataclass(frozen=True)
class Item:
    booking: Booking
    workshop: Workshop | None
    counsellor: Counsellor | None


async def upcoming(session: AsyncSession, user: User, now: datetime) -> list[Item]:
    return [Item(b, w, c) for b, w, c in await rows.upcoming_of(session, user.id, now)]


async def item(session: AsyncSession, user: User, booking_id: int) -> Item:
    booking = await _own(session, user, booking_id)
    workshop = await session.get(Workshop, booking.workshop_id) if booking.workshop_id else None
    counsellor = (
        await session.get(Counsellor, booking.counsellor_id) if booking.counsellor_id else None
    )
    return Item(booking, workshop, counsellor)


async def message_item(
    session: AsyncSession, booking_id: int
) -> tuple[Item, list[WorkshopText]] | None:
    """What a message about this booking needs, for whoever it belongs to."""
    found = await rows.get(session, booking_id)
    if found is None:
        return None
    workshop = await session.get(Workshop, found.workshop_id) if found.workshop_id else None
    counsellor = await session.get(Counsellor, found.counsellor_id) if found.counsellor_id else None
    texts: list[WorkshopText] = []
    if workshop is not None:
        texts = list(
            (
                await session.scalars(
                    select(WorkshopText).where(WorkshopText.workshop_id == workshop.id)
                )
            ).all()
        )
    return Item(found, workshop, counsellor), texts


async def export(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    found = []
    for booking in await rows.all_of(session, user.id):
        found.append(
            {
                "what": "workshop" if booking.workshop_id else "counselling",
                "workshop_id": booking.workshop_id,
                "counsellor_id": booking.counsellor_id,
                "starts_at": booking.starts_at.isoformat(),
                "ends_at": booking.ends_at.isoformat(),
                "status": booking.status,
                "attendance": booking.attendance,
                "booked_at": booking.created_at.isoformat(),
            }
        )
    return found


async def upcoming_for(
    session: AsyncSession, viewer: User, person_id: int, now: datetime
) -> list[Item]:
    """A person's coming bookings for the desk: staff, or the young person's mentor."""
    person = await directory.visible_person(session, viewer, person_id)
    return await upcoming(session, person, now)
