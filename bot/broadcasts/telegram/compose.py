"""Staff announcements and mentors' messages to their young people: compose, preview, send or
schedule, follow and report. Every step re-checks the role and ownership in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts import console
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import (
    EVERYONE,
    Audience,
    BroadcastStatus,
    ButtonKind,
)
from bot.broadcasts.telegram import announcement, screens
from bot.broadcasts.telegram.callbacks import AudienceCb, BcAction, BcCb, BcPart, WhenCb
from bot.broadcasts.telegram.states import BroadcastDialog
from bot.clock import Clock
from bot.i18n.locales import LOCALES
from bot.kit import keyboards as kb
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.filters import HasRole
from bot.kit.middlewares.refusals import STALE_BUTTON
from bot.kit.render import show
from bot.kit.texts import _, esc, ngettext
from bot.people import roles as staff
from bot.people.models import Role, User


@dataclass
class Ctx:
    """What every step needs; built once per button press."""

    query: CallbackQuery
    session: AsyncSession
    user: User
    state: FSMContext
    bot: Bot
    i18n: I18n
    now: datetime
    tz: str
    answer: CallbackAnswer


# Screens that need the database


async def home_screen(session: AsyncSession, user: User) -> screens.Screen:
    found = await broadcasts.home(session, user)
    return screens.home(user.role, found.has_draft, found.scheduled)


async def draft_screen(session: AsyncSession, user: User, broadcast_id: int) -> screens.Screen:
    found = await broadcasts.draft(session, user, broadcast_id)
    mentor = await broadcasts.audience_mentor(session, found.broadcast)
    workshop = await broadcasts.button_workshop(session, found.broadcast)
    return screens.draft(
        found,
        mentor.display_name if mentor else None,
        workshop.title if workshop is not None else None,
    )


async def detail_screen(ctx: Ctx, broadcast_id: int) -> screens.Screen:
    report = await broadcasts.report(ctx.session, ctx.user, broadcast_id)
    broadcast = report.broadcast
    if broadcast.status == BroadcastStatus.SCHEDULED:
        name = report.mentor.display_name if report.mentor else None
        return screens.scheduled_view(broadcast, report.texts, name, ctx.user.locale, ctx.tz)
    if broadcast.status == BroadcastStatus.CANCELLED and not report.counts:
        return _("✖️ Cancelled."), kb.only([kb.button(_("⬅️ Back"), BcCb(a=BcAction.HOME).pack())])
    return screens.status_view(broadcast, report.counts, report.booked)


# Commands and the menu entry


async def open_home(
    event: Message | CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    await state.clear()
    await show(event, *await home_screen(session, user))


# Button presses


async def on_action(
    query: CallbackQuery,
    callback_data: BcCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    clock: Clock,
    tz: str,
    callback_answer: CallbackAnswer,
) -> None:
    ctx = Ctx(query, session, user, state, bot, i18n, clock.now(), tz, callback_answer)
    step = ACTIONS.get(callback_data.a)
    try:
        if step is None:
            raise NotFound(callback_data.a)
        await step(ctx, callback_data)
    except (NotFound, NotAllowed):
        callback_answer.text = _(STALE_BUTTON)
        await state.clear()
        await show(query, *await home_screen(session, user))


async def _home(ctx: Ctx, data: BcCb) -> None:
    await open_home(ctx.query, ctx.session, ctx.user, ctx.state)


async def _new(ctx: Ctx, data: BcCb) -> None:
    await ctx.state.clear()
    found = await broadcasts.open_draft(ctx.session, ctx.user, ctx.now)
    await show(ctx.query, *await draft_screen(ctx.session, ctx.user, found.id))


async def _open(ctx: Ctx, data: BcCb) -> None:
    await ctx.state.clear()
    await show(ctx.query, *await draft_screen(ctx.session, ctx.user, data.id))


async def _ask_text(ctx: Ctx, data: BcCb) -> None:
    found = await broadcasts.draft(ctx.session, ctx.user, data.id)
    if data.lang not in (*broadcasts.TEXT_LOCALES, EVERYONE):
        raise NotAllowed(data.lang)
    await ctx.state.set_state(BroadcastDialog.text)
    await ctx.state.update_data(bc=data.id, lang=data.lang)
    photo = found.broadcast.photo_file_id is not None
    await show(ctx.query, *screens.text_prompt(data.id, data.lang, data.lang in found.texts, photo))


async def _ask_photo(ctx: Ctx, data: BcCb) -> None:
    found = await broadcasts.editable(ctx.session, ctx.user, data.id)
    await ctx.state.set_state(BroadcastDialog.photo)
    await ctx.state.update_data(bc=data.id)
    await show(ctx.query, *screens.photo_prompt(data.id, found.photo_file_id is not None))


async def _ask_button(ctx: Ctx, data: BcCb) -> None:
    found = await broadcasts.editable(ctx.session, ctx.user, data.id)
    await ctx.state.set_state(BroadcastDialog.url)
    await ctx.state.update_data(bc=data.id)
    staff_only = ctx.user.role == Role.STAFF
    await show(
        ctx.query, *screens.button_prompt(data.id, found.button_value is not None, staff_only)
    )


async def _workshop_button(ctx: Ctx, data: BcCb) -> None:
    """Staff: a "Book a seat" button for one of the next workshops."""
    await ctx.state.clear()
    if not data.w:
        await broadcasts.editable(ctx.session, ctx.user, data.id)
        choices = await broadcasts.upcoming_workshops(ctx.session, ctx.user, ctx.now)
        await show(ctx.query, *screens.workshop_choice(data.id, choices, ctx.user.locale, ctx.tz))
        return
    await broadcasts.set_button(ctx.session, ctx.user, data.id, ButtonKind.WORKSHOP, str(data.w))
    await show(ctx.query, *await draft_screen(ctx.session, ctx.user, data.id))


async def _remove(ctx: Ctx, data: BcCb) -> None:
    await ctx.state.clear()
    match data.part:
        case BcPart.PHOTO:
            await broadcasts.set_photo(ctx.session, ctx.user, data.id, None)
        case BcPart.BUTTON:
            await broadcasts.set_button(ctx.session, ctx.user, data.id, None, None)
        case BcPart.TEXT:
            await broadcasts.set_text(ctx.session, ctx.user, data.id, data.lang, None)
        case None:
            raise NotFound("nothing to remove")
    ctx.answer.text = _("Removed.")
    await show(ctx.query, *await draft_screen(ctx.session, ctx.user, data.id))


async def _preview(ctx: Ctx, data: BcCb) -> None:
    """Each language group's message exactly as they will get it, then send or schedule."""
    await ctx.state.clear()
    found = await broadcasts.draft(ctx.session, ctx.user, data.id)
    if not found.texts:
        ctx.answer.text = _("Write the text first.")
        return
    if found.total == 0:
        ctx.answer.text = _("Nobody would get it. Choose other people.")
        ctx.answer.show_alert = True
        return
    signature = await broadcasts.signature(ctx.session, found.broadcast)
    content = announcement.Content.of(found.broadcast, found.texts, signature)
    chat_id = ctx.user.telegram_id
    for locale in (code for code in LOCALES if code in found.by_locale):
        header = screens.preview_header(locale, found.by_locale[locale])
        with ctx.i18n.use_locale(locale):
            rendered = announcement.render(content, locale)
        try:
            await ctx.bot.send_message(chat_id, header)
            await announcement.send(ctx.bot, chat_id, rendered)
        except TelegramBadRequest as exc:
            # Telegram's word on the content: too long, a bad link, a photo it cannot use.
            text = _(
                "⚠️ Telegram did not accept this message ({code}). Check the text and the link."
            )
            await ctx.bot.send_message(
                chat_id,
                text.format(code=esc(exc.message)),
                reply_markup=kb.only(
                    [kb.button(_("✏️ Edit"), BcCb(a=BcAction.OPEN, id=data.id).pack())]
                ),
            )
            return
    text, markup = screens.preview_done(data.id, found.total)
    await ctx.bot.send_message(chat_id, text, reply_markup=markup)


