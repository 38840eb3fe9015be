"""Individual activation plans: who may see and change what, and the history of every change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.kit.errors import NotAllowed, NotFound, Reason, Unfit
from bot.people import mentoring
from bot.people import queries as users
from bot.people import rules as people
from bot.people.models import MentorLink, Role, User
from bot.plans import reminders
from bot.plans.models import (
    ExtensionRequest,
    ExtensionStatus,
    Goal,
    GoalStatus,
    PlanChange,
    Task,
    TaskOwner,
    TaskStatus,
)
from bot.plans.reminders import ReminderRules

# The life domains of the self-assessment; a goal belongs to one of them.
DOMAINS = (
    "education",
    "work",
    "housing",
    "money",
    "health",
    "documents",
    "living_skills",
    "support",
)
TITLE_LIMIT = 120
NOTE_LIMIT = 300


def clean_text(text: str | None, limit: int) -> str | None:
    """One line, trimmed, at most `limit` characters; None when nothing is left."""
    cleaned = " ".join((text or "").split())
    return cleaned[:limit] or None


# What a mentor types or picks in the bot, checked and converted before anything changes


NUDGE_LIMIT = 300


def _typed(text: str | None, limit: int) -> str:
    cleaned = clean_text(text, limit + 1)
    if cleaned is None:
        raise Unfit(Reason.EMPTY)
    if len(cleaned) > limit:
        raise Unfit(Reason.TOO_LONG, limit)
    return cleaned


def typed_title(text: str | None) -> str:
    """A goal's or a task's title: one line, not empty, at most TITLE_LIMIT characters."""
    return _typed(text, TITLE_LIMIT)


def typed_nudge(text: str | None) -> str:
    """A mentor's own words to their young people."""
    return _typed(text, NUDGE_LIMIT)


def typed_clock(text: str | None) -> time:
    """A time of day typed as 17:30 or 17.30."""
    try:
        return datetime.strptime((text or "").strip().replace(".", ":"), "%H:%M").time()
    except ValueError:
        raise Unfit(Reason.NOT_A_TIME) from None


def check_day(day: date, today: date) -> date:
    """A deadline is today or later."""
    if day < today:
        raise Unfit(Reason.PAST_DAY)
    return day


@dataclass(frozen=True)
class Context:
    """What every change needs besides the session: when, and how reminders are planned."""

    now: datetime
    rules: ReminderRules
    default_tz: str
    # Where the change is made, for the audit trail: "bot", "console" (the desk), "import".
    source: str = "bot"


def context_for(settings: Settings, clock: Clock) -> Context:
    """A change made now, under the configured reminder rules and default time zone."""
    return Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)


async def is_mentor_of(session: AsyncSession, mentor: User, youth_id: int) -> bool:
    return (
        mentor.role == Role.MENTOR
        and await mentoring.find(session, mentor.id, youth_id) is not None
    )


async def youth_for(session: AsyncSession, viewer: User, youth_id: int) -> User:
    """The young person whose plan `viewer` may see: themself, or a mentee of theirs."""
    if viewer.id == youth_id:
        return viewer
    if not await is_mentor_of(session, viewer, youth_id):
        raise NotAllowed("not their plan")
    youth = await users.get(session, youth_id)
    if youth is None:
        raise NotFound("no such person")
    return youth


async def editable_task(session: AsyncSession, actor: User, task_id: int) -> Task:
    """A task `actor` may change: one of their mentee's."""
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task")
    if not await is_mentor_of(session, actor, task.youth_id):
        raise NotAllowed("not their mentee")
    return task


async def goal_for(session: AsyncSession, mentor: User, goal_id: int) -> Goal:
    """A goal in the plan of one of `mentor`'s young people."""
    goal = await session.get(Goal, goal_id)
    if goal is None or not await is_mentor_of(session, mentor, goal.youth_id):
        raise NotFound("no such goal")
    return goal


