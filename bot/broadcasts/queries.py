"""Broadcast rows and the recipient queue. Flushes, never commits: the caller's transaction does.

Claiming is one UPDATE over a sub-select of due rows: on PostgreSQL the sub-select takes row
locks with SKIP LOCKED, so two bot instances never claim the same row; SQLite runs one writer
at a time, so the same statement is atomic there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.models import Booking, BookingStatus, Workshop, WorkshopStatus
from bot.broadcasts import audience as conditions
from bot.broadcasts.models import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    BroadcastText,
    ButtonKind,
    RecipientStatus,
)
from bot.db.base import UTCDateTime
from bot.i18n.locales import SR_CYRL, SR_LATN
from bot.people.models import MentorLink, User

R = BroadcastRecipient
TABLE = cast(Table, BroadcastRecipient.__table__)  # Core statements for executemany
WAITING = (RecipientStatus.PENDING, RecipientStatus.SENDING)


# Broadcasts


async def add(session: AsyncSession, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def latest_draft(session: AsyncSession, author_id: int) -> Broadcast | None:
    query = (
        select(Broadcast)
        .where(Broadcast.author_id == author_id, Broadcast.status == BroadcastStatus.DRAFT)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def listed(
    session: AsyncSession,
    statuses: Iterable[BroadcastStatus],
    *,
    author_id: int | None = None,
    kind: BroadcastKind | None = None,
    limit: int = 10,
) -> Sequence[Broadcast]:
    """Newest first; scheduled ones by the time they go out."""
    query = select(Broadcast).where(Broadcast.status.in_(list(statuses)))
    if author_id is not None:
        query = query.where(Broadcast.author_id == author_id)
    if kind is not None:
        query = query.where(Broadcast.kind == kind)
    query = query.order_by(Broadcast.send_at, Broadcast.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def texts(session: AsyncSession, broadcast_id: int) -> dict[str, str]:
    query = select(BroadcastText.locale, BroadcastText.body).where(
        BroadcastText.broadcast_id == broadcast_id
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def set_text(session: AsyncSession, broadcast_id: int, locale: str, body: str | None) -> None:
    await session.execute(
        delete(BroadcastText).where(
            BroadcastText.broadcast_id == broadcast_id, BroadcastText.locale == locale
        )
    )
    if body is not None:
        session.add(BroadcastText(broadcast_id=broadcast_id, locale=locale, body=body))
    await session.flush()


async def delete_broadcast(session: AsyncSession, broadcast_id: int) -> None:
    await session.execute(delete(Broadcast).where(Broadcast.id == broadcast_id))


async def delete_unsent_by(session: AsyncSession, author_id: int) -> int:
    """Drafts and scheduled ones of someone who leaves: nothing goes out in their name."""
    result = await session.execute(
        delete(Broadcast).where(
            Broadcast.author_id == author_id,
            Broadcast.status.in_([BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED]),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_person(session: AsyncSession, user_id: int, telegram_id: int) -> None:
    """Someone who leaves: no broadcast keeps their chat (for the progress report) or names
    them as the mentor whose young people it went to. The rows stay, as the record of what went
    out; author_id is cleared by its foreign key when the person's row goes."""
    await session.execute(
        update(Broadcast)
        .where(or_(Broadcast.author_id == user_id, Broadcast.report_chat_id == telegram_id))
        .values(report_chat_id=None, report_message_id=None)
    )
    await session.execute(
        update(Broadcast)
        .where(Broadcast.audience == Audience.MENTEES, Broadcast.audience_value == str(user_id))
        .values(audience_value=None)
    )