async def _send_now(ctx: Ctx, data: BcCb) -> None:
    message = ctx.query.message
    message_id = message.message_id if isinstance(message, Message) else None
    try:
        total = await broadcasts.send_now(
            ctx.session,
            ctx.user,
            data.id,
            ctx.now,
            report_chat_id=ctx.user.telegram_id,
            report_message_id=message_id,
        )
    except broadcasts.Empty:
        ctx.answer.text = _("Nobody would get it. Choose other people.")
        ctx.answer.show_alert = True
        return
    except NotFound:
        # "Send now" tapped twice: show how it goes rather than a refusal.
        found = await broadcasts.visible(ctx.session, ctx.user, data.id)
        ctx.answer.text = _("It has already been sent.")
        await show(ctx.query, *await detail_screen(ctx, found.id))
        return
    ctx.answer.text = _("Sending.")
    await show(
        ctx.query,
        screens.progress_text({"pending": total}),
        screens.progress_markup(data.id),
    )


async def _scheduled(ctx: Ctx, data: BcCb) -> None:
    items = await broadcasts.scheduled(ctx.session, ctx.user)
    await show(ctx.query, *screens.scheduled_list(items, ctx.user.locale, ctx.tz))


async def _sent(ctx: Ctx, data: BcCb) -> None:
    items = await broadcasts.recent(ctx.session, ctx.user)
    await show(ctx.query, *screens.sent_list(items, ctx.user.locale, ctx.tz))


