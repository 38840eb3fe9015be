"""Plan figures for the desk's reports and a mentor's caseload: who has a plan, tasks done on
time or late, tasks overdue now, and requests for more time still waiting for an answer.

"Overdue now" is the people table's rule (bot/people/queries.py: the service's local date and
time), so the dashboard's count and the table's "Overdue tasks" filter always agree. A task is
"done late" when it was marked done after its deadline (its time, or the end of its day) in the
service's time zone, stored with the task as deadline_at; a task without a deadline is never
late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people.figures import Cohort, Period, in_cohort
from bot.people.models import User
from bot.people.queries import overdue_task
from bot.plans.models import ExtensionRequest, ExtensionStatus, Goal, Task, TaskStatus


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
    # Each task keeps the moment its deadline passes (Task.deadline_at, in the service's zone,
    # the period's): one pass over the period's done tasks, read from one index, counts both.
    is_late = and_(Task.deadline_at.is_not(None), Task.done_at > Task.deadline_at)
    total, late = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((is_late, 1), else_=0)), 0))
            .select_from(Task)
            .join(User, User.id == Task.youth_id)
            .where(
                in_cohort(cohort),
                Task.status == TaskStatus.DONE,
                Task.done_at >= period.start,
                Task.done_at < period.end,
            )
        )
    ).one()
    local = now.astimezone(ZoneInfo(period.tz))
    overdue = await session.scalar(
        select(func.count())
        .select_from(User)
        .join(Task, overdue_task(local.date(), local.time()))
        .where(in_cohort(cohort))
    )
    return TaskFigures(int(total) - int(late), int(late), int(overdue or 0))


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
