"""/start: language, what Putokaz is, consent, year of birth; and /start <invite token>."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n.locales import LOCALES
from bot.kit import commands
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.help_now import help_now
from bot.kit.helplines import Helplines
from bot.kit.render import show
from bot.kit.texts import _, paragraphs
from bot.kit.words import Words
from bot.people import invites, onboarding
from bot.people import rules as people
from bot.people.models import InviteKind, Role, User
from bot.people.onboarding import Step
from bot.people.telegram import keyboards as people_kb
from bot.people.telegram import screens
from bot.people.telegram.callbacks import BirthdayCb, ConsentCb, LangCb, YearCb
from bot.people.telegram.invite_flow import after_redemption
from bot.people.telegram.states import Onboarding

YEARS_PER_ROW = 4
# Commands (/cancel, /help, /sos...) go on to their own handlers from inside the dialog.
NOT_A_COMMAND = F.text & ~F.text.startswith("/")


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
) -> None:
    token = (command.args or "").strip() or None
    if people.needs_consent(user):
        await state.set_state(Onboarding.language)
        await state.set_data({"token": token})
        await message.answer(
            _("👋 Hi! Choose your language:"),
            reply_markup=people_kb.languages(user.locale, onboarding=True),
        )
        return
    await state.clear()
    lines = []
    if token:
        result = await invites.redeem(session, user, token, clock.now())
        lines.append(
            await after_redemption(bot, session, i18n, user, result, settings.desk_app_url)
        )
    text, markup = screens.menu(user)
    await message.answer(paragraphs(*lines, text), reply_markup=markup)


async def restart(query: CallbackQuery, state: FSMContext, user: User) -> None:
    if not people.needs_consent(user):
        text, markup = screens.menu(user)
        await show(query, text, markup)
        return
    token = (await state.get_data()).get("token")
    await state.set_state(Onboarding.language)
    await state.set_data({"token": token})
    await show(
        query, _("👋 Hi! Choose your language:"), people_kb.languages(user.locale, onboarding=True)
    )


async def pick_language(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: LangCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    i18n: I18n,
) -> None:
    if callback_data.code not in LOCALES:
        raise NotFound("stale button")
    people.set_locale(user, callback_data.code)
    i18n.current_locale = callback_data.code
    if not people.needs_consent(user):
        text, markup = screens.menu(user)
        await show(query, text, markup)
        return
    await state.set_state(Onboarding.consent)
    professional = await _professional(session, user, state)
    await show(query, screens.intro(professional), people_kb.consent())


async def _professional(session: AsyncSession, user: User, state: FSMContext) -> bool:
    """Staff (made so by the admin list) and future mentors (by their invite): neither is asked
    their age nor shown the young person's consent text."""
    if user.role in (Role.STAFF, Role.MENTOR):
        return True
    token = (await state.get_data()).get("token")
    return await onboarding.invite_kind(session, token) == InviteKind.MENTOR


async def consent(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ConsentCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
) -> None:
    if not people.needs_consent(user):
        callback_answer.text = _("Your consent is already given.")
        text, markup = screens.menu(user)
        await show(query, text, markup)
        return
    await state.set_state(Onboarding.consent)
    action = callback_data.action
    if action == "more":
        await show(
            query, screens.privacy_notice(settings.unconsented_ttl_days), people_kb.consent()
        )
    elif action == "no":
        # Out of the dialog, so typing is not met with the consent question again; the data
        # (a pending invite) stays for "I changed my mind".
        await state.set_state(None)
        await show(
            query,
            _(
                "Okay. I keep only your Telegram ID and language. "
                "You can change your mind at any time."
            ),
            people_kb.declined(),
        )
    elif action == "again":
        professional = await _professional(session, user, state)
        await show(query, screens.intro(professional), people_kb.consent())
    elif action == "yes":
        if await _professional(session, user, state):
            # Mentors and staff are professionals: no age question.
            await _finish(query, state, session, user, settings, clock, i18n, bot, birth_year=None)
            return
        await state.set_state(Onboarding.year)
        await show(query, year_question(), year_keyboard(clock.now().year))
    else:
        raise NotFound("stale button")


def year_question() -> str:
    return _("🎂 What is your year of birth? Tap it, or type it (for example 2007).")


def birthday_question() -> str:
    return _("Has your birthday this year already passed?")


def birthday_keyboard() -> InlineKeyboardMarkup:
    return kb.only(
        [
            kb.button(_("Yes"), BirthdayCb(had=True).pack()),
            kb.button(_("Not yet"), BirthdayCb(had=False).pack()),
        ]
    )


