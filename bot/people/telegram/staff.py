"""Staff: people, their roles and their mentor links."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n.formatting import fmt_date
from bot.i18n.locales import LANGUAGE_NAMES
from bot.kit import commands, notify
from bot.kit import keyboards as kb
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.filters import HasRole
from bot.kit.middlewares.refusals import STALE_BUTTON
from bot.kit.render import show
from bot.kit.texts import N_, _, button_name, esc, name_or_someone, ngettext
from bot.people import profile
from bot.people import roles as staff
from bot.people.models import Role, User
from bot.people.names import programme_name
from bot.people.telegram.callbacks import PeopleCb, PersonCb, ProgrammeCb, SetRoleCb, UnlinkCb

ROLE_NAMES = {Role.YOUTH: N_("young person"), Role.MENTOR: N_("mentor"), Role.STAFF: N_("staff")}
FILTERS = {
    "all": N_("All"),
    Role.YOUTH: N_("Young"),
    Role.MENTOR: N_("Mentors"),
    Role.STAFF: N_("Staff"),
}


# Unlink buttons shown on a mentor's card; the rest are counted, not listed.
MENTEES_ON_CARD = 10


def role_name(role: str) -> str:
    return _(ROLE_NAMES[Role(role)])


async def people_command(message: Message, session: AsyncSession, user: User) -> None:
    text, markup = await _people(session, user, "all", 0)
    await message.answer(text, reply_markup=markup)


async def people_list(
    query: CallbackQuery, callback_data: PeopleCb, session: AsyncSession, user: User
) -> None:
    text, markup = await _people(session, user, callback_data.role, callback_data.page)
    await show(query, text, markup)


async def _people(
    session: AsyncSession, user: User, role_key: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    role = Role(role_key) if role_key in Role.__members__.values() else None
    role_key = role.value if role else "all"
    result = await staff.list_people(session, user, role, page)
    builder = InlineKeyboardBuilder()
    builder.row(
        *[
            kb.button(("✓ " if key == role_key else "") + _(label), PeopleCb(role=key).pack())
            for key, label in FILTERS.items()
        ]
    )
    for person in result.people:
        label = f"{button_name(person.display_name)} · {role_name(person.role)}"
        builder.row(
            kb.button(label, PersonCb(id=person.id, role=role_key, page=result.page).pack())
        )
    paging = kb.pager(result.page, result.pages, lambda to: PeopleCb(role=role_key, page=to).pack())
    if paging:
        builder.row(*paging)
    builder.row(kb.back_to_menu())
    lines = [
        _("👤 <b>People</b>"),
        ngettext("{n} person", "{n} people", result.total).format(n=result.total),
    ]
    if result.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=result.page + 1, pages=result.pages))
    return "\n".join(lines), builder.as_markup()


async def _card(
    session: AsyncSession, user: User, user_id: int, back: PersonCb, tz: str
) -> tuple[str, InlineKeyboardMarkup]:
    person = await staff.person(session, user, user_id)
    target = person.user
    lines = [
        f"👤 <b>{name_or_someone(target.display_name)}</b>",
        _("Role: {role}").format(role=role_name(target.role)),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(target.locale, target.locale)),
        _("Joined: {date}").format(date=fmt_date(target.created_at, user.locale, tz)),
    ]
    lines.append(_("Programme: {name}").format(name=esc(programme_name(target.programme))))
    if not target.is_active:
        lines.append(_("⚠️ Has blocked the bot: messages do not reach them."))
    builder = InlineKeyboardBuilder()
    for mentor, _link in person.mentors:
        lines.append(_("Mentor: {name}").format(name=name_or_someone(mentor.display_name)))
        builder.row(
            kb.button(
                _("✖️ Unlink mentor {name}").format(name=button_name(mentor.display_name)),
                UnlinkCb(mentor=mentor.id, youth=target.id, back=target.id).pack(),
            )
        )
    if person.mentees:
        lines.append(
            ngettext(
                "Follows {n} young person", "Follows {n} young people", len(person.mentees)
            ).format(n=len(person.mentees))
        )
    shown = person.mentees[:MENTEES_ON_CARD]
    if len(person.mentees) > len(shown):
        hidden = len(person.mentees) - len(shown)
        lines.append(ngettext("…and {n} more", "…and {n} more", hidden).format(n=hidden))
    for mentee, _link in shown:
        builder.row(
            kb.button(
                _("✖️ Unlink {name}").format(name=button_name(mentee.display_name)),
                UnlinkCb(mentor=target.id, youth=mentee.id, back=target.id).pack(),
            )
        )
    builder.row(kb.button(_("🏷 Programme"), ProgrammeCb(id=target.id).pack()))
    # One per row: the labels are long in Serbian and Bulgarian and get cut on small screens.
    for role in Role:
        if role != target.role:
            builder.row(
                kb.button(
                    _("Change role to: {role}").format(role=role_name(role)),
                    SetRoleCb(id=target.id, role=role).pack(),
                )
            )
    builder.row(kb.button(_("⬅️ Back"), PeopleCb(role=back.role, page=back.page).pack()))
    return "\n".join(lines), builder.as_markup()


async def person_card(
    query: CallbackQuery,
    callback_data: PersonCb,
    session: AsyncSession,
    user: User,
    tz: str,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        text, markup = await _card(session, user, callback_data.id, callback_data, tz)
    except NotFound:
        callback_answer.text = _("That person is no longer here.")
        text, markup = await _people(session, user, callback_data.role, callback_data.page)
    await show(query, text, markup)


async def set_role(
    query: CallbackQuery,
    callback_data: SetRoleCb,
    session: AsyncSession,
    user: User,
    tz: str,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
    settings: Settings,
) -> None:
    if callback_data.role not in Role.__members__.values():
        raise NotFound("stale button")
    role = Role(callback_data.role)
    back = PersonCb(id=callback_data.id)
    try:
        losing = await staff.mentees_losing_mentor(session, user, callback_data.id, role)
        if losing and not callback_data.confirmed:
            text = ngettext(
                "This mentor follows {n} young person. A new role removes that link.",
                "This mentor follows {n} young people. A new role removes those links.",
                len(losing),
            ).format(n=len(losing))
            markup = kb.only(
                [
                    kb.button(
                        _("Yes, change the role"),
                        SetRoleCb(id=callback_data.id, role=role, confirmed=True).pack(),
                    )
                ],
                [kb.button(_("⬅️ Back"), back.pack())],
            )
            await show(query, text, markup)
            return
        change = await staff.change_role(session, user, callback_data.id, role)
    except NotFound:
        callback_answer.text = _("That person is no longer here.")
        return
    except NotAllowed:
        callback_answer.text = _("Someone has to stay staff. Make another person staff first.")
        callback_answer.show_alert = True
        return
    target = change.user
    if change.old_role != role:
        callback_answer.text = _("Role changed.")
        with i18n.use_locale(target.locale):
            message = _(
                "Your role in Putokaz is now: {role}. Tap /menu to see what is new."
            ).format(role=role_name(role))
        await commands.set_for_chat(
            bot, i18n, target.telegram_id, target.role, target.locale, settings.desk_app_url
        )
        await notify.tell(bot, session, target.telegram_id, message, is_active=target.is_active)
        for mentee in change.removed_mentees:
            with i18n.use_locale(mentee.locale):
                message = _("{name} is no longer your mentor in Putokaz.").format(
                    name=name_or_someone(target.display_name)
                )
            await notify.tell(bot, session, mentee.telegram_id, message, is_active=mentee.is_active)
    await show(query, *await _card(session, user, target.id, back, tz))


async def unlink(
    query: CallbackQuery,
    callback_data: UnlinkCb,
    session: AsyncSession,
    user: User,
    tz: str,
    i18n: I18n,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        mentor, youth = await staff.unlink(session, user, callback_data.mentor, callback_data.youth)
    except NotFound:
        callback_answer.text = _("That link is already gone.")
    else:
        callback_answer.text = _("Unlinked.")
        with i18n.use_locale(youth.locale):
            message = _("{name} is no longer your mentor in Putokaz.").format(
                name=name_or_someone(mentor.display_name)
            )
        await notify.tell(bot, session, youth.telegram_id, message, is_active=youth.is_active)
        with i18n.use_locale(mentor.locale):
            message = _("{name} is no longer one of your young people in Putokaz.").format(
                name=name_or_someone(youth.display_name)
            )
        await notify.tell(bot, session, mentor.telegram_id, message, is_active=mentor.is_active)
    try:
        text, markup = await _card(
            session, user, callback_data.back, PersonCb(id=callback_data.back), tz
        )
    except NotFound:
        text, markup = await _people(session, user, "all", 0)
    await show(query, text, markup)


async def programme(
    query: CallbackQuery,
    callback_data: ProgrammeCb,
    session: AsyncSession,
    user: User,
    tz: str,
    callback_answer: CallbackAnswer,
) -> None:
    """The programme a person belongs to, for announcements to one programme."""
    try:
        if not callback_data.key:
            target = (await staff.person(session, user, callback_data.id)).user
            builder = InlineKeyboardBuilder()
            for key in profile.PROGRAMMES:
                mark = "✓ " if key == target.programme else ""
                data = ProgrammeCb(id=target.id, key=key).pack()
                builder.row(kb.button(mark + programme_name(key), data))
            builder.row(kb.button(_("✖️ None"), ProgrammeCb(id=target.id, key="-").pack()))
            builder.row(kb.button(_("⬅️ Back"), PersonCb(id=target.id).pack()))
            await show(query, _("🏷 Which programme?"), builder.as_markup())
            return
        chosen = None if callback_data.key == "-" else callback_data.key
        await profile.set_programme(session, user, callback_data.id, chosen)
    except (NotFound, ValueError):
        callback_answer.text = _(STALE_BUTTON)
        text, markup = await _people(session, user, "all", 0)
    else:
        text, markup = await _card(
            session, user, callback_data.id, PersonCb(id=callback_data.id), tz
        )
    await show(query, text, markup)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="staff")
    router.message.filter(HasRole(Role.STAFF))
    router.callback_query.filter(HasRole(Role.STAFF))
    router.message.register(people_command, Command("people"))
    router.callback_query.register(people_list, PeopleCb.filter())
    router.callback_query.register(person_card, PersonCb.filter())
    router.callback_query.register(set_role, SetRoleCb.filter())
    router.callback_query.register(unlink, UnlinkCb.filter())
    router.callback_query.register(programme, ProgrammeCb.filter())
    return router
