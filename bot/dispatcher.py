"""Assembles the dispatcher: middlewares in order, one router per feature, injected services."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseStorage
from aiogram.utils.i18n import I18n

from bot.assessment.chart import OneAtATime
from bot.assessment.questionnaire import Questionnaires
from bot.assessment.questionnaire import load_all as load_questionnaires
from bot.assessment.telegram import mentor_view as assessment_view
from bot.assessment.telegram import questions as assessment
from bot.booking.telegram import (
    bookings,
    counselling,
    staff_counselling,
    staff_workshops,
    workshop_forms,
    workshops,
)
from bot.broadcasts.telegram import compose as broadcasts
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.i18n.catalogs import DOMAIN, LOCALES_DIR
from bot.i18n.locales import DEFAULT_LOCALE
from bot.kit import forms
from bot.kit import words as typed_words
from bot.kit.helplines import Helplines
from bot.kit.middlewares.callbacks import AnswerFirst
from bot.kit.middlewares.errors import ErrorBoundary
from bot.kit.middlewares.i18n import StoredLocale
from bot.kit.middlewares.inflight import InFlight
from bot.kit.middlewares.refusals import AnswerRefusals
from bot.kit.middlewares.session import UnitOfWork
from bot.kit.middlewares.user import LoadUser
from bot.kit.pacing import Pacer, SharedPacer
from bot.kit.routing import skip_foreign_buttons
from bot.kit.sealing import Sealer
from bot.people.telegram import desk as desk_link
from bot.people.telegram import (
    fallback,
    invites,
    mentor_line,
    menu,
    onboarding,
    privacy,
    staff,
    system,
)
from bot.people.telegram import settings as settings_handlers
from bot.plans.telegram import edit as plan_edit
from bot.plans.telegram import mentor
from bot.plans.telegram import view as plans

# Only what the handlers use: fewer updates on the wire for people with little data.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def create_i18n() -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain=DOMAIN)


@dataclass
class Assembled:
    dispatcher: Dispatcher
    inflight: InFlight
    i18n: I18n
    pacer: Pacer


def create_pacer(settings: Settings, storage: BaseStorage | None = None) -> Pacer:
    """With REDIS_URL the rates are shared by every instance of the bot (see bot/services/pacing).

    The dialog state's Redis client is reused when there is one (it is closed with the storage);
    otherwise the pacer opens its own and closes it in `close()`.
    """
    rates = {"broadcast": settings.broadcast_rate, "reminder": settings.reminder_rate}
    if not settings.redis_url:
        return Pacer(rates)
    from aiogram.fsm.storage.redis import RedisStorage  # only needed with Redis
    from redis.asyncio import Redis

    # Telegram's limit is per bot: the bot id (the token's public part) keeps two bots that
    # share a Redis apart.
    namespace = (settings.bot_token.get_secret_value() if settings.bot_token else "").split(":")[0]
    if isinstance(storage, RedisStorage):
        return SharedPacer(storage.redis, rates, namespace=namespace)
    client = Redis.from_url(settings.redis_url)
    return SharedPacer(client, rates, namespace=namespace, owns_client=True)


def create_sealer(settings: Settings) -> Sealer | None:
    """None without DATA_KEY: then free-text questions are not asked (see .env.example)."""
    return Sealer(settings.data_key.get_secret_value()) if settings.data_key else None


def _forms_router() -> Router:
    """Every feature's forms in one router: aiogram-dialog keeps one registry of dialogs per
    router, and a form's button reaching another registry would be taken for a stale one."""
    router = Router(name="forms")
    # Openers first: an open form's dialog takes every button, the other forms' openers too.
    counselling_openers, counselling_forms = staff_counselling.form_routers()
    router.include_routers(counselling_openers, workshop_forms.create_router(), counselling_forms)
    forms.setup(
        router, opens=lambda data: workshop_forms.opens(data) or staff_counselling.opens(data)
    )
    return router


def create_dispatcher(
    *,
    settings: Settings,
    sessions: SessionFactory,
    storage: BaseStorage,
    clock: Clock,
    helplines: Helplines,
    i18n: I18n | None = None,
    pacer: Pacer | None = None,
    questionnaires: Questionnaires | None = None,
) -> Assembled:
    i18n = i18n or create_i18n()
    pacer = pacer or create_pacer(settings, storage)
    dp = Dispatcher(
        storage=storage,
        # aiogram would put its FSM storage middleware outermost, outside the error boundary;
        # it is registered below, inside it, so that Redis being away is answered too.
        disable_fsm=True,
        settings=settings,
        sessions=sessions,
        clock=clock,
        helplines=helplines,
        words=typed_words.load(),
        pacer=pacer,
        questionnaires=questionnaires or load_questionnaires(),
        sealer=create_sealer(settings),
        charts=OneAtATime(),
    )
    inflight = InFlight(settings.max_concurrent_updates)
    # Outermost first. A cap on updates handled at once, so a rush queues instead of failing;
    # the error boundary outside everything that touches Redis or the database, so a failed
    # update is rolled back before the apology (or the outage notice) goes out.
    dp.update.outer_middleware(inflight)
    dp.update.outer_middleware(ErrorBoundary(sessions, i18n))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(UnitOfWork(sessions, clock))
    dp.update.outer_middleware(LoadUser(settings, clock))
    dp.update.outer_middleware(StoredLocale(i18n))
    dp.callback_query.middleware(AnswerFirst())
    # Inside AnswerFirst: a refusal becomes the button's answer.
    dp.callback_query.middleware(AnswerRefusals())
    dp.message.middleware(AnswerRefusals())
    dp.include_routers(
        system.create_router(),
        onboarding.create_router(),
        menu.create_router(),
        # Before every feature: a reply to a relayed message is for the other person, whatever
        # screen the one replying is on.
        mentor_line.create_router(),
        settings_handlers.create_router(),
        privacy.create_router(),
        desk_link.create_router(),
        invites.create_router(),
        mentor.create_router(),
        staff.create_router(),
        plans.create_router(),
        plan_edit.create_router(),
        assessment.create_router(),
        assessment_view.create_router(),
        broadcasts.create_router(),
        # Staff first: their "Workshops" is the management screen.
        staff_workshops.create_router(),
        staff_counselling.create_router(),
        workshops.create_router(),
        counselling.create_router(),
        bookings.create_router(),
        # Forms (aiogram-dialog) after every plain handler: they take only their own buttons, the
        # buttons that open them and text typed while one is open (bot/kit/forms.py).
        _forms_router(),
        fallback.create_router(),
    )
    # Last, with every handler registered: the prefixes are read from them.
    skip_foreign_buttons(dp)
    return Assembled(dp, inflight, i18n, pacer)