async def set_status(
    session: AsyncSession,
    broadcast_id: int,
    old: Iterable[BroadcastStatus],
    new: BroadcastStatus,
    **values: Any,
) -> bool:
    """Moves the broadcast on only if it is still in one of `old` (a double tap does nothing)."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(list(old)))
        .values(status=new, **values)
    )
    return bool(getattr(result, "rowcount", 0))


# Audience


def audience_filter(broadcast: Broadcast) -> list[ColumnElement[bool]]:
    """Who a broadcast reaches now: consented, reachable, and matching its audience."""
    where: list[ColumnElement[bool]] = [User.consent_at.is_not(None), User.is_active.is_(True)]
    if broadcast.author_id is not None:
        where.append(User.id != broadcast.author_id)  # they saw the preview
    if broadcast.kind == BroadcastKind.ANNOUNCEMENT:
        where.append(User.announcements_muted.is_(False))
    value = broadcast.audience_value
    match broadcast.audience:
        case Audience.ALL:
            pass
        case Audience.ROLE:
            where.append(User.role == value)
        case Audience.LANGUAGE:
            # One language, both scripts: Serbian in Latin letters is still Serbian.
            locales = [SR_CYRL, SR_LATN] if value == SR_CYRL else [value or ""]
            where.append(User.locale.in_(locales))
        case Audience.CITY:
            where.append(User.city == value)
        case Audience.PROGRAMME:
            where.append(User.programme == value)
        case Audience.MENTEES:
            mentor_id = int(value) if value and value.isdigit() else 0
            where.append(_mentees(mentor_id))
        case Audience.FILTERS:
            where += _conditions(conditions.decode(broadcast.audience_filters))
        case _:
            where.append(literal(False))  # an audience this version does not know reaches nobody
    return where


def _mentees(mentor_id: int) -> ColumnElement[bool]:
    return User.id.in_(select(MentorLink.youth_id).where(MentorLink.mentor_id == mentor_id))


SEATS = {
    conditions.Seat.BOOKED: [BookingStatus.BOOKED, BookingStatus.OFFERED],
    conditions.Seat.WAITING: [BookingStatus.WAITING],
    conditions.Seat.ANY: [BookingStatus.BOOKED, BookingStatus.OFFERED, BookingStatus.WAITING],
}


def _conditions(filters: conditions.Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.role is not None:
        where.append(User.role == filters.role)
    if filters.language is not None:
        locales = [SR_CYRL, SR_LATN] if filters.language == SR_CYRL else [filters.language]
        where.append(User.locale.in_(locales))
    if filters.town is not None:
        where.append(User.city == filters.town)
    if filters.programme is not None:
        where.append(User.programme == filters.programme)
    if filters.mentor is not None:
        where.append(_mentees(filters.mentor))
    if filters.workshop is not None:
        where.append(
            User.id.in_(
                select(Booking.user_id).where(
                    Booking.workshop_id == filters.workshop,
                    Booking.status.in_([s.value for s in SEATS[filters.seat]]),
                )
            )
        )
    return where


async def audience_by_locale(session: AsyncSession, broadcast: Broadcast) -> dict[str, int]:
    query = (
        select(User.locale, func.count())
        .where(*audience_filter(broadcast))
        .group_by(User.locale)
        .order_by(User.locale)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(query)).all()}


async def materialize(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """One row per recipient, written before anything is sent. Returns how many."""
    chosen = select(
        literal(broadcast.id),
        User.id,
        literal(RecipientStatus.PENDING.value),
        literal(0),
        literal(now, UTCDateTime()),
    ).where(*audience_filter(broadcast))
    columns = ["broadcast_id", "user_id", "status", "attempts", "next_attempt_at"]
    await session.execute(TABLE.insert().from_select(columns, chosen))
    total = await session.scalar(
        select(func.count()).select_from(R).where(R.broadcast_id == broadcast.id)
    )
    broadcast.total = int(total or 0)
    await session.flush()
    return broadcast.total


async def start_due(session: AsyncSession, now: datetime) -> Sequence[Broadcast]:
    """Scheduled broadcasts whose time has come, moved to sending; each goes to one instance."""
    ids = (
        await session.scalars(
            update(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
            .values(status=BroadcastStatus.SENDING, started_at=now)
            .returning(Broadcast.id)
        )
    ).all()
    if not ids:
        return []
    query = select(Broadcast).where(Broadcast.id.in_(ids)).order_by(Broadcast.id)
    found = (await session.execute(query.execution_options(populate_existing=True))).scalars()
    return found.all()


# The queue


@dataclass(frozen=True)
class Claimed:
    id: int
    broadcast_id: int
    user_id: int
    telegram_id: int
    locale: str
    attempts: int
    reachable: bool  # still consented, active and (for announcements) not muted
    # Blocked the bot after the audience was chosen: reported as blocked, not as "left".
    blocked: bool = False


async def sending_ids(session: AsyncSession) -> list[int]:
    query = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SENDING)
    return list((await session.scalars(query.order_by(Broadcast.id))).all())


async def claim(
    session: AsyncSession,
    broadcast_id: int,
    now: datetime,
    lease: timedelta,
    limit: int,
    token: str,
) -> list[Claimed]:
    """Takes up to `limit` due rows: waiting ones, and claimed ones whose lease ran out."""
    is_due = and_(
        R.broadcast_id == broadcast_id,
        or_(
            and_(R.status == RecipientStatus.PENDING, R.next_attempt_at <= now),
            and_(R.status == RecipientStatus.SENDING, R.lease_until < now),
        ),
    )
    # Locked until commit on PostgreSQL (SKIP LOCKED: another instance takes other rows);
    # the update repeats the condition, so a row taken in between on SQLite is left alone.
    # Two index range scans, not one scan of the whole broadcast: lost leases are rare.
    lost = select(R.id).where(
        R.broadcast_id == broadcast_id,
        R.status == RecipientStatus.SENDING,
        R.lease_until < now,
    )
    waiting = (
        select(R.id)
        .where(
            R.broadcast_id == broadcast_id,
            R.status == RecipientStatus.PENDING,
            R.next_attempt_at <= now,
        )
        .order_by(R.next_attempt_at)
    )
    candidates = list(
        (await session.scalars(lost.limit(limit).with_for_update(skip_locked=True))).all()
    )
    if len(candidates) < limit:
        more = waiting.limit(limit - len(candidates)).with_for_update(skip_locked=True)
        candidates += (await session.scalars(more)).all()
    if not candidates:
        return []
    ids = (
        await session.scalars(
            update(R)
            .where(R.id.in_(candidates), is_due)
            .values(status=RecipientStatus.SENDING, lease_until=now + lease, claim=token)
            .returning(R.id)
        )
    ).all()
    if not ids:
        return []
    kind = await session.scalar(select(Broadcast.kind).where(Broadcast.id == broadcast_id))
    query = (
        select(
            R.id,
            R.user_id,
            R.attempts,
            User.telegram_id,
            User.locale,
            User.is_active,
            User.consent_at,
            User.announcements_muted,
        )
        .join(User, User.id == R.user_id)
        .where(R.id.in_(list(ids)))
        .order_by(R.id)
    )
    claimed = []
    for row in (await session.execute(query)).all():
        muted = kind == BroadcastKind.ANNOUNCEMENT and row.announcements_muted
        reachable = bool(row.is_active) and row.consent_at is not None and not muted
        claimed.append(
            Claimed(
                row.id, broadcast_id, row.user_id, row.telegram_id, row.locale, row.attempts,
                reachable, blocked=not row.is_active and row.consent_at is not None,
            )
        )  # fmt: skip
    return claimed


@dataclass(frozen=True)
class Outcome:
    recipient_id: int
    user_id: int
    status: RecipientStatus  # PENDING: try again at retry_at; else final
    token: str
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    attempts: int = 0  # failed attempts so far, this one included


async def record(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Writes what happened, in a few statements whatever the number of rows."""
    table = TABLE
    sent = [o for o in outcomes if o.status == RecipientStatus.SENT]
    if sent:
        # A delivery is a fact: recorded even if the lease was lost meanwhile.
        statement = (
            table.update()
            .where(table.c.id == bindparam("rid"))
            .values(
                status=RecipientStatus.SENT,
                sent_at=now,
                message_id=bindparam("mid"),
                lease_until=None,
                error=None,
            )
        )
        await session.execute(
            statement, [{"rid": o.recipient_id, "mid": o.message_id} for o in sent]
        )
    final = [o for o in outcomes if o.status not in (RecipientStatus.SENT, RecipientStatus.PENDING)]
    if final:
        statement = (
            table.update()
            .where(table.c.id == bindparam("rid"), table.c.status != RecipientStatus.SENT)
            .values(
                status=bindparam("st"),
                error=bindparam("err"),
                attempts=bindparam("att"),
                lease_until=None,
            )
        )
        await session.execute(
            statement,
            [
                {"rid": o.recipient_id, "st": o.status.value, "err": o.error, "att": o.attempts}
                for o in final
            ],
        )
    again = [o for o in outcomes if o.status == RecipientStatus.PENDING]
    if again:
        # Only while still ours: another instance may have taken the row after our lease.
        statement = (
            table.update()
            .where(
                table.c.id == bindparam("rid"),
                table.c.status == RecipientStatus.SENDING,
                table.c.claim == bindparam("tok"),
            )
            .values(
                status=RecipientStatus.PENDING,
                next_attempt_at=bindparam("at"),
                attempts=bindparam("att"),
                error=bindparam("err"),
                lease_until=None,
                claim=None,
            )
        )
        await session.execute(
            statement,
            [
                {
                    "rid": o.recipient_id,
                    "tok": o.token,
                    "at": o.retry_at or now,
                    "att": o.attempts,
                    "err": o.error,
                }
                for o in again
            ],
        )
    blocked = sorted({o.user_id for o in outcomes if o.status == RecipientStatus.BLOCKED})
    if blocked:
        await session.execute(update(User).where(User.id.in_(blocked)).values(is_active=False))


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    query = select(R.status, func.count()).where(R.broadcast_id == broadcast_id).group_by(R.status)
    return {row[0]: int(row[1]) for row in (await session.execute(query)).all()}


