"""The plan day to day: the young person's list and tasks, done, "I need more time"."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.kit import keyboards as kb
from bot.kit import notify
from bot.kit.errors import NotFound
from bot.kit.filters import Consented
from bot.kit.render import show
from bot.kit.texts import _, esc, name_or_someone, paragraphs
from bot.people import queries as users
from bot.people.models import User
from bot.plans import rules as plans
from bot.plans.rules import context_for as plan_context
from bot.plans.telegram.callbacks import PlanCb, TaskAction, TaskCb
from bot.plans.telegram.screens import more_time_request, plan_screen, task_screen
from bot.plans.telegram.states import PlanDialog


async def my_plan(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    await state.clear()
    view = await plans.plan(session, user, user.id, plan_context(settings, clock))
    await show(event, *plan_screen(view, user, user.locale, 0, False))


async def plan_page(
    query: CallbackQuery,
    callback_data: PlanCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    youth_id = callback_data.youth or user.id
    view = await plans.plan(session, user, youth_id, plan_context(settings, clock))
    screen = plan_screen(view, user, user.locale, callback_data.page, callback_data.done)
    await show(query, *screen)


async def open_task(
    query: CallbackQuery,
    callback_data: TaskCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    line = await plans.task_for(session, user, callback_data.id, plan_context(settings, clock))
    await show(query, *task_screen(line, user, user.locale))


async def done(
    query: CallbackQuery,
    callback_data: TaskCb,
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
    task = await plans.complete(session, user, callback_data.id, None, ctx)
    callback_answer.text = _("✅ Well done!")
    for mentor in await users.mentors_of(session, user.id):
        with i18n.use_locale(mentor.locale):
            text = _("✅ {name} has done: {task}").format(
                name=name_or_someone(user.display_name), task=esc(task.title)
            )
        await notify.tell(bot, session, mentor.telegram_id, text, is_active=mentor.is_active)
    await state.set_state(PlanDialog.done_note)
    await state.update_data(task=task.id)
    text = paragraphs(
        _("✅ Well done!") + f" <b>{esc(task.title)}</b>",
        _("Want to add a short note for your mentor? Type it now, or tap Skip."),
    )
    markup = kb.only(
        [kb.button(_("Skip"), TaskCb(id=task.id, action=TaskAction.SKIP).pack())],
        [kb.button(_("📋 Open my plan"), PlanCb().pack())],
    )
    await show(query, text, markup)


async def note_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    task_id = (await state.get_data()).get("task")
    await state.clear()
    ctx = plan_context(settings, clock)
    if isinstance(task_id, int):
        with contextlib.suppress(NotFound):
            await plans.add_note(session, user, task_id, message.text or "", ctx)
    view = await plans.plan(session, user, user.id, ctx)
    text, markup = plan_screen(view, user, user.locale, 0, False)
    await message.answer(paragraphs(_("Thanks! Your note is saved."), text), reply_markup=markup)


async def skip_note(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    await state.clear()
    view = await plans.plan(session, user, user.id, plan_context(settings, clock))
    await show(query, *plan_screen(view, user, user.locale, 0, False))


async def more_time(
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
    asked = await plans.ask_more_time(
        session, user, callback_data.id, plan_context(settings, clock)
    )
    task = asked.task
    back = kb.only([kb.button(_("📋 Open my plan"), PlanCb().pack())])
    if not asked.mentors:
        text = _("You have no mentor in Putokaz yet. Talk to your case worker about a new date.")
        await show(query, text, back)
        return
    if not asked.already_asked:
        for mentor in asked.mentors:
            with i18n.use_locale(mentor.locale):
                text, markup = more_time_request(user, task, asked.request.id, mentor.locale)
            await notify.tell(
                bot, session, mentor.telegram_id, text, is_active=mentor.is_active, markup=markup
            )
    names = ", ".join(name_or_someone(m.display_name) for m in asked.mentors)
    text = _("⏳ I asked {names} for more time for: {task}. The answer comes here.").format(
        names=names, task=f"<b>{esc(task.title)}</b>"
    )
    await show(query, text, back)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="plans")
    router.message.filter(Consented())
    router.callback_query.filter(Consented())
    router.message.register(my_plan, Command("plan"))
    router.callback_query.register(plan_page, PlanCb.filter())
    router.callback_query.register(open_task, TaskCb.filter(F.action == TaskAction.OPEN))
    router.callback_query.register(done, TaskCb.filter(F.action == TaskAction.DONE))
    router.callback_query.register(skip_note, TaskCb.filter(F.action == TaskAction.SKIP))
    router.callback_query.register(more_time, TaskCb.filter(F.action == TaskAction.MORE))
    router.message.register(
        note_typed, StateFilter(PlanDialog.done_note), F.text & ~F.text.startswith("/")
    )
    return router
