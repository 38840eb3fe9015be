"""Language, time zone, town, and whether announcements come."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.i18n.formatting import fmt_time, zone_label
from bot.i18n.locales import LANGUAGE_NAMES, LOCALES
from bot.kit import commands
from bot.kit import keyboards as kb
from bot.kit.callbacks import NavCb, Page
from bot.kit.errors import NotFound
from bot.kit.filters import Consented
from bot.kit.render import show
from bot.kit.texts import _
from bot.people import profile
from bot.people import rules as people
from bot.people.models import User
from bot.people.names import city_name
from bot.people.telegram import keyboards as people_kb
from bot.people.telegram.callbacks import CityCb, LangCb, MuteCb, TzCb


async def language_command(message: Message, user: User) -> None:
    # Before consent the picker continues the onboarding.
    onboarding = people.needs_consent(user)
    await message.answer(
        _("🌐 Choose your language:"),
        reply_markup=people_kb.languages(user.locale, onboarding=onboarding),
    )


async def language_screen(query: CallbackQuery, user: User) -> None:
    await show(
        query, _("🌐 Choose your language:"), people_kb.languages(user.locale, onboarding=False)
    )


async def set_language(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: LangCb,
    user: User,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    if callback_data.code not in LOCALES:
        raise NotFound("stale button")
    changed = user.locale != callback_data.code
    people.set_locale(user, callback_data.code)
    i18n.current_locale = user.locale
    if changed:
        await commands.set_for_chat(
            bot, i18n, user.telegram_id, user.role, user.locale, settings.desk_app_url
        )
    await show(query, *settings_screen(user, settings, clock.now()))


def settings_screen(
    user: User, settings: Settings, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    tz = people.timezone_of(user, settings.timezone)
    text = "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            _("Language: {language}").format(language=LANGUAGE_NAMES[user.locale]),
            _("Time zone: {place} (now {time})").format(
                place=zone_label(tz, user.locale), time=fmt_time(now, user.locale, tz)
            ),
            _("Town: {place}").format(place=city_name(user.city)),
            _("Announcements: off") if user.announcements_muted else _("Announcements: on"),
        ]
    )
    return text, people_kb.settings(user.announcements_muted)


async def settings_view(query: CallbackQuery, user: User, settings: Settings, clock: Clock) -> None:
    await show(query, *settings_screen(user, settings, clock.now()))


async def timezone_screen(query: CallbackQuery, user: User, clock: Clock) -> None:
    now = clock.now()
    builder = InlineKeyboardBuilder()
    for index, tz in enumerate(people.TIMEZONES):
        mark = "✓ " if tz == user.timezone else ""
        label = f"{mark}{zone_label(tz, user.locale)} · {fmt_time(now, user.locale, tz)}"
        builder.button(text=label, callback_data=TzCb(index=index))
    builder.adjust(2)
    builder.row(kb.nav(_("⬅️ Back"), Page.SETTINGS))
    await show(
        query,
        _("🕒 Where do you live? Pick the place whose time matches yours."),
        builder.as_markup(),
    )


async def set_timezone(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: TzCb,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    if not 0 <= callback_data.index < len(people.TIMEZONES):
        raise NotFound("stale button")
    people.set_timezone(user, people.TIMEZONES[callback_data.index])
    await show(query, *settings_screen(user, settings, clock.now()))


async def city_screen(query: CallbackQuery, user: User) -> None:
    builder = InlineKeyboardBuilder()
    for key in profile.CITIES:
        mark = "✓ " if key == user.city else ""
        builder.button(text=mark + city_name(key), callback_data=CityCb(key=key))
    builder.adjust(2)
    if user.city is not None:
        builder.row(kb.button(_("✖️ Do not say"), CityCb(key="-").pack()))
    builder.row(kb.nav(_("⬅️ Back"), Page.SETTINGS))
    text = _("🏙 Where do you live? Staff can then tell you about things near you.")
    await show(query, text, builder.as_markup())


async def set_city(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CityCb,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    key = None if callback_data.key == "-" else callback_data.key
    if key is not None and key not in profile.CITIES:
        raise NotFound("stale button")
    profile.set_city(user, key)
    await show(query, *settings_screen(user, settings, clock.now()))


async def set_muted(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: MuteCb,
    user: User,
    settings: Settings,
    clock: Clock,
) -> None:
    profile.set_muted(user, callback_data.muted)
    callback_answer.text = (
        _("Announcements are off. Reminders and messages from your mentor still come.")
        if callback_data.muted
        else _("Announcements are on.")
    )
    await show(query, *settings_screen(user, settings, clock.now()))


def create_router() -> Router:
    """A new router each time: a router can belong to one dispatcher only."""
    router = Router(name="settings")
    router.message.register(language_command, Command("language"))
    router.callback_query.register(
        language_screen, NavCb.filter(F.to == Page.LANGUAGE), Consented()
    )
    router.callback_query.register(set_language, LangCb.filter(~F.onboarding), Consented())
    router.callback_query.register(settings_view, NavCb.filter(F.to == Page.SETTINGS), Consented())
    router.callback_query.register(timezone_screen, NavCb.filter(F.to == Page.TZ), Consented())
    router.callback_query.register(set_timezone, TzCb.filter(), Consented())
    router.callback_query.register(city_screen, NavCb.filter(F.to == Page.CITY), Consented())
    router.callback_query.register(set_city, CityCb.filter(), Consented())
    router.callback_query.register(set_muted, MuteCb.filter(), Consented())
    return router
