"""Self-assessment results for others: a mentor sees their own mentees, staff see only totals."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment import rules as assessment
from bot.assessment.questionnaire import Questionnaires
from bot.assessment.telegram import screens
from bot.assessment.telegram.callbacks import MenteeResultsCb
from bot.kit.callbacks import NavCb, Page
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.sealing import Sealer
from bot.people import roles as staff
from bot.people.models import Role, User


async def mentees(event: Message | CallbackQuery, session: AsyncSession, user: User) -> None:
    rows = await staff.mentees_of(session, user)
    await show(event, *screens.mentee_list([(m.id, m.display_name) for m, _link in rows]))


async def mentee(
    query: CallbackQuery,
    callback_data: MenteeResultsCb,
    callback_answer: CallbackAnswer,
    session: AsyncSession,
    user: User,
    tz: str,
    questionnaires: Questionnaires,
    sealer: Sealer | None,
) -> None:
    view = await assessment.for_mentor(session, user, questionnaires, sealer, callback_data.youth)
    await show(query, *screens.mentee(view, user.locale, tz))


async def figures(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    questionnaires: Questionnaires,
) -> None:
    people, rows = await assessment.figures(session, user, questionnaires)
    await show(event, *screens.figures(people, rows, user.locale))


def create_mentor_router() -> Router:
    router = Router(name="assessment_mentor")
    router.message.filter(HasRole(Role.MENTOR))
    router.callback_query.filter(HasRole(Role.MENTOR))
    router.callback_query.register(mentees, NavCb.filter(F.to == Page.M_ASSESS))
    router.callback_query.register(mentee, MenteeResultsCb.filter())
    return router


def create_staff_router() -> Router:
    router = Router(name="assessment_staff")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    router.callback_query.register(figures, NavCb.filter(F.to == Page.AS_STATS))
    return router


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="assessment_view")
    router.include_routers(create_mentor_router(), create_staff_router())
    return router
