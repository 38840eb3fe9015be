"""A whole plan on one sheet, as it leaves a case conference: several goals and tasks written,
changed, moved, reordered, cancelled or marked reached in one save.

The desk's plan page hands over what its form holds as plain strings; everything is checked here
before anything changes, so one save is all or nothing. Staff may shape any young person's plan,
a mentor only their own young people's; for anyone else the plan does not exist. Every change
lands in the plan's history (with the context's source) and comes back as a `Change`. The one
message the young person gets about a save is a reminder row written in the save's transaction
(`summary_to_send` reads it back for the reminder sender, which words it in their language).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotFound, Reason
from bot.people import queries as users
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans import reminders
from bot.plans import rules as plans
from bot.plans.models import (
    Goal,
    GoalStatus,
    PlanChange,
    Reminder,
    ReminderStatus,
    Task,
    TaskOwner,
    TaskStatus,
)
from bot.plans.rules import DOMAINS, TITLE_LIMIT, Context

DETAILS_LIMIT = 1000
YEARS_AHEAD = 10  # as the import: a deadline further ahead is surely a typo
HISTORY_SHOWN = 200


class Action(StrEnum):
    """What one change did; the message to the young person and the history are worded by it."""

    GOAL_ADDED = "goal_added"
    GOAL_RENAMED = "goal_renamed"
    GOAL_DOMAIN = "goal_domain"
    GOAL_REACHED = "goal_reached"
    GOAL_REOPENED = "goal_reopened"
    TASK_ADDED = "task_added"
    TASK_RENAMED = "task_renamed"
    TASK_MOVED = "task_moved"  # a new deadline
    TASK_OWNER = "task_owner"
    TASK_DETAILS = "task_details"
    TASK_REGOALED = "task_regoaled"  # now under another goal
    TASK_REORDERED = "task_reordered"
    TASK_CANCELLED = "task_cancelled"


@dataclass(frozen=True)
class Change:
    action: Action
    title: str  # the goal's or task's title after the change
    goal: str | None = None  # for a task: its goal's title
    due_date: date | None = None
    due_time: time | None = None
    # The row changed: a summary whose plan is gone by the time it is sent is not sent.
    goal_id: int | None = None
    task_id: int | None = None


# What the form holds (strings, as typed), keyed as the page keys its rows


@dataclass
class GoalForm:
    key: str  # "g12" for goal 12, "n0", "n1"… for new ones
    title: str = ""
    domain: str = ""
    reached: bool = False


@dataclass
class TaskForm:
    key: str  # "t34" for task 34, "x0", "x1"… for new ones
    goal: str = ""  # a goal's key
    title: str = ""
    owner: str = TaskOwner.ME
    due_date: str = ""
    due_time: str = ""
    details: str = ""
    position: str = ""
    cancel: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.title.strip() or self.details.strip() or self.due_date.strip())


@dataclass
class SheetForm:
    goals: list[GoalForm] = field(default_factory=list)
    tasks: list[TaskForm] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    key: str  # the row
    field: str  # "title", "domain", "owner", "due_date", "due_time", "details", "goal"
    reason: Reason
    limit: int = 0


class Unsaved(Exception):
    """The form has problems; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# Who may


async def youth_to_shape(session: AsyncSession, actor: User, youth_id: int) -> User:
    """The young person whose plan `actor` may write: staff any, a mentor their own.

    Anyone else, another mentor's young person, a staff member, a made-up id: nothing there.
    """
    youth = await users.get(session, youth_id)
    if youth is None or youth.role != Role.YOUTH:
        raise NotFound("no such young person")
    if actor.role == Role.STAFF:
        return youth
    if await plans.is_mentor_of(session, actor, youth_id):
        return youth
    raise NotFound("not theirs")


# Reading


@dataclass(frozen=True)
class GoalLines:
    goal: Goal
    tasks: list[Task]  # open and done, in the desk's order; cancelled ones left out


@dataclass(frozen=True)
class Sheet:
    youth: User
    goals: list[GoalLines]
    tz: str  # the young person's: their deadlines are in it


