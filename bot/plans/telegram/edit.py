"""Mentors shape their young people's plans: goals, tasks, new dates, answers, nudges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.kit import calendar, notify
from bot.kit import keyboards as kb
from bot.kit.callbacks import CalendarAction, CalendarCb, Page
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.filters import HasRole
from bot.kit.render import edit, show
from bot.kit.texts import N_, _, button_name, esc, name_or_someone, ngettext, paragraphs
from bot.people import mentoring
from bot.people import queries as users
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans import rules as plans
from bot.plans.models import Goal, Task, TaskOwner
from bot.plans.rules import DOMAINS, Decision
from bot.plans.rules import context_for as plan_context
from bot.plans.telegram.callbacks import (
    DomainCb,
    GoalPickCb,
    MenteeAction,
    MenteeCb,
    MoreTimeCb,
    NudgeCb,
    OwnerCb,
    PlanCb,
    TaskAction,
    TaskCb,
    TimeCb,
)
from bot.plans.telegram.screens import MORE_TIME_CHOICES, domain_name, due_text, plan_screen
from bot.plans.telegram.states import PlanDialog

TIME_PRESETS = ("09:00", "10:00", "12:00", "14:00", "16:00", "18:00")
NUDGES = (
    N_("👋 How are you? Take a look at your plan."),
    N_("⏰ A deadline is coming up. Please check your plan."),
    N_("📞 Please get in touch with me."),
)
NUDGE_LIMIT = 300
TYPED = F.text & ~F.text.startswith("/")


def _today(user: User, settings: Settings, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(people.timezone_of(user, settings.timezone))).date()


def _back_to_plan(youth_id: int) -> list[InlineKeyboardButton]:
    return [kb.button(_("⬅️ Back to the plan"), PlanCb(youth=youth_id).pack())]


async def _mentee(session: AsyncSession, mentor: User, youth_id: object) -> User:
    if not isinstance(youth_id, int) or not await plans.is_mentor_of(session, mentor, youth_id):
        raise NotAllowed("not their mentee")
    youth = await users.get(session, youth_id)
    if youth is None:
        raise NotFound("gone")
    return youth


async def _tell_youth(
    bot: Bot, session: AsyncSession, i18n: I18n, youth: User, text_for: Callable[[], str]
) -> None:
    """`text_for` builds the message in the young person's locale."""
    with i18n.use_locale(youth.locale):
        text = text_for()
        markup = kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
    await notify.tell(
        bot, session, youth.telegram_id, text, is_active=youth.is_active, markup=markup
    )


async def _changed(
    event: CallbackQuery | Message,
    session: AsyncSession,
    mentor: User,
    i18n: I18n,
    bot: Bot,
    youth: User,
    ctx: plans.Context,
    text_for: Callable[[], str],
) -> None:
    """After a mentor's change: the young person is told, the mentor sees the plan again."""
    await _tell_youth(bot, session, i18n, youth, text_for)
    view = await plans.plan(session, mentor, youth.id, ctx)
    await show(event, *plan_screen(view, mentor, mentor.locale, 0, False))


# A mentee's plan