async def _detail(ctx: Ctx, data: BcCb) -> None:
    await show(ctx.query, *await detail_screen(ctx, data.id))


async def _cancel(ctx: Ctx, data: BcCb) -> None:
    found = await broadcasts.cancel(ctx.session, ctx.user, data.id, ctx.now)
    if found.status == BroadcastStatus.CANCELLED:
        ctx.answer.text = _("Cancelled. Nobody gets it.")
        await show(ctx.query, *await home_screen(ctx.session, ctx.user))
        return
    # It began to go out just before the tap: stopped instead.
    ctx.answer.text = _("Stopped. Messages already on their way still arrive.")
    await show(ctx.query, *await detail_screen(ctx, data.id))


async def _stop(ctx: Ctx, data: BcCb) -> None:
    found = await broadcasts.visible(ctx.session, ctx.user, data.id)
    if found.status != BroadcastStatus.SENDING:
        ctx.answer.text = _("It has already been sent.")
    else:
        await broadcasts.cancel(ctx.session, ctx.user, data.id, ctx.now)
        ctx.answer.text = _("Stopped. Messages already on their way still arrive.")
    await show(ctx.query, *await detail_screen(ctx, data.id))


async def _csv(ctx: Ctx, data: BcCb) -> None:
    missed = await broadcasts.undelivered(ctx.session, ctx.user, data.id)
    if not missed:
        ctx.answer.text = _("Everyone got it.")
        return
    payload = console.failures_csv(missed)
    document = BufferedInputFile(payload, filename=f"putokaz-not-delivered-{data.id}.csv")
    caption = ngettext(
        "📄 {n} person did not get it.", "📄 {n} people did not get it.", len(missed)
    ).format(n=len(missed))
    ctx.answer.text = _("Sent as a file.")
    await ctx.bot.send_document(ctx.user.telegram_id, document, caption=caption)


async def _discard(ctx: Ctx, data: BcCb) -> None:
    await ctx.state.clear()
    await broadcasts.discard(ctx.session, ctx.user, data.id)
    ctx.answer.text = _("Discarded.")
    await show(ctx.query, *await home_screen(ctx.session, ctx.user))


Step = Callable[[Ctx, BcCb], Awaitable[None]]
ACTIONS: dict[str, Step] = {
    "home": _home,
    "new": _new,
    "open": _open,
    "txt": _ask_text,
    "photo": _ask_photo,
    "btn": _ask_button,
    "rm": _remove,
    "prev": _preview,
    "now": _send_now,
    "list": _scheduled,
    "sent": _sent,
    "show": _detail,
    "cancel": _cancel,
    "stop": _stop,
    "csv": _csv,
    "drop": _discard,
    "ws": _workshop_button,
}


