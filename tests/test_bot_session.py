"""Requests go as JSON bodies with the same fields aiogram's url-encoded form would carry."""

from __future__ import annotations

import json

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.bot_session import JsonBodySession


def _bot(session: JsonBodySession) -> Bot:
    defaults = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
    return Bot("123456:json-body", session=session, default=defaults)


def test_a_message_with_a_keyboard_carries_the_same_fields_as_the_form() -> None:
    session = JsonBodySession()
    bot = _bot(session)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="🆘 Помоћ одмах", callback_data="nav:sos")],
            [InlineKeyboardButton(text="🌐 Sajt", url="https://example.org/?a=1&b=ć")],
        ]
    )
    method = SendMessage(
        chat_id=42, text="<b>Путоказ</b> & co", reply_markup=keyboard, disable_notification=False
    )
    body = session.json_body(bot, method)
    assert body is not None
    sent = json.loads(body)
    # What aiogram's build_form_data puts in the form: strings, nested values as JSON text.
    form = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files={})
        if prepared:
            form[key] = prepared
    assert set(sent) == set(form)
    for key, value in form.items():
        nested = isinstance(sent[key], dict | list)
        assert (json.loads(value) if nested else value) == (
            sent[key] if nested or isinstance(sent[key], str) else json.dumps(sent[key])
        ), key
    assert sent["parse_mode"] == "HTML"  # the bot's default filled in
    assert sent["disable_notification"] is False  # sent, as the form sends "false"


def test_a_request_with_a_file_keeps_the_multipart_form() -> None:
    session = JsonBodySession()
    photo = BufferedInputFile(b"\x89PNG", filename="chart.png")
    assert session.json_body(_bot(session), SendPhoto(chat_id=42, photo=photo)) is None
