"""Claiming due reminders so that each goes out once, whichever instance and whatever crashes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import any_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.db.plan_models import Reminder, ReminderStatus, Task


@dataclass(frozen=True)
class Claimed:
    reminder: Reminder
    user: User
    task: Task | None
    lease_until: datetime  # the reminder's due_at while this claim holds


async def claim(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Due reminders, pushed `lease` into the future so no one else takes them meanwhile.

    One statement: on PostgreSQL the rows are locked with SKIP LOCKED, so concurrent
    claimers take different rows; SQLite runs writers one at a time. The (status, due_at)
    index keeps this as fast with a million future reminders as with ten.
    """
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
    lease_until = now + lease
    claimed_ids = (
        await session.scalars(
            update(Reminder)
            .where(chosen)
            .values(due_at=lease_until, attempts=Reminder.attempts + 1)
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
        Claimed(r, people[r.user_id], tasks.get(r.task_id) if r.task_id else None, lease_until)
        for r in rows
    ]


async def finish(
    session: AsyncSession,
    ids: Sequence[int],
    status: ReminderStatus,
    now: datetime,
    lease_until: datetime,
) -> int:
    """Marks claimed reminders done, unless a change to the task rescheduled them meanwhile."""
    if not ids:
        return 0
    values: dict[str, object] = {"status": status}
    if status == ReminderStatus.SENT:
        values["sent_at"] = now
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.id.in_(ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at == lease_until,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def retry_at(
    session: AsyncSession, ids: Sequence[int], when: datetime, lease_until: datetime
) -> None:
    """Back in the queue at `when` (after a 429's retry_after), keeping the order."""
    if not ids:
        return
    await session.execute(
        update(Reminder)
        .where(
            Reminder.id.in_(ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at == lease_until,
        )
        .values(due_at=when, attempts=Reminder.attempts - 1)
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
