"""Workshops as staff run them and young people find them.

Cancelling a workshop calls off every booking and waitlist place, and each person is told.
Fewer seats than booked: seats held for a waitlist offer are withdrawn first, then the latest
bookings lose their seats; those people go back to the front of the waitlist (they booked before
anyone now waiting joined it) and are told. More seats: the waitlist is offered them in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import queries as rows
from bot.booking import rules as booking
from bot.booking.models import (
    Booking,
    BookingStatus,
    Workshop,
    WorkshopChange,
    WorkshopStatus,
    WorkshopText,
)
from bot.booking.rules import Context
from bot.i18n.latin import latin_if_serbian
from bot.i18n.locales import BG, EN, SR_CYRL, SR_LATN
from bot.kit.change_log import ChangeLog
from bot.kit.data_files import N_
from bot.kit.errors import NotFound, Reason, Unfit
from bot.kit.sheets import Table, to_csv, to_xlsx
from bot.people.models import Role, User
from bot.people.profile import CITIES, PROGRAMMES, zone_of_city
from bot.people.roles import require
from bot.plans.reminders import to_utc

KINDS = (
    "cv_jobs",
    "business",
    "vocational",
    "psychosocial",
    "digital",
    "money",
    "skills",
    "club",
    "other",
)
ONLINE = "online"  # the city filter's key for workshops without a place
# Staff write texts in these; Serbian Latin is derived from Cyrillic.
TEXT_LOCALES = (SR_CYRL, BG, EN)
TITLE_LIMIT = 120
DESCRIPTION_LIMIT = 1000
PLACE_LIMIT = 300
MAX_CAPACITY = 500
PAGE_SIZE = 5
DEFAULT_CUTOFF = timedelta(hours=2)


def clean(text: str | None, limit: int) -> str | None:
    cleaned = " ".join((text or "").split())
    return cleaned[:limit] or None


def clean_block(text: str | None, limit: int) -> str | None:
    """Descriptions keep their line breaks."""
    lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
    return "\n".join(lines).strip()[:limit] or None


def _typed(text: str | None, limit: int, *, block: bool = False) -> str:
    cleaned = clean_block(text, limit + 1) if block else clean(text, limit + 1)
    if cleaned is None:
        raise Unfit(Reason.EMPTY)
    if len(cleaned) > limit:
        raise Unfit(Reason.TOO_LONG, limit)
    return cleaned


def typed_title(text: str | None) -> str:
    return _typed(text, TITLE_LIMIT)


def typed_description(text: str | None) -> str:
    return _typed(text, DESCRIPTION_LIMIT, block=True)


def typed_place(text: str | None, online: bool) -> str:
    """An address, or for an online workshop the link people join with."""
    place = _typed(text, PLACE_LIMIT)
    if online and not place.startswith(("https://", "http://")):
        raise Unfit(Reason.NOT_A_LINK)
    return place


def typed_seats(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_CAPACITY:
        raise Unfit(Reason.SEATS, MAX_CAPACITY)
    return int(value)


def typed_clock(text: str | None) -> time:
    """A time of day typed as 17:30 or 17.30."""
    try:
        return datetime.strptime((text or "").strip().replace(".", ":"), "%H:%M").time()
    except ValueError:
        raise Unfit(Reason.NOT_A_TIME) from None


def check_day(day: date, today: date) -> date:
    if day < today:
        raise Unfit(Reason.PAST_DAY)
    return day


def schedule(
    day: date, start: time, minutes: int, tz: str, now: datetime
) -> tuple[datetime, datetime]:
    """Start and end in UTC of a workshop on `day` at `start` local time in `tz`."""
    starts_at = to_utc(datetime.combine(day, start), tz)
    if starts_at <= now:
        raise Unfit(Reason.PAST_TIME)
    return starts_at, starts_at + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Draft:
    """A workshop's fields as staff give them (in the bot or in an import file)."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str | None = None
    city: str | None = None
    address: str | None = None
    online_url: str | None = None
    closes_at: datetime | None = None  # None: DEFAULT_CUTOFF before the start
    languages: tuple[str, ...] = ()
    programme: str | None = None
    texts: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    ref: str | None = None
    # The author's zone: an online workshop's times are in it (a town's are in the town's).
    timezone: str | None = None

    def findings(self, now: datetime) -> list[tuple[str, str, dict[str, object]]]:
        """What is wrong: (the field it is about, the reason as an English template marked for
        translation, its values). The import's report words it in the reader's language; the
        desk's form words each field's problem itself."""
        found: list[tuple[str, str, dict[str, object]]] = []
        if self.kind not in KINDS:
            found.append(
                (
                    "kind",
                    N_("type {value!r} is not one of {choices}"),
                    {"value": self.kind, "choices": ", ".join(KINDS)},
                )
            )
        title = clean(self.title, TITLE_LIMIT + 1)
        if not title:
            found.append(("title", N_("the title is empty"), {}))
        elif len(title) > TITLE_LIMIT:
            found.append(
                ("title", N_("the title is longer than {limit} characters"), {"limit": TITLE_LIMIT})
            )
        if self.ends_at <= self.starts_at:
            found.append(("ends", N_("it ends before it starts"), {}))
        if self.starts_at <= now:
            found.append(("starts", N_("it starts in the past"), {}))
        if not 1 <= self.capacity <= MAX_CAPACITY:
            found.append(("capacity", N_("capacity must be 1 to {limit}"), {"limit": MAX_CAPACITY}))
        if self.city is not None and self.city not in CITIES:
            found.append(
                (
                    "city",
                    N_("city {value!r} is not one of {choices}"),
                    {"value": self.city, "choices": ", ".join(CITIES)},
                )
            )
        if self.city is None and not self.online_url:
            found.append(("online_url", N_("give a city and address, or an online link"), {}))
        if self.city is not None and not self.address:
            found.append(("address", N_("a workshop in a city needs an address"), {}))
        if self.online_url and not self.online_url.startswith(("https://", "http://")):
            found.append(("online_url", N_("the online link must start with https://"), {}))
        if self.closes_at is not None and self.closes_at > self.starts_at:
            found.append(("closes", N_("booking must close before the start"), {}))
        for code in self.languages:
            if code not in TEXT_LOCALES:
                found.append(
                    (
                        "languages",
                        N_("language {value!r} is not one of {choices}"),
                        {"value": code, "choices": ", ".join(TEXT_LOCALES)},
                    )
                )
        if self.programme is not None and self.programme not in PROGRAMMES:
            found.append(
                (
                    "programme",
                    N_("programme {value!r} is not one of {choices}"),
                    {"value": self.programme, "choices": ", ".join(PROGRAMMES)},
                )
            )
        for code in self.texts:
            if code not in TEXT_LOCALES:
                found.append(
                    (
                        "texts",
                        N_("texts in {value!r}: only {choices}"),
                        {"value": code, "choices": ", ".join(TEXT_LOCALES)},
                    )
                )
        return found

    def checks(self, now: datetime) -> list[tuple[str, str]]:
        """(field, reason in English): for logs, the command line and ValueError."""
        return [(name, text.format(**values)) for name, text, values in self.findings(now)]

    def problems(self, now: datetime) -> list[str]:
        return [reason for _field, reason in self.checks(now)]


