"""Showing a screen: edit the message a button sits on, or send a new one for commands.

Every edit of a message goes through `edit`: it compares the new text and keyboard with what
the message shows and sends nothing when they are the same, as Telegram would refuse such an
edit ("message is not modified", seen after a double tap or a stale button re-showing the
screen it sits on).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message

from bot.kit.bot_session import unread
from bot.kit.stored_text import entity_ranges, stored_form, to_entities

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | None
NOT_MODIFIED = "message is not modified"


def _keyboard(markup: Markup) -> Any:
    """A keyboard as Telegram compares it; an empty one is no keyboard."""
    if markup is None or not markup.inline_keyboard:
        return None
    return markup.model_dump(mode="json", exclude_none=True)


def unchanged(shown: Message, text: str | None, markup: Markup) -> bool:
    """Whether an edit of `shown` to this HTML text (None: keep the text) and keyboard would
    leave it as it is."""
    if _keyboard(markup) != _keyboard(shown.reply_markup):
        return False
    if text is None:
        return True
    if shown.text is None:  # a photo or a document: its caption is not edited here
        return False
    plain, ranges = stored_form(text)
    return plain == shown.text and ranges == entity_ranges(shown.entities)


async def edit(
    shown: Message, text: str | None, markup: Markup = None, *, read: bool = True
) -> Message | None:
    """Edits the text (None: only the keyboard) of a message: `shown` as it is now, the message
    of a button or what Telegram returned when it was sent or last edited.

    The message as it then is, `shown` itself when nothing had to change; None when Telegram
    refused the edit (too old, deleted, not a text message): the caller sends the screen anew.
    With `read=False` the edited message is not read from Telegram's answer: `shown` stands
    for it (for callers that only ask whether the edit was made).
    """
    if unchanged(shown, text, markup):
        return shown
    method = (
        shown.edit_reply_markup(reply_markup=markup)
        if text is None
        else shown.edit_text(text, reply_markup=markup)
    )
    try:
        if read:
            result = await method
        else:
            await unread(method)
            result = shown
    except TelegramBadRequest as exc:
        if NOT_MODIFIED in exc.message:
            # Telegram normalised something the comparison does not know (a link address),
            # or `shown` was older than the message: either way it shows this already.
            log.info("an edit changed nothing")
            return shown
        log.info("edit failed (%s)", exc.message)
        return None
    return result if isinstance(result, Message) else shown


def as_shown(bot: Bot, chat_id: int, message_id: int, html: str, markup: Markup) -> Message:
    """A message known to show this HTML and keyboard (sent earlier, maybe by another part of
    the bot), to pass to `edit` when no Message from Telegram is at hand."""
    plain, ranges = stored_form(html)
    message = Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=Chat(id=chat_id, type="private"),
        text=plain,
        entities=to_entities(ranges) or None,
        reply_markup=markup,
    )
    return message.as_(bot)


async def show(event: Message | CallbackQuery, text: str, markup: Markup = None) -> None:
    if isinstance(event, CallbackQuery):
        message = event.message
        if (
            isinstance(message, Message)
            and await edit(message, text, markup, read=False) is not None
        ):
            return
        # Too old or gone: the screen is sent anew.
        if event.message is not None:
            await event.bot.send_message(event.message.chat.id, text, reply_markup=markup)  # type: ignore[union-attr]
        else:
            await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return
    await event.answer(text, reply_markup=markup)