async def _own_task(session: AsyncSession, youth: User, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    # Someone else's task looks exactly like a missing one: nothing is revealed.
    if task is None or task.youth_id != youth.id:
        raise NotFound("no such task")
    return task


async def _task_to_do(session: AsyncSession, youth: User, task_id: int) -> Task:
    """The young person's own task that they do themselves: one their mentor or an institution
    does is theirs to see, not to mark done or to ask more time for."""
    task = await _own_task(session, youth, task_id)
    if task.owner != TaskOwner.ME:
        raise NotAllowed("someone else does this task")
    return task


def _record(
    session: AsyncSession,
    *,
    youth_id: int,
    actor: User | None,
    action: str,
    now: datetime,
    goal_id: int | None = None,
    task_id: int | None = None,
    source: str = "bot",
    **detail: Any,
) -> None:
    session.add(
        PlanChange(
            youth_id=youth_id,
            actor_id=actor.id if actor else None,
            source=source,
            goal_id=goal_id,
            task_id=task_id,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            at=now,
        )
    )


async def _resync(session: AsyncSession, task: Task, ctx: Context) -> None:
    youth = await users.get(session, task.youth_id)
    tz = people.timezone_of(youth, ctx.default_tz) if youth else ctx.default_tz
    await reminders.sync_task(session, task, tz, ctx.rules, ctx.now)


# Mentors shape the plan


async def add_goal(
    session: AsyncSession, actor: User | None, youth_id: int, title: str, domain: str, ctx: Context
) -> Goal:
    """`actor` None: an import by staff, already checked by the caller."""
    if actor is not None and not await is_mentor_of(session, actor, youth_id):
        raise NotAllowed("not their mentee")
    cleaned = clean_text(title, TITLE_LIMIT)
    if cleaned is None or domain not in DOMAINS:
        raise ValueError("a goal needs a title and a known domain")
    goal = Goal(
        youth_id=youth_id,
        title=cleaned,
        domain=domain,
        created_at=ctx.now,
        created_by_id=actor.id if actor else None,
    )
    session.add(goal)
    await session.flush()
    _record(
        session, youth_id=youth_id, actor=actor, action="goal_added", now=ctx.now,
        source=ctx.source,
        goal_id=goal.id, title=cleaned, domain=domain,
    )  # fmt: skip
    return goal


async def add_task(
    session: AsyncSession,
    actor: User | None,
    goal_id: int,
    *,
    title: str,
    owner: str,
    due_date: date | None,
    due_time: time | None,
    details: str | None,
    ctx: Context,
) -> Task:
    goal = await session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("no such goal")
    if actor is not None and not await is_mentor_of(session, actor, goal.youth_id):
        raise NotAllowed("not their mentee")
    cleaned = clean_text(title, TITLE_LIMIT)
    if cleaned is None or owner not in TaskOwner.__members__.values():
        raise ValueError("a task needs a title and an owner")
    task = Task(
        goal_id=goal.id,
        youth_id=goal.youth_id,
        title=cleaned,
        details=clean_text(details, 1000),
        owner=owner,
        due_date=due_date,
        due_time=due_time,
        deadline_at=reminders.deadline_at(due_date, due_time, ctx.default_tz),
        status=TaskStatus.TODO,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(task)
    await session.flush()
    _record(
        session, youth_id=goal.youth_id, actor=actor, action="task_added", now=ctx.now,
        source=ctx.source,
        goal_id=goal.id, task_id=task.id, title=cleaned, owner=owner, due_date=due_date,
        due_time=due_time,
    )  # fmt: skip
    await _resync(session, task, ctx)
    return task


async def move_task(
    session: AsyncSession,
    actor: User | None,
    task_id: int,
    due_date: date,
    due_time: time | None,
    ctx: Context,
    *,
    recorded_as: User | None = None,
) -> Task:
    """`actor` None: checked by the caller (an import), who may name the person for the trail."""
    task = (
        await editable_task(session, actor, task_id)
        if actor is not None
        else await _get_task(session, task_id)
    )
    before = (task.due_date, task.due_time)
    reminders.set_due(task, due_date, due_time, ctx.default_tz)
    task.updated_at = ctx.now
    _record(
        session, youth_id=task.youth_id, actor=actor or recorded_as, action="task_moved",
        now=ctx.now,
        source=ctx.source,
        task_id=task.id, before=before, after=(due_date, due_time),
    )  # fmt: skip
    await _resync(session, task, ctx)
    return task


async def _get_task(session: AsyncSession, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task")
    return task


async def rename_task(
    session: AsyncSession, actor: User, task_id: int, title: str, ctx: Context
) -> Task:
    task = await editable_task(session, actor, task_id)
    cleaned = clean_text(title, TITLE_LIMIT)
    if cleaned is None:
        raise ValueError("a task needs a title")
    before, task.title = task.title, cleaned
    task.updated_at = ctx.now
    _record(
        session, youth_id=task.youth_id, actor=actor, action="task_renamed", now=ctx.now,
        source=ctx.source,
        task_id=task.id, before=before, after=cleaned,
    )  # fmt: skip
    return task


async def cancel_task(session: AsyncSession, actor: User, task_id: int, ctx: Context) -> Task:
    task = await editable_task(session, actor, task_id)
    if task.status == TaskStatus.TODO:
        task.status = TaskStatus.CANCELLED
        task.updated_at = ctx.now
        _record(
            session, youth_id=task.youth_id, actor=actor, action="task_cancelled",
            now=ctx.now, source=ctx.source, task_id=task.id,
        )  # fmt: skip
        await _resync(session, task, ctx)
    return task


# The young person works through it


async def complete(
    session: AsyncSession, youth: User, task_id: int, note: str | None, ctx: Context
) -> Task:
    task = await _task_to_do(session, youth, task_id)
    if task.status == TaskStatus.TODO:
        task.status = TaskStatus.DONE
        task.done_at = ctx.now
        task.updated_at = ctx.now
        _record(
            session, youth_id=youth.id, actor=youth, action="task_done", now=ctx.now,
        source=ctx.source,
            task_id=task.id,
        )  # fmt: skip
        await _resync(session, task, ctx)
    return task


async def add_note(
    session: AsyncSession, youth: User, task_id: int, note: str, ctx: Context
) -> Task:
    task = await _own_task(session, youth, task_id)
    task.done_note = clean_text(note, NOTE_LIMIT)
    task.updated_at = ctx.now
    _record(
        session,
        youth_id=youth.id,
        actor=youth,
        action="note_added",
        now=ctx.now,
        source=ctx.source,
        task_id=task.id,
    )
    return task


@dataclass(frozen=True)
class MoreTime:
    request: ExtensionRequest
    task: Task
    mentors: Sequence[User]
    already_asked: bool


async def ask_more_time(session: AsyncSession, youth: User, task_id: int, ctx: Context) -> MoreTime:
    task = await _task_to_do(session, youth, task_id)
    if task.status != TaskStatus.TODO:
        raise NotFound("nothing to extend")
    mentors = await users.mentors_of(session, youth.id)
    open_request = await session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.task_id == task.id,
            ExtensionRequest.status == ExtensionStatus.PENDING,
        )
    )
    if open_request is not None:
        return MoreTime(open_request, task, mentors, already_asked=True)
    request = ExtensionRequest(
        task_id=task.id, requested_at=ctx.now, status=ExtensionStatus.PENDING
    )
    session.add(request)
    await session.flush()
    _record(
        session, youth_id=youth.id, actor=youth, action="more_time_asked", now=ctx.now,
        source=ctx.source,
        task_id=task.id,
    )  # fmt: skip
    return MoreTime(request, task, mentors, already_asked=False)


async def requested_task(session: AsyncSession, mentor: User, request_id: int) -> Task:
    """The task a request for more time is about, if `mentor` may answer it."""
    request = await session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound("no such request")
    return await editable_task(session, mentor, request.task_id)


def extended(task: Task, days: int, today: date) -> date:
    """More time counts from the deadline, or from today when it has passed already."""
    return max(task.due_date or today, today) + timedelta(days=days)


@dataclass(frozen=True)
class Decision:
    request: ExtensionRequest
    task: Task
    youth: User
    changed: bool  # False: someone already answered


async def answer_more_time(
    session: AsyncSession,
    mentor: User,
    request_id: int,
    new_date: date | None,
    ctx: Context,
) -> Decision:
    """`new_date` None: a no."""
    request = await session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound("no such request")
    task = await editable_task(session, mentor, request.task_id)
    youth = await users.get(session, task.youth_id)
    if youth is None:
        raise NotFound("no such person")
    if request.status != ExtensionStatus.PENDING:
        return Decision(request, task, youth, changed=False)
    request.decided_by_id = mentor.id
    request.decided_at = ctx.now
    if new_date is None:
        request.status = ExtensionStatus.REFUSED
        _record(
            session, youth_id=youth.id, actor=mentor, action="more_time_refused", now=ctx.now,
        source=ctx.source,
            task_id=task.id,
        )  # fmt: skip
    else:
        request.status = ExtensionStatus.GRANTED
        request.new_date = new_date
        await move_task(session, mentor, task.id, new_date, task.due_time, ctx)
    return Decision(request, task, youth, changed=True)


# Reading the plan


@dataclass(frozen=True)
class TaskLine:
    task: Task
    goal: Goal
    overdue: bool


@dataclass(frozen=True)
class PlanView:
    youth: User
    open: list[TaskLine]  # by deadline; without one last
    done: list[TaskLine]
    goals: list[Goal]


def is_overdue(task: Task, tz: str, now: datetime) -> bool:
    if task.status != TaskStatus.TODO or task.due_date is None:
        return False
    return reminders.deadline(task.due_date, task.due_time, tz) <= now


async def plan(session: AsyncSession, viewer: User, youth_id: int, ctx: Context) -> PlanView:
    youth = await youth_for(session, viewer, youth_id)
    tz = people.timezone_of(youth, ctx.default_tz)
    goals = (
        await session.scalars(select(Goal).where(Goal.youth_id == youth.id).order_by(Goal.id))
    ).all()
    by_id = {g.id: g for g in goals}
    tasks = (
        await session.scalars(
            select(Task)
            .where(Task.youth_id == youth.id, Task.status != TaskStatus.CANCELLED)
            .order_by(Task.due_date.is_(None), Task.due_date, Task.due_time, Task.id)
        )
    ).all()
    open_lines: list[TaskLine] = []
    done_lines: list[TaskLine] = []
    for task in tasks:
        line = TaskLine(task, by_id[task.goal_id], is_overdue(task, tz, ctx.now))
        (done_lines if task.status == TaskStatus.DONE else open_lines).append(line)
    return PlanView(youth, open_lines, done_lines, list(goals))


async def task_for(session: AsyncSession, viewer: User, task_id: int, ctx: Context) -> TaskLine:
    """A task its young person or their mentor may open; anyone else finds nothing."""
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task")
    try:
        youth = await youth_for(session, viewer, task.youth_id)
    except NotAllowed as exc:
        raise NotFound("no such task") from exc
    goal = await session.get(Goal, task.goal_id)
    assert goal is not None  # tasks go with their goal
    tz = people.timezone_of(youth, ctx.default_tz)
    return TaskLine(task, goal, is_overdue(task, tz, ctx.now))


@dataclass(frozen=True)
class MenteeSummary:
    youth: User
    done: int
    total: int
    overdue: int


async def mentees(session: AsyncSession, mentor: User, ctx: Context) -> list[MenteeSummary]:
    if mentor.role != Role.MENTOR:
        raise NotAllowed("mentors only")
    rows = await mentoring.mentees(session, mentor.id)
    out = []
    for youth, _link in rows:
        tz = people.timezone_of(youth, ctx.default_tz)
        tasks = (
            await session.scalars(
                select(Task).where(Task.youth_id == youth.id, Task.status != TaskStatus.CANCELLED)
            )
        ).all()
        done = sum(1 for t in tasks if t.status == TaskStatus.DONE)
        overdue = sum(1 for t in tasks if is_overdue(t, tz, ctx.now))
        out.append(MenteeSummary(youth, done, len(tasks), overdue))
    return out


async def overdue_for_mentor(
    session: AsyncSession, mentor_id: int, ctx: Context
) -> list[tuple[User, Task]]:
    """Every overdue task of a mentor's young people, for the morning digest."""
    rows = (
        await session.execute(
            select(User, Task)
            .join(MentorLink, MentorLink.youth_id == User.id)
            .join(Task, Task.youth_id == User.id)
            .where(
                MentorLink.mentor_id == mentor_id,
                Task.status == TaskStatus.TODO,
                Task.due_date.is_not(None),
                # In UTC; the local check below decides. Tomorrow's UTC date covers every zone.
                Task.due_date <= (ctx.now + timedelta(days=1)).date(),
            )
            .order_by(User.id, Task.due_date)
        )
    ).all()
    return [
        (youth, task)
        for youth, task in rows
        if is_overdue(task, people.timezone_of(youth, ctx.default_tz), ctx.now)
    ]


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date | time | datetime) else None


