"""A line to my mentor, in Telegram: the young person writes, the mentor replies to the copy,
the reply comes back; staff turn the line off per programme. Messages are copied
(copyMessage), never stored; see bot/people/mentor_line.py."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyParameters
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.errors import NotFound
from bot.kit.filters import Consented, HasRole
from bot.kit.render import edit, show
from bot.kit.texts import _, name_or_someone, paragraphs
from bot.people import mentor_line
from bot.people import queries as users
from bot.people.mentor_line import Closed, LineClosed
from bot.people.models import Role, User
from bot.people.names import programme_name
from bot.people.profile import PROGRAMMES
from bot.people.telegram.callbacks import LineAction, LineCb, LineSettingCb
from bot.people.telegram.states import MentorLine

# Every header of the line starts with it, so that a reply to an old one is recognised.
LINE_MARK = "✉️"


def closed_text(reason: Closed) -> str:
    return {
        Closed.NO_MENTOR: _(
            "✉️ You are not connected to a mentor in Putokaz, so there is nobody I can pass "
            "a message to. When a mentor sends you an invite link, you can write to them here."
        ),
        Closed.UNLINKED: _(
            "✉️ You are no longer connected in Putokaz, so I did not pass this message on. "
            "Please get in touch another way."
        ),
        Closed.TURNED_OFF: _(
            "✉️ Messages to mentors through Putokaz are turned off in your programme, so I did "
            "not pass this on. Please get in touch with your mentor another way."
        ),
        Closed.NOT_YOUTH: _(
            "✉️ Young people write to their mentor here. To answer one, reply to their message."
        ),
    }[reason]


def _names(people: list[User]) -> str:
    return ", ".join(name_or_someone(p.display_name) for p in people)


async def open_line(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    try:
        mentors = await mentor_line.mentors_to_write(session, user)
    except LineClosed as closed:
        await show(event, closed_text(closed.reason), kb.menu_only())
        return
    await state.set_state(MentorLine.writing)
    text = paragraphs(
        _("✉️ <b>Write to {names}</b>").format(names=_names(mentors)),
        _(
            "Send your message now: text, a photo or a voice message. It goes with your name, "
            "and the answer comes back here."
        ),
    )
    await show(event, text, kb.only([kb.nav(_("✖️ Cancel"), Page.MENU)]))


async def written(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
    i18n: I18n,
    clock: Clock,
) -> None:
    await state.clear()
    await _from_youth(message, session, user, bot, i18n, clock, message.message_id)


async def send_typed(
    query: CallbackQuery,
    callback_data: LineCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    i18n: I18n,
    clock: Clock,
) -> None:
    if not isinstance(query.message, Message):
        raise NotFound("no message")
    await edit(query.message, None, None)  # sent once, not twice after a double tap
    await _from_youth(query.message, session, user, bot, i18n, clock, callback_data.msg)


async def _from_youth(
    answer_in: Message,
    session: AsyncSession,
    youth: User,
    bot: Bot,
    i18n: I18n,
    clock: Clock,
    message_id: int,
) -> None:
    try:
        mentors = await mentor_line.mentors_to_write(session, youth)
    except LineClosed as closed:
        await answer_in.answer(closed_text(closed.reason), reply_markup=kb.menu_only())
        return
    reached: list[User] = []
    missed: list[User] = []
    for mentor in mentors:
        ok = await _pass_on(bot, session, i18n, clock, youth, mentor, youth, mentor, message_id)
        (reached if ok else missed).append(mentor)
    await answer_in.answer(_outcome(reached, missed), reply_markup=kb.menu_only())


def _outcome(reached: list[User], missed: list[User]) -> str:
    parts = []
    if reached:
        parts.append(
            _("✅ Sent to {names}. The answer will come here.").format(names=_names(reached))
        )
    if missed:
        parts.append(
            _(
                "⚠️ {names} cannot get messages from Putokaz at the moment, so this did not "
                "reach them. Please get in touch another way or ask the programme staff."
            ).format(names=_names(missed))
        )
    return paragraphs(*parts)


async def _pass_on(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    sender: User,
    recipient: User,
    youth: User,
    mentor: User,
    message_id: int,
) -> bool:
    """The header naming the sender, then the copy as a reply to it; False when the recipient
    cannot get messages (a block found now is remembered)."""
    if not recipient.is_active:
        return False
    with i18n.use_locale(recipient.locale):
        if sender.id == youth.id:
            header = _("✉️ <b>{name}</b> writes to you:").format(
                name=name_or_someone(sender.display_name)
            )
        else:
            header = _("✉️ Your mentor <b>{name}</b> writes:").format(
                name=name_or_someone(sender.display_name)
            )
        header += "\n<i>" + _("Reply to this message to answer.") + "</i>"
    try:
        head = await bot.send_message(recipient.telegram_id, header)
        copy = await bot.copy_message(
            recipient.telegram_id,
            sender.telegram_id,
            message_id,
            reply_parameters=ReplyParameters(message_id=head.message_id),
        )
    except TelegramForbiddenError:
        await users.set_active(session, recipient.telegram_id, False)
        return False
    except TelegramBadRequest as exc:
        if "message to copy not found" in exc.message:
            raise NotFound("the message is gone") from exc
        if "chat not found" not in exc.message:
            raise
        await users.set_active(session, recipient.telegram_id, False)
        return False
    mentor_line.record(
        session,
        recipient.telegram_id,
        (head.message_id, copy.message_id),
        youth_id=youth.id,
        mentor_id=mentor.id,
        now=clock.now(),
    )
    return True


async def replied(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
    i18n: I18n,
    clock: Clock,
) -> None:
    """A reply to a message of the line goes to the other person of that line."""
    original = message.reply_to_message
    if original is None:
        raise SkipHandler
    try:
        reply = await mentor_line.reply_to(session, user, message.chat.id, original.message_id)
    except LineClosed as closed:
        await message.answer(closed_text(closed.reason), reply_markup=kb.menu_only())
        return
    if reply is None:
        shown = original.text or original.caption or ""
        if await state.get_state() is None and shown.startswith(LINE_MARK):
            # A line that is over: older than the kept days, or one of the two has left.
            await message.answer(
                _(
                    "✉️ I cannot pass this reply on any more: the message is more than {days} "
                    "days old, or the person has left Putokaz. Nothing was sent."
                ).format(days=mentor_line.MENTOR_LINE_DAYS),
                reply_markup=kb.menu_only(),
            )
            return
        raise SkipHandler
    ok = await _pass_on(
        bot,
        session,
        i18n,
        clock,
        reply.sender,
        reply.recipient,
        reply.youth,
        reply.mentor,
        message.message_id,
    )
    await message.answer(
        _outcome([reply.recipient], []) if ok else _outcome([], [reply.recipient]),
        reply_markup=kb.menu_only(),
    )


# Staff: the line per programme


async def line_settings(
    query: CallbackQuery, callback_data: LineSettingCb, session: AsyncSession, user: User
) -> None:
    if callback_data.key:
        if callback_data.key not in PROGRAMMES:
            raise NotFound("programme")
        await mentor_line.set_open(session, user, callback_data.key, callback_data.on)
    closed = await mentor_line.closed_programmes(session)
    rows = [
        [
            kb.button(
                ("🚫 " if key in closed else "✅ ") + programme_name(key),
                LineSettingCb(key=key, on=key in closed).pack(),
            )
        ]
        for key in PROGRAMMES
    ]
    rows.append([kb.back_to_menu()])
    text = paragraphs(
        _("✉️ <b>Messages to mentors</b>"),
        _(
            "Young people can write to their mentor through Putokaz, and the mentor answers "
            "by replying. Tap a programme to turn this on (✅) or off (🚫) for its young people."
        ),
    )
    await show(query, text, kb.only(*rows))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="mentor_line")
    router.message.register(replied, F.reply_to_message, Consented())
    router.message.register(written, MentorLine.writing, Consented())
    router.message.register(open_line, Command("mentor"), Consented())
    router.callback_query.register(
        open_line, LineCb.filter(F.action == LineAction.WRITE), Consented()
    )
    router.callback_query.register(
        send_typed, LineCb.filter(F.action == LineAction.SEND), Consented()
    )
    router.callback_query.register(line_settings, LineSettingCb.filter(), HasRole(Role.STAFF))
    return router
