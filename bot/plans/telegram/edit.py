"""Mentors shape their young people's plans: the plain buttons, and the forms under them.

Plain (stateless, working forever): a mentee's plan, answers to "I need more time", preset
reminders, cancelling a task. Forms (aiogram-dialog, bot/plans/telegram/plan_forms.py): a new
goal or task, a new date, a new name, a reminder in the mentor's own words.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.kit import keyboards as kb
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import _, esc
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans import rules as plans
from bot.plans.rules import context_for as plan_context
from bot.plans.telegram import changes, plan_forms
from bot.plans.telegram.callbacks import (
    MenteeAction,
    MenteeCb,
    MoreTimeCb,
    NudgeCb,
    TaskAction,
    TaskCb,
)
from bot.plans.telegram.changes import NUDGES, mentee, tell_youth
from bot.plans.telegram.screens import MORE_TIME_CHOICES, plan_screen


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


# Cancel


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
                _("Yes, cancel the task"),
                TaskCb(id=task.id, action=TaskAction.CANCEL_CONFIRMED).pack(),
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
    youth = await mentee(session, user, task.youth_id)
    callback_answer.text = _("Task cancelled.")
    await tell_youth(
        bot, session, i18n, youth,
        lambda: _("✖️ Taken off your plan: {task}").format(task=f"<b>{esc(task.title)}</b>"),
    )  # fmt: skip
    await show(query, *await changes.plan_of(session, user, youth, ctx))


# Nudges (the mentor's own words are a form)


async def nudge_menu(
    query: CallbackQuery,
    callback_data: MenteeCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    await show(query, *await changes.nudge_menu(session, user, callback_data.id))


async def nudge_all(
    query: CallbackQuery, session: AsyncSession, user: User, callback_answer: CallbackAnswer
) -> None:
    await show(query, *await changes.nudge_menu(session, user, 0))


async def nudge_pick(
    query: CallbackQuery,
    callback_data: NudgeCb,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    if not 0 <= callback_data.preset < len(NUDGES):
        raise NotFound("stale button")
    preset = NUDGES[callback_data.preset]
    report = await changes.send_nudge(
        session, user, i18n, bot, callback_data.youth, lambda: _(preset)
    )
    await show(query, *report)


# "I need more time": answered with a button, stateless ("📅 Pick a date" opens a form)


async def answer_more_time(
    query: CallbackQuery,
    callback_data: MoreTimeCb,
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
    if callback_data.days not in (0, *MORE_TIME_CHOICES):
        raise NotFound("not an offered answer")
    today = ctx.now.astimezone(ZoneInfo(people.timezone_of(user, settings.timezone))).date()
    new_date = plans.extended(task, callback_data.days, today) if callback_data.days else None
    decision = await plans.answer_more_time(session, user, callback_data.id, new_date, ctx)
    await show(query, *await changes.decided(session, user, i18n, bot, decision))


def create_router() -> Router:
    """A new router each time: a router (and a dialog) can belong to one dispatcher only.

    The forms sit in a child router: only mentors reach them (the role filter below is checked
    before a child router is tried), and the buttons that open a form are not taken here.
    """
    router = Router(name="plan_edit")
    router.message.filter(HasRole(Role.MENTOR))
    router.callback_query.filter(HasRole(Role.MENTOR))
    router.callback_query.register(mentee_plan, MenteeCb.filter(F.action == MenteeAction.PLAN))
    router.callback_query.register(answer_more_time, MoreTimeCb.filter(F.days != -1))
    router.callback_query.register(nudge_menu, MenteeCb.filter(F.action == MenteeAction.NUDGE))
    router.callback_query.register(nudge_all, MenteeCb.filter(F.action == MenteeAction.NUDGE_ALL))
    router.callback_query.register(nudge_pick, NudgeCb.filter(F.preset != -1))
    router.callback_query.register(cancel, TaskCb.filter(F.action == TaskAction.CANCEL))
    router.callback_query.register(
        cancel_confirmed, TaskCb.filter(F.action == TaskAction.CANCEL_CONFIRMED)
    )
    router.include_router(plan_forms.forms_router())
    return router
