"""Plans for many people from one CSV file (one row per task): checked whole, written in batches.

Columns: telegram_id, goal, domain, task, owner, due_date, due_time, details. `owner` is me
(the young person, the default), mentor or institution; `due_date` is YYYY-MM-DD, `due_time`
HH:MM, both optional. A goal is matched by its title within the person's plan, a task by its
title within the goal (both case-insensitive): importing the same file twice changes nothing the
second time.

Every row is checked before anything is written (`check`, read-only: a dry run is just that).
Then `run` writes `BATCH_ROWS` rows per transaction (each person's rows together), so a long
import never holds SQLite's one write lock for more than a moment and the running bot's updates
get through between batches. The price: a batch that fails (the database went away, a person
was erased meanwhile) leaves the batches before it written. Running the same file again finishes
the job, since rows already written are recognised by their titles; the report says so.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory
from bot.kit import data_files
from bot.kit.data_files import N_, Invalid, Limits, Problem
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans import reminders
from bot.plans import rules as plans
from bot.plans.models import (
    Goal,
    PlanChange,
    Reminder,
    ReminderStatus,
    Task,
    TaskOwner,
    TaskStatus,
)
from bot.plans.rules import DOMAINS, TITLE_LIMIT, Context

COLUMNS = ("telegram_id", "goal", "domain", "task", "owner", "due_date", "due_time", "details")
REQUIRED = ("telegram_id", "goal", "domain", "task")
LIMITS = Limits()
DETAILS_LIMIT = 1000  # what plans.add_task keeps; longer details are refused, not cut
MAX_TELEGRAM_ID = 2**63 - 1  # users.telegram_id is a BigInteger
YEARS_AHEAD = 10
BATCH_ROWS = 500
# SQLite's busy handler polls a waiting writer only every 100 ms or so: without a pause the next
# batch would take the lock again before a waiting bot update wakes up to take it.
SQLITE_PAUSE = 0.2
QUERY_CHUNK = 500  # ids per IN (...) list
DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²" and "٣"

MESSAGES = {
    "plans.telegram_id": N_("telegram_id must be a whole number from 1 to {limit}, not {value!r}"),
    "plans.empty_title": N_("goal and task must not be empty"),
    "plans.long_title": N_("goal and task titles are at most {limit} characters"),
    "plans.long_details": N_("details are at most {limit} characters, not {length}"),
    "plans.domain": N_("domain {value!r} is not one of {allowed}"),
    "plans.owner": N_("owner {value!r} is not one of {allowed}"),
    "plans.date": N_("due_date {value!r} is not a date like 2026-12-31"),
    "plans.past": N_("due_date {value} is in the past"),
    "plans.far": N_("due_date {value} is more than {years} years ahead"),
    "plans.time": N_("due_time {value!r} is not a time like 14:30"),
    "plans.time_without_date": N_("due_time needs a due_date"),
    "plans.same_task": N_("the same task as line {other} (goal {goal!r}, task {task!r})"),
    "plans.goal_domain": N_("goal {goal!r} has domain {domain} on line {other}, not {value}"),
    "plans.no_person": N_("no one with telegram_id {telegram_id}"),
    "plans.not_youth": N_("telegram_id {telegram_id} is a {role}, not youth"),
    "plans.batch_failed": N_("batch {number} of {total} ({count} rows) was not written: {detail}"),
}


def _invalid(code: str, **params: object) -> Invalid:
    return Invalid(code, MESSAGES[code], **params)


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


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    goals_created: int = 0
    tasks_created: int = 0
    tasks_moved: int = 0
    unchanged: int = 0
    people: set[int] = field(default_factory=set)
    rows: int = 0
    rows_written: int = 0
    batches_total: int = 0
    batches_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def interrupted(self) -> bool:
        """Some batches were written, then one failed: run the same file again to finish."""
        return bool(self.problems) and self.batches_written > 0


@dataclass(frozen=True)
class Progress:
    batches_written: int
    batches_total: int
    rows_written: int
    rows_total: int


@dataclass
class Checked:
    rows: list[Row]
    youth_ids: dict[int, int]  # telegram id -> users.id
    problems: list[Problem]


# Reading and checking


def parse(data: bytes | str, today: date) -> tuple[list[Row], list[Problem]]:
    """Rows and the problems of the rows that are wrong; line numbers as in the file."""
    raw = data.encode() if isinstance(data, str) else data
    records, problems = data_files.read_csv(raw, COLUMNS, required=REQUIRED, limits=LIMITS)
    rows: list[Row] = []
    for record in records:
        try:
            rows.append(_row(record.line, record.values, today))
        except Invalid as exc:
            problems.append(exc.at(record.line))
    problems += _conflicts(rows)
    problems.sort(key=lambda p: p.line or 0)
    return rows, problems


def _row(line: int, values: dict[str, str], today: date) -> Row:
    raw_id = values.get("telegram_id", "")
    telegram_id = int(raw_id) if DIGITS.fullmatch(raw_id) else 0
    if not 1 <= telegram_id <= MAX_TELEGRAM_ID:
        raise _invalid("plans.telegram_id", value=raw_id[:40], limit=MAX_TELEGRAM_ID)
    goal = plans.clean_text(values.get("goal"), TITLE_LIMIT + 1)
    task = plans.clean_text(values.get("task"), TITLE_LIMIT + 1)
    if goal is None or task is None:
        raise _invalid("plans.empty_title")
    if len(goal) > TITLE_LIMIT or len(task) > TITLE_LIMIT:
        raise _invalid("plans.long_title", limit=TITLE_LIMIT)
    domain = values.get("domain", "")
    if domain not in DOMAINS:
        raise _invalid("plans.domain", value=domain[:40], allowed=", ".join(DOMAINS))
    owner = values.get("owner") or TaskOwner.ME
    if owner not in TaskOwner.__members__.values():
        raise _invalid("plans.owner", value=owner[:40], allowed=", ".join(TaskOwner))
    due_date = _date(values.get("due_date", ""), today)
    due_time = _time(values.get("due_time", ""))
    if due_time is not None and due_date is None:
        raise _invalid("plans.time_without_date")
    details = plans.clean_text(values.get("details"), DETAILS_LIMIT + 1)
    if details is not None and len(details) > DETAILS_LIMIT:
        length = len(" ".join(values.get("details", "").split()))
        raise _invalid("plans.long_details", limit=DETAILS_LIMIT, length=length)
    return Row(line, telegram_id, goal, domain, task, owner, due_date, due_time, details)


def _date(value: str, today: date) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _invalid("plans.date", value=value[:40]) from None
    if day < today:
        raise _invalid("plans.past", value=value)
    # Reminders are planned around the date: year 9999 would overflow, and is surely a typo.
    if day.year > today.year + YEARS_AHEAD:
        raise _invalid("plans.far", value=value, years=YEARS_AHEAD)
    return day


def _time(value: str) -> time | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise _invalid("plans.time", value=value[:40]) from None


def _key(title: str) -> str:
    """How titles are matched: the same in Python on every database (SQLite's lower() only
    folds ASCII, so Cyrillic titles would not match there)."""
    return title.casefold()


def _conflicts(rows: list[Row]) -> list[Problem]:
    """A task given twice, or one goal with two domains: one of them would be dropped."""
    found: list[Problem] = []
    goals: dict[tuple[int, str], Row] = {}
    tasks: dict[tuple[int, str, str], Row] = {}
    for row in rows:
        first_goal = goals.setdefault((row.telegram_id, _key(row.goal)), row)
        if first_goal.domain != row.domain:
            found.append(
                _invalid(
                    "plans.goal_domain", goal=row.goal, domain=first_goal.domain,
                    other=first_goal.line, value=row.domain,
                ).at(row.line)
            )  # fmt: skip
        first_task = tasks.setdefault((row.telegram_id, _key(row.goal), _key(row.task)), row)
        if first_task is not row:
            found.append(
                _invalid("plans.same_task", other=first_task.line, goal=row.goal, task=row.task).at(
                    row.line
                )
            )
    return found


async def check(session: AsyncSession, data: bytes | str, ctx: Context) -> Checked:
    """Every row read and checked, the people looked up; nothing is written."""
    rows, problems = parse(data, ctx.now.date())
    youth_ids = await _people(session, rows, problems)
    problems.sort(key=lambda p: p.line or 0)
    return Checked(rows, youth_ids, problems)


async def _people(
    session: AsyncSession, rows: list[Row], problems: list[Problem]
) -> dict[int, int]:
    first_line: dict[int, int] = {}
    for row in rows:
        first_line.setdefault(row.telegram_id, row.line)
    found: dict[int, User] = {}
    for chunk in _chunks(list(first_line), QUERY_CHUNK):
        for person in await session.scalars(select(User).where(User.telegram_id.in_(chunk))):
            found[person.telegram_id] = person
    youth_ids: dict[int, int] = {}
    for telegram_id, line in first_line.items():
        user = found.get(telegram_id)
        if user is None or user.consent_at is None:
            problems.append(_invalid("plans.no_person", telegram_id=telegram_id).at(line))
        elif user.role != Role.YOUTH:
            problems.append(
                _invalid("plans.not_youth", telegram_id=telegram_id, role=user.role).at(line)
            )
        else:
            youth_ids[telegram_id] = user.id
    return youth_ids


# Writing


async def run(
    sessions: SessionFactory,
    data: bytes | str,
    ctx: Context,
    *,
    dry_run: bool = False,
    batch_rows: int = BATCH_ROWS,
    pause: float | None = None,
    on_batch: Callable[[Progress], None] | None = None,
    actor: User | None = None,
) -> Report:
    """Checks every row; then, if all are fine, writes them `batch_rows` per transaction.

    A dry run reports what would change, from reads alone. `pause` (seconds between batches)
    defaults to SQLITE_PAUSE on SQLite and none elsewhere. `actor`: the staff member who
    imports from the desk (already checked by the caller), named in the plans' history.
    """
    report = Report()
    async with sessions() as session:
        checked = await check(session, data, ctx)
        report.rows = len(checked.rows)
        if checked.problems:
            report.problems = checked.problems
            return report
        if dry_run:
            await _apply(
                session, checked.rows, checked.youth_ids, ctx, report, write=False, actor=actor
            )
            return report
        dialect = session.get_bind().dialect.name
    gap = (SQLITE_PAUSE if dialect == "sqlite" else 0.0) if pause is None else pause
    batches = list(_chunks(_by_person(checked.rows), batch_rows))
    report.batches_total = len(batches)
    wrote = 0
    for number, batch in enumerate(batches, 1):
        if wrote and gap:
            await asyncio.sleep(gap)  # only after a batch that took the write lock
        try:
            async with sessions.begin() as session:
                done = Report()
                await _apply(session, batch, checked.youth_ids, ctx, done, write=True, actor=actor)
        except (SQLAlchemyError, OSError) as exc:
            detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            report.problems.append(
                _invalid(
                    "plans.batch_failed", number=number, total=len(batches), count=len(batch),
                    detail=detail.rstrip(": "),
                ).at(min(row.line for row in batch))
            )  # fmt: skip
            return report
        _add(report, done)
        wrote = done.goals_created or done.tasks_created or done.tasks_moved
        report.batches_written = number
        report.rows_written += len(batch)
        if on_batch is not None:
            on_batch(Progress(number, len(batches), report.rows_written, report.rows))
    return report


def _by_person(rows: list[Row]) -> list[Row]:
    """Each person's rows together, people in the order the file first names them: a batch
    then reads the plans of a few people, not of every person a mixed file touches."""
    first: dict[int, int] = {}
    for row in rows:
        first.setdefault(row.telegram_id, row.line)
    return sorted(rows, key=lambda row: (first[row.telegram_id], row.line))


def _add(report: Report, batch: Report) -> None:
    report.goals_created += batch.goals_created
    report.tasks_created += batch.tasks_created
    report.tasks_moved += batch.tasks_moved
    report.unchanged += batch.unchanged
    report.people |= batch.people


@dataclass(frozen=True)
class _TaskNow:
    id: int
    due_date: date | None
    due_time: time | None


async def _apply(
    session: AsyncSession,
    rows: Sequence[Row],
    youth_ids: dict[int, int],
    ctx: Context,
    report: Report,
    *,
    write: bool,
    actor: User | None = None,
) -> None:
    """Adds and moves what `rows` ask for, or (write=False) only counts what it would do.

    The people's goals and open tasks are read in a few queries first, and new goals and tasks
    are inserted together: one statement per table and batch, not a dozen round trips per row
    (that was 5 ms a row on SQLite: 4 minutes for 50,000).
    """
    involved = sorted({youth_ids[row.telegram_id] for row in rows})
    goals: dict[tuple[int, str], int] = {}
    tasks: dict[tuple[int, str], _TaskNow] = {}
    youths: dict[int, User] = {}
    for chunk in _chunks(involved, QUERY_CHUNK):
        found_goals = await session.execute(
            select(Goal.id, Goal.youth_id, Goal.title)
            .where(Goal.youth_id.in_(chunk))
            .order_by(Goal.id)
        )
        for goal_id, youth_id, title in found_goals:
            goals.setdefault((youth_id, _key(title)), goal_id)
        found_tasks = await session.execute(
            select(Task.id, Task.goal_id, Task.title, Task.due_date, Task.due_time)
            .where(Task.youth_id.in_(chunk), Task.status != TaskStatus.CANCELLED)
            .order_by(Task.id)
        )
        for task_id, goal_id, title, due_date, due_time in found_tasks:
            tasks.setdefault((goal_id, _key(title)), _TaskNow(task_id, due_date, due_time))
        if write:
            youths.update(
                (u.id, u) for u in await session.scalars(select(User).where(User.id.in_(chunk)))
            )
    new_goals: dict[tuple[int, str], Goal] = {}
    for row in rows:
        youth_id = youth_ids[row.telegram_id]
        report.people.add(youth_id)
        key = (youth_id, _key(row.goal))
        if key not in goals and key not in new_goals:
            new_goals[key] = Goal(
                youth_id=youth_id, title=row.goal, domain=row.domain, created_at=ctx.now,
                created_by_id=actor.id if actor else None,
            )  # fmt: skip
    report.goals_created += len(new_goals)
    changes: list[dict[str, object]] = []
    if write and new_goals:
        session.add_all(new_goals.values())
        await session.flush()
        changes += [
            _change(
                goal.youth_id,
                "goal_added",
                ctx,
                actor,
                goal.id,
                title=goal.title,
                domain=goal.domain,
            )
            for goal in new_goals.values()
        ]
    new_tasks: list[Task] = []
    moves: list[tuple[_TaskNow, Row]] = []
    for row in rows:
        key = (youth_ids[row.telegram_id], _key(row.goal))
        goal = new_goals.get(key)
        task = None if goal is not None else tasks.get((goals[key], _key(row.task)))
        if task is None:
            report.tasks_created += 1
            if write:
                new_tasks.append(
                    _task(goal.id if goal is not None else goals[key], key[0], row, ctx)
                )
        elif row.due_date and (task.due_date, task.due_time) != (row.due_date, row.due_time):
            report.tasks_moved += 1
            moves.append((task, row))
        else:
            report.unchanged += 1
    if not write:
        return
    due: list[dict[str, object]] = []
    if new_tasks:
        session.add_all(new_tasks)
        await session.flush()  # one INSERT per task on SQLite: their ids are needed
        for new in new_tasks:
            changes.append(
                _change(
                    new.youth_id, "task_added", ctx, actor, new.goal_id, new.id, title=new.title,
                    owner=new.owner, due_date=new.due_date, due_time=new.due_time,
                )
            )  # fmt: skip
            tz = people.timezone_of(youths[new.youth_id], ctx.default_tz)
            due += [
                {
                    "user_id": new.youth_id, "task_id": new.id, "kind": kind,
                    "scheduled_at": moment, "due_at": moment, "status": ReminderStatus.PENDING,
                    "attempts": 0,
                }
                for kind, moment in reminders.wanted(new, tz, ctx.rules, ctx.now).items()
            ]  # fmt: skip
    # History and reminders need no ids back: one executemany each.
    if changes:
        await session.execute(insert(PlanChange), changes)
    if due:
        await session.execute(insert(Reminder), due)
    for task_now, row in moves:
        assert row.due_date is not None
        await plans.move_task(
            session, None, task_now.id, row.due_date, row.due_time, ctx, recorded_as=actor
        )
    await session.flush()


def _task(goal_id: int, youth_id: int, row: Row, ctx: Context) -> Task:
    """The task plans.add_task would make (tests/test_plan_import.py compares the two)."""
    return Task(
        goal_id=goal_id, youth_id=youth_id, title=row.task, details=row.details,
        owner=row.owner, due_date=row.due_date, due_time=row.due_time,
        deadline_at=reminders.deadline_at(row.due_date, row.due_time, ctx.default_tz),
        status=TaskStatus.TODO, created_at=ctx.now, updated_at=ctx.now,
    )  # fmt: skip


def _change(
    youth_id: int,
    action: str,
    ctx: Context,
    actor: User | None,
    goal_id: int | None = None,
    task_id: int | None = None,
    **detail: object,
) -> dict[str, object]:
    """The history line plans.add_goal and plans.add_task write; no actor: the command line."""
    return {
        "youth_id": youth_id, "actor_id": actor.id if actor else None, "source": ctx.source,
        "goal_id": goal_id, "task_id": task_id,
        "action": action, "detail": json.dumps(detail, ensure_ascii=False, default=str),
        "at": ctx.now,
    }  # fmt: skip


T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
