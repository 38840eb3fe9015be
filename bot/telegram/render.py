"""Showing a screen: edit the message a button sits on, or send a new one for commands."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | None


async def show(event: Message | CallbackQuery, text: str, markup: Markup = None) -> None:
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message):
            try:
                await message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:
                    return  # the same screen tapped twice
                # Too old or gone: fall through and send the screen anew.
                log.info("edit failed (%s); sending a new message", exc.message)
        if event.message is not None:
            await event.bot.send_message(event.message.chat.id, text, reply_markup=markup)  # type: ignore[union-attr]
        else:
            await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return
    await event.answer(text, reply_markup=markup)
