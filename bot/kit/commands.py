"""Each role's command list, per language: defaults per Telegram language, then per chat.

Telegram only knows "sr" (no script), so a person's own chat scope carries their exact choice.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from aiogram.utils.i18n import I18n

from bot.i18n.locales import BG, EN, SR_CYRL
from bot.kit.texts import N_
from bot.people.models import Role

log = logging.getLogger(__name__)


# The desk's menu button (menu_button_for): marked here for the catalogs.
DESK_BUTTON = N_("Desk")


def commands_for(role: str, i18n: I18n, locale: str) -> list[BotCommand]:
    items = [
        ("menu", N_("Main menu")),
        ("sos", N_("Help now: emergency numbers")),
    ]
    if role == Role.YOUTH:
        items += [
            ("plan", N_("My plan")),
            ("assess", N_("Self-assessment")),
            ("progress", N_("My progress")),
            ("workshops", N_("Workshops")),
            ("counselling", N_("Counselling")),
            ("bookings", N_("My bookings")),
            ("mentor", N_("Write to my mentor")),
        ]
    if role == Role.MENTOR:
        items += [("mentees", N_("My young people")), ("invite", N_("Invite a young person"))]
        items += [("announce", N_("Message my young people"))]
        items += [("console", N_("The desk: sign-in link"))]
        items += [("today", N_("My counselling day"))]
    elif role == Role.STAFF:
        items += [("people", N_("People")), ("invite", N_("Invite a mentor"))]
        items += [("announce", N_("Announcements")), ("console", N_("The desk: sign-in link"))]
        items += [("workshops", N_("Workshops")), ("today", N_("My counselling day"))]
    items += [
        ("language", N_("Change language")),
        ("privacy", N_("Privacy notice")),
        ("mydata", N_("Download my data")),
        ("deleteme", N_("Delete my data")),
        ("help", N_("How Putokaz works")),
        ("cancel", N_("Stop what I am doing")),
    ]
    return [BotCommand(command=c, description=i18n.gettext(d, locale=locale)) for c, d in items]


async def set_defaults(bot: Bot, i18n: I18n) -> None:
    """What someone sees before the bot knows them: the young person's list."""
    await bot.set_my_commands(commands_for(Role.YOUTH, i18n, EN), scope=BotCommandScopeDefault())
    for language in (EN, SR_CYRL, BG):
        await bot.set_my_commands(
            commands_for(Role.YOUTH, i18n, language),
            scope=BotCommandScopeDefault(),
            language_code=language,
        )


async def set_for_chat(
    bot: Bot, i18n: I18n, chat_id: int, role: str, locale: str, desk_app: str | None = None
) -> None:
    """Best effort: a failed command list must never fail the update that changed it.

    `desk_app` is the desk's Mini App address (Settings.desk_app_url, only behind https): then
    the chat's menu button follows the role too.
    """
    try:
        await bot.set_my_commands(
            commands_for(role, i18n, locale), scope=BotCommandScopeChat(chat_id=chat_id)
        )
    except TelegramAPIError as exc:
        log.warning("setMyCommands for a chat failed: %s", exc.message)
    if desk_app is not None:
        await set_menu_button(bot, i18n, chat_id, role, locale, desk_app)


def menu_button_for(
    role: str, i18n: I18n, locale: str, desk_app: str
) -> MenuButtonWebApp | MenuButtonDefault:
    """Staff and mentors open the desk from the chat's menu button; a young person has none."""
    if role in (Role.STAFF, Role.MENTOR):
        return MenuButtonWebApp(
            text=i18n.gettext(DESK_BUTTON, locale=locale), web_app=WebAppInfo(url=desk_app)
        )
    return MenuButtonDefault()


async def set_menu_button(
    bot: Bot, i18n: I18n, chat_id: int, role: str, locale: str, desk_app: str
) -> None:
    """Best effort, as the command list."""
    try:
        await bot.set_chat_menu_button(
            chat_id=chat_id, menu_button=menu_button_for(role, i18n, locale, desk_app)
        )
    except TelegramAPIError as exc:
        log.warning("setChatMenuButton failed: %s", exc.message)


async def clear_for_chat(bot: Bot, chat_id: int, *, menu_button: bool = False) -> None:
    """`menu_button`: the chat may have the desk's button (behind https); it goes too."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
        if menu_button:
            await bot.set_chat_menu_button(chat_id=chat_id, menu_button=MenuButtonDefault())
    except TelegramAPIError as exc:
        log.warning("clearing a chat's commands failed: %s", exc.message)
