"""A mentor's own young people."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Role, User
from bot.i18n.formatting import fmt_date
from bot.services import staff
from bot.telegram import keyboards as kb
from bot.telegram.callbacks import InviteCb, NavCb
from bot.telegram.filters import HasRole
from bot.telegram.render import show
from bot.telegram.texts import _, name_or_someone, ngettext


async def mentees(
    event: Message | CallbackQuery, session: AsyncSession, user: User, tz: str
) -> None:
    rows = await staff.mentees_of(session, user)
    lines = [
        _("👥 <b>My young people</b>"),
        ngettext("You follow {n} young person.", "You follow {n} young people.", len(rows)).format(
            n=len(rows)
        ),
    ]
    for mentee, link in rows:
        since = fmt_date(link.created_at, user.locale, tz)
        lines.append(
            _("• {name}, since {date}").format(
                name=name_or_someone(mentee.display_name), date=since
            )
        )
    if not rows:
        lines.append(_("Invite a young person with a link: they open it and you are connected."))
    markup = kb.only(
        [kb.button(_("➕ Invite a young person"), InviteCb(action="mentee").pack())],
        [kb.back_to_menu()],
    )
    await show(event, "\n".join(lines), markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="mentor")
    router.message.filter(HasRole(Role.MENTOR))
    router.callback_query.filter(HasRole(Role.MENTOR))
    router.message.register(mentees, Command("mentees"))
    router.callback_query.register(mentees, NavCb.filter(F.to == "mentees"))
    return router
