"""Counselling hours: counsellors, their weekly hours and time off, and the slots made from them.

Slots exist as rows for the coming weeks (SLOT_WEEKS), made from the weekly hours in the
counsellor's time zone, minus time off. Every change to the hours or time off, and an hourly
job, bring the rows in step: missing slots are added, slots no longer wanted are removed, and a
removed slot that someone had booked calls that booking off and tells the person.

A counsellor is a record with a name and a service. It may be linked to a Putokaz account
(staff or mentor): that person then sees their day's bookings with /today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import queries as rows
from bot.booking import rules as booking
from bot.booking.models import (
    Availability,
    Booking,
    BookingStatus,
    CounsellingChange,
    Counsellor,
    Slot,
    SlotStatus,
    TimeOff,
)
from bot.booking.rules import COUNSELLING_CUTOFF, Context
from bot.db.upsert import insert_ignoring_conflicts
from bot.kit.change_log import ChangeLog
from bot.kit.data_files import N_
from bot.kit.errors import NotAllowed, NotFound, Reason, Unfit
from bot.people import queries as users
from bot.people.models import Role, User
from bot.people.profile import CITIES, zone_of_city
from bot.people.roles import require
from bot.plans.reminders import to_utc

# The town filter's key for counsellors without a place (as the workshops' filter has it).
ONLINE = "online"

SERVICES = ("career", "psychological", "legal", "social")
TIME_OFF_REASONS = ("holiday", "sick", "other")
SLOT_WEEKS = 4
SLOT_MINUTES = (30, 45, 60, 90)
NAME_LIMIT = 100
PLACE_LIMIT = 300


def clean(text: str | None, limit: int) -> str | None:
    cleaned = " ".join((text or "").split())
    return cleaned[:limit] or None


# What staff type or pick in the counselling forms, checked and converted here


def _typed(text: str | None, limit: int) -> str:
    cleaned = clean(text, limit + 1)
    if cleaned is None:
        raise Unfit(Reason.EMPTY)
    if len(cleaned) > limit:
        raise Unfit(Reason.TOO_LONG, limit)
    return cleaned


def typed_name(text: str | None) -> str:
    return _typed(text, NAME_LIMIT)


def typed_place(text: str | None, online: bool) -> str:
    """An address, or for an online counsellor the link people join with."""
    place = _typed(text, PLACE_LIMIT)
    if online and not place.startswith(("https://", "http://")):
        raise Unfit(Reason.NOT_A_LINK)
    return place


def _clock(text: str) -> time:
    try:
        return datetime.strptime(text.strip().replace(".", ":"), "%H:%M").time()
    except ValueError:
        raise Unfit(Reason.NOT_HOURS) from None


def typed_hours(text: str | None) -> tuple[time, time]:
    """Hours of a day typed as 10:00-14:00 (or 10.00–14.00): the start before the end."""
    parts = (text or "").replace("–", "-").split("-")
    if len(parts) != 2:
        raise Unfit(Reason.NOT_HOURS)
    start, end = _clock(parts[0]), _clock(parts[1])
    if end <= start:
        raise Unfit(Reason.END_FIRST)
    return start, end


def check_first_day(day: date, today: date) -> date:
    if day < today:
        raise Unfit(Reason.PAST_DAY)
    return day


def check_last_day(first: date, last: date) -> date:
    if last < first:
        raise Unfit(Reason.BEFORE_FIRST)
    return last


# Counsellors


async def create_counsellor(
    session: AsyncSession,
    actor: User | None,
    *,
    service: str,
    name: str,
    user_id: int | None,
    city: str | None,
    address: str | None,
    online_url: str | None,
    timezone: str,
    now: datetime,
    ref: str | None = None,
) -> Counsellor:
    if actor is not None:
        require(actor, Role.STAFF)
    problems = counsellor_problems(service, name, city, address, online_url)
    if problems:
        raise ValueError("; ".join(problems))
    if user_id is not None:
        linked = await users.get(session, user_id)
        if linked is None or linked.role not in (Role.STAFF, Role.MENTOR):
            raise ValueError("a counsellor's account must be staff or a mentor")
    counsellor = Counsellor(
        ref=ref,
        service=service,
        name=clean(name, NAME_LIMIT) or "",
        user_id=user_id,
        city=city,
        address=clean(address, 300),
        online_url=clean(online_url, 300),
        timezone=timezone,
        active=True,
        created_at=now,
    )
    session.add(counsellor)
    await session.flush()
    await record(session, counsellor.id, actor, "created", "", now)
    return counsellor


Finding = tuple[str, dict[str, object]]  # an English template marked for translation, values


def counsellor_problems(
    service: str, name: str | None, city: str | None, address: str | None, online: str | None
) -> list[str]:
    return [
        text.format(**values)
        for text, values in counsellor_findings(service, name, city, address, online)
    ]


def counsellor_findings(
    service: str, name: str | None, city: str | None, address: str | None, online: str | None
) -> list[Finding]:
    """What is wrong, for the import's report to word in the reader's language."""
    found: list[Finding] = []
    if service not in SERVICES:
        found.append(
            (
                N_("service {value!r} is not one of {choices}"),
                {"value": service, "choices": ", ".join(SERVICES)},
            )
        )
    if not clean(name, NAME_LIMIT):
        found.append((N_("the name is empty"), {}))
    if city is not None and city not in CITIES:
        found.append(
            (
                N_("city {value!r} is not one of {choices}"),
                {"value": city, "choices": ", ".join(CITIES)},
            )
        )
    if city is None and not online:
        found.append((N_("give a city and address, or an online link"), {}))
    if city is not None and not address:
        found.append((N_("a counsellor in a city needs an address"), {}))
    if online and not online.startswith(("https://", "http://")):
        found.append((N_("the online link must start with https://"), {}))
    return found


async def counsellor(session: AsyncSession, actor: User, counsellor_id: int) -> Counsellor:
    require(actor, Role.STAFF)
    found = await session.get(Counsellor, counsellor_id)
    if found is None:
        raise NotFound("counsellor")
    return found


async def all_counsellors(session: AsyncSession, actor: User) -> Sequence[Counsellor]:
    require(actor, Role.STAFF)
    return (
        await session.scalars(
            select(Counsellor).order_by(Counsellor.service, Counsellor.name, Counsellor.id)
        )
    ).all()


async def set_active(
    session: AsyncSession, actor: User, counsellor_id: int, active: bool, ctx: Context
) -> int:
    found = await counsellor(session, actor, counsellor_id)
    found.active = active
    await session.flush()
    await record(session, found.id, actor, "active" if active else "paused", "", ctx.now)
    return await sync_slots(session, found, ctx)


async def link(
    session: AsyncSession, actor: User, counsellor_id: int, user_id: int | None, now: datetime
) -> None:
    found = await counsellor(session, actor, counsellor_id)
    if user_id is not None:
        linked = await users.get(session, user_id)
        if linked is None or linked.role not in (Role.STAFF, Role.MENTOR):
            raise NotFound("account")
    if found.user_id == user_id:
        return  # saved unchanged: nothing to record
    found.user_id = user_id
    await session.flush()
    # Which account is not written: its owner may leave, and their id would stay here.
    await record(session, found.id, actor, "linked" if user_id else "unlinked", "", now)


CHANGE_LOG = ChangeLog(CounsellingChange, CounsellingChange.counsellor_id)
record = CHANGE_LOG.record


async def history(
    session: AsyncSession, actor: User, counsellor_id: int
) -> list[tuple[CounsellingChange, User | None]]:
    """The latest changes of a counsellor, newest first, with who made them."""
    await counsellor(session, actor, counsellor_id)
    return await CHANGE_LOG.latest(session, counsellor_id)


async def changes_made_by(session: AsyncSession, user: User) -> list[dict[str, str]]:
    """For /mydata: what this person changed about counsellors (their own actions only)."""
    return await CHANGE_LOG.mydata(session, user)


def hours_detail(weekday: int, start: time, end: time, slot_minutes: int) -> str:
    """Read back by the desk page: weekday, start, end and slot length, space separated."""
    return f"{weekday} {start:%H:%M} {end:%H:%M} {slot_minutes}"


def time_off_detail(first: date, last: date, reason: str) -> str:
    return f"{first.isoformat()} {last.isoformat()} {reason}"


async def linkable(session: AsyncSession, actor: User) -> Sequence[User]:
    """Staff and mentors: who a counsellor record may be linked to."""
    require(actor, Role.STAFF)
    return (
        await session.scalars(
            select(User)
            .where(User.role.in_([Role.STAFF, Role.MENTOR]), User.consent_at.is_not(None))
            .order_by(User.display_name, User.id)
            .limit(40)
        )
    ).all()


# Weekly hours and time off


@dataclass(frozen=True)
class Schedule:
    counsellor: Counsellor
    hours: list[Availability]
    time_off: list[TimeOff]


async def schedule(session: AsyncSession, counsellor_id: int) -> Schedule:
    found = await session.get(Counsellor, counsellor_id)
    if found is None:
        raise NotFound("counsellor")
    hours = (
        await session.scalars(
            select(Availability)
            .where(Availability.counsellor_id == counsellor_id)
            .order_by(Availability.weekday, Availability.start)
        )
    ).all()
    off = (
        await session.scalars(
            select(TimeOff)
            .where(TimeOff.counsellor_id == counsellor_id)
            .order_by(TimeOff.first_day)
        )
    ).all()
    return Schedule(found, list(hours), list(off))


def hours_problems(
    weekday: int, start: time, end: time, slot_minutes: int, others: Sequence[Availability]
) -> list[str]:
    return [
        text.format(**values)
        for text, values in hours_findings(weekday, start, end, slot_minutes, others)
    ]


def hours_findings(
    weekday: int, start: time, end: time, slot_minutes: int, others: Sequence[Availability]
) -> list[Finding]:
    found: list[Finding] = []
    if not 0 <= weekday <= 6:
        found.append((N_("weekday must be 0 (Monday) to 6 (Sunday)"), {}))
    if not 10 <= slot_minutes <= 240:
        found.append((N_("slots are 10 to 240 minutes long"), {}))
    if end <= start:
        found.append((N_("the hours end before they start"), {}))
    elif datetime.combine(date.min, end) - datetime.combine(date.min, start) < timedelta(
        minutes=slot_minutes
    ):
        found.append((N_("the hours are shorter than one slot"), {}))
    for other in others:
        if other.weekday == weekday and other.start < end and start < other.end:
            found.append((N_("these hours overlap hours already given for that day"), {}))
    return found


async def add_hours(
    session: AsyncSession,
    actor: User | None,
    counsellor_id: int,
    weekday: int,
    start: time,
    end: time,
    slot_minutes: int,
    ctx: Context,
) -> int:
    """Returns how many booked people are told about a change (none for new hours)."""
    if actor is not None:
        require(actor, Role.STAFF)
    current = await schedule(session, counsellor_id)
    problems = hours_problems(weekday, start, end, slot_minutes, current.hours)
    if problems:
        raise ValueError("; ".join(problems))
    session.add(
        Availability(
            counsellor_id=counsellor_id,
            weekday=weekday,
            start=start,
            end=end,
            slot_minutes=slot_minutes,
        )
    )
    await session.flush()
    detail = hours_detail(weekday, start, end, slot_minutes)
    await record(session, counsellor_id, actor, "hours_added", detail, ctx.now)
    return await sync_slots(session, current.counsellor, ctx)


async def remove_hours(session: AsyncSession, actor: User, hours_id: int, ctx: Context) -> int:
    require(actor, Role.STAFF)
    found = await session.get(Availability, hours_id)
    if found is None:
        raise NotFound("hours")
    owner = await session.get(Counsellor, found.counsellor_id)
    detail = hours_detail(found.weekday, found.start, found.end, found.slot_minutes)
    await session.delete(found)
    await session.flush()
    await record(session, found.counsellor_id, actor, "hours_removed", detail, ctx.now)
    return await sync_slots(session, owner, ctx) if owner else 0


async def add_time_off(
    session: AsyncSession,
    actor: User | None,
    counsellor_id: int,
    first_day: date,
    last_day: date,
    reason: str,
    ctx: Context,
) -> int:
    """Returns how many booked people are told their appointment is off."""
    if actor is not None:
        require(actor, Role.STAFF)
    if reason not in TIME_OFF_REASONS or last_day < first_day:
        raise ValueError("time off needs a known reason and a last day after the first")
    current = await schedule(session, counsellor_id)
    session.add(
        TimeOff(
            counsellor_id=counsellor_id,
            first_day=first_day,
            last_day=last_day,
            reason=reason,
            created_at=ctx.now,
        )
    )
    await session.flush()
    detail = time_off_detail(first_day, last_day, reason)
    await record(session, counsellor_id, actor, "time_off", detail, ctx.now)
    return await sync_slots(session, current.counsellor, ctx)


@dataclass(frozen=True)
class Affected:
    """An appointment that time off would call off: who booked it and when it starts."""

    name: str
    starts_at: datetime


async def affected_by_time_off(
    session: AsyncSession, actor: User, counsellor_id: int, first: date, last: date, now: datetime
) -> list[Affected]:
    """The booked appointments still to come on the counsellor's days from `first` to `last`."""
    found = await counsellor(session, actor, counsellor_id)
    zone = ZoneInfo(found.timezone)
    booked = await session.execute(
        select(Booking.starts_at, User.display_name)
        .join(User, User.id == Booking.user_id)
        .where(
            Booking.counsellor_id == counsellor_id,
            Booking.status == BookingStatus.BOOKED,
            Booking.starts_at > now,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return [
        Affected(name or "", starts_at)
        for starts_at, name in booked.all()
        if first <= starts_at.astimezone(zone).date() <= last
    ]


async def remove_time_off(
    session: AsyncSession, actor: User, time_off_id: int, ctx: Context
) -> None:
    require(actor, Role.STAFF)
    found = await session.get(TimeOff, time_off_id)
    if found is None:
        raise NotFound("time off")
    owner = await session.get(Counsellor, found.counsellor_id)
    detail = time_off_detail(found.first_day, found.last_day, found.reason)
    await session.delete(found)
    await session.flush()
    await record(session, found.counsellor_id, actor, "time_off_removed", detail, ctx.now)
    if owner is not None:
        await sync_slots(session, owner, ctx)


# Slots


def wanted_slots(
    hours: Sequence[Availability],
    time_off: Sequence[TimeOff],
    tz: str,
    now: datetime,
    weeks: int = SLOT_WEEKS,
) -> dict[datetime, datetime]:
    """Start -> end (UTC) of every slot from now to `weeks` ahead."""
    today = now.astimezone(ZoneInfo(tz)).date()
    slots: dict[datetime, datetime] = {}
    for offset in range(weeks * 7 + 1):
        day = today + timedelta(days=offset)
        if any(off.first_day <= day <= off.last_day for off in time_off):
            continue
        for rule in hours:
            if rule.weekday != day.weekday():
                continue
            start = datetime.combine(day, rule.start)
            end = datetime.combine(day, rule.end)
            step = timedelta(minutes=rule.slot_minutes)
            while start + step <= end:
                begins = to_utc(start, tz)
                if begins > now:
                    slots[begins] = to_utc(start + step, tz)
                start += step
    return slots


async def sync_slots(session: AsyncSession, counsellor: Counsellor, ctx: Context) -> int:
    """Slot rows in step with the hours and time off; returns how many booked people are told."""
    current = await schedule(session, counsellor.id)
    want = (
        wanted_slots(current.hours, current.time_off, counsellor.timezone, ctx.now)
        if counsellor.active
        else {}
    )
    existing = (
        await session.scalars(
            select(Slot)
            .where(Slot.counsellor_id == counsellor.id, Slot.starts_at > ctx.now)
            .execution_options(populate_existing=True)
        )
    ).all()
    told = 0
    for slot in existing:
        ends = want.pop(slot.starts_at, None)
        if ends is not None:
            if slot.status == SlotStatus.REMOVED or (slot.ends_at != ends and not slot.taken):
                slot.status, slot.ends_at = SlotStatus.OPEN, ends
            continue
        if slot.taken and not counsellor.active:
            continue  # a pause offers no new times but keeps the appointments made
        if slot.status == SlotStatus.OPEN:
            slot.status = SlotStatus.REMOVED
        if slot.taken:
            told += await _call_off(session, slot, ctx)
    if want:
        await session.execute(
            insert_ignoring_conflicts(session, Slot, ["counsellor_id", "starts_at"]),
            [
                {
                    "counsellor_id": counsellor.id,
                    "starts_at": start,
                    "ends_at": end,
                    "status": SlotStatus.OPEN,
                    "taken": False,
                }
                for start, end in sorted(want.items())
            ],
        )
    await session.flush()
    return told


async def _call_off(session: AsyncSession, slot: Slot, ctx: Context) -> int:
    slot.taken = False
    item = await rows.for_slot(session, slot.id)
    if item is None:
        return 0
    await rows.set_status(
        session, item.id, [BookingStatus.BOOKED], BookingStatus.CALLED_OFF, ctx.now
    )
    item = await rows.get(session, item.id) or item
    booking.calendar_changed(item)
    person = await users.get(session, item.user_id)
    if person is None:
        return 0
    await booking.sync_reminders(session, item, person, ctx)
    await booking.tell(session, item, person, booking.CALLED_OFF, ctx)
    return 1


async def sync_all(session: AsyncSession, ctx: Context) -> int:
    """The hourly job: slots roll forward a day at a time."""
    told = 0
    for found in (await session.scalars(select(Counsellor))).all():
        told += await sync_slots(session, found, ctx)
    return told


# What young people see


async def _open_slots(
    session: AsyncSession,
    user: User,
    service: str,
    start: datetime,
    end: datetime,
    now: datetime,
    counsellor_id: int | None = None,
    town: str = "",
) -> list[tuple[Slot, Counsellor]]:
    query = (
        select(Slot, Counsellor)
        .join(Counsellor, Counsellor.id == Slot.counsellor_id)
        .where(
            Counsellor.service == service,
            Counsellor.active.is_(True),
            Slot.status == SlotStatus.OPEN,
            Slot.taken.is_(False),
            Slot.starts_at > max(start, now + COUNSELLING_CUTOFF),
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at, Counsellor.name)
    )
    if counsellor_id is not None:
        query = query.where(Counsellor.id == counsellor_id)
    if town == ONLINE:
        query = query.where(Counsellor.city.is_(None))
    elif town:
        query = query.where(Counsellor.city == town)
    found = [(s, c) for s, c in (await session.execute(query)).all()]
    if town or counsellor_id is not None:
        return found
    # In the person's town or online; everyone's when the person has not said where they live.
    return [(s, c) for s, c in found if user.city is None or c.city in (None, user.city)]


async def free_days(
    session: AsyncSession,
    user: User,
    service: str,
    tz: str,
    now: datetime,
    counsellor_id: int | None = None,
    town: str = "",
) -> set[date]:
    """Local days (in `tz`) with at least one free slot, from now to the end of the slots made."""
    horizon = now + timedelta(weeks=SLOT_WEEKS + 1)
    slots = await _open_slots(session, user, service, now, horizon, now, counsellor_id, town)
    zone = ZoneInfo(tz)
    return {slot.starts_at.astimezone(zone).date() for slot, _c in slots}


async def free_slots(
    session: AsyncSession,
    user: User,
    service: str,
    day: date,
    tz: str,
    now: datetime,
    counsellor_id: int | None = None,
    town: str = "",
) -> list[tuple[Slot, Counsellor]]:
    start = to_utc(datetime.combine(day, time(0)), tz)
    end = to_utc(datetime.combine(day + timedelta(days=1), time(0)), tz)
    return await _open_slots(session, user, service, start, end, now, counsellor_id, town)


async def towns_of(session: AsyncSession, service: str) -> list[str]:
    """Where a service's counsellors meet people: towns in CITIES' order, then ONLINE."""
    found = set(
        (
            await session.scalars(
                select(Counsellor.city).where(
                    Counsellor.service == service, Counsellor.active.is_(True)
                )
            )
        ).all()
    )
    towns = [key for key in CITIES if key in found]
    return towns + ([ONLINE] if None in found else [])


def town_zone(town: str, fallback: str) -> str:
    """The zone a town's hours are shown in; online hours in the reader's (`fallback`)."""
    return zone_of_city(town) or fallback


async def services_offered(session: AsyncSession) -> list[str]:
    found = set(
        (await session.scalars(select(Counsellor.service).where(Counsellor.active.is_(True)))).all()
    )
    return [s for s in SERVICES if s in found]


# Counsellors' own view


async def linked_counsellors(session: AsyncSession, user: User) -> Sequence[Counsellor]:
    if user.role not in (Role.STAFF, Role.MENTOR):
        return []
    return (await session.scalars(select(Counsellor).where(Counsellor.user_id == user.id))).all()


async def check_counsellor_of(session: AsyncSession, actor: User, item: Booking) -> None:
    if actor.role == Role.STAFF:
        return
    mine = {c.id for c in await linked_counsellors(session, actor)}
    if item.counsellor_id not in mine:
        raise NotAllowed("not their booking")


def day_zone(mine: Sequence[Counsellor]) -> str:
    """The clock that says which day a counsellor's "today" is: their place's, not the reader's
    (a counsellor in Sofia read from Belgrade starts the day at Sofia's midnight). Linked to
    counsellors in several zones: the first one's (by id)."""
    return min(mine, key=lambda c: c.id).timezone


async def counsellor_today(session: AsyncSession, actor: User, now: datetime) -> tuple[date, str]:
    """Today in the zone of the counsellor(s) `actor` is linked to, and that zone."""
    mine = await linked_counsellors(session, actor)
    if not mine:
        raise NotAllowed("not a counsellor")
    zone = day_zone(mine)
    return now.astimezone(ZoneInfo(zone)).date(), zone


async def day_bookings(
    session: AsyncSession, actor: User, day: date
) -> list[tuple[Booking, User, Counsellor]]:
    """The appointments of the counsellors `actor` is linked to on `day`, each counsellor's
    day by their own place's clock."""
    mine = await linked_counsellors(session, actor)
    if not mine:
        raise NotAllowed("not a counsellor")
    found: list[tuple[Booking, User, Counsellor]] = []
    for zone in sorted({c.timezone for c in mine}):
        start = to_utc(datetime.combine(day, time(0)), zone)
        end = to_utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
        ids = [c.id for c in mine if c.timezone == zone]
        found += await rows.of_counsellors_between(session, ids, start, end)
    return sorted(found, key=lambda row: (row[0].starts_at, row[0].id))


async def bookings_between(
    session: AsyncSession, actor: User, counsellor_id: int, first: date, days: int
) -> list[tuple[Booking, User, Counsellor]]:
    """One counsellor's appointments on `days` days from `first` (their time zone): staff."""
    found = await counsellor(session, actor, counsellor_id)
    start = to_utc(datetime.combine(first, time(0)), found.timezone)
    end = to_utc(datetime.combine(first + timedelta(days=days), time(0)), found.timezone)
    return list(await rows.of_counsellors_between(session, [found.id], start, end))


async def counselling_booking(session: AsyncSession, actor: User, booking_id: int) -> Booking:
    """A counselling appointment that staff, or its own counsellor, may mark."""
    item = await rows.get(session, booking_id)
    if item is None or item.counsellor_id is None:
        raise NotFound("booking")
    try:
        await check_counsellor_of(session, actor, item)
    except NotAllowed:
        raise NotFound("booking") from None
    return item