def _apply(workshop: Workshop, draft: Draft) -> None:
    workshop.kind = draft.kind
    workshop.title = clean(draft.title, TITLE_LIMIT) or ""
    workshop.description = clean_block(draft.description, DESCRIPTION_LIMIT)
    workshop.city = draft.city
    workshop.address = clean(draft.address, PLACE_LIMIT)
    workshop.online_url = clean(draft.online_url, PLACE_LIMIT)
    workshop.starts_at, workshop.ends_at = draft.starts_at, draft.ends_at
    workshop.closes_at = draft.closes_at or draft.starts_at - DEFAULT_CUTOFF
    workshop.languages = ",".join(draft.languages)
    workshop.programme = draft.programme
    workshop.timezone = zone_of_city(draft.city) or draft.timezone


def typed_zone(city: str | None, author_tz: str) -> str:
    """The zone a workshop's times are typed in, wherever they are typed (the bot's wizard, the
    desk's form): its town's, so 16:00 in Sofia is 16:00 there whoever types it; online, the
    author's own."""
    return zone_of_city(city) or author_tz


class Placed(Protocol):
    """A workshop, or what a list keeps of one: enough to know its clock."""

    @property
    def timezone(self) -> str | None: ...

    @property
    def city(self) -> str | None: ...


def zone_of(workshop: Placed, fallback: str) -> str:
    """The zone a workshop's times are given in: its own, its town's, or `fallback`."""
    return workshop.timezone or zone_of_city(workshop.city) or fallback


