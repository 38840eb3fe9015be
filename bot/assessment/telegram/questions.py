"""The self-assessment for young people: one question at a time in one message, then results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment import chart
from bot.assessment import next_steps as steps
from bot.assessment import rules as assessment
from bot.assessment.models import AssessmentKind
from bot.assessment.questionnaire import Kind, Questionnaires
from bot.assessment.rules import NotExpectingText, Outcome, Results, Screen, Stale
from bot.assessment.telegram import screens
from bot.assessment.telegram.callbacks import AssessAction, AssessCb, StepCb
from bot.booking.telegram.callbacks import CounselAction, CounselCb, WorkshopsAction, WorkshopsCb
from bot.clock import Clock
from bot.kit import notify
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.help_now import help_now
from bot.kit.helplines import Helplines
from bot.kit.middlewares.callbacks import answer_now
from bot.kit.middlewares.session import release
from bot.kit.render import show
from bot.kit.sealing import Sealer
from bot.kit.texts import _, esc, name_or_someone
from bot.kit.words import Words
from bot.people.models import Role, User


class SelfAssessment(StatesGroup):
    # Only marks that typed text belongs to the questionnaire; progress is in the database.
    answering = State()


async def overview(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
) -> None:
    await state.clear()
    found = await assessment.overview(
        session, user, questionnaires, allow_text=sealer is not None, now=clock.now()
    )
    if found.in_progress is not None:
        await show(event, *screens.resume(found.in_progress))
        return
    count = sum(
        1 for q in questionnaires.current.questions if sealer is not None or q.kind != Kind.TEXT
    )
    short = questionnaires.current.short_check()
    short_count = len(short.questions) if short is not None else 0
    await show(event, *screens.intro(count, short_count, found.completed))


async def go(
    query: CallbackQuery,
    callback_data: NavCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    bot: Bot,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
) -> None:
    kinds = {Page.AS_SHORT: AssessmentKind.SHORT, Page.AS_FULL: AssessmentKind.FULL}
    outcome = await assessment.begin(
        session,
        user,
        questionnaires,
        allow_text=sealer is not None,
        now=clock.now(),
        fresh=callback_data.to == Page.AS_NEW,
        kind=kinds.get(callback_data.to),
    )
    await _show_outcome(query, outcome, state, session, user, tz, bot, clock)


async def _show_outcome(
    event: Message | CallbackQuery,
    outcome: Outcome,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    bot: Bot,
    clock: Clock,
) -> None:
    if isinstance(outcome, Screen):
        await state.set_state(SelfAssessment.answering)
        await show(event, *screens.question(outcome))
        return
    await state.clear()
    await _finish(event, outcome, session, user, tz, bot, clock)


async def _finish(
    event: Message | CallbackQuery,
    results: Results,
    session: AsyncSession,
    user: User,
    tz: str,
    bot: Bot,
    clock: Clock,
) -> None:
    """Scores in the message that held the questions, then the chart, then what next."""
    # The unit of work commits before `show` reaches Telegram: the finished assessment is safe
    # even if a send fails, and no transaction is open while the chart renders (~150 ms).
    await show(event, screens.done(results))
    await send_chart(bot, user, results, tz)
    links = await next_step_links(session, user, clock.now(), [s.id for s in results.steps])
    text, markup = screens.summary(results, links)
    await bot.send_message(user.telegram_id, text, reply_markup=markup)


async def send_chart(bot: Bot, user: User, results: Results, tz: str) -> None:
    image = await chart.render_async(screens.chart(results, user.locale, tz))
    await bot.send_photo(
        user.telegram_id,
        BufferedInputFile(image, filename="self-assessment.png"),
        caption=screens.chart_caption(results, user.locale, tz),
    )


async def step(
    query: CallbackQuery,
    callback_data: AssessCb,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    bot: Bot,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
) -> None:
    at = {"assessment_id": callback_data.id, "question_index": callback_data.q}
    allow_text, now = sealer is not None, clock.now()
    act = callback_data.act
    try:
        if act == AssessAction.ANSWER:
            outcome: Outcome = await assessment.choose(
                session, user, questionnaires, **at,
                option_index=callback_data.o, allow_text=allow_text, now=now,
            )  # fmt: skip
        elif act == AssessAction.SKIP:
            outcome = await assessment.skip(
                session, user, questionnaires, **at, allow_text=allow_text, now=now
            )
        elif act == AssessAction.BACK:
            outcome = await assessment.back(
                session, user, questionnaires, **at, allow_text=allow_text, now=now
            )
        elif act in (AssessAction.MENTOR_MAY_READ, AssessAction.MENTOR_MAY_NOT_READ):
            outcome = await assessment.share(
                session, user, questionnaires, **at,
                allow=act == AssessAction.MENTOR_MAY_READ, allow_text=allow_text, now=now,
            )  # fmt: skip
        elif act == AssessAction.PAUSE:
            screen = await assessment.check_current(
                session, user, questionnaires, **at, allow_text=allow_text, now=now
            )
            await state.clear()
            await show(query, *screens.paused(screen))
            return
        else:
            raise NotFound("stale button")
    except Stale:
        # Tapped twice, or an older message: show where the person really is.
        current = await assessment.current_screen(
            session, user, questionnaires, allow_text=sealer is not None, now=clock.now()
        )
        if current is None:
            raise NotFound("stale button") from None
        outcome = current
    await _show_outcome(query, outcome, state, session, user, tz, bot, clock)


async def typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    bot: Bot,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
    words: Words,
    helplines: Helplines,
) -> None:
    """Words for a text question are the answer; anywhere else, a nudge and the question again.
    Words of distress, and text when no question is open, go on to the bot's answer to typed
    text (bot/people/telegram/fallback.py): Help now first."""
    text = message.text or ""
    try:
        outcome = await assessment.write(
            session, user, questionnaires, sealer, text=text, now=clock.now()
        )
    except NotFound:
        await state.clear()
        raise SkipHandler from None
    except NotExpectingText:
        current = await assessment.current_screen(
            session, user, questionnaires, allow_text=sealer is not None, now=clock.now()
        )
        if isinstance(current, Screen) and not words.is_distress(text):
            nudge, markup = screens.nudge(current)
            await message.answer(nudge, reply_markup=markup)
            return
        if not isinstance(current, Screen):
            await state.clear()
        raise SkipHandler from None
    await _show_outcome(message, outcome, state, session, user, tz, bot, clock)
    if words.is_distress(text):
        # An answer that says the person is in danger is kept as an answer, and Help now follows.
        card, markup = help_now(helplines, user.locale, True)
        await message.answer(card, reply_markup=markup)


async def my_progress(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    tz: str,
    questionnaires: Questionnaires,
) -> None:
    results, completed = await assessment.history(session, user, questionnaires)
    await show(event, *screens.progress(results, completed, user.locale, tz))


async def next_steps(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
    clock: Clock,
) -> None:
    results = await assessment.latest(session, user, questionnaires)
    if results is None:
        raise NotFound("stale button")
    links = await next_step_links(session, user, clock.now(), [s.id for s in results.steps])
    await show(query, *screens.summary(results, links))


async def chart_again(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    session: AsyncSession,
    user: User,
    tz: str,
    bot: Bot,
    questionnaires: Questionnaires,
    charts: chart.OneAtATime,
) -> None:
    results = await assessment.latest(session, user, questionnaires)
    if results is None:
        raise NotFound("stale button")
    if not charts.begin(user.id):
        callback_answer.text = _("📊 Your chart is on its way.")
        return
    try:
        # Neither the spinner nor a database transaction waits while the chart is drawn.
        await release(session)
        await answer_now(callback_answer, bot)
        await send_chart(bot, user, results, tz)
    finally:
        charts.end(user.id)


async def tell_mentor(
    query: CallbackQuery,
    callback_data: StepCb,
    callback_answer: CallbackAnswer,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
    questionnaires: Questionnaires,
    clock: Clock,
) -> None:
    """Steps that cannot be booked here go to the mentor, in the mentor's language."""
    request = await assessment.ask_mentor(
        session,
        user,
        questionnaires,
        assessment_id=callback_data.id,
        step_id=callback_data.step,
    )
    if not request.mentors:
        callback_answer.text = _(
            "You have no mentor in Putokaz yet. Ask your case worker: they can connect you."
        )
        callback_answer.show_alert = True
        return
    if request.already:
        callback_answer.text = _("Your mentor already knows. 🙂")
        return
    callback_answer.text = _("✅ I told your mentor.")
    for mentor in request.mentors:
        with i18n.use_locale(mentor.locale):
            text = _(
                "🙋 {name} would like help with: <b>{step}</b>. "
                "It came up in their self-assessment. See it under /menu → 📝 Self-assessments."
            ).format(name=name_or_someone(user.display_name), step=esc(_(request.step.title)))
        await notify.tell(bot, session, mentor.telegram_id, text, is_active=mentor.is_active)
    results = await assessment.latest(session, user, questionnaires)
    if results is not None and results.assessment.id == callback_data.id:
        links = await next_step_links(session, user, clock.now(), [s.id for s in results.steps])
        await show(query, *screens.summary(results, links))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="assessment")
    router.message.filter(HasRole(Role.YOUTH))
    router.callback_query.filter(HasRole(Role.YOUTH))
    router.message.register(overview, Command("assess"))
    router.callback_query.register(overview, NavCb.filter(F.to == Page.ASSESS))
    router.callback_query.register(
        go, NavCb.filter(F.to.in_({Page.AS_GO, Page.AS_NEW, Page.AS_SHORT, Page.AS_FULL}))
    )
    router.callback_query.register(step, AssessCb.filter())
    router.message.register(my_progress, Command("progress"))
    router.callback_query.register(my_progress, NavCb.filter(F.to == Page.PROGRESS))
    router.callback_query.register(next_steps, NavCb.filter(F.to == Page.AS_STEPS))
    router.callback_query.register(chart_again, NavCb.filter(F.to == Page.AS_CHART))
    router.callback_query.register(tell_mentor, StepCb.filter())
    router.message.register(
        typed, StateFilter(SelfAssessment.answering), F.text, ~F.text.startswith("/")
    )
    return router


async def next_step_links(
    session: AsyncSession, user: User, now: datetime, step_ids: Iterable[str]
) -> dict[str, str]:
    """The self-assessment's next steps that open a workshop list or a counselling service."""
    links = {}
    for step, (what, key) in (await steps.bookable(session, user, now, step_ids)).items():
        if what == steps.WORKSHOP:
            links[step] = WorkshopsCb(a=WorkshopsAction.LIST, k=key).pack()
        else:
            links[step] = CounselCb(a=CounselAction.SERVICE, s=key).pack()
    return links