async def sheet(session: AsyncSession, actor: User, youth_id: int, ctx: Context) -> Sheet:
    youth = await youth_to_shape(session, actor, youth_id)
    goals = (
        await session.scalars(select(Goal).where(Goal.youth_id == youth.id).order_by(Goal.id))
    ).all()
    tasks = (
        await session.scalars(
            select(Task)
            .where(Task.youth_id == youth.id, Task.status != TaskStatus.CANCELLED)
            .order_by(Task.position, Task.id)
        )
    ).all()
    lines = [GoalLines(goal, [t for t in tasks if t.goal_id == goal.id]) for goal in goals]
    return Sheet(youth, lines, people.timezone_of(youth, ctx.default_tz))


@dataclass(frozen=True)
class HistoryLine:
    change: PlanChange
    actor: User | None
    title: str | None  # the task's or goal's title now, if it still exists


async def history(session: AsyncSession, actor: User, youth_id: int) -> list[HistoryLine]:
    """The plan's audit trail, newest first, for those who may shape the plan."""
    youth = await youth_to_shape(session, actor, youth_id)
    changes = (
        await session.scalars(
            select(PlanChange)
            .where(PlanChange.youth_id == youth.id)
            .order_by(PlanChange.at.desc(), PlanChange.id.desc())
            .limit(HISTORY_SHOWN)
        )
    ).all()
    actor_ids = {c.actor_id for c in changes if c.actor_id is not None}
    actors = (
        {u.id: u for u in await session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    goals = dict(
        (await session.execute(select(Goal.id, Goal.title).where(Goal.youth_id == youth.id))).all()
    )
    tasks = dict(
        (await session.execute(select(Task.id, Task.title).where(Task.youth_id == youth.id))).all()
    )
    out = []
    for change in changes:
        title = (
            tasks.get(change.task_id)
            if change.task_id is not None
            else goals.get(change.goal_id)
            if change.goal_id is not None
            else None
        )
        who = actors.get(change.actor_id) if change.actor_id is not None else None
        out.append(HistoryLine(change, who, title))
    return out


# Checking what the form holds


def _title(
    text: str, key: str, problems: list[Problem], *, field_name: str = "title"
) -> str | None:
    cleaned = plans.clean_text(text, TITLE_LIMIT + 1)
    if cleaned is None:
        problems.append(Problem(key, field_name, Reason.EMPTY))
    elif len(cleaned) > TITLE_LIMIT:
        problems.append(Problem(key, field_name, Reason.TOO_LONG, TITLE_LIMIT))
    else:
        return cleaned
    return None


def _due(
    form: TaskForm, today: date, before: tuple[date | None, time | None] | None,
    problems: list[Problem],
) -> tuple[date | None, time | None]:  # fmt: skip
    """The deadline typed; a past one only if it was already the task's (left as it was)."""
    raw_date, raw_time = form.due_date.strip(), form.due_time.strip()
    day: date | None = None
    clock: time | None = None
    if raw_date:
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            problems.append(Problem(form.key, "due_date", Reason.EMPTY))
            return None, None
    if raw_time:
        try:
            clock = datetime.strptime(raw_time, "%H:%M").time()
        except ValueError:
            problems.append(Problem(form.key, "due_time", Reason.NOT_A_TIME))
            return None, None
        if day is None:
            problems.append(Problem(form.key, "due_date", Reason.EMPTY))
    if (day, clock) != (before or (None, None)) and day is not None:
        if day < today:
            problems.append(Problem(form.key, "due_date", Reason.PAST_DAY))
        elif day.year > today.year + YEARS_AHEAD:
            problems.append(Problem(form.key, "due_date", Reason.TOO_FAR, YEARS_AHEAD))
    return day, clock


def _details(text: str, key: str, problems: list[Problem]) -> str | None:
    # Line breaks are kept: details are a few sentences, as written at the conference.
    cleaned = "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()
    if len(cleaned) > DETAILS_LIMIT:
        problems.append(Problem(key, "details", Reason.TOO_LONG, DETAILS_LIMIT))
        return None
    return cleaned or None


def _position(raw: str) -> int | None:
    raw = raw.strip()
    if raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 6:
        return int(raw)
    return None


# Saving


async def save(
    session: AsyncSession, actor: User, youth_id: int, form: SheetForm, ctx: Context
) -> list[Change]:
    """Applies the whole form, or raises `Unsaved` with every problem and changes nothing.

    Rows of tasks or goals that are not this young person's (a forged key) make the whole plan
    not found, as any forged address does.
    """
    youth = await youth_to_shape(session, actor, youth_id)
    tz = people.timezone_of(youth, ctx.default_tz)
    today = ctx.now.astimezone(ZoneInfo(tz)).date()
    goals = {
        f"g{g.id}": g for g in await session.scalars(select(Goal).where(Goal.youth_id == youth.id))
    }
    tasks = {
        f"t{t.id}": t
        for t in await session.scalars(
            select(Task).where(Task.youth_id == youth.id, Task.status != TaskStatus.CANCELLED)
        )
    }
    problems: list[Problem] = []
    new_goal_keys = {g.key for g in form.goals if not g.key.startswith("g")}

    # Goals: the existing ones' new values, and the new ones with a title or a task.
    wanted_goals: dict[str, tuple[str, str, bool]] = {}
    used_keys = {t.goal for t in form.tasks if not t.is_blank or t.key.startswith("t")}
    for goal_form in form.goals:
        if goal_form.key.startswith("g"):
            if goal_form.key not in goals:
                raise NotFound("not this plan's goal")
        elif not goal_form.title.strip() and goal_form.key not in used_keys:
            continue  # an empty new goal block
        title = _title(goal_form.title, goal_form.key, problems)
        if goal_form.domain not in DOMAINS:
            problems.append(Problem(goal_form.key, "domain", Reason.EMPTY))
        if title is not None:
            wanted_goals[goal_form.key] = (title, goal_form.domain, goal_form.reached)

    # Tasks: the existing ones (a row for each, or left as they are) and the new, non-blank ones.
    wanted_tasks: list[tuple[TaskForm, str, str, date | None, time | None, str | None]] = []
    for task_form in form.tasks:
        existing = task_form.key.startswith("t")
        if existing and task_form.key not in tasks:
            raise NotFound("not this plan's task")
        if not existing and task_form.is_blank:
            continue
        if existing and task_form.cancel:
            continue  # cancelled: the rest of its row does not matter
        if task_form.goal not in goals and task_form.goal not in new_goal_keys:
            raise NotFound("no such goal in this plan")
        unnamed = not task_form.goal.startswith("g") and task_form.goal not in wanted_goals
        if unnamed and task_form.goal not in {p.key for p in problems}:
            problems.append(Problem(task_form.goal, "title", Reason.EMPTY))
        title = _title(task_form.title, task_form.key, problems)
        owner = task_form.owner if task_form.owner in set(TaskOwner) else None
        if owner is None:
            problems.append(Problem(task_form.key, "owner", Reason.EMPTY))
        before = None
        if existing:
            old = tasks[task_form.key]
            before = (old.due_date, old.due_time)
        day, clock = _due(task_form, today, before, problems)
        details = _details(task_form.details, task_form.key, problems)
        if title is not None and owner is not None:
            wanted_tasks.append((task_form, title, owner, day, clock, details))
    if problems:
        raise Unsaved(problems)

    changes: list[Change] = []

    def record(action: Action, *, goal: Goal | None = None, task: Task | None = None,
               **detail: object) -> None:  # fmt: skip
        plans._record(
            session, youth_id=youth.id, actor=actor, action=action.value, now=ctx.now,
            goal_id=goal.id if goal else (task.goal_id if task else None),
            task_id=task.id if task else None, source=ctx.source, **detail,
        )  # fmt: skip

    resolved: dict[str, Goal] = dict(goals)
    for key, (title, domain, reached) in wanted_goals.items():
        goal = goals.get(key)
        if goal is None:
            goal = Goal(
                youth_id=youth.id, title=title, domain=domain, created_at=ctx.now,
                created_by_id=actor.id,
            )  # fmt: skip
            session.add(goal)
            await session.flush()
            record(Action.GOAL_ADDED, goal=goal, title=title, domain=domain)
            changes.append(Change(Action.GOAL_ADDED, title, goal_id=goal.id))
        else:
            if goal.title != title:
                record(Action.GOAL_RENAMED, goal=goal, before=goal.title, after=title)
                goal.title = title
                changes.append(Change(Action.GOAL_RENAMED, title, goal_id=goal.id))
            if goal.domain != domain:
                record(Action.GOAL_DOMAIN, goal=goal, before=goal.domain, after=domain)
                goal.domain = domain
                changes.append(Change(Action.GOAL_DOMAIN, title, goal_id=goal.id))
        status = GoalStatus.REACHED if reached else GoalStatus.ACTIVE
        if goal.status != status and goal.status in (GoalStatus.ACTIVE, GoalStatus.REACHED):
            goal.status = status
            action = Action.GOAL_REACHED if reached else Action.GOAL_REOPENED
            record(action, goal=goal)
            changes.append(Change(action, title, goal_id=goal.id))
        resolved[key] = goal

    for task_form in form.tasks:
        task = tasks.get(task_form.key)
        if task is not None and task_form.cancel and task.status == TaskStatus.TODO:
            task.status = TaskStatus.CANCELLED
            task.updated_at = ctx.now
            record(Action.TASK_CANCELLED, task=task)
            await reminders.sync_task(session, task, tz, ctx.rules, ctx.now)
            changes.append(Change(Action.TASK_CANCELLED, task.title, task_id=task.id))

    next_position: dict[int, int] = {}
    for existing_task in tasks.values():
        next_position[existing_task.goal_id] = max(
            next_position.get(existing_task.goal_id, 0), existing_task.position + 1
        )
    for task_form, title, owner, day, clock, details in wanted_tasks:
        goal = resolved[task_form.goal]
        task = tasks.get(task_form.key)
        position = _position(task_form.position)
        if task is None:
            if position is None:
                position = next_position.get(goal.id, 0)
            next_position[goal.id] = max(next_position.get(goal.id, 0), position + 1)
            task = Task(
                goal_id=goal.id, youth_id=youth.id, title=title, details=details, owner=owner,
                due_date=day, due_time=clock,
                deadline_at=reminders.deadline_at(day, clock, ctx.default_tz),
                status=TaskStatus.TODO, created_at=ctx.now, updated_at=ctx.now, position=position,
            )  # fmt: skip
            session.add(task)
            await session.flush()
            record(
                Action.TASK_ADDED, task=task, title=title, owner=owner, due_date=day,
                due_time=clock,
            )  # fmt: skip
            await reminders.sync_task(session, task, tz, ctx.rules, ctx.now)
            changes.append(
                Change(Action.TASK_ADDED, title, goal.title, day, clock, task_id=task.id)
            )
            continue
        changed = False
        if task.title != title:
            record(Action.TASK_RENAMED, task=task, before=task.title, after=title)
            task.title, changed = title, True
            changes.append(Change(Action.TASK_RENAMED, title, goal.title, task_id=task.id))
        if task.goal_id != goal.id:
            old_goal = next((g for g in resolved.values() if g.id == task.goal_id), None)
            record(
                Action.TASK_REGOALED, task=task, before=old_goal.title if old_goal else None,
                after=goal.title,
            )  # fmt: skip
            task.goal_id, changed = goal.id, True
            changes.append(Change(Action.TASK_REGOALED, title, goal.title, task_id=task.id))
        if position is not None and position != task.position:
            record(Action.TASK_REORDERED, task=task, before=task.position, after=position)
            task.position, changed = position, True
            changes.append(Change(Action.TASK_REORDERED, title, goal.title, task_id=task.id))
        if task.owner != owner:
            record(Action.TASK_OWNER, task=task, before=task.owner, after=owner)
            task.owner, changed = owner, True
            changes.append(Change(Action.TASK_OWNER, title, goal.title, task_id=task.id))
        if (task.details or None) != details:
            record(Action.TASK_DETAILS, task=task)
            task.details, changed = details, True
            changes.append(Change(Action.TASK_DETAILS, title, goal.title, task_id=task.id))
        if (task.due_date, task.due_time) != (day, clock):
            record(
                Action.TASK_MOVED, task=task, before=(task.due_date, task.due_time),
                after=(day, clock),
            )  # fmt: skip
            reminders.set_due(task, day, clock, ctx.default_tz)
            changed = True
            await reminders.sync_task(session, task, tz, ctx.rules, ctx.now)
            changes.append(
                Change(Action.TASK_MOVED, title, goal.title, day, clock, task_id=task.id)
            )
        if changed:
            task.updated_at = ctx.now
    if is_told(youth, changes):
        _queue_summary(session, youth, actor, news_for_youth(changes), ctx.now)
    await session.flush()
    return changes


def news_for_youth(changes: list[Change]) -> list[Change]:
    """What the young person is told: the order of rows on a desk is not news to them."""
    return [c for c in changes if c.action != Action.TASK_REORDERED]


# The one message per save: a reminder row written with the changes, in the same transaction,
# sent by the reminder sender after the commit (bot/reminder_sender.py). A process that dies
# between the commit and the send no longer loses it; a sender that dies mid-send sends it
# once more at most, as every reminder.

SUMMARY = "plan_saved"  # the reminder kind


def is_told(youth: User, changes: list[Change]) -> bool:
    """Whether a save of `changes` sends the young person a summary: only with news, and only
    while they still receive the bot's messages."""
    return youth.is_active and bool(news_for_youth(changes))


def _queue_summary(
    session: AsyncSession, youth: User, actor: User, news: list[Change], now: datetime
) -> None:
    detail = [
        {
            "action": c.action.value,
            "title": c.title,
            "goal": c.goal,
            "due_date": c.due_date.isoformat() if c.due_date else None,
            "due_time": c.due_time.strftime("%H:%M") if c.due_time else None,
            "goal_id": c.goal_id,
            "task_id": c.task_id,
        }
        for c in news
    ]
    session.add(
        Reminder(
            user_id=youth.id,
            kind=SUMMARY,
            scheduled_at=now,
            due_at=now,
            status=ReminderStatus.PENDING,
            attempts=0,
            detail=json.dumps(detail, ensure_ascii=False),
            actor_id=actor.id,
        )
    )


def _change_of(raw: dict[str, Any]) -> Change:
    return Change(
        Action(raw["action"]),
        str(raw["title"]),
        raw.get("goal"),
        date.fromisoformat(raw["due_date"]) if raw.get("due_date") else None,
        time.fromisoformat(raw["due_time"]) if raw.get("due_time") else None,
        raw.get("goal_id"),
        raw.get("task_id"),
    )


@dataclass(frozen=True)
class Summary:
    news: list[Change]
    by: str | None  # the name of who saved, as it is now (None: someone, or erased since)


async def summary_to_send(session: AsyncSession, reminder: Reminder) -> Summary | None:
    """The summary a claimed "plan_saved" row stands for, or None when it is stale: the young
    person is no longer one (their plan is no longer theirs to be told about), or none of the
    goals and tasks it names is there any more (the plan was deleted). A row of someone who
    erased themselves is gone with them and is never claimed."""
    youth = await users.get(session, reminder.user_id)
    if youth is None or youth.role != Role.YOUTH or not reminder.detail:
        return None
    news = [_change_of(raw) for raw in json.loads(reminder.detail)]
    goal_ids = {c.goal_id for c in news if c.goal_id is not None}
    task_ids = {c.task_id for c in news if c.task_id is not None}
    found = 0
    if goal_ids:
        found += len(
            (
                await session.scalars(
                    select(Goal.id).where(Goal.id.in_(goal_ids), Goal.youth_id == youth.id)
                )
            ).all()
        )
    if task_ids:
        found += len(
            (
                await session.scalars(
                    select(Task.id).where(Task.id.in_(task_ids), Task.youth_id == youth.id)
                )
            ).all()
        )
    if not news or not found:
        return None
    actor = await users.get(session, reminder.actor_id) if reminder.actor_id else None
    return Summary(news, actor.display_name if actor else None)