def year_keyboard(this_year: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for year in people.shown_years(this_year):
        builder.button(text=str(year), callback_data=YearCb(year=year))
    builder.adjust(YEARS_PER_ROW)
    builder.row(kb.button(_("Earlier"), YearCb(year=0).pack()))
    return builder.as_markup()


async def year_button(
    query: CallbackQuery,
    callback_data: YearCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
) -> None:
    year = callback_data.year or None
    await _finish(query, state, session, user, settings, clock, i18n, bot, birth_year=year)


async def year_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    words: Words,
    helplines: Helplines,
) -> None:
    if await _in_distress(message, user, words, helplines):
        return
    year = people.parse_year(message.text or "")
    if year is None:
        await message.answer(
            _("Please tap your year of birth, or type it with four digits, like 2007."),
            reply_markup=year_keyboard(clock.now().year),
        )
        return
    await _finish(message, state, session, user, settings, clock, i18n, bot, birth_year=year)


async def birthday(
    query: CallbackQuery,
    callback_data: BirthdayCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
) -> None:
    year = (await state.get_data()).get("year")
    if not isinstance(year, int):
        await state.set_state(Onboarding.year)
        await show(query, year_question(), year_keyboard(clock.now().year))
        return
    await _finish(
        query, state, session, user, settings, clock, i18n, bot,
        birth_year=year, had_birthday=callback_data.had,
    )  # fmt: skip


async def _finish(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    bot: Bot,
    *,
    birth_year: int | None,
    had_birthday: bool | None = None,
) -> None:
    data = await state.get_data()
    result = await onboarding.finish(
        session,
        user,
        now=clock.now(),
        birth_year=birth_year,
        had_birthday=had_birthday,
        pending_token=data.get("token"),
        display_name=event.from_user.first_name if event.from_user else None,
        default_tz=settings.timezone,
    )
    lines = []
    if result.redemption is not None:
        lines.append(
            await after_redemption(
                bot, session, i18n, user, result.redemption, settings.desk_app_url
            )
        )
    if result.step == Step.INVALID_YEAR:
        text = _("Hmm, that year does not look right. Please try again.")
        await show(event, paragraphs(text, year_question()), year_keyboard(clock.now().year))
    elif result.step == Step.ASK_BIRTHDAY:
        await state.set_state(Onboarding.birthday)
        await state.update_data(year=birth_year)
        await show(event, birthday_question(), birthday_keyboard())
    elif result.step == Step.TOO_YOUNG:
        await state.clear()
        text, markup = screens.too_young()
        await show(event, paragraphs(*lines, text), markup)
    else:
        await state.clear()
        await commands.set_for_chat(
            bot, i18n, user.telegram_id, user.role, user.locale, settings.desk_app_url
        )
        text, markup = screens.menu(user)
        await show(event, paragraphs(_("✅ All set!"), *lines, text), markup)


async def _in_distress(message: Message, user: User, words: Words, helplines: Helplines) -> bool:
    """Words of distress get Help now at any step; the step stays where it was."""
    if not words.is_distress(message.text or ""):
        return False
    text, markup = help_now(helplines, user.locale, False)
    await message.answer(text, reply_markup=markup)
    return True


async def buttons_expected(
    message: Message,
    state: FSMContext,
    user: User,
    settings: Settings,
    words: Words,
    helplines: Helplines,
) -> None:
    """Typing where a button is expected: a gentle nudge and the same question again."""
    if await _in_distress(message, user, words, helplines):
        return
    current = await state.get_state()
    nudge = _("Please use the buttons 👇")
    if current == Onboarding.language.state:
        await message.answer(nudge, reply_markup=people_kb.languages(user.locale, onboarding=True))
    elif current == Onboarding.birthday.state:
        await message.answer(
            paragraphs(nudge, birthday_question()), reply_markup=birthday_keyboard()
        )
    else:
        await message.answer(paragraphs(nudge, screens.intro()), reply_markup=people_kb.consent())


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="onboarding")
    router.message.register(start, CommandStart())
    router.callback_query.register(restart, NavCb.filter(F.to == Page.START))
    router.callback_query.register(pick_language, LangCb.filter(F.onboarding))
    router.callback_query.register(consent, ConsentCb.filter())
    router.callback_query.register(year_button, YearCb.filter(), StateFilter(Onboarding.year))
    router.message.register(year_typed, StateFilter(Onboarding.year), NOT_A_COMMAND)
    router.callback_query.register(birthday, BirthdayCb.filter(), StateFilter(Onboarding.birthday))
    router.message.register(
        buttons_expected,
        StateFilter(Onboarding.language, Onboarding.consent, Onboarding.birthday),
        ~F.text.startswith("/"),
    )
    return router
