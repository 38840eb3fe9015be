"""Plan figures for the desk's reports and a mentor's caseload: who has a plan, tasks done on
time or late, tasks overdue now, and requests for more time still waiting for an answer.

"Overdue now" is the people table's rule (bot/people/queries.py: the service's local date and
time), so the dashboard's count and the table's "Overdue tasks" filter always agree. A task is
"done late" when it was marked done after its deadline (its time, or the end of its day) in the
service's time zone; a task without a deadline is never late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people.figures import Cohort, Period, in_cohort
from bot.people.models import User
from bot.people.queries import overdue_task
from bot.plans.models import ExtensionRequest, ExtensionStatus, Goal, Task, TaskStatus
from bot.plans.reminders import deadline


async def with_plan(session: AsyncSession, cohort: Cohort, period: Period) -> int:
    """Young people with at least one goal written by the period's end."""
    query = (
        select(func.count(func.distinct(Goal.youth_id)))
        .join(User, User.id == Goal.youth_id)
        .where(in_cohort(cohort), Goal.created_at < period.end)
    )
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class TaskFigures:
    on_time: int  # done during the period, by their deadline
    late: int  # done during the period, after it
    overdue: int  # open and past their deadline now


async def tasks(
    session: AsyncSession, cohort: Cohort, period: Period, now: datetime
) -> TaskFigures:
    # Thousands of rows in a busy period: read as the driver gives them (SQLite: ISO text,
    # PostgreSQL: date and time values) and parsed below with the standard library's ISO
    # parsers, many times faster than SQLAlchemy's per-value processors for SQLite.
    done = await session.execute(
        select(
            type_coerce(Task.due_date, String),
            type_coerce(Task.due_time, String),
            type_coerce(Task.done_at, String),
        )
        .join(User, User.id == Task.youth_id)
        .where(
            in_cohort(cohort),
            Task.status == TaskStatus.DONE,
            Task.done_at >= period.start,
            Task.done_at < period.end,
        )
    )
    on_time = late = 0
    # Deadlines repeat (many tasks share a day): each is worked out once, in the form the
    # driver gives `done_at` in, so each row is one comparison.
    # Any: text on SQLite, date and time values on PostgreSQL, whatever the column's type says.
    deadlines: dict[tuple[Any, Any], Any] = {}
    for raw_date, raw_time, raw_done in done.all():
        if raw_date is None or raw_done is None:
            on_time += 1
            continue
        key = (raw_date, raw_time)
        limit = deadlines.get(key)
        if limit is None:
            moment = deadline(_as_date(raw_date), _as_time(raw_time), period.tz)
            limit = deadlines[key] = _like(raw_done, moment)
        if raw_done > limit:
            late += 1
        else:
            on_time += 1
    local = now.astimezone(ZoneInfo(period.tz))
    overdue = await session.scalar(
        select(func.count(Task.id))
        .select_from(User)
        .join(Task, overdue_task(local.date(), local.time()))
        .where(in_cohort(cohort))
    )
    return TaskFigures(on_time, late, int(overdue or 0))


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_time(value: object) -> time | None:
    if value is None or isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def _like(stored: object, moment: datetime) -> Any:
    """`moment` as `stored` is: an aware datetime, or SQLite's text of a UTC time without its
    zone (bot/db/base.py: UTCDateTime), which sorts as the time does."""
    if isinstance(stored, datetime):
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@dataclass(frozen=True)
class Waiting:
    """A request for more time that nobody has answered yet."""

    youth: User
    task_title: str
    due: date | None
    requested_at: datetime


async def waiting_for_more_time(
    session: AsyncSession, cohort: Cohort, limit: int
) -> tuple[int, Sequence[Waiting]]:
    """How many open requests for more time the cohort has, and the oldest `limit` of them."""
    condition = (
        ExtensionRequest.status == ExtensionStatus.PENDING,
        Task.status == TaskStatus.TODO,
        in_cohort(cohort),
    )
    base = (
        select(ExtensionRequest, Task, User)
        .join(Task, Task.id == ExtensionRequest.task_id)
        .join(User, User.id == Task.youth_id)
        .where(*condition)
    )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(ExtensionRequest.requested_at, ExtensionRequest.id).limit(limit)
    )
    return int(total or 0), [
        Waiting(youth, task.title, task.due_date, request.requested_at)
        for request, task, youth in rows.all()
    ]
