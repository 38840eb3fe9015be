"""A mentor's plan forms, declared as aiogram-dialog windows (see bot/kit/forms.py).

New task: goal (or a new goal: title, life domain), title, who does it, day (or no deadline),
time (a button, typed, or none). New date for a task, or for a request for more time. A new name.
A reminder in the mentor's own words. Back on every step; the first step's Back leaves the form
for the screen it was opened from. The rules in bot/plans/rules.py check what was typed and do
the work; the young person is told in their language (bot/plans/telegram/changes.py).

The buttons that open a form are plain callback data on the plan, a task, a request for more
time and the reminder menu; edit.py's router holds this one as its child.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, time
from operator import itemgetter
from typing import Any

from aiogram import F, Router
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Keyboard, Select
from aiogram_dialog.widgets.text import Format, Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit import forms
from bot.kit.errors import NotFound, Unfit
from bot.kit.forms import DayPicker, Tr
from bot.kit.texts import _, button_name, esc, name_or_someone, paragraphs
from bot.people import queries as users
from bot.people.models import User
from bot.plans import rules as plans
from bot.plans.models import TaskOwner
from bot.plans.rules import DOMAINS, Context
from bot.plans.rules import context_for as plan_context
from bot.plans.telegram import changes
from bot.plans.telegram.callbacks import (
    MenteeAction,
    MenteeCb,
    MoreTimeCb,
    NudgeCb,
    TaskAction,
    TaskCb,
)
from bot.plans.telegram.changes import Screen, mentee, tell_youth
from bot.plans.telegram.screens import domain_name, due_text, more_time_request, task_screen
from bot.plans.telegram.states import MoveTask, NewTask, Nudge, RenameTask

TIME_PRESETS = ("09:00", "10:00", "12:00", "14:00", "16:00", "18:00")

Getter = Callable[..., Awaitable[dict[str, Any]]]


# What the form knows (aiogram-dialog keeps it as JSON in the FSM storage)


def _started(manager: DialogManager, key: str) -> int:
    """An id the form was opened with (its start data is set by the bot, never typed)."""
    start = manager.start_data
    value = start.get(key) if isinstance(start, dict) else None
    if not isinstance(value, int):
        raise NotFound(f"no {key} in the form")
    return value


def _kept(manager: DialogManager, key: str) -> Any:
    value = manager.dialog_data.get(key)
    if value is None:
        raise NotFound(f"the form lost its {key}")
    return value


def _keep(manager: DialogManager, **answers: object) -> None:
    for key, value in answers.items():
        manager.dialog_data[key] = value.isoformat() if isinstance(value, date | time) else value


def _ctx(manager: DialogManager) -> Context:
    data = manager.middleware_data
    return plan_context(data["settings"], data["clock"])


def _who(manager: DialogManager) -> tuple[AsyncSession, User]:
    data = manager.middleware_data
    return data["session"], data["user"]


async def _told(
    manager: DialogManager, youth: User, text_for: Callable[[], str], note: str = ""
) -> None:
    """A change is made: the young person is told, the mentor sees the plan again."""
    data = manager.middleware_data
    session, user = _who(manager)
    i18n: I18n = data["i18n"]
    if note and isinstance(manager.event, CallbackQuery):
        # The button's answer goes out before the first message: set it now.
        answer: CallbackAnswer = data["callback_answer"]
        answer.text, note = note, ""
    await tell_youth(data["bot"], session, i18n, youth, text_for)
    await forms.end(manager, await changes.plan_of(session, user, youth, _ctx(manager)), note)


# Steps


def _leave(to: Callable[[DialogManager], Awaitable[Screen]]) -> Keyboard:
    """Back out of the form, to the screen `to` draws."""

    async def leave(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await forms.end(manager, await to(manager))

    return Button(Tr("⬅️ Back"), id="leave", on_click=leave)


def _select(
    id: str, then: forms.Then[str], items: Callable[[], list[tuple[str, str]]] | None = None
) -> Select[str]:
    """Buttons for (key, label) `items`, or without them the getter's `id`; a key not offered
    is a stale or forged button (without `items`, `then` checks it)."""

    def shown(data: dict[str, Any]) -> list[tuple[str, str]]:
        return items() if items is not None else list(data.get(id) or [])

    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, key: str) -> None:
        if items is not None and key not in {k for k, _label in items()}:
            raise NotFound("not a choice")
        await forms.go(manager, then, key)

    return Select(
        Format("{item[1]}"), id=id, item_id_getter=itemgetter(0), items=shown, on_click=picked
    )


def _choice(
    state: State,
    text: Text,
    back: Keyboard,
    select: Select[str],
    *,
    width: int = 1,
    extra: tuple[Keyboard, ...] = (),
    getter: Getter | None = None,
) -> Window:
    return Window(
        text,
        Group(select, width=width),
        *extra,
        back,
        MessageInput(forms.buttons_please),
        state=state,
        getter=getter,
    )


def _day_step(
    state: State,
    text: Text,
    back: Keyboard,
    then: forms.Then[date],
    *,
    extra: tuple[Keyboard, ...] = (),
) -> Window:
    """aiogram-dialog's calendar; a day that passed while it was open is refused."""

    async def checked(manager: DialogManager, day: date) -> None:
        await then(manager, plans.check_day(day, forms.today_of(manager)))

    async def picked(_e: CallbackQuery, _w: Any, manager: DialogManager, day: date) -> None:
        await forms.go(manager, checked, day)

    return Window(
        text,
        DayPicker(id="day", on_click=picked),
        *extra,
        back,
        MessageInput(forms.buttons_please),
        state=state,
    )