async def mark_stopped(
    session: AsyncSession, broadcast_id: int, actor_id: int, now: datetime
) -> None:
    """Records who cancelled or stopped the broadcast; a second press keeps the first name."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.stopped_at.is_(None))
        .values(stopped_by_id=actor_id, stopped_at=now)
    )


async def cancel_waiting(session: AsyncSession, broadcast_id: int) -> int:
    """Stops a broadcast: rows not yet claimed are not sent (claimed ones finish)."""
    result = await session.execute(
        update(R)
        .where(R.broadcast_id == broadcast_id, R.status == RecipientStatus.PENDING)
        .values(status=RecipientStatus.CANCELLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_ready(session: AsyncSession, now: datetime) -> Sequence[Broadcast]:
    """Sending broadcasts with nobody left waiting become done; each is returned once."""
    waiting = exists().where(R.broadcast_id == Broadcast.id, R.status.in_(WAITING))
    ids = (
        await session.scalars(
            update(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SENDING, ~waiting)
            .values(status=BroadcastStatus.DONE, finished_at=now)
            .returning(Broadcast.id)
        )
    ).all()
    if not ids:
        return []
    query = select(Broadcast).where(Broadcast.id.in_(ids)).order_by(Broadcast.id)
    found = (await session.execute(query.execution_options(populate_existing=True))).scalars()
    return found.all()


async def undelivered(
    session: AsyncSession, broadcast_id: int
) -> Sequence[tuple[BroadcastRecipient, User]]:
    query = (
        select(R, User)
        .join(User, User.id == R.user_id)
        .where(
            R.broadcast_id == broadcast_id,
            R.status.in_(
                [RecipientStatus.BLOCKED, RecipientStatus.FAILED, RecipientStatus.SKIPPED]
            ),
        )
        .order_by(User.display_name, User.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def booked_from(session: AsyncSession, broadcast: Broadcast) -> dict[str, int]:
    """Bookings of its workshop made with the announcement's button, by status: only of people
    it was delivered to, so a forged announcement number in a button counts for nothing."""
    if broadcast.button_kind != ButtonKind.WORKSHOP or not (broadcast.button_value or "").isdigit():
        return {}
    query = (
        select(Booking.status, func.count())
        .where(
            Booking.announcement_id == broadcast.id,
            Booking.workshop_id == int(broadcast.button_value or 0),
            Booking.user_id.in_(
                select(R.user_id).where(
                    R.broadcast_id == broadcast.id, R.status == RecipientStatus.SENT
                )
            ),
        )
        .group_by(Booking.status)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(query)).all()}


async def upcoming_workshops(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Workshop]:
    query = (
        select(Workshop)
        .where(Workshop.status == WorkshopStatus.SCHEDULED, Workshop.starts_at > now)
        .order_by(Workshop.starts_at, Workshop.id)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def received_by(
    session: AsyncSession, user_id: int
) -> Sequence[tuple[BroadcastRecipient, Broadcast]]:
    query = (
        select(R, Broadcast)
        .join(Broadcast, Broadcast.id == R.broadcast_id)
        .where(R.user_id == user_id)
        .order_by(R.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def written_by(session: AsyncSession, author_id: int) -> Sequence[Broadcast]:
    query = select(Broadcast).where(Broadcast.author_id == author_id).order_by(Broadcast.id)
    return (await session.execute(query)).scalars().all()


async def stopped_by(session: AsyncSession, user_id: int) -> Sequence[Broadcast]:
    """Broadcasts this person cancelled or stopped (for /mydata)."""
    query = select(Broadcast).where(Broadcast.stopped_by_id == user_id).order_by(Broadcast.id)
    return (await session.execute(query)).scalars().all()