async def create(session: AsyncSession, actor: User | None, draft: Draft, ctx: Context) -> Workshop:
    """`actor` None: an import, checked by its caller."""
    if actor is not None:
        require(actor, Role.STAFF)
    problems = draft.problems(ctx.now)
    if problems:
        raise ValueError("; ".join(problems))
    workshop = Workshop(
        ref=draft.ref,
        capacity=draft.capacity,
        booked=0,
        status=WorkshopStatus.SCHEDULED,
        created_by_id=actor.id if actor else None,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    _apply(workshop, draft)
    session.add(workshop)
    await session.flush()
    for code, (title, description) in draft.texts.items():
        await set_text(session, None, workshop.id, code, title, description)
    await record(session, workshop.id, actor, "created", "", ctx.now)
    return workshop


def draft_of(workshop: Workshop) -> Draft:
    return Draft(
        kind=workshop.kind,
        title=workshop.title,
        starts_at=workshop.starts_at,
        ends_at=workshop.ends_at,
        capacity=workshop.capacity,
        description=workshop.description,
        city=workshop.city,
        address=workshop.address,
        online_url=workshop.online_url,
        closes_at=workshop.closes_at,
        languages=tuple(code for code in workshop.languages.split(",") if code),
        programme=workshop.programme,
        ref=workshop.ref,
        timezone=workshop.timezone,
    )


@dataclass(frozen=True)
class Change:
    workshop: Workshop
    told: int  # people who will get a message about it


async def update(
    session: AsyncSession, actor: User | None, workshop_id: int, draft: Draft, ctx: Context
) -> Change:
    """New fields for a scheduled workshop; booked people hear about a new time or place."""
    if actor is not None:
        require(actor, Role.STAFF)
    workshop = await rows.lock_workshop(session, workshop_id)
    if workshop is None or workshop.status != WorkshopStatus.SCHEDULED:
        raise NotFound("workshop")
    before = draft_of(workshop)
    if draft.closes_at is None or (
        draft.starts_at != before.starts_at and draft.closes_at == before.closes_at
    ):
        # A new start keeps the same cut-off before it.
        gap = workshop.starts_at - workshop.closes_at
        draft = replace(draft, closes_at=draft.starts_at - gap)
    problems = draft.problems(ctx.now)
    if problems:
        raise ValueError("; ".join(problems))
    _apply(workshop, draft)
    workshop.updated_at = ctx.now
    await session.flush()
    told = 0
    moved = (draft.starts_at, draft.ends_at) != (before.starts_at, before.ends_at)
    placed = (draft.city, draft.address, draft.online_url) != (
        before.city,
        before.address,
        before.online_url,
    )
    if moved or placed:
        for item, person in await rows.of_workshop(session, workshop.id, rows.ACTIVE):
            item.starts_at, item.ends_at = workshop.starts_at, workshop.ends_at
            booking.calendar_changed(item)
            await booking.sync_reminders(session, item, person, ctx)
            if item.status == BookingStatus.BOOKED:
                await booking.tell(session, item, person, booking.CHANGED, ctx)
                told += 1
    if draft.capacity != before.capacity:
        told += await _resize(session, workshop, draft.capacity, ctx)
    what = changed_fields(before, draft)
    if what:
        await record(session, workshop.id, actor, "edited", ", ".join(what), ctx.now)
    return Change(workshop, told)


def changed_fields(before: Draft, after: Draft) -> list[str]:
    """The fields that differ, for the record (seats with their numbers)."""
    what = [
        name
        for name in (
            "kind", "title", "description", "city", "address", "online_url", "starts_at",
            "ends_at", "closes_at", "languages", "programme",
        )
        if getattr(before, name) != getattr(after, name)
    ]  # fmt: skip
    if before.capacity != after.capacity:
        what.append(f"capacity {before.capacity}→{after.capacity}")
    return what


async def change(
    session: AsyncSession, actor: User, workshop_id: int, ctx: Context, **fields: Any
) -> Change:
    """Some fields of a workshop changed, the others kept (`update` checks and tells)."""
    current = await staff_workshop(session, actor, workshop_id)
    draft = replace(draft_of(current), **fields)
    return await update(session, actor, workshop_id, draft, ctx)


async def close_booking_before(
    session: AsyncSession, actor: User, workshop_id: int, hours: int, ctx: Context
) -> Change:
    current = await staff_workshop(session, actor, workshop_id)
    return await change(
        session, actor, workshop_id, ctx, closes_at=current.starts_at - timedelta(hours=hours)
    )


async def toggle_language(
    session: AsyncSession, actor: User, workshop_id: int, code: str, ctx: Context
) -> Change:
    """Who sees a workshop: a language in or out of its list (none: everyone)."""
    if code not in TEXT_LOCALES:
        raise NotFound("language")
    current = await staff_workshop(session, actor, workshop_id)
    chosen = {c for c in current.languages.split(",") if c} ^ {code}
    ordered = tuple(c for c in TEXT_LOCALES if c in chosen)
    return await change(session, actor, workshop_id, ctx, languages=ordered)


async def _resize(session: AsyncSession, workshop: Workshop, capacity: int, ctx: Context) -> int:
    workshop.capacity = capacity
    await session.flush()
    excess = workshop.booked - capacity
    if excess <= 0:
        await booking.fill_free_seats(session, workshop.id, ctx)
        return 0
    held = await rows.of_workshop(
        session, workshop.id, [BookingStatus.OFFERED, BookingStatus.BOOKED]
    )
    # Offers first, then the latest bookings.
    held = sorted(
        held,
        key=lambda pair: (pair[0].status == BookingStatus.OFFERED, pair[0].queued_at, pair[0].id),
        reverse=True,
    )
    told = 0
    for item, person in held[:excess]:
        await rows.set_status(session, item.id, [item.status], BookingStatus.WAITING, ctx.now)
        item = await rows.get(session, item.id) or item
        item.offer_expires_at = None
        await booking.sync_reminders(session, item, person, ctx)
        await booking.tell(session, item, person, booking.RELEASED, ctx)
        told += 1
    await rows.add_seats(session, workshop.id, -told)
    return told


async def cancel(
    session: AsyncSession, actor: User | None, workshop_id: int, ctx: Context
) -> Change:
    if actor is not None:
        require(actor, Role.STAFF)
    workshop = await rows.lock_workshop(session, workshop_id)
    if workshop is None or workshop.status != WorkshopStatus.SCHEDULED:
        raise NotFound("workshop")
    workshop.status = WorkshopStatus.CANCELLED
    workshop.booked = 0
    workshop.updated_at = ctx.now
    await session.flush()
    told = 0
    for item, person in await rows.of_workshop(session, workshop.id, rows.ACTIVE):
        await rows.set_status(session, item.id, rows.ACTIVE, BookingStatus.CALLED_OFF, ctx.now)
        item = await rows.get(session, item.id) or item
        booking.calendar_changed(item)
        await booking.sync_reminders(session, item, person, ctx)
        await booking.tell(session, item, person, booking.CALLED_OFF, ctx)
        told += 1
    await record(session, workshop.id, actor, "cancelled", f"told {told}", ctx.now)
    return Change(workshop, told)


async def set_text(
    session: AsyncSession,
    actor: User | None,
    workshop_id: int,
    locale: str,
    title: str,
    description: str | None,
) -> WorkshopText:
    if actor is not None:
        require(actor, Role.STAFF)
    if locale not in TEXT_LOCALES:
        raise ValueError(f"texts in {locale!r}")
    cleaned = clean(title, TITLE_LIMIT)
    if cleaned is None:
        raise ValueError("empty title")
    row = await session.scalar(
        select(WorkshopText).where(
            WorkshopText.workshop_id == workshop_id, WorkshopText.locale == locale
        )
    )
    if row is None:
        row = WorkshopText(workshop_id=workshop_id, locale=locale, title=cleaned)
        session.add(row)
    row.title = cleaned
    row.description = clean_block(description, DESCRIPTION_LIMIT)
    await session.flush()
    return row


def text_locale(locale: str) -> str:
    """The language of the stored text shown in `locale` (Serbian Latin is derived)."""
    return SR_CYRL if locale == SR_LATN else locale


def text_for(
    workshop: Workshop, texts: Sequence[WorkshopText], locale: str
) -> tuple[str, str | None]:
    """Title and description in the person's language, else the text for everyone."""
    by_locale = {t.locale: t for t in texts if t.workshop_id == workshop.id}
    text = by_locale.get(text_locale(locale))
    if text is None:
        return workshop.title, workshop.description
    if locale == SR_LATN:
        # Serbian Cyrillic only: what staff wrote in another language stays as written.
        description = latin_if_serbian(text.description) if text.description else None
        return latin_if_serbian(text.title), description
    return text.title, text.description


async def texts_of(session: AsyncSession, workshop_ids: Sequence[int]) -> list[WorkshopText]:
    if not workshop_ids:
        return []
    return list(
        (
            await session.scalars(
                select(WorkshopText).where(WorkshopText.workshop_id.in_(list(workshop_ids)))
            )
        ).all()
    )


# What young people see


def seats_left(workshop: Workshop) -> int:
    return max(0, workshop.capacity - workshop.booked)


def city_key(workshop: Workshop) -> str:
    return workshop.city or ONLINE


@dataclass(frozen=True)
class Listing:
    workshops: list[Workshop]
    texts: list[WorkshopText]
    mine: dict[int, Booking]
    page: int
    pages: int
    cities: list[str]  # the filter's choices: places with upcoming workshops
    kinds: list[str]


async def _upcoming_visible(session: AsyncSession, user: User, now: datetime) -> list[Workshop]:
    found = (
        await session.scalars(
            select(Workshop)
            .where(Workshop.status == WorkshopStatus.SCHEDULED, Workshop.starts_at > now)
            .order_by(Workshop.starts_at, Workshop.id)
        )
    ).all()
    return [w for w in found if booking.visible_to(w, user)]


async def upcoming(
    session: AsyncSession,
    user: User,
    now: datetime,
    *,
    city: str = "",
    kind: str = "",
    page: int = 0,
) -> Listing:
    every = await _upcoming_visible(session, user, now)
    cities = sorted({city_key(w) for w in every}, key=lambda c: (c == ONLINE, c))
    kinds = [k for k in KINDS if any(w.kind == k for w in every)]
    chosen = [
        w for w in every if (not city or city_key(w) == city) and (not kind or w.kind == kind)
    ]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = chosen[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ids = [w.id for w in shown]
    mine = {
        b.workshop_id: b
        for b in (
            await session.scalars(
                select(Booking).where(
                    Booking.user_id == user.id,
                    Booking.workshop_id.in_(ids),
                    Booking.status.in_(list(rows.ACTIVE)),
                )
            )
        ).all()
        if b.workshop_id is not None
    }
    return Listing(shown, await texts_of(session, ids), mine, page, pages, cities, kinds)


async def has_upcoming(session: AsyncSession, user: User, now: datetime, kind: str) -> bool:
    return any(w.kind == kind for w in await _upcoming_visible(session, user, now))


@dataclass(frozen=True)
class Card:
    workshop: Workshop
    texts: list[WorkshopText]  # its stored text in the person's language, if there is one
    mine: Booking | None
    waiting: int


async def card(session: AsyncSession, user: User, workshop_id: int) -> Card:
    found = await rows.card(session, workshop_id, user.id, text_locale(user.locale))
    if (
        found is None
        or found.workshop.status != WorkshopStatus.SCHEDULED
        or not booking.visible_to(found.workshop, user)
    ):
        raise NotFound("workshop")
    mine = found.mine
    return Card(
        found.workshop,
        [found.text] if found.text is not None else [],
        mine if mine is not None and mine.status in rows.ACTIVE else None,
        found.waiting,
    )


class Gone(Exception):
    """An announced workshop that can no longer be booked: `why` is "past" or "cancelled"."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


async def announced_card(
    session: AsyncSession, user: User, workshop_id: int, now: datetime
) -> Card:
    """The card an announcement's "Book a seat" opens; a workshop that took place or was
    cancelled is said to be so (Gone) rather than refused as a stale button."""
    found = await rows.card(session, workshop_id, user.id, text_locale(user.locale))
    if found is None or not booking.visible_to(found.workshop, user):
        raise NotFound("workshop")
    if found.workshop.status != WorkshopStatus.SCHEDULED:
        raise Gone("cancelled")
    if found.workshop.starts_at <= now:
        raise Gone("past")
    return await card(session, user, workshop_id)


# What staff see


@dataclass(frozen=True)
class StaffPage:
    workshops: list[Workshop]
    counts: dict[int, dict[str, int]]
    page: int
    pages: int


async def staff_listing(
    session: AsyncSession, actor: User, now: datetime, page: int, *, past: bool = False
) -> StaffPage:
    require(actor, Role.STAFF)
    query = select(Workshop)
    if past:
        query = query.where(Workshop.starts_at <= now).order_by(Workshop.starts_at.desc())
    else:
        query = query.where(Workshop.ends_at > now).order_by(Workshop.starts_at)
    every = list((await session.scalars(query.order_by(Workshop.id))).all())
    pages = max(1, -(-len(every) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = every[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return StaffPage(shown, await rows.counts(session, [w.id for w in shown]), page, pages)


async def staff_workshop(session: AsyncSession, actor: User, workshop_id: int) -> Workshop:
    require(actor, Role.STAFF)
    workshop = await rows.fresh_workshop(session, workshop_id)
    if workshop is None:
        raise NotFound("workshop")
    return workshop


@dataclass(frozen=True)
class Participants:
    workshop: Workshop
    booked: list[tuple[Booking, User]]
    waiting: list[tuple[Booking, User]]  # offered ones first, then in queue order


async def participants(session: AsyncSession, actor: User, workshop_id: int) -> Participants:
    workshop = await staff_workshop(session, actor, workshop_id)
    booked = await rows.of_workshop(session, workshop.id, [BookingStatus.BOOKED])
    queue = await rows.of_workshop(
        session, workshop.id, [BookingStatus.OFFERED, BookingStatus.WAITING]
    )
    queue = sorted(queue, key=lambda p: (p[0].status != BookingStatus.OFFERED, p[0].queued_at))
    return Participants(workshop, list(booked), list(queue))


CSV_COLUMNS = ("name", "language", "status", "booked_at_utc", "attendance")


async def participants_table(session: AsyncSession, actor: User, workshop_id: int) -> Table:
    """Who booked, then who waits: both downloads (CSV, XLSX) are made from this table."""
    listing = await participants(session, actor, workshop_id)
    return Table(
        key="participants",
        title="participants",
        headers=CSV_COLUMNS,
        rows=[
            [
                person.display_name or "",
                person.locale,
                item.status,
                item.created_at.strftime("%Y-%m-%d %H:%M"),
                item.attendance or "",
            ]
            for item, person in [*listing.booked, *listing.waiting]
        ],
    )


async def participants_csv(session: AsyncSession, actor: User, workshop_id: int) -> bytes:
    return to_csv(await participants_table(session, actor, workshop_id))


async def participants_xlsx(session: AsyncSession, actor: User, workshop_id: int) -> bytes:
    return to_xlsx(await participants_table(session, actor, workshop_id))


# Who did what


CHANGE_LOG = ChangeLog(WorkshopChange, WorkshopChange.workshop_id)
record = CHANGE_LOG.record


async def history(
    session: AsyncSession, actor: User, workshop_id: int
) -> list[tuple[WorkshopChange, User | None]]:
    """The latest changes of a workshop, newest first, with who made them."""
    await staff_workshop(session, actor, workshop_id)
    return await CHANGE_LOG.latest(session, workshop_id)


async def changes_made_by(session: AsyncSession, user: User) -> list[dict[str, str]]:
    """For /mydata: what this person changed about workshops (their own actions only; the
    detail names bookings by id, never another person)."""
    return await CHANGE_LOG.mydata(session, user)


# Moving someone from the waitlist by hand


async def seat_from_waitlist(
    session: AsyncSession,
    actor: User,
    booking_id: int,
    ctx: Context,
    *,
    extra_seat: bool = False,
) -> Booking:
    """Staff give a seat to someone waiting (or holding an offer), ahead of the queue.

    Same locks and seat UPDATE as a booking in the bot (the person, then the workshop, then the
    row), so it cannot double-book a seat that someone takes in the bot at the same moment. A
    held offer is simply confirmed. With no free seat it is refused, unless staff chose to add
    one (`extra_seat`, up to MAX_CAPACITY). Allowed until the workshop ends, also after the
    booking cut-off: staff may seat someone who turns up. The person is told.
    """
    require(actor, Role.STAFF)
    found = await rows.get(session, booking_id)
    if found is None or found.workshop_id is None:
        raise NotFound("booking")
    await rows.lock_person(session, found.user_id)
    workshop = await rows.lock_workshop(session, found.workshop_id)
    item = await rows.get(session, booking_id)
    if (
        workshop is None
        or item is None
        or item.status not in (BookingStatus.WAITING, BookingStatus.OFFERED)
    ):
        raise NotFound("booking")
    if workshop.status != WorkshopStatus.SCHEDULED or workshop.ends_at <= ctx.now:
        raise booking.Closed("over")
    other = await rows.overlapping(
        session, item.user_id, workshop.starts_at, workshop.ends_at, besides=item.id
    )
    if other is not None:
        raise booking.Overlap(other)
    was = item.status
    added = False
    if was == BookingStatus.WAITING and not await rows.take_seat_by_hand(session, workshop.id):
        if not extra_seat or workshop.capacity >= MAX_CAPACITY:
            raise booking.Full("full")
        await rows.add_capacity(session, workshop.id, 1)
        added = True
        if not await rows.take_seat_by_hand(session, workshop.id):
            raise booking.Full("full")
    if not await rows.set_status(session, item.id, [was], BookingStatus.BOOKED, ctx.now):
        raise NotFound("moved meanwhile")
    item = await rows.get(session, booking_id) or item
    item.offer_expires_at = None
    await session.flush()
    person = await session.get(User, item.user_id)
    assert person is not None
    await booking.sync_reminders(session, item, person, ctx)
    await booking.tell(session, item, person, booking.SEATED, ctx)
    detail = f"booking {item.id} from the waitlist" + (", one seat added" if added else "")
    await record(session, workshop.id, actor, "seated", detail, ctx.now)
    return item


# The desk's list


@dataclass(frozen=True)
class Filters:
    city: str = ""  # a key of CITIES, or ONLINE
    kind: str = ""
    programme: str = ""
    past: bool = False


@dataclass(frozen=True)
class DeskRow:
    workshop: Workshop
    waiting: int


@dataclass(frozen=True)
class DeskPage:
    rows: list[DeskRow]
    total: int
    page: int
    pages: int


DESK_PAGE_SIZE = 25


async def desk_listing(
    session: AsyncSession, actor: User, filters: Filters, page: int, now: datetime
) -> DeskPage:
    """One page of workshops, counted and cut in the database (bench/console_workshops.py).

    Upcoming: not ended yet, soonest first; past: ended, latest first. Cancelled ones are shown
    (marked) so staff can see what was called off.
    """
    require(actor, Role.STAFF)
    where = [Workshop.ends_at <= now if filters.past else Workshop.ends_at > now]
    if filters.city == ONLINE:
        where.append(Workshop.city.is_(None))
    elif filters.city:
        where.append(Workshop.city == filters.city)
    if filters.kind:
        where.append(Workshop.kind == filters.kind)
    if filters.programme:
        where.append(Workshop.programme == filters.programme)
    total = int(await session.scalar(select(func.count(Workshop.id)).where(*where)) or 0)
    pages = max(1, -(-total // DESK_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    order = (
        (Workshop.ends_at.desc(), Workshop.id.desc())
        if filters.past
        else (Workshop.starts_at, Workshop.id)
    )
    shown = list(
        (
            await session.scalars(
                select(Workshop)
                .where(*where)
                .order_by(*order)
                .offset(page * DESK_PAGE_SIZE)
                .limit(DESK_PAGE_SIZE)
            )
        ).all()
    )
    counts = await rows.counts(session, [w.id for w in shown])
    return DeskPage(
        [DeskRow(w, counts.get(w.id, {}).get(BookingStatus.WAITING, 0)) for w in shown],
        total,
        page,
        pages,
    )


async def save_texts(
    session: AsyncSession,
    actor: User,
    workshop_id: int,
    texts: dict[str, tuple[str, str | None]],
    now: datetime,
) -> bool:
    """The per-language titles and descriptions as the desk's form gives them: a language
    left empty loses its text (people then see the text for everyone). True if any changed."""
    require(actor, Role.STAFF)
    current = {t.locale: t for t in await texts_of(session, [workshop_id])}
    changed = []
    for code in TEXT_LOCALES:
        wanted = texts.get(code)
        row = current.get(code)
        if wanted is None:
            if row is not None:
                await session.delete(row)
                changed.append(code)
            continue
        title, description = (
            clean(wanted[0], TITLE_LIMIT),
            clean_block(wanted[1], DESCRIPTION_LIMIT),
        )
        if row is None or (row.title, row.description) != (title, description):
            await set_text(session, actor, workshop_id, code, wanted[0], wanted[1])
            changed.append(code)
    await session.flush()
    if changed:
        await record(session, workshop_id, actor, "texts", ", ".join(changed), now)
    return bool(changed)


async def booking_on(
    session: AsyncSession, actor: User, workshop_id: int, booking_id: int
) -> Booking:
    """A booking of this workshop, for staff; any other id (forged, another workshop's) is
    as good as none."""
    require(actor, Role.STAFF)
    found = await rows.get(session, booking_id)
    if found is None or found.workshop_id != workshop_id:
        raise NotFound("booking")
    return found