# A new task (and a new goal on the way)


async def _plan(manager: DialogManager) -> Screen:
    session, user = _who(manager)
    youth = await mentee(session, user, _started(manager, "youth"))
    return await changes.plan_of(session, user, youth, _ctx(manager))


async def _goals_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    view = await plans.plan(
        data["session"], data["user"], _started(dialog_manager, "youth"), _ctx(dialog_manager)
    )
    goals = [
        (str(goal.id), f"🎯 {button_name(goal.title, 40)}")
        for goal in view.goals
        if goal.status == "active"
    ]
    if not view.goals:
        prompt = _("Every task belongs to a goal. Add a goal first.")
    else:
        prompt = _("Which goal is the new task for?")
    return {"prompt": prompt, "goal": goals}


async def _goal_title_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    youth = await mentee(data["session"], data["user"], _started(dialog_manager, "youth"))
    text = _("🎯 A new goal for {name}. Type it in a few words, for example: Find a job.")
    return {"prompt": text.format(name=name_or_someone(youth.display_name))}


async def _domain_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    title = str(_kept(dialog_manager, "goal_title"))
    return {"prompt": _("Which part of life is it about?") + f"\n<b>{esc(title)}</b>"}


async def _task_title_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    goal = await plans.goal_for(data["session"], data["user"], int(_kept(dialog_manager, "goal")))
    text = paragraphs(
        f"🎯 <b>{esc(goal.title)}</b>",
        _("Type the task in a few words, for example: Ask the school for a certificate."),
    )
    return {"prompt": text}


async def _owner_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    title = str(_kept(dialog_manager, "title"))
    return {"prompt": _("Who does it?") + f"\n<b>{esc(title)}</b>"}


def _owners() -> list[tuple[str, str]]:
    return [
        (TaskOwner.ME.value, _("The young person")),
        (TaskOwner.MENTOR.value, _("Me, the mentor")),
        (TaskOwner.INSTITUTION.value, _("An institution")),
    ]


def _domains() -> list[tuple[str, str]]:
    return [(key, domain_name(key)) for key in DOMAINS]


def _presets() -> list[tuple[str, str]]:
    return [(t, t) for t in TIME_PRESETS]


