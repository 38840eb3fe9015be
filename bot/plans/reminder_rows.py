"""Claiming due reminders and digests so that each goes out once, whichever instance, whatever
crashes. Flushes, never commits: each function is one step of the sender's short transactions.

A claim writes a token into the row and pushes `due_at` a lease ahead. Just before sending the
next few rows the sender holds them (`hold`): one UPDATE that keeps only rows still pending and
still carrying that token, and pushes their lease ahead again. A row another instance claimed after
the lease ran out, or one a plan change moved to a new time (which clears the token), is then
not sent. A delivered reminder is recorded as sent even when its lease ran out meanwhile
(`finish`); every other outcome is written only while the claim is still the sender's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import any_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.upsert import insert_ignoring_conflicts
from bot.people.models import User
from bot.plans.models import DigestSent, Reminder, ReminderStatus, Task


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Claimed:
    reminder: Reminder
    user: User
    task: Task | None
    token: str  # written in the row's `claim` while this claim holds


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease: timedelta,
    token: str | None = None,
) -> list[Claimed]:
    """Due reminders, pushed `lease` into the future and marked with `token` (a new one when
    not given) so no one else takes them meanwhile.

    One statement: on PostgreSQL the rows are locked with SKIP LOCKED, so concurrent
    claimers take different rows; SQLite runs writers one at a time. The (status, due_at)
    index keeps this as fast with a million future reminders as with ten.
    """
    token = token or new_token()
    due = (
        select(Reminder.id)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at)
        .limit(limit)
    )
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        due = due.with_for_update(skip_locked=True)
    # PostgreSQL: `= ANY(ARRAY(subquery))` makes the subquery an InitPlan and the update an
    # index lookup by primary key; `IN (subquery)` was planned as a scan of the whole table
    # below ~100k rows (bench/reminders.py). SQLite has no arrays and plans IN well.
    chosen = (
        Reminder.id == any_(func.array(due.scalar_subquery()))
        if postgresql
        else Reminder.id.in_(due.scalar_subquery())
    )
    claimed_ids = (
        await session.scalars(
            update(Reminder)
            .where(chosen)
            .values(due_at=now + lease, attempts=Reminder.attempts + 1, claim=token)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed_ids:
        return []
    # Three primary-key lookups rather than one join: the planner hashed the whole users
    # table for a join of 200 rows (bench/reminders.py).
    rows = (
        await session.scalars(
            select(Reminder)
            .where(Reminder.id.in_(claimed_ids))
            .order_by(Reminder.scheduled_at)
            .execution_options(populate_existing=True)
        )
    ).all()
    people = {
        u.id: u
        for u in await session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))
    }
    task_ids = {r.task_id for r in rows if r.task_id is not None}
    tasks = {
        t.id: t
        for t in (
            await session.scalars(select(Task).where(Task.id.in_(task_ids))) if task_ids else []
        )
    }
    return [
        Claimed(r, people[r.user_id], tasks.get(r.task_id) if r.task_id else None, token)
        for r in rows
    ]


async def hold(
    session: AsyncSession, claimed: Sequence[Claimed], now: datetime, lease: timedelta
) -> set[int]:
    """Just before sending them: the ids of these rows that are still ours, their lease pushed
    ahead to `now + lease`.

    A row is left out when another instance claimed it after our lease ran out, or a change of
    its task or booking moved or cancelled it: then it must not be sent by us. On PostgreSQL
    this UPDATE and another instance's claim of the same row wait for each other, so exactly
    one of them has it.
    """
    held: set[int] = set()
    for token in {item.token for item in claimed}:
        ids = [item.reminder.id for item in claimed if item.token == token]
        held |= set(
            (
                await session.scalars(
                    update(Reminder)
                    .where(
                        Reminder.id.in_(ids),
                        Reminder.status == ReminderStatus.PENDING,
                        Reminder.claim == token,
                    )
                    .values(due_at=now + lease)
                    .returning(Reminder.id)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
    return held


async def finish(
    session: AsyncSession, claimed: Sequence[Claimed], status: ReminderStatus, now: datetime
) -> int:
    """Marks claimed reminders done. Returns how many rows changed.

    SENT: whenever the row is still pending for the moment that was sent, even if our lease ran
    out and someone else holds it now (what was delivered is never thrown away). Not when a
    change of the task moved it meanwhile: the new moment still gets its message. Any other
    outcome only while the claim is still ours.
    """
    changed = 0
    for item in claimed:
        where = [Reminder.id == item.reminder.id, Reminder.status == ReminderStatus.PENDING]
        values: dict[str, object] = {"status": status}
        if status == ReminderStatus.SENT:
            where.append(Reminder.scheduled_at == item.reminder.scheduled_at)
            values["sent_at"] = now
        else:
            where.append(Reminder.claim == item.token)
        result = await session.execute(
            update(Reminder)
            .where(*where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


async def release(
    session: AsyncSession, claimed: Sequence[Claimed], when: datetime, *, counted: bool
) -> None:
    """Back in the queue at `when`, claimed by nobody. Not `counted`: the claim does not count
    as an attempt (a stop or a 429 pause, not a failure of this reminder)."""
    for token in {item.token for item in claimed}:
        ids = [item.reminder.id for item in claimed if item.token == token]
        await session.execute(
            update(Reminder)
            .where(
                Reminder.id.in_(ids),
                Reminder.status == ReminderStatus.PENDING,
                Reminder.claim == token,
            )
            .values(
                due_at=when,
                claim=None,
                attempts=Reminder.attempts if counted else Reminder.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


async def pending_for_task(session: AsyncSession, task_id: int) -> Sequence[Reminder]:
    return (
        await session.scalars(
            select(Reminder)
            .where(Reminder.task_id == task_id, Reminder.status == ReminderStatus.PENDING)
            .order_by(Reminder.scheduled_at)
        )
    ).all()


# Mentors' morning digest: one row per mentor and local day


async def claim_digest(
    session: AsyncSession,
    mentor_id: int,
    day: date,
    now: datetime,
    lease: timedelta,
    token: str,
) -> int | None:
    """The day's digest row of this mentor, claimed; None when it is done or someone holds it.

    Two instances insert the row at once: the unique (mentor, day) keeps one, and the claim
    UPDATE lets exactly one of them through.
    """
    await session.execute(
        insert_ignoring_conflicts(session, DigestSent, ["mentor_id", "local_date"]).values(
            mentor_id=mentor_id, local_date=day, sent_at=None, claimed_until=None, claim=None
        )
    )
    found: int | None = await session.scalar(
        update(DigestSent)
        .where(
            DigestSent.mentor_id == mentor_id,
            DigestSent.local_date == day,
            DigestSent.sent_at.is_(None),
            (DigestSent.claimed_until.is_(None)) | (DigestSent.claimed_until < now),
        )
        .values(claimed_until=now + lease, claim=token)
        .returning(DigestSent.id)
        .execution_options(synchronize_session=False)
    )
    return found


async def hold_digest(
    session: AsyncSession, digest_id: int, token: str, now: datetime, lease: timedelta
) -> bool:
    """Just before sending: True, with the claim extended, while it is still ours."""
    held = await session.scalar(
        update(DigestSent)
        .where(
            DigestSent.id == digest_id,
            DigestSent.sent_at.is_(None),
            DigestSent.claim == token,
        )
        .values(claimed_until=now + lease)
        .returning(DigestSent.id)
        .execution_options(synchronize_session=False)
    )
    return held is not None


async def digest_done(session: AsyncSession, digest_id: int, now: datetime) -> None:
    """Sent (or nothing to send, or given up for today): whoever holds the claim."""
    await session.execute(
        update(DigestSent)
        .where(DigestSent.id == digest_id, DigestSent.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )


async def release_digest(session: AsyncSession, digest_id: int, token: str) -> None:
    """Not sent now (a 429, a stop, a network error): the next run may try again at once."""
    await session.execute(
        update(DigestSent)
        .where(DigestSent.id == digest_id, DigestSent.sent_at.is_(None), DigestSent.claim == token)
        .values(claimed_until=None, claim=None)
        .execution_options(synchronize_session=False)
    )
