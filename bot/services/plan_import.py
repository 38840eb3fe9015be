"""Plans for many people from one CSV file (one row per task), all or nothing.

Columns: telegram_id, goal, domain, task, owner, due_date, due_time, details. `owner` is me
(the young person, the default), mentor or institution; `due_date` is YYYY-MM-DD, `due_time`
HH:MM, both optional. A goal is matched by its title within the person's plan, a task by its
title within the goal: importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Role, User
from bot.db.plan_models import Goal, Task, TaskOwner, TaskStatus
from bot.repositories import users
from bot.services import plans
from bot.services.plans import DOMAINS, TITLE_LIMIT, Context

COLUMNS = ("telegram_id", "goal", "domain", "task", "owner", "due_date", "due_time", "details")
REQUIRED = ("telegram_id", "goal", "domain", "task")


@dataclass(frozen=True)
class Row:
    line: int
    telegram_id: int
    goal: str
    domain: str
    task: str
    owner: str
    due_date: date | None
    due_time: time | None
    details: str | None


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    goals_created: int = 0
    tasks_created: int = 0
    tasks_moved: int = 0
    unchanged: int = 0
    people: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse(text: str, today: date) -> tuple[list[Row], list[Problem]]:
    """Rows and the problems of the rows that are wrong; line numbers as in the file."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [Problem(1, f"missing column(s): {', '.join(missing)}")]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [Problem(1, f"unknown column(s): {', '.join(unknown)}")]
    reader.fieldnames = header
    rows, problems = [], []
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(values.values()):
            continue  # an empty line
        try:
            rows.append(_row(line, values, today))
        except ValueError as exc:
            problems.append(Problem(line, str(exc)))
    return rows, problems


def _row(line: int, values: dict[str, str], today: date) -> Row:
    raw_id = values.get("telegram_id", "")
    if not raw_id.isdigit():
        raise ValueError(f"telegram_id must be a number, not {raw_id!r}")
    goal = plans.clean_text(values.get("goal"), TITLE_LIMIT + 1)
    task = plans.clean_text(values.get("task"), TITLE_LIMIT + 1)
    if goal is None or task is None:
        raise ValueError("goal and task must not be empty")
    if len(goal) > TITLE_LIMIT or len(task) > TITLE_LIMIT:
        raise ValueError(f"goal and task titles are at most {TITLE_LIMIT} characters")
    domain = values.get("domain", "")
    if domain not in DOMAINS:
        raise ValueError(f"domain {domain!r} is not one of {', '.join(DOMAINS)}")
    owner = values.get("owner") or TaskOwner.ME
    if owner not in TaskOwner.__members__.values():
        raise ValueError(f"owner {owner!r} is not one of me, mentor, institution")
    due_date = _date(values.get("due_date", ""), today)
    due_time = _time(values.get("due_time", ""))
    if due_time is not None and due_date is None:
        raise ValueError("due_time needs a due_date")
    return Row(
        line, int(raw_id), goal, domain, task, owner, due_date, due_time,
        plans.clean_text(values.get("details"), 1000),
    )  # fmt: skip


def _date(value: str, today: date) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"due_date {value!r} is not a date like 2026-12-31") from None
    if day < today:
        raise ValueError(f"due_date {value} is in the past")
    return day


def _time(value: str) -> time | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ValueError(f"due_time {value!r} is not a time like 14:30") from None


async def run(session: AsyncSession, text: str, ctx: Context) -> Report:
    """Checks every row, then (only if all are fine) applies them in the caller's transaction.

    The caller commits, or rolls back for a dry run: the report is the same either way.
    """
    report = Report()
    rows, report.problems = parse(text, ctx.now.date())
    people = await _people(session, rows, report)
    if not report.ok:
        return report
    for row in rows:
        youth = people[row.telegram_id]
        report.people.add(youth.id)
        goal = await _goal(session, youth, row, ctx, report)
        await _task(session, goal, row, ctx, report)
    return report


async def _people(session: AsyncSession, rows: list[Row], report: Report) -> dict[int, User]:
    found: dict[int, User] = {}
    for row in rows:
        if row.telegram_id in found:
            continue
        user = await users.get_by_telegram_id(session, row.telegram_id)
        if user is None or user.consent_at is None:
            report.problems.append(Problem(row.line, f"no one with telegram_id {row.telegram_id}"))
        elif user.role != Role.YOUTH:
            report.problems.append(
                Problem(row.line, f"telegram_id {row.telegram_id} is a {user.role}, not youth")
            )
        else:
            found[row.telegram_id] = user
    report.problems.sort(key=lambda p: p.line)
    return found


async def _goal(session: AsyncSession, youth: User, row: Row, ctx: Context, report: Report) -> Goal:
    goal = await session.scalar(
        select(Goal).where(Goal.youth_id == youth.id, func.lower(Goal.title) == row.goal.lower())
    )
    if goal is not None:
        return goal
    report.goals_created += 1
    return await plans.add_goal(session, None, youth.id, row.goal, row.domain, ctx)


async def _task(session: AsyncSession, goal: Goal, row: Row, ctx: Context, report: Report) -> None:
    task = await session.scalar(
        select(Task).where(
            Task.goal_id == goal.id,
            func.lower(Task.title) == row.task.lower(),
            Task.status != TaskStatus.CANCELLED,
        )
    )
    if task is None:
        report.tasks_created += 1
        await plans.add_task(
            session, None, goal.id, title=row.task, owner=row.owner, due_date=row.due_date,
            due_time=row.due_time, details=row.details, ctx=ctx,
        )  # fmt: skip
    elif (task.due_date, task.due_time) != (row.due_date, row.due_time) and row.due_date:
        report.tasks_moved += 1
        await plans.move_task(session, None, task.id, row.due_date, row.due_time, ctx)
    else:
        report.unchanged += 1