async def export(session: AsyncSession, youth: User) -> dict[str, Any]:
    """Everything in a person's own plan, for /mydata."""
    goals = (
        await session.scalars(select(Goal).where(Goal.youth_id == youth.id).order_by(Goal.id))
    ).all()
    tasks = (
        await session.scalars(select(Task).where(Task.youth_id == youth.id).order_by(Task.id))
    ).all()
    changes = (
        await session.scalars(
            select(PlanChange).where(PlanChange.youth_id == youth.id).order_by(PlanChange.id)
        )
    ).all()
    return {
        "goals": [
            {"id": g.id, "title": g.title, "domain": g.domain, "status": g.status,
             "created_at": _iso(g.created_at)}
            for g in goals
        ],
        "tasks": [
            {"id": t.id, "goal_id": t.goal_id, "title": t.title, "details": t.details,
             "owner": t.owner, "due_date": _iso(t.due_date), "due_time": _iso(t.due_time),
             "status": t.status, "done_at": _iso(t.done_at), "note": t.done_note}
            for t in tasks
        ],
        "changes": [
            {"at": _iso(c.at), "action": c.action, "task_id": c.task_id, "goal_id": c.goal_id,
             "by_me": c.actor_id == youth.id}
            for c in changes
        ],
    }  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """A plan in a few figures, for the desk's person page."""

    active_goals: int
    open_tasks: int
    done_tasks: int
    overdue: int
    next_deadline: date | None


