"""Invite links: staff invite mentors, mentors invite young people; both see and revoke theirs."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_datetime
from bot.kit import keyboards as kb
from bot.kit.errors import NotFound
from bot.kit.filters import HasRole
from bot.kit.render import show
from bot.kit.texts import _, esc, name_or_someone
from bot.people import invites
from bot.people import queries as users
from bot.people.models import InviteKind, Role, User
from bot.people.telegram.callbacks import InviteAction, InviteCb


async def new_invite(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    settings: Settings,
    clock: Clock,
    tz: str,
    bot: Bot,
    callback_data: InviteCb | None = None,
    callback_answer: CallbackAnswer | None = None,
) -> None:
    # The kind follows from the role: staff invite mentors, mentors invite young people.
    kind = InviteKind.MENTOR if user.role == Role.STAFF else InviteKind.MENTEE
    if callback_data is not None and callback_data.action != kind.value:
        raise NotFound("stale button")
    created = await invites.create(
        session, user, kind, clock.now(), timedelta(hours=settings.invite_ttl_hours)
    )
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={created.token}"
    until = fmt_datetime(created.invite.expires_at, user.locale, tz)
    if kind == InviteKind.MENTOR:
        intro = _("➕ Send this link to the new mentor.")
    else:
        intro = _("➕ Send this link to the young person.")
    text = "\n\n".join(
        [
            intro,
            f"<code>{esc(link)}</code>",
            _("It works once, until {time}.").format(time=until),
        ]
    )
    await show(event, text, kb.menu_only())


async def open_invites(
    query: CallbackQuery, session: AsyncSession, user: User, clock: Clock, tz: str
) -> None:
    await _show_list(query, session, user, clock, tz)


async def _show_list(
    query: CallbackQuery, session: AsyncSession, user: User, clock: Clock, tz: str
) -> None:
    rows = await invites.open_for(session, user, clock.now())
    builder = InlineKeyboardBuilder()
    lines = [_("🔗 <b>Open invites</b>")]
    if not rows:
        lines.append(_("None. Every link has been used, has expired or was revoked."))
    for invite in rows[:20]:
        maker = await users.get(session, invite.created_by_id) if invite.created_by_id else None
        until = fmt_datetime(invite.expires_at, user.locale, tz)
        maker_name = name_or_someone(maker.display_name if maker else None)
        if invite.kind == InviteKind.MENTOR:
            line = _("• Mentor link by {maker}, valid until {time}")
        else:
            line = _("• Link for a young person by {maker}, valid until {time}")
        lines.append(line.format(maker=maker_name, time=until))
        builder.row(
            kb.button(
                _("✖️ Revoke the link valid until {time}").format(time=until),
                InviteCb(action=InviteAction.REVOKE, id=invite.id).pack(),
            )
        )
    builder.row(kb.back_to_menu())
    await show(query, "\n".join(lines), builder.as_markup())


async def revoke(
    query: CallbackQuery,
    callback_data: InviteCb,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        await invites.revoke(session, user, callback_data.id, clock.now())
        callback_answer.text = _("Revoked.")
    except NotFound:
        callback_answer.text = _("That link is no longer open.")
    await _show_list(query, session, user, clock, tz)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="invites")
    router.message.filter(HasRole(Role.MENTOR, Role.STAFF))
    router.callback_query.filter(HasRole(Role.MENTOR, Role.STAFF))
    router.message.register(new_invite, Command("invite"))
    router.callback_query.register(
        new_invite, InviteCb.filter(F.action.in_({InviteAction.MENTOR, InviteAction.MENTEE}))
    )
    router.callback_query.register(open_invites, InviteCb.filter(F.action == InviteAction.LIST))
    router.callback_query.register(revoke, InviteCb.filter(F.action == InviteAction.REVOKE))
    return router