async def mentee_plan(
    query: CallbackQuery,
    callback_data: MenteeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    view = await plans.plan(session, user, callback_data.id, plan_context(settings, clock))
    text, markup = plan_screen(view, user, user.locale, 0, False)
    nudge = kb.button(
        _("📣 Send a reminder"), MenteeCb(id=callback_data.id, action=MenteeAction.NUDGE).pack()
    )
    markup.inline_keyboard.insert(len(markup.inline_keyboard) - 1, [nudge])
    await show(query, text, markup)


# New goal


async def new_goal(
    query: CallbackQuery,
    callback_data: MenteeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    youth = await _mentee(session, user, callback_data.id)
    await state.set_state(PlanDialog.goal_title)
    await state.set_data({"youth": youth.id})
    text = _("🎯 A new goal for {name}. Type it in a few words, for example: Find a job.").format(
        name=name_or_someone(youth.display_name)
    )
    await show(query, text, kb.only(_back_to_plan(youth.id)))


async def goal_title(message: Message, state: FSMContext) -> None:
    title = plans.clean_text(message.text, plans.TITLE_LIMIT)
    data = await state.get_data()
    if title is None:
        return
    await state.update_data(title=title)
    await state.set_state(PlanDialog.goal_domain)
    builder = InlineKeyboardBuilder()
    for index, key in enumerate(DOMAINS):
        builder.button(text=domain_name(key), callback_data=DomainCb(index=index))
    builder.adjust(2)
    builder.row(*_back_to_plan(int(data.get("youth", 0))))
    await message.answer(
        _("Which part of life is it about?") + f"\n<b>{esc(title)}</b>",
        reply_markup=builder.as_markup(),
    )


async def goal_domain(
    query: CallbackQuery,
    callback_data: DomainCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    title = data.get("title")
    if not 0 <= callback_data.index < len(DOMAINS) or not isinstance(title, str):
        raise NotFound("stale button")
    try:
        youth = await _mentee(session, user, data.get("youth"))
        goal = await plans.add_goal(
            session, user, youth.id, title, DOMAINS[callback_data.index],
            plan_context(settings, clock),
        )  # fmt: skip
    except (NotAllowed, NotFound):
        await state.clear()
        raise
    await state.clear()
    callback_answer.text = _("Goal added.")
    await _tell_youth(
        bot, session, i18n, youth,
        lambda: _("🎯 New goal in your plan: {goal}").format(goal=f"<b>{esc(goal.title)}</b>"),
    )  # fmt: skip
    await _ask_task_title(query, state, youth, goal)


# New task


async def new_task(
    query: CallbackQuery,
    callback_data: MenteeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    youth = await _mentee(session, user, callback_data.id)
    view = await plans.plan(session, user, youth.id, plan_context(settings, clock))
    await state.set_state(PlanDialog.task_goal)
    await state.set_data({"youth": youth.id})
    builder = InlineKeyboardBuilder()
    for goal in view.goals:
        if goal.status == "active":
            builder.row(
                kb.button(f"🎯 {button_name(goal.title, 40)}", GoalPickCb(id=goal.id).pack())
            )
    builder.row(
        kb.button(_("🎯 Add a goal"), MenteeCb(id=youth.id, action=MenteeAction.GOAL).pack())
    )
    builder.row(*_back_to_plan(youth.id))
    if not view.goals:
        text = _("Every task belongs to a goal. Add a goal first.")
    else:
        text = _("Which goal is the new task for?")
    await show(query, text, builder.as_markup())


async def _ask_task_title(
    event: CallbackQuery | Message, state: FSMContext, youth: User, goal: Goal
) -> None:
    await state.set_state(PlanDialog.task_title)
    await state.set_data({"youth": youth.id, "goal": goal.id})
    text = paragraphs(
        f"🎯 <b>{esc(goal.title)}</b>",
        _("Type the task in a few words, for example: Ask the school for a certificate."),
    )
    await show(event, text, kb.only(_back_to_plan(youth.id)))


async def task_goal(
    query: CallbackQuery,
    callback_data: GoalPickCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    goal = await plans.goal_for(session, user, callback_data.id)
    youth = await _mentee(session, user, goal.youth_id)
    await _ask_task_title(query, state, youth, goal)


async def task_title(message: Message, state: FSMContext) -> None:
    title = plans.clean_text(message.text, plans.TITLE_LIMIT)
    if title is None:
        return
    await state.update_data(title=title)
    await state.set_state(PlanDialog.task_owner)
    data = await state.get_data()
    markup = kb.only(
        [kb.button(_("The young person"), OwnerCb(owner=TaskOwner.ME).pack())],
        [kb.button(_("Me, the mentor"), OwnerCb(owner=TaskOwner.MENTOR).pack())],
        [kb.button(_("An institution"), OwnerCb(owner=TaskOwner.INSTITUTION).pack())],
        _back_to_plan(int(data.get("youth", 0))),
    )
    await message.answer(_("Who does it?") + f"\n<b>{esc(title)}</b>", reply_markup=markup)


def _calendar(
    user: User,
    settings: Settings,
    clock: Clock,
    shown: date | None,
    extra: list[list[InlineKeyboardButton]],
) -> InlineKeyboardMarkup:
    today = _today(user, settings, clock)
    return calendar.month(shown or today, today, user.locale, extra)


async def task_owner(
    query: CallbackQuery,
    callback_data: OwnerCb,
    state: FSMContext,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.owner not in TaskOwner.__members__.values():
        raise NotFound("stale button")
    await state.update_data(owner=callback_data.owner)
    await state.set_state(PlanDialog.task_date)
    data = await state.get_data()
    extra = [
        [kb.button(_("No deadline"), CalendarCb(action=CalendarAction.NO_DATE, day="0").pack())],
        _back_to_plan(int(data.get("youth", 0))),
    ]
    await show(query, _("📅 By when? Pick the day."), _calendar(user, settings, clock, None, extra))


async def ask_for_date(
    query: CallbackQuery, user: User, clock: Clock, settings: Settings, task: Task
) -> None:
    """A new day for an existing task (also when answering a request for more time)."""
    extra = [_back_to_plan(task.youth_id)]
    text = paragraphs(
        f"<b>{esc(task.title)}</b>",
        _("📅 Deadline now: {due}").format(due=esc(due_text(task, user.locale))),
        _("Pick the new day."),
    )
    shown = (
        task.due_date if task.due_date and task.due_date >= _today(user, settings, clock) else None
    )
    await show(query, text, _calendar(user, settings, clock, shown, extra))


async def calendar_month(
    query: CallbackQuery,
    callback_data: CalendarCb,
    state: FSMContext,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    if query.message is None or not isinstance(query.message, Message):
        return
    today = _today(user, settings, clock)
    shown = calendar.parse_day(callback_data.day, today.replace(day=1))
    if shown is None:
        raise NotFound("stale button")
    markup = query.message.reply_markup
    extra = markup.inline_keyboard[-2:] if markup else []
    # Keep whatever rows sat under the calendar (no deadline, back).
    extra = [
        row
        for row in extra
        if not any(b.callback_data and b.callback_data.startswith("ca:d") for b in row)
    ]
    await edit(query.message, None, calendar.month(shown, today, user.locale, extra))


async def calendar_label(query: CallbackQuery) -> None:
    """Month and weekday names are buttons too; pressing them does nothing."""


async def task_day(
    query: CallbackQuery,
    callback_data: CalendarCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.action == CalendarAction.NO_DATE:
        await state.update_data(day=None)
        await _finish_task(
            query, state, session, user, settings, clock, i18n, bot, callback_answer, None
        )
        return
    day = calendar.parse_day(callback_data.day, _today(user, settings, clock))
    if day is None:
        callback_answer.text = _("That day has passed. Please pick another.")
        return
    await state.update_data(day=day.isoformat())
    await state.set_state(PlanDialog.task_time)
    rows = [[kb.button(_("No particular time"), TimeCb(hhmm="-").pack())]]
    presets = [kb.button(t, TimeCb(hhmm=t.replace(":", "")).pack()) for t in TIME_PRESETS]
    rows += [presets[:3], presets[3:]]
    data = await state.get_data()
    rows.append(_back_to_plan(int(data.get("youth", 0))))
    await show(query, _("🕒 At what time?"), InlineKeyboardMarkup(inline_keyboard=rows))


def _parse_time(value: str) -> time | None:
    if value == "-" or len(value) != 4 or not value.isdigit():
        return None
    hours, minutes = int(value[:2]), int(value[2:])
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


async def task_time(
    query: CallbackQuery,
    callback_data: TimeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    due_time = _parse_time(callback_data.hhmm)
    await _finish_task(
        query, state, session, user, settings, clock, i18n, bot, callback_answer, due_time
    )


async def _finish_task(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
    due_time: time | None,
) -> None:
    data = await state.get_data()
    day = date.fromisoformat(data["day"]) if data.get("day") else None
    title, owner, goal_id = data.get("title"), data.get("owner"), data.get("goal")
    if not isinstance(title, str) or not isinstance(owner, str) or not isinstance(goal_id, int):
        await state.clear()
        raise NotFound("the wizard's data is gone")
    ctx = plan_context(settings, clock)
    try:
        task = await plans.add_task(
            session, user, goal_id, title=title, owner=owner, due_date=day,
            due_time=due_time if day else None, details=None, ctx=ctx,
        )  # fmt: skip
        youth = await _mentee(session, user, task.youth_id)
    except (NotAllowed, NotFound):
        await state.clear()
        raise
    await state.clear()
    callback_answer.text = _("Task added.")
    await _changed(
        query, session, user, i18n, bot, youth, ctx,
        lambda: _("📋 New task in your plan: {task}\nDeadline: {due}").format(
            task=f"<b>{esc(task.title)}</b>", due=esc(due_text(task, youth.locale))
        ),
    )  # fmt: skip


# New date, cancel


async def move(
    query: CallbackQuery,
    callback_data: TaskCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    task = await plans.editable_task(session, user, callback_data.id)
    await state.set_state(PlanDialog.move_date)
    await state.set_data({"task": task.id})
    await ask_for_date(query, user, clock, settings, task)


async def moved_day(
    query: CallbackQuery,
    callback_data: CalendarCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    day = calendar.parse_day(callback_data.day, _today(user, settings, clock))
    if day is None:
        callback_answer.text = _("That day has passed. Please pick another.")
        return
    data = await state.get_data()
    await state.clear()
    ctx = plan_context(settings, clock)
    request_id = data.get("request")
    if isinstance(request_id, int):
        decision = await plans.answer_more_time(session, user, request_id, day, ctx)
        await tell_more_time_decision(query, session, user, i18n, bot, decision)
        return
    task_id = data.get("task")
    if not isinstance(task_id, int):
        raise NotFound("no task")
    current = await plans.editable_task(session, user, task_id)
    task = await plans.move_task(session, user, task_id, day, current.due_time, ctx)
    youth = await _mentee(session, user, task.youth_id)
    callback_answer.text = _("New date saved.")
    await _changed(
        query, session, user, i18n, bot, youth, ctx,
        lambda: _("📅 New deadline for {task}: {due}").format(
            task=f"<b>{esc(task.title)}</b>", due=esc(due_text(task, youth.locale))
        ),
    )  # fmt: skip


async def tell_more_time_decision(
    query: CallbackQuery,
    session: AsyncSession,
    mentor: User,
    i18n: I18n,
    bot: Bot,
    decision: Decision,
) -> None:
    task, youth = decision.task, decision.youth
    if not decision.changed:
        await show(query, _("This request has already been answered."))
        return
    granted = decision.request.new_date is not None

    def for_youth() -> str:
        if granted:
            return _("✅ {name} gave you more time. {task} is now due {due}.").format(
                name=name_or_someone(mentor.display_name),
                task=f"<b>{esc(task.title)}</b>",
                due=esc(due_text(task, youth.locale)),
            )
        return _("{name} could not give more time for {task}. Talk to them about it.").format(
            name=name_or_someone(mentor.display_name), task=f"<b>{esc(task.title)}</b>"
        )

    await _tell_youth(bot, session, i18n, youth, for_youth)
    if granted:
        text = _("✅ New deadline for {task}: {due}. {name} is told.").format(
            task=f"<b>{esc(task.title)}</b>",
            due=esc(due_text(task, mentor.locale)),
            name=name_or_someone(youth.display_name),
        )
    else:
        text = _("Answer sent: no more time for {task}.").format(task=f"<b>{esc(task.title)}</b>")
    await show(query, text, kb.only(_back_to_plan(youth.id)))


async def rename(
    query: CallbackQuery,
    callback_data: TaskCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    task = await plans.editable_task(session, user, callback_data.id)
    await state.set_state(PlanDialog.rename)
    await state.set_data({"task": task.id})
    text = paragraphs(f"<b>{esc(task.title)}</b>", _("✏️ Type the new name of the task."))
    await show(query, text, kb.only(_back_to_plan(task.youth_id)))


async def renamed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
) -> None:
    task_id = (await state.get_data()).get("task")
    await state.clear()
    ctx = plan_context(settings, clock)
    try:
        if not isinstance(task_id, int):
            raise NotFound("no task")
        task = await plans.rename_task(session, user, task_id, message.text or "", ctx)
        youth = await _mentee(session, user, task.youth_id)
    except ValueError:
        raise NotFound("not a name") from None
    await _changed(
        message, session, user, i18n, bot, youth, ctx,
        lambda: _("✏️ A task in your plan has a new name: {task}").format(
            task=f"<b>{esc(task.title)}</b>"
        ),
    )  # fmt: skip


async def cancel(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    task = await plans.editable_task(session, user, callback_data.id)
    text = _("Cancel this task? {task}").format(task=f"<b>{esc(task.title)}</b>")
    markup = kb.only(
        [
            kb.button(
                _("Yes, cancel it"), TaskCb(id=task.id, action=TaskAction.CANCEL_CONFIRMED).pack()
            )
        ],
        [kb.button(_("⬅️ Back"), TaskCb(id=task.id, action=TaskAction.OPEN).pack())],
    )
    await show(query, text, markup)


async def cancel_confirmed(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    ctx = plan_context(settings, clock)
    task = await plans.cancel_task(session, user, callback_data.id, ctx)
    youth = await _mentee(session, user, task.youth_id)
    callback_answer.text = _("Task cancelled.")
    await _changed(
        query, session, user, i18n, bot, youth, ctx,
        lambda: _("✖️ Taken off your plan: {task}").format(task=f"<b>{esc(task.title)}</b>"),
    )  # fmt: skip


# Nudges


async def nudge_menu(
    query: CallbackQuery,
    callback_data: MenteeCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    await _show_nudges(query, session, user, callback_data.id, callback_answer)


async def _show_nudges(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    youth_id: int,
    callback_answer: CallbackAnswer,
) -> None:
    if youth_id:
        youth = await _mentee(session, user, youth_id)
        head = _("📣 A reminder for {name}. Pick one, or write your own.").format(
            name=name_or_someone(youth.display_name)
        )
        back = _back_to_plan(youth.id)
    else:
        head = _("📣 A reminder for all your young people. Pick one, or write your own.")
        back = [kb.nav(_("⬅️ Back"), Page.MENTEES)]
    rows = [
        [kb.button(_(text), NudgeCb(youth=youth_id, preset=index).pack())]
        for index, text in enumerate(NUDGES)
    ]
    rows.append([kb.button(_("✍️ My own words"), NudgeCb(youth=youth_id, preset=-1).pack())])
    rows.append(back)
    await show(query, head, InlineKeyboardMarkup(inline_keyboard=rows))


async def nudge_all(
    query: CallbackQuery, session: AsyncSession, user: User, callback_answer: CallbackAnswer
) -> None:
    await _show_nudges(query, session, user, 0, callback_answer)


async def nudge_pick(
    query: CallbackQuery,
    callback_data: NudgeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.preset == -1:
        await state.set_state(PlanDialog.nudge_text)
        await state.set_data({"youth": callback_data.youth})
        await show(
            query,
            _("✍️ Type your message (up to {limit} characters).").format(limit=NUDGE_LIMIT),
            kb.only(
                [
                    kb.button(
                        _("⬅️ Back"),
                        MenteeCb(id=callback_data.youth, action=MenteeAction.NUDGE).pack(),
                    )
                ]
            ),
        )
        return
    if not 0 <= callback_data.preset < len(NUDGES):
        raise NotFound("stale button")
    preset = NUDGES[callback_data.preset]
    sent = await _send_nudge(session, user, i18n, bot, callback_data.youth, lambda: _(preset))
    if sent is None:
        raise NotFound("stale button")
    await show(query, *_nudge_report(sent, callback_data.youth))


async def nudge_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
) -> None:
    data = await state.get_data()
    await state.clear()
    text = plans.clean_text(message.text, NUDGE_LIMIT) or ""
    youth_id = data.get("youth")
    if not isinstance(youth_id, int) or not text:
        return
    sent = await _send_nudge(session, user, i18n, bot, youth_id, lambda: esc(text))
    if sent is None:
        raise NotFound("not their mentee")
    report, markup = _nudge_report(sent, youth_id)
    await message.answer(report, reply_markup=markup)


async def _send_nudge(
    session: AsyncSession,
    mentor: User,
    i18n: I18n,
    bot: Bot,
    youth_id: int,
    body: Callable[[], str],
) -> int | None:
    """How many got it; None when the young person is not the mentor's."""
    if youth_id:
        try:
            targets = [await _mentee(session, mentor, youth_id)]
        except (NotAllowed, NotFound):
            return None
    else:
        targets = [youth for youth, _link in await mentoring.mentees(session, mentor.id)]
    sent = 0
    for youth in targets:

        def text_for(youth: User = youth) -> str:
            return paragraphs(
                _("📣 From your mentor {name}:").format(name=name_or_someone(mentor.display_name)),
                body(),
            )

        with i18n.use_locale(youth.locale):
            text = text_for()
            markup = kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
        if await notify.tell(
            bot, session, youth.telegram_id, text, is_active=youth.is_active, markup=markup
        ):
            sent += 1
    return sent


def _nudge_report(sent: int, youth_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = ngettext("📣 Sent to {n} young person.", "📣 Sent to {n} young people.", sent).format(
        n=sent
    )
    back = _back_to_plan(youth_id) if youth_id else [kb.back_to_menu()]
    return text, kb.only(back)


async def answer_more_time(
    query: CallbackQuery,
    callback_data: MoreTimeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    ctx = plan_context(settings, clock)
    task = await plans.requested_task(session, user, callback_data.id)
    if callback_data.days == -1:
        await state.set_state(PlanDialog.move_date)
        await state.set_data({"request": callback_data.id, "task": task.id})
        await ask_for_date(query, user, clock, settings, task)
        return
    if callback_data.days not in (0, *MORE_TIME_CHOICES):
        raise NotFound("not an offered answer")
    today = ctx.now.astimezone(ZoneInfo(people.timezone_of(user, settings.timezone))).date()
    new_date = plans.extended(task, callback_data.days, today) if callback_data.days else None
    decision = await plans.answer_more_time(session, user, callback_data.id, new_date, ctx)
    await tell_more_time_decision(query, session, user, i18n, bot, decision)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="plan_edit")
    router.message.filter(HasRole(Role.MENTOR))
    router.callback_query.filter(HasRole(Role.MENTOR))
    router.callback_query.register(mentee_plan, MenteeCb.filter(F.action == MenteeAction.PLAN))
    router.callback_query.register(answer_more_time, MoreTimeCb.filter())
    router.callback_query.register(new_goal, MenteeCb.filter(F.action == MenteeAction.GOAL))
    router.callback_query.register(new_task, MenteeCb.filter(F.action == MenteeAction.TASK))
    router.callback_query.register(nudge_menu, MenteeCb.filter(F.action == MenteeAction.NUDGE))
    router.callback_query.register(nudge_all, MenteeCb.filter(F.action == MenteeAction.NUDGE_ALL))
    router.callback_query.register(nudge_pick, NudgeCb.filter())
    router.callback_query.register(task_goal, GoalPickCb.filter())
    router.callback_query.register(
        goal_domain, DomainCb.filter(), StateFilter(PlanDialog.goal_domain)
    )
    router.callback_query.register(task_owner, OwnerCb.filter(), StateFilter(PlanDialog.task_owner))
    router.callback_query.register(
        calendar_label, CalendarCb.filter(F.action == CalendarAction.LABEL)
    )
    router.callback_query.register(
        calendar_month, CalendarCb.filter(F.action == CalendarAction.MONTH)
    )
    router.callback_query.register(
        task_day,
        CalendarCb.filter(F.action.in_({CalendarAction.DAY, CalendarAction.NO_DATE})),
        StateFilter(PlanDialog.task_date),
    )
    router.callback_query.register(
        moved_day,
        CalendarCb.filter(F.action == CalendarAction.DAY),
        StateFilter(PlanDialog.move_date),
    )
    router.callback_query.register(task_time, TimeCb.filter(), StateFilter(PlanDialog.task_time))
    router.callback_query.register(move, TaskCb.filter(F.action == TaskAction.MOVE))
    router.callback_query.register(rename, TaskCb.filter(F.action == TaskAction.RENAME))
    router.callback_query.register(cancel, TaskCb.filter(F.action == TaskAction.CANCEL))
    router.callback_query.register(
        cancel_confirmed, TaskCb.filter(F.action == TaskAction.CANCEL_CONFIRMED)
    )
    router.message.register(goal_title, StateFilter(PlanDialog.goal_title), TYPED)
    router.message.register(task_title, StateFilter(PlanDialog.task_title), TYPED)
    router.message.register(nudge_typed, StateFilter(PlanDialog.nudge_text), TYPED)
    router.message.register(renamed, StateFilter(PlanDialog.rename), TYPED)
    return router