async def summary(session: AsyncSession, viewer: User, youth_id: int, ctx: Context) -> Summary:
    """Staff and the young person's mentor may see it; anyone else finds nothing."""
    if viewer.role == Role.STAFF:
        youth = await users.get(session, youth_id)
        if youth is None:
            raise NotFound("no such person")
    else:
        try:
            youth = await youth_for(session, viewer, youth_id)
        except NotAllowed as exc:
            raise NotFound("no such person") from exc
    tz = people.timezone_of(youth, ctx.default_tz)
    goals = (await session.scalars(select(Goal.status).where(Goal.youth_id == youth.id))).all()
    tasks = (
        await session.scalars(
            select(Task).where(Task.youth_id == youth.id, Task.status != TaskStatus.CANCELLED)
        )
    ).all()
    open_tasks = [t for t in tasks if t.status == TaskStatus.TODO]
    dates = sorted(t.due_date for t in open_tasks if t.due_date is not None)
    return Summary(
        active_goals=sum(1 for s in goals if s == GoalStatus.ACTIVE),
        open_tasks=len(open_tasks),
        done_tasks=sum(1 for t in tasks if t.status == TaskStatus.DONE),
        overdue=sum(1 for t in open_tasks if is_overdue(t, tz, ctx.now)),
        next_deadline=next((d for d in dates if d >= ctx.now.date()), None),
    )


async def follow_zone(session: AsyncSession, service_tz: str) -> int:
    """Makes every task's stored deadline moment (Task.deadline_at) the one its deadline has in
    `service_tz`, after TIMEZONE or the zone's rules changed; at start-up. One read of the
    distinct deadlines, and an UPDATE only for those that moved. Returns how many tasks did."""
    found = await session.execute(
        select(Task.due_date, Task.due_time, Task.deadline_at)
        .where(Task.due_date.is_not(None))
        .distinct()
    )
    moved = 0
    for due_date, due_time, stored in found.all():
        wanted = reminders.deadline_at(due_date, due_time, service_tz)
        if stored == wanted:
            continue
        same_time = Task.due_time.is_(None) if due_time is None else Task.due_time == due_time
        same_stored = Task.deadline_at.is_(None) if stored is None else Task.deadline_at == stored
        result = await session.execute(
            update(Task)
            .where(Task.due_date == due_date, same_time, same_stored)
            .values(deadline_at=wanted)
            .execution_options(synchronize_session=False)
        )
        moved += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return moved