def new_task_dialog() -> Dialog:
    step = NewTask

    async def goal_picked(manager: DialogManager, key: str) -> None:
        session, user = _who(manager)
        if not key.isdigit():
            raise NotFound("not a goal")
        goal = await plans.goal_for(session, user, int(key))
        if goal.youth_id != _started(manager, "youth") or goal.status != "active":
            raise NotFound("not a goal of this plan")
        _keep(manager, goal=goal.id)
        await manager.switch_to(step.title)

    async def goal_titled(manager: DialogManager, title: str) -> None:
        _keep(manager, goal_title=title)
        await manager.switch_to(step.goal_domain)

    async def domain_picked(manager: DialogManager, domain: str) -> None:
        session, user = _who(manager)
        data = manager.middleware_data
        youth = await mentee(session, user, _started(manager, "youth"))
        title = str(_kept(manager, "goal_title"))
        goal = await plans.add_goal(session, user, youth.id, title, domain, _ctx(manager))
        answer: CallbackAnswer = data["callback_answer"]
        answer.text = _("Goal added.")
        await tell_youth(
            data["bot"], session, data["i18n"], youth,
            lambda: _("🎯 New goal in your plan: {goal}").format(goal=f"<b>{esc(goal.title)}</b>"),
        )  # fmt: skip
        _keep(manager, goal=goal.id)
        await manager.switch_to(step.title)

    async def back_from_goal_title(
        _event: CallbackQuery, _button: Button, manager: DialogManager
    ) -> None:
        start = manager.start_data
        if isinstance(start, dict) and start.get("goal_first"):
            await forms.end(manager, await _plan(manager))
        else:
            await manager.switch_to(step.goal)

    async def titled(manager: DialogManager, title: str) -> None:
        _keep(manager, title=title)
        await manager.switch_to(step.owner)

    async def owned(manager: DialogManager, owner: str) -> None:
        _keep(manager, owner=owner)
        await manager.switch_to(step.day)

    async def dated(manager: DialogManager, day: date) -> None:
        _keep(manager, day=day)
        await manager.switch_to(step.time)

    async def no_deadline(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        manager.dialog_data.pop("day", None)
        await finish(manager, None)

    async def no_time(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await finish(manager, None)

    async def preset(manager: DialogManager, key: str) -> None:
        await finish(manager, time.fromisoformat(key))

    async def finish(manager: DialogManager, due_time: time | None) -> None:
        session, user = _who(manager)
        raw_day = manager.dialog_data.get("day")
        day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
        if day is not None:
            try:
                plans.check_day(day, forms.today_of(manager))
            except Unfit as exc:  # the day passed while the form was open
                await forms.refuse(manager, forms.why(exc))
                await manager.switch_to(step.day, show_mode=ShowMode.AUTO)
                return
        task = await plans.add_task(
            session, user, int(_kept(manager, "goal")), title=str(_kept(manager, "title")),
            owner=str(_kept(manager, "owner")), due_date=day,
            due_time=due_time if day else None, details=None, ctx=_ctx(manager),
        )  # fmt: skip
        youth = await mentee(session, user, task.youth_id)
        await _told(
            manager, youth,
            lambda: (
                _("📋 New task in your plan: {task}\nDeadline: {due}")
                if task.due_date is not None
                else _("📋 New task in your plan: {task}\nIt has no deadline.")
            ).format(task=f"<b>{esc(task.title)}</b>", due=esc(due_text(task, youth.locale))),
            _("Task added."),
        )  # fmt: skip

    async def no_goal_yet(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        await manager.switch_to(step.goal_title)

    return Dialog(
        _choice(
            step.goal,
            Format("{prompt}"),
            _leave(_plan),
            _select("goal", goal_picked),
            extra=(Button(Tr("🎯 Add a goal"), id="addgoal", on_click=no_goal_yet),),
            getter=_goals_getter,
        ),
        forms.typed(
            step.goal_title,
            Format("{prompt}"),
            Button(Tr("⬅️ Back"), id="back", on_click=back_from_goal_title),
            plans.typed_title,
            goal_titled,
            getter=_goal_title_getter,
        ),
        _choice(
            step.goal_domain,
            Format("{prompt}"),
            forms.back_to(step.goal_title),
            _select("domain", domain_picked, _domains),
            width=2,
            getter=_domain_getter,
        ),
        forms.typed(
            step.title,
            Format("{prompt}"),
            forms.back_to(step.goal),
            plans.typed_title,
            titled,
            getter=_task_title_getter,
        ),
        _choice(
            step.owner,
            Format("{prompt}"),
            forms.back_to(step.title),
            _select("owner", owned, _owners),
            getter=_owner_getter,
        ),
        _day_step(
            step.day,
            Tr("📅 By when? Pick the day."),
            forms.back(),
            dated,
            extra=(Button(Tr("No deadline"), id="nodate", on_click=no_deadline),),
        ),
        forms.typed(
            step.time,
            Tr("🕒 At what time? Tap one or type it, like 17:30."),
            forms.back(),
            plans.typed_clock,
            finish,
            buttons=(
                Button(Tr("No particular time"), id="notime", on_click=no_time),
                Group(_select("preset", preset, _presets), width=3),
            ),
        ),
    )


# A new date (for a task, or answering a request for more time)


async def _moving_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    user: User = data["user"]
    task = await plans.editable_task(data["session"], user, _started(dialog_manager, "task"))
    text = paragraphs(
        f"<b>{esc(task.title)}</b>",
        (
            _("📅 Deadline now: {due}").format(due=esc(due_text(task, user.locale)))
            if task.due_date is not None
            else _("📅 No deadline yet.")
        ),
        _("Pick the new day."),
    )
    return {"prompt": text}


async def _move_started(_start_data: Any, manager: DialogManager) -> None:
    """The calendar opens on the month of the deadline when that is still ahead."""
    session, user = _who(manager)
    task = await plans.editable_task(session, user, _started(manager, "task"))
    if task.due_date and task.due_date >= forms.today_of(manager):
        calendar: Any = manager.find("day")
        calendar.set_offset(task.due_date)


async def _task_or_request(manager: DialogManager) -> Screen:
    """Where Back leads: the request for more time, or the task's card."""
    session, user = _who(manager)
    start = manager.start_data
    request = start.get("request") if isinstance(start, dict) else None
    if isinstance(request, int):
        task = await plans.requested_task(session, user, request)
        youth = await users.get(session, task.youth_id)
        if youth is None:
            raise NotFound("gone")
        return more_time_request(youth, task, request, user.locale)
    line = await plans.task_for(session, user, _started(manager, "task"), _ctx(manager))
    return task_screen(line, user, user.locale)


def move_dialog() -> Dialog:
    async def moved(manager: DialogManager, day: date) -> None:
        session, user = _who(manager)
        data = manager.middleware_data
        ctx = _ctx(manager)
        start = manager.start_data
        request = start.get("request") if isinstance(start, dict) else None
        if isinstance(request, int):
            decision = await plans.answer_more_time(session, user, request, day, ctx)
            await forms.end(
                manager, await changes.decided(session, user, data["i18n"], data["bot"], decision)
            )
            return
        current = await plans.editable_task(session, user, _started(manager, "task"))
        task = await plans.move_task(session, user, current.id, day, current.due_time, ctx)
        youth = await mentee(session, user, task.youth_id)
        await _told(
            manager, youth,
            lambda: _("📅 New deadline for {task}: {due}").format(
                task=f"<b>{esc(task.title)}</b>", due=esc(due_text(task, youth.locale))
            ),
            _("New date saved."),
        )  # fmt: skip

    return Dialog(
        _day_step(MoveTask.day, Format("{prompt}"), _leave(_task_or_request), moved),
        on_start=_move_started,
        getter=_moving_getter,
    )


# A new name


async def _card(manager: DialogManager) -> Screen:
    session, user = _who(manager)
    line = await plans.task_for(session, user, _started(manager, "task"), _ctx(manager))
    return task_screen(line, user, user.locale)


async def _renaming_getter(dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
    task = await plans.editable_task(
        data["session"], data["user"], _started(dialog_manager, "task")
    )
    return {
        "prompt": paragraphs(f"<b>{esc(task.title)}</b>", _("✏️ Type the new name of the task."))
    }


def rename_dialog() -> Dialog:
    async def renamed(manager: DialogManager, title: str) -> None:
        session, user = _who(manager)
        task = await plans.rename_task(
            session, user, _started(manager, "task"), title, _ctx(manager)
        )
        youth = await mentee(session, user, task.youth_id)
        await _told(
            manager, youth,
            lambda: _("✏️ A task in your plan has a new name: {task}").format(
                task=f"<b>{esc(task.title)}</b>"
            ),
        )  # fmt: skip

    return Dialog(
        forms.typed(
            RenameTask.title,
            Format("{prompt}"),
            _leave(_card),
            plans.typed_title,
            renamed,
            getter=_renaming_getter,
        )
    )


# A reminder in the mentor's own words


async def _nudges(manager: DialogManager) -> Screen:
    session, user = _who(manager)
    return await changes.nudge_menu(session, user, _started(manager, "youth"))


async def _nudge_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    text = _("✍️ Type your message (up to {limit} characters).")
    return {"prompt": text.format(limit=plans.NUDGE_LIMIT)}


def nudge_dialog() -> Dialog:
    async def typed(manager: DialogManager, text: str) -> None:
        session, user = _who(manager)
        data = manager.middleware_data
        report = await changes.send_nudge(
            session, user, data["i18n"], data["bot"], _started(manager, "youth"), lambda: esc(text)
        )
        await forms.end(manager, report)

    return Dialog(
        forms.typed(
            Nudge.text,
            Format("{prompt}"),
            _leave(_nudges),
            plans.typed_nudge,
            typed,
            getter=_nudge_getter,
        )
    )


# Opening a form: plain buttons on the plan, a task, a request and the reminder menu


async def new_goal(
    query: CallbackQuery,
    callback_data: MenteeCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    youth = await mentee(session, user, callback_data.id)
    await forms.open_form(
        dialog_manager, NewTask.goal_title, {"youth": youth.id, "goal_first": True}
    )


async def new_task(
    query: CallbackQuery,
    callback_data: MenteeCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    youth = await mentee(session, user, callback_data.id)
    await forms.open_form(dialog_manager, NewTask.goal, {"youth": youth.id})


async def move(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    task = await plans.editable_task(session, user, callback_data.id)
    await forms.open_form(dialog_manager, MoveTask.day, {"task": task.id})


async def pick_date(
    query: CallbackQuery,
    callback_data: MoreTimeCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    task = await plans.requested_task(session, user, callback_data.id)
    await forms.open_form(
        dialog_manager, MoveTask.day, {"task": task.id, "request": callback_data.id}
    )


async def rename(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    task = await plans.editable_task(session, user, callback_data.id)
    await forms.open_form(dialog_manager, RenameTask.title, {"task": task.id})


async def own_words(
    query: CallbackQuery,
    callback_data: NudgeCb,
    session: AsyncSession,
    user: User,
    dialog_manager: DialogManager,
) -> None:
    if callback_data.youth:
        await mentee(session, user, callback_data.youth)
    await forms.open_form(dialog_manager, Nudge.text, {"youth": callback_data.youth})


def _opens(data: str) -> bool:
    """The plain buttons that open a form (checked before anything is read from storage)."""
    try:
        if data.startswith(MenteeCb.__prefix__ + ":"):
            return MenteeCb.unpack(data).action in {MenteeAction.GOAL, MenteeAction.TASK}
        if data.startswith(TaskCb.__prefix__ + ":"):
            return TaskCb.unpack(data).action in {TaskAction.MOVE, TaskAction.RENAME}
        if data.startswith(MoreTimeCb.__prefix__ + ":"):
            return MoreTimeCb.unpack(data).days == -1
        if data.startswith(NudgeCb.__prefix__ + ":"):
            return NudgeCb.unpack(data).preset == -1
    except (ValueError, TypeError):
        return False
    return False


def forms_router() -> Router:
    """The forms and the buttons that open them; a new router each time (one per dispatcher)."""
    router = Router(name="plan_forms")
    router.callback_query.register(new_goal, MenteeCb.filter(F.action == MenteeAction.GOAL))
    router.callback_query.register(new_task, MenteeCb.filter(F.action == MenteeAction.TASK))
    router.callback_query.register(move, TaskCb.filter(F.action == TaskAction.MOVE))
    router.callback_query.register(rename, TaskCb.filter(F.action == TaskAction.RENAME))
    router.callback_query.register(pick_date, MoreTimeCb.filter(F.days == -1))
    router.callback_query.register(own_words, NudgeCb.filter(F.preset == -1))
    router.include_routers(new_task_dialog(), move_dialog(), rename_dialog(), nudge_dialog())
    forms.setup(router, opens=_opens)
    return router
