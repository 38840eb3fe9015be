"""Requests go as JSON bodies with the same fields aiogram's url-encoded form would carry;
uploads from memory as one multipart body with aiogram's fields; unread results unparsed."""

from __future__ import annotations

import json
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.kit.bot_session import JsonBodySession, _multipart, unread


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


def _form(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """A multipart body's parts: name -> (file name, content)."""
    parsed = BytesParser().parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in parsed.get_payload():
        assert isinstance(part, Message)
        name = str(part.get_param("name", header="content-disposition"))
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        parts[name] = (part.get_filename(), content)
    return parts


def test_an_upload_from_memory_carries_the_fields_and_the_file_of_aiograms_form() -> None:
    session = JsonBodySession()
    bot = _bot(session)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="⬅️ Назад", callback_data="wy:list:0:0::")]]
    )
    method = SendDocument(
        chat_id=42,
        document=BufferedInputFile(
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", filename="putokaz-3.ics"
        ),
        caption="📅 Додај у календар\n<b>Радионица</b>",
        reply_markup=keyboard,
        disable_notification=False,
    )
    fields, files = session._fields(bot, method)
    built = _multipart(fields, files)
    assert built is not None
    body, headers = built
    sent = _form(body, headers["Content-Type"])
    # aiogram's own form of the same request: the same names and values, the file by reference.
    form: dict[str, Any] = {}
    aiogram_files: dict[str, Any] = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=aiogram_files)
        if prepared:
            form[key] = prepared
    assert set(sent) == set(form) | set(files)
    for key, value in form.items():
        if key == "document":
            continue  # attach://<a random name>
        text = sent[key][1].decode()
        assert (json.loads(text) if key == "reply_markup" else text) == (
            json.loads(value) if key == "reply_markup" else value
        ), key
    attached = sent["document"][1].decode().removeprefix("attach://")
    assert sent[attached] == ("putokaz-3.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert sent["disable_notification"][1] == b"false"


def test_a_file_not_in_memory_or_with_an_unusual_name_keeps_aiograms_form(tmp_path: Path) -> None:
    session = JsonBodySession()
    bot = _bot(session)
    on_disk = tmp_path / "chart.png"
    on_disk.write_bytes(b"\x89PNG")
    for document in (
        FSInputFile(on_disk),
        BufferedInputFile(b"x", filename='plan "new".ics'),
        BufferedInputFile(b"x", filename="план.ics"),
    ):
        fields, files = session._fields(bot, SendDocument(chat_id=42, document=document))
        assert _multipart(fields, files) is None


class _Canned(JsonBodySession):
    """Answers every request with one status and body, through the real response handling."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        super().__init__()
        self.status, self.answer = status, json.dumps(answer)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        response = self.check_response(
            bot=bot, method=method, status_code=self.status, content=self.answer
        )
        return cast(TelegramType, response.result)


async def test_an_unread_result_is_not_parsed_but_errors_are_raised_as_always() -> None:
    # Not a valid Message: parsing it fails, so passing shows it was not parsed.
    bot = _bot(_Canned(200, {"ok": True, "result": {"message_id": "not a message"}}))
    edit = EditMessageText(chat_id=42, message_id=7, text="x")
    await unread(edit.as_(bot))
    with pytest.raises(ClientDecodeError):
        await edit.as_(bot)  # read: parsed as ever
    too_many = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    with pytest.raises(TelegramRetryAfter):
        await unread(edit.as_(_bot(_Canned(429, too_many))))
    refused = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is not modified",
    }
    with pytest.raises(TelegramBadRequest):
        await unread(edit.as_(_bot(_Canned(400, refused))))
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}
    with pytest.raises(TelegramForbiddenError):
        await unread(edit.as_(_bot(_Canned(403, blocked))))