async def on_audience(
    query: CallbackQuery,
    callback_data: AudienceCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    data = callback_data
    try:
        await broadcasts.editable(session, user, data.id)
        if user.role != Role.STAFF:
            raise NotAllowed("only staff choose an audience")
        if data.k is None:
            await show(query, *screens.audience_menu(data.id))
            return
        if data.k == Audience.MENTEES and not data.m:
            result = await staff.list_people(session, user, Role.MENTOR, data.p)
            mentors = [(m.id, m.display_name) for m in result.people]
            await show(query, *screens.mentor_choice(data.id, mentors, result.page, result.pages))
            return
        if data.k in (Audience.ROLE, Audience.LANGUAGE, Audience.CITY, Audience.PROGRAMME) and (
            not data.v
        ):
            await show(query, *screens.audience_values(data.id, data.k))
            return
        value = {Audience.ALL: None, Audience.MENTEES: str(data.m)}.get(data.k, data.v)
        await broadcasts.choose_audience(session, user, data.id, data.k, value)
    except (NotFound, NotAllowed):
        callback_answer.text = _(STALE_BUTTON)
        await show(query, *await home_screen(session, user))
        return
    await show(query, *await draft_screen(session, user, data.id))


async def on_when(
    query: CallbackQuery,
    callback_data: WhenCb,
    session: AsyncSession,
    user: User,
    clock: Clock,
    tz: str,
    callback_answer: CallbackAnswer,
) -> None:
    data = callback_data
    now = clock.now()
    try:
        await broadcasts.editable(session, user, data.id)
        if data.d < 0:
            await show(query, *screens.day_choice(data.id, now, tz, user.locale))
            return
        if not 0 <= data.d < screens.DAYS_OFFERED:
            raise NotAllowed("day out of range")
        if data.m < 0:
            await show(query, *screens.time_choice(data.id, data.d, now, tz, user.locale))
            return
        if data.m not in screens.free_slots(now, tz, data.d):
            callback_answer.text = _("That time has passed. Pick another.")
            await show(query, *screens.time_choice(data.id, data.d, now, tz, user.locale))
            return
        when = screens.to_utc(screens.local_day(now, tz, data.d), data.m, tz)
        found = await broadcasts.schedule(
            session, user, data.id, when, now, report_chat_id=user.telegram_id
        )
    except broadcasts.Empty:
        callback_answer.text = _("Nobody would get it. Choose other people.")
        callback_answer.show_alert = True
        return
    except (NotFound, NotAllowed):
        callback_answer.text = _(STALE_BUTTON)
        await show(query, *await home_screen(session, user))
        return
    callback_answer.text = _("Scheduled.")
    assert found.send_at is not None
    text = _("🕒 Scheduled for {date}.").format(
        date=screens.when_text(found.send_at, user.locale, tz)
    )
    markup = kb.only(
        [kb.button(_("✖️ Cancel it"), BcCb(a=BcAction.CANCEL, id=found.id).pack())],
        [kb.button(_("⬅️ Back"), BcCb(a=BcAction.HOME).pack())],
    )
    await show(query, text, markup)


# What the author types or sends


async def _dialog(state: FSMContext) -> tuple[int, str]:
    data = await state.get_data()
    return int(data.get("bc", 0)), str(data.get("lang", EVERYONE))


async def _again(message: Message, text: str, broadcast_id: int) -> None:
    """Asks again; the author may also go back to the draft instead."""
    back = kb.only([kb.button(_("⬅️ Back"), BcCb(a=BcAction.OPEN, id=broadcast_id).pack())])
    await message.answer(text, reply_markup=back)


async def _done(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    broadcast_id, _locale = await _dialog(state)
    await state.clear()
    await show(message, *await draft_screen(session, user, broadcast_id))


async def _gone(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    """The draft was sent, discarded, or the role changed meanwhile."""
    await state.clear()
    await show(message, *await home_screen(session, user))


async def got_text(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    broadcast_id, locale = await _dialog(state)
    if not message.text:
        await _again(message, _("Please send the text as a message."), broadcast_id)
        return
    try:
        await broadcasts.set_text(session, user, broadcast_id, locale, message.html_text)
    except broadcasts.TooLong as exc:
        text = ngettext(
            "Too long: at most {n} character.", "Too long: at most {n} characters.", exc.limit
        ).format(n=exc.limit)
        await _again(message, text, broadcast_id)
    except broadcasts.Empty:
        await _again(message, _("Please send the text as a message."), broadcast_id)
    except (NotFound, NotAllowed):
        await _gone(message, session, user, state)
    else:
        await _done(message, session, user, state)


async def got_photo(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    broadcast_id, _locale = await _dialog(state)
    if not message.photo:
        await _again(message, _("Please send a photo."), broadcast_id)
        return
    try:
        # The largest size: Telegram sends each reader the size that suits their screen.
        await broadcasts.set_photo(session, user, broadcast_id, message.photo[-1].file_id)
    except broadcasts.TooLong as exc:
        text = "\n".join(
            [
                _("Under a photo: at most {n} characters.").format(n=exc.limit),
                _("Shorten the text first."),
            ]
        )
        await _again(message, text, broadcast_id)
    except (NotFound, NotAllowed):
        await _gone(message, session, user, state)
    else:
        await _done(message, session, user, state)


async def got_url(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    broadcast_id, _locale = await _dialog(state)
    try:
        await broadcasts.set_button(session, user, broadcast_id, ButtonKind.URL, message.text)
    except ValueError:
        text = _("That does not look like a web address. Example: https://example.org")
        await _again(message, text, broadcast_id)
    except (NotFound, NotAllowed):
        await _gone(message, session, user, state)
    else:
        await _done(message, session, user, state)


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="broadcasts")
    # Young people never get here; what staff and mentors may do is checked per step.
    router.message.filter(HasRole(Role.STAFF, Role.MENTOR))
    router.callback_query.filter(HasRole(Role.STAFF, Role.MENTOR))
    router.message.register(open_home, Command("announce"))
    router.callback_query.register(on_action, BcCb.filter())
    router.callback_query.register(on_audience, AudienceCb.filter())
    router.callback_query.register(on_when, WhenCb.filter())
    router.message.register(got_text, BroadcastDialog.text)
    router.message.register(got_photo, BroadcastDialog.photo)
    router.message.register(got_url, BroadcastDialog.url)
    return router
