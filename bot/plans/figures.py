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
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
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
    done = and_(
        in_cohort(cohort),
        Task.status == TaskStatus.DONE,
        Task.done_at >= period.start,
        Task.done_at < period.end,
    )
    # Thousands of tasks in a busy period, but a few hundred deadlines: tasks are counted per
    # deadline in SQL, with their earliest and latest completion. A deadline all of whose
    # tasks were done before it (or all after it) is settled at once; only for the rest does
    # one more count ask which were done after their deadline.
    groups = await session.execute(
        select(
            Task.due_date,
            Task.due_time,
            func.count(),
            func.min(Task.done_at),
            func.max(Task.done_at),
        )
        .join(User, User.id == Task.youth_id)
        .where(done)
        .group_by(Task.due_date, Task.due_time)
    )
    total = late = 0
    mixed: list[ColumnElement[bool]] = []
    for due_date, due_time, count, first, last in groups.all():
        total += count
        if due_date is None or first is None or last is None:
            continue  # no deadline: never late
        limit = deadline(due_date, due_time, period.tz)
        if first > limit:
            late += count
        elif last > limit:
            same_time = Task.due_time.is_(None) if due_time is None else Task.due_time == due_time
            mixed.append(and_(Task.due_date == due_date, same_time, Task.done_at > limit))
    if mixed:
        late += int(
            await session.scalar(
                select(func.count())
                .select_from(Task)
                .join(User, User.id == Task.youth_id)
                .where(done, or_(*mixed))
            )
            or 0
        )
    local = now.astimezone(ZoneInfo(period.tz))
    overdue = await session.scalar(
        select(func.count(Task.id))
        .select_from(User)
        .join(Task, overdue_task(local.date(), local.time()))
        .where(in_cohort(cohort))
    )
    return TaskFigures(total - late, late, int(overdue or 0))


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
