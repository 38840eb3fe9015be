"""A mentor's own young people."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_date
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import _, name_or_someone, ngettext
from bot.people.models import Role, User
from bot.people.telegram.callbacks import InviteAction, InviteCb
from bot.plans import rules as plans
from bot.plans.rules import context_for as plan_context
from bot.plans.telegram.callbacks import MenteeAction, MenteeCb
from bot.plans.telegram.screens import mentee_button

# Past this many, the list shows buttons for the first ones and counts the rest.
MENTEE_BUTTONS = 30


async def mentees(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    tz: str,
    settings: Settings,
    clock: Clock,
) -> None:
    await state.clear()
    summaries = await plans.mentees(session, user, plan_context(settings, clock))
    lines = [
        _("👥 <b>My young people</b>"),
        ngettext(
            "You follow {n} young person.", "You follow {n} young people.", len(summaries)
        ).format(n=len(summaries)),
    ]
    rows = []
    for summary in summaries[:MENTEE_BUTTONS]:
        lines.append(
            _("• {name}: {done} of {total} tasks done, {late} late, last seen {date}").format(
                name=name_or_someone(summary.youth.display_name),
                done=summary.done,
                total=summary.total,
                late=summary.overdue,
                date=fmt_date(summary.youth.last_seen_at, user.locale, tz),
            )
        )
        rows.append([mentee_button(summary.youth, summary.done, summary.total, summary.overdue)])
    if len(summaries) > MENTEE_BUTTONS:
        hidden = len(summaries) - MENTEE_BUTTONS
        lines.append(ngettext("…and {n} more", "…and {n} more", hidden).format(n=hidden))
    if not summaries:
        lines.append(_("Invite a young person with a link: they open it and you are connected."))
    else:
        lines.append(_("Tap a name to open their plan."))
        rows.append(
            [
                kb.button(
                    _("📣 Remind all of them"), MenteeCb(id=0, action=MenteeAction.NUDGE_ALL).pack()
                )
            ]
        )
    rows.append(
        [kb.button(_("➕ Invite a young person"), InviteCb(action=InviteAction.MENTEE).pack())]
    )
    rows.append([kb.back_to_menu()])
    await show(event, "\n".join(lines), kb.only(*rows))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="mentor")
    router.message.filter(HasRole(Role.MENTOR))
    router.callback_query.filter(HasRole(Role.MENTOR))
    router.message.register(mentees, Command("mentees"))
    router.callback_query.register(mentees, NavCb.filter(F.to == Page.MENTEES))
    return router
