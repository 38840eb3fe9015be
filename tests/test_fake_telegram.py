"""The fake Telegram Bot API answers like Telegram: checked with aiogram's real Bot and with raw
HTTP requests."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    WebAppInfo,
)
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiohttp import web
from pydantic import TypeAdapter

from bot.botapi import (
    FakeTelegram,
    FakeUser,
    HtmlError,
    StoredMessage,
    format_text,
    parse_html,
)
from bot.botapi.entities import Entity
from bot.botapi.errors import ApiError
from bot.botapi.spec import load_spec

TOKEN = "123456:TEST-TOKEN"
HAS_SPEC = load_spec() is not None
needs_spec = pytest.mark.skipif(not HAS_SPEC, reason="no Bot API spec at ../shared/botapi")
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Da", callback_data="yes")]]
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class _LocalSession(AiohttpSession):
    """aiogram waits 250 ms on close for TLS shutdowns; plain HTTP to 127.0.0.1 has none."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram(token=TOKEN).start()
    yield server
    await server.stop()


def make_bot(fake: FakeTelegram, token: str = TOKEN) -> Bot:
    session = _LocalSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = make_bot(fake)
    yield client
    await client.session.close()


async def call(
    fake: FakeTelegram, method: str, token: str = TOKEN, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw form-encoded request, complex values as JSON text, the way aiogram sends them."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/bot{token}/{method}", data=form) as response,
    ):
        return response.status, await response.json(content_type=None)


def same(parsed: Any, expected: Any) -> bool:
    """aiogram objects compare their bot context too; compare what Telegram sent."""
    adapter = TypeAdapter(Any)
    return bool(
        adapter.dump_python(parsed, exclude_none=True)
        == adapter.dump_python(expected, exclude_none=True)
    )


def started(fake: FakeTelegram, name: str = "Ana") -> FakeUser:
    """A person who has talked to the bot before, so the bot may write to them."""
    return fake.user(name, has_started=True)


# getMe, getUpdates


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "putokaz_test_bot")
    assert me.can_join_groups is True


async def test_updates_are_confirmed_by_offset(fake: FakeTelegram) -> None:
    ana = fake.user("Ana")
    first, second = ana.send("/start"), ana.send("zdravo")
    status, body = await call(fake, "getUpdates")
    assert status == 200 and [u["update_id"] for u in body["result"]] == [first, second]
    message = body["result"][0]["message"]
    assert message["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]
    assert message["from"] == {
        "id": ana.id,
        "is_bot": False,
        "first_name": "Ana",
        "language_code": "sr",
    }
    assert message["chat"] == {"id": ana.id, "type": "private", "first_name": "Ana"}
    _, body = await call(fake, "getUpdates", offset=second)
    assert [u["update_id"] for u in body["result"]] == [second]
    _, body = await call(fake, "getUpdates", offset=second + 1, limit=1)
    assert body["result"] == []
    third, fourth = ana.send("a"), ana.send("b")
    _, body = await call(fake, "getUpdates", offset=-1)
    assert [u["update_id"] for u in body["result"]] == [fourth]
    assert third not in [u["update_id"] for u in fake.pending_updates]


async def test_long_polling_returns_as_soon_as_an_update_arrives(fake: FakeTelegram) -> None:
    ana = fake.user("Ana")
    poll = asyncio.create_task(call(fake, "getUpdates", timeout=20))
    await fake.wait_until_polling()
    assert not poll.done() and fake.polls_waiting == 1
    started_at = time.monotonic()
    update_id = ana.send("/start")
    _, body = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started_at < 1
    assert [u["update_id"] for u in body["result"]] == [update_id]
    assert fake.first_get_updates_at is not None


async def test_a_second_poller_ends_the_first_with_a_conflict(fake: FakeTelegram) -> None:
    first = asyncio.create_task(call(fake, "getUpdates", timeout=20))
    await fake.wait_until_polling()
    second = asyncio.create_task(call(fake, "getUpdates", timeout=20))
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")
    fake.user("Ana").send("hi")
    assert (await asyncio.wait_for(second, 2))[0] == 200


async def test_allowed_updates_filter_new_updates(fake: FakeTelegram) -> None:
    ana = started(fake)
    await call(fake, "getUpdates", allowed_updates=["callback_query"])
    ana.send("ignored")
    click = ana.click_data(1, "x")
    _, body = await call(fake, "getUpdates")  # the setting persists
    assert [u["update_id"] for u in body["result"]] == [click]
    assert [u["message"]["text"] for u in fake.dropped_updates] == ["ignored"]
    await call(fake, "getUpdates", offset=click + 1, allowed_updates=[])  # the default again
    kept = ana.send("kept")
    assert [u["update_id"] for u in fake.pending_updates] == [kept]


async def test_a_repushed_update_is_delivered_again(fake: FakeTelegram) -> None:
    update_id = fake.user("Ana").send("/start")
    await call(fake, "getUpdates")
    _, body = await call(fake, "getUpdates", offset=update_id + 1)
    assert body["result"] == []
    fake.repush(update_id)
    _, body = await call(fake, "getUpdates", offset=update_id + 1)
    assert [u["update_id"] for u in body["result"]] == [update_id]
    raw_id = fake.push_update({"message": body["result"][0]["message"]})
    assert raw_id == update_id + 1


# Sending


async def test_send_message_returns_a_complete_message(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    sent = await bot.send_message(ana.id, "<b>Zdravo</b>, Ana 😀 /help", reply_markup=KEYBOARD)
    assert sent.text == "Zdravo, Ana 😀 /help"
    assert sent.from_user is not None and sent.from_user.id == fake.bot_id
    assert sent.chat.type == "private" and same(sent.reply_markup, KEYBOARD)
    entities = [(e.type, e.offset, e.length) for e in sent.entities or []]
    assert entities == [("bold", 0, 6), ("bot_command", 15, 5)]  # UTF-16: 😀 counts 2
    stored = ana.last
    assert (stored.message_id, stored.from_bot, stored.edited) == (sent.message_id, True, False)
    assert stored.html == "<b>Zdravo</b>, Ana 😀 /help" and stored.text == sent.text
    assert stored.buttons == [[("Da", "yes")]]
    second = await bot.send_message(ana.id, "Dalje", reply_to_message_id=sent.message_id)
    assert second.message_id == sent.message_id + 1
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == sent.message_id


async def test_html_refusals_reach_aiogram(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    cases = {
        "<b>open": 'Can\'t find end tag corresponding to start tag "b"',
        "1 < 2": 'Unsupported start tag "" at byte offset 2',
        "<p>x</p>": 'Unsupported start tag "p" at byte offset 0',
        "<b><i>x</b></i>": 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
    }
    for text, reason in cases.items():
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.send_message(ana.id, text)
        assert refused.value.message == f"Bad Request: can't parse entities: {reason}"
    assert ana.messages == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<b =x>y</b>", 'Empty attribute name in the tag "b" at byte offset 0'),
        ("ж<br>", 'Unsupported start tag "br" at byte offset 2'),
    ],
)
def test_html_parse_errors_use_telegram_wording(html: str, reason: str) -> None:
    with pytest.raises(HtmlError, match=f"^{re.escape(reason)}$"):
        parse_html(html)


def test_html_is_parsed_into_text_and_entities() -> None:
    html = (
        "<b>b</b><strong>s</strong> <i>i</i><u>u</u><s>s</s><tg-spoiler>p</tg-spoiler> "
        '<a href="t.me/x">l</a> <code>c</code> <pre><code class="language-py">x=1</code></pre>'
        " <blockquote expandable>q</blockquote> &lt;&gt;&amp;&quot;&#65;&#x42; AT&T &nbsp;"
    )
    text, entities = parse_html(html)
    assert text == 'bs iusp l c x=1 q <>&"AB AT&T &nbsp;'
    kinds = [(e.type, e.offset, e.length, e.url or e.language) for e in entities]
    assert kinds == [
        ("bold", 0, 1, ""),
        ("bold", 1, 1, ""),
        ("italic", 3, 1, ""),
        ("underline", 4, 1, ""),
        ("strikethrough", 5, 1, ""),
        ("spoiler", 6, 1, ""),
        ("text_link", 8, 1, "http://t.me/x"),
        ("code", 10, 1, ""),
        ("pre", 12, 3, "py"),
        ("expandable_blockquote", 16, 1, ""),
    ]
    with pytest.raises(HtmlError, match="strict"):
        parse_html("AT&T", strict=True)


def test_formatting_normalises_like_telegram() -> None:
    joined = format_text("<b>a</b><b>b</b>  \n", "HTML", None, allow_empty=False)
    assert (joined.text, joined.entities) == ("ab", (Entity("bold", 0, 2),))
    cleaned = format_text("  x\r\ny\tz", "", None, allow_empty=False)
    assert cleaned.text == "x\ny z"
    given = [
        {"type": "italic", "offset": 0, "length": 1},
        {"type": "url", "offset": 0, "length": 1},
    ]
    assert format_text("hi", "", given, allow_empty=False).entities == (Entity("italic", 0, 1),)
    with pytest.raises(ApiError, match="text must be non-empty"):
        format_text("<b> </b>", "HTML", None, allow_empty=False)
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "XML", None, allow_empty=False)


async def test_length_limits_count_utf16_after_parsing(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    await bot.send_message(ana.id, "<b>" + "😀" * 2048 + "</b>")  # 4096 UTF-16 units
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ana.id, "😀" * 2048 + "x")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(ana.id, "")
    with pytest.raises(TelegramBadRequest, match="Bad Request: text must be non-empty"):
        await bot.send_message(ana.id, "<i> </i>")
    file = BufferedInputFile(b"x", filename="a.txt")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_document(ana.id, file, caption="c" * 1025)


async def test_inline_keyboard_refusals(fake: FakeTelegram) -> None:
    ana = started(fake)

    async def send(button: dict[str, Any]) -> str:
        markup = {"inline_keyboard": [[{"text": "B", **button}]]}
        status, body = await call(
            fake, "sendMessage", chat_id=ana.id, text="x", reply_markup=markup
        )
        assert status == 400
        return str(body["description"])

    text_buttons = (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    assert await send({"callback_data": "ж" * 33}) == "Bad Request: BUTTON_DATA_INVALID"
    assert await send({"callback_data": ""}) == text_buttons
    assert await send({}) == text_buttons
    assert ana.messages == []
    status, _ = await call(
        fake,
        "sendMessage",
        chat_id=ana.id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "B", "callback_data": "ж" * 32}]]},
    )
    assert status == 200


async def test_send_document_keeps_the_upload(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    upload = BufferedInputFile(b"%PDF-1.4 report", filename="izvestaj.pdf")
    sent = await bot.send_document(ana.id, upload, caption="<i>Vaš izveštaj</i>")
    assert sent.document is not None and sent.document.file_name == "izvestaj.pdf"
    assert sent.caption == "Vaš izveštaj" and sent.caption_entities is not None
    stored = ana.last
    assert stored.document is not None
    assert (stored.document.data, stored.document.mime_type) == (
        b"%PDF-1.4 report",
        "application/pdf",
    )
    request = fake.calls("sendDocument")[0]
    assert (
        request.files[request.params["document"].removeprefix("attach://")].filename
        == "izvestaj.pdf"
    )
    again = await bot.send_document(ana.id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.base_url}/file/bot{TOKEN}/{file.file_path}") as response,
    ):
        assert await response.read() == b"%PDF-1.4 report"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(ana.id, "no-such-file-id")


async def test_send_photo_by_upload_or_url(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x80\0\0\x01\xe0" + b"\0" * 20
    sent = await bot.send_photo(ana.id, BufferedInputFile(png, filename="p.png"), caption="Slika")
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (640, 480)
    edited = await bot.edit_message_caption(
        chat_id=ana.id, message_id=sent.message_id, caption="<b>Nova</b> slika"
    )
    assert isinstance(edited, Message) and edited.caption == "Nova slika"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_caption(
            chat_id=ana.id, message_id=sent.message_id, caption="<b>Nova</b> slika"
        )
    by_url = await bot.send_photo(ana.id, "https://example.com/p.jpg")
    assert by_url.photo is not None and ana.last.photo is not None
    assert ana.last.photo.url == "https://example.com/p.jpg"
    status, body = await call(fake, "sendPhoto", chat_id=ana.id)
    assert (status, body["description"]) == (400, "Bad Request: there is no photo in the request")


async def test_chat_action_and_get_chat(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    assert await bot.send_chat_action(ana.id, "typing") is True
    assert ana.actions == ["typing"]
    chat = await bot.get_chat(ana.id)
    assert (chat.id, chat.first_name) == (ana.id, "Ana")
    status, body = await call(fake, "sendChatAction", chat_id=ana.id, action="dancing")
    assert (status, body["description"]) == (400, "Bad Request: wrong parameter action in request")


# Who the bot may write to


async def test_unknown_and_blocking_users_are_refused(fake: FakeTelegram, bot: Bot) -> None:
    stranger = fake.user("Marko")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(stranger.id, "Zdravo")
    stranger.send("/start")
    await bot.send_message(stranger.id, "Zdravo")
    block = stranger.block()
    member = fake.update(block)["my_chat_member"]
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(stranger.id, "Još si tu?")
    stranger.unblock()
    await bot.send_message(stranger.id, "Dobrodošao nazad")
    status, body = await call(fake, "sendMessage", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")


async def test_copy_message_copies_text_photo_and_voice_without_a_forward_line(
    fake: FakeTelegram, bot: Bot
) -> None:
    ana, marko = fake.user("Ana"), fake.user("Marko")
    ana.send("/start")
    marko.send("/start")
    ana.send("Treba mi <pomoć> https://example.org")
    text = ana.history[-1]
    ana.send_photo(caption="moja soba")
    photo = ana.history[-1]
    ana.send_voice(duration=7)
    voice = ana.history[-1]
    header = await bot.send_message(marko.id, "<b>Ana</b> piše:")
    copied = await bot.copy_message(
        marko.id, ana.id, text.message_id, reply_to_message_id=header.message_id
    )
    shown = fake.message(marko.chat_id, copied.message_id)
    assert shown.text == "Treba mi <pomoć> https://example.org" and shown.from_bot
    assert [e["type"] for e in shown.entities] == ["url"]
    assert shown.reply_to_message_id == header.message_id
    assert "forward_origin" not in shown.raw and shown.raw["from"]["is_bot"]
    copied = await bot.copy_message(marko.id, ana.id, photo.message_id)
    shown = fake.message(marko.chat_id, copied.message_id)
    assert shown.photo is not None and shown.caption == "moja soba"
    copied = await bot.copy_message(marko.id, ana.id, photo.message_id, caption="<i>nova</i>")
    assert fake.message(marko.chat_id, copied.message_id).caption == "nova"
    copied = await bot.copy_message(marko.id, ana.id, voice.message_id)
    shown = fake.message(marko.chat_id, copied.message_id)
    assert shown.raw["voice"]["duration"] == 7 and shown.text is None
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(marko.id, ana.id, 9999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.copy_message(marko.id, 424242, text.message_id)
    with pytest.raises(TelegramBadRequest, match="essage to be replied not found"):
        await bot.copy_message(marko.id, ana.id, text.message_id, reply_to_message_id=9999)
    with pytest.raises(TelegramBadRequest, match="essage caption is too long"):
        await bot.copy_message(marko.id, ana.id, photo.message_id, caption="x" * 1025)
    marko.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.copy_message(marko.id, ana.id, text.message_id)


# Edits and callback queries


async def test_edits_follow_telegram_rules(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    sent = await bot.send_message(ana.id, "Korak 1", reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest) as unchanged:
        await bot.edit_message_text(
            "<b></b>Korak 1", chat_id=ana.id, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    assert unchanged.value.message == NOT_MODIFIED
    edited = await bot.edit_message_text("Korak 2", chat_id=ana.id, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    stored = ana.last
    assert (stored.text, stored.edits, stored.history, stored.buttons) == (
        "Korak 2",
        1,
        ["Korak 1"],
        [],
    )
    await bot.edit_message_reply_markup(
        chat_id=ana.id, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert ana.last.buttons == [[("Da", "yes")]]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=ana.id, message_id=999)
    own = fake.update(ana.send("moja poruka"))["message"]["message_id"]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be edited"):
        await bot.edit_message_text("x", chat_id=ana.id, message_id=own)
    assert await bot.delete_message(ana.id, sent.message_id) is True
    assert sent.message_id not in [m.message_id for m in ana.messages]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(ana.id, sent.message_id)


async def test_callback_queries_are_answered_once(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    await bot.send_message(ana.id, "Pitanje?", reply_markup=KEYBOARD)
    update_id = ana.click(ana.last, "Da")
    query = fake.update(update_id)["callback_query"]
    assert query["data"] == "yes" and query["message"]["text"] == "Pitanje?"
    assert query["from"]["id"] == ana.id and query["chat_instance"]
    assert fake.unanswered_callback_queries() == [query["id"]]
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query["id"], text="x" * 201)
    assert await bot.answer_callback_query(query["id"], text="Hvala") is True
    assert fake.unanswered_callback_queries() == []
    assert fake.callback_queries[query["id"]].answer == {
        "text": "Hvala",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("123")
    forged = fake.update(ana.click_data(77, "forged:data"))["callback_query"]
    assert forged["message"] == {"chat": ana.chat.to_api(), "message_id": 77, "date": 0}
    with pytest.raises(AssertionError, match=r"no button 'Ne'.*buttons: \['Da'\]"):
        ana.click(ana.last, "Ne")


async def test_the_real_dispatcher_round_trip(fake: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Dobrodošla, <b>Ana</b>", reply_markup=KEYBOARD)

    @router.callback_query(F.data == "yes")
    async def yes(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Super!")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    dispatcher.callback_query.middleware(CallbackAnswerMiddleware())
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    try:
        ana = fake.user("Ana")
        ana.send("/start")
        greeting = await ana.wait_message()
        assert greeting.text == "Dobrodošla, Ana"
        ana.click(greeting, "Da")
        assert (await ana.wait_message()).text == "Super!"
        await fake.wait_for(method="answerCallbackQuery", ok=True)
        assert fake.unanswered_callback_queries() == []
    finally:
        await dispatcher.stop_polling()
        await polling


# Failures and limits


async def test_injected_failures(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(ana.id, "x")
    assert flood.value.retry_after == 3
    assert fake.calls("sendMessage")[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    fake.fail_next("sendMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(ana.id, "x")
    fake.fail_next("*", status=400, description="chat not found", chat_id=999)
    await bot.send_message(ana.id, "sent")
    status, body = await call(fake, "getChat", chat_id=999)
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    fake.fail_next("sendMessage", status=502, body="<html>502 Bad Gateway</html>")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/bot{TOKEN}/sendMessage") as response,
    ):
        assert (response.status, await response.text()) == (502, "<html>502 Bad Gateway</html>")
    assert fake.count_status(429) == 1 and [m.text for m in ana.messages] == ["sent"]


async def test_rate_limits_answer_429_with_retry_after() -> None:
    async with FakeTelegram(token=TOKEN, rate_limit=3, per_chat_rate_limit=2) as fake:
        ana, bob = started(fake, "Ana"), started(fake, "Bob")
        results = [(await call(fake, "sendMessage", chat_id=ana.id, text="x"))[0] for _ in range(3)]
        assert results == [200, 200, 429]
        assert (await call(fake, "sendChatAction", chat_id=ana.id, action="typing"))[0] == 200
        assert (await call(fake, "sendMessage", chat_id=bob.id, text="x"))[0] == 200
        status, body = await call(fake, "sendMessage", chat_id=bob.id, text="x")
        assert status == 429 and body["parameters"]["retry_after"] >= 1
        assert fake.rate_limit_hits == 2 and fake.count_status(429) == 2


# Requests: authorisation, methods, parameters


async def test_wrong_tokens_and_unknown_methods(fake: FakeTelegram) -> None:
    wrong = make_bot(fake, "654321:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await wrong.get_me()
    finally:
        await wrong.session.close()
    assert await call(fake, "getMe", token="nonsense") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, _ = await call(fake, "GETME")  # method names ignore case
    assert status == 200 and fake.requests[-1].method == "getMe"


@needs_spec
async def test_the_spec_rejects_unknown_methods_and_missing_fields(fake: FakeTelegram) -> None:
    assert await call(fake, "sendMesage") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    assert (await call(fake, "sendPoll", chat_id=1, question="?", options=["a", "b"]))[1][
        "description"
    ] == "fake: method sendPoll is not implemented"
    assert (await call(fake, "sendPoll", chat_id=1))[1]["description"] == (
        'Bad Request: parameter "question" is required'
    )
    assert (await call(fake, "answerCallbackQuery"))[1]["description"].endswith(
        "query ID is invalid"
    )
    assert (await call(fake, "deleteMessage", message_id=1))[1]["description"] == (
        "Bad Request: chat identifier is not specified"
    )
    bot = make_bot(fake)
    try:
        with pytest.raises(TelegramNotFound, match="method not found"):
            await bot(_Misspelt())
    finally:
        await bot.session.close()


async def test_without_the_spec_unimplemented_methods_still_fail() -> None:
    async with FakeTelegram(token=TOKEN, use_spec=False) as fake:
        status, body = await call(fake, "sendPoll", chat_id=1)
        assert (status, body["description"]) == (400, "fake: method sendPoll is not implemented")
        assert (await call(fake, "getMe"))[0] == 200


def test_the_spec_follows_botapi_spec_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTAPI_SPEC", "/nonexistent/api.json")
    assert load_spec() is None


async def test_parameters_arrive_in_any_encoding(fake: FakeTelegram) -> None:
    ana = started(fake)
    url = f"{fake.base_url}/bot{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Da", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"chat_id": ana.id, "text": "json", "reply_markup": markup}
        ):
            pass
        async with session.get(url, params={"chat_id": str(ana.id), "text": "query"}):
            pass
        form = aiohttp.FormData({"chat_id": str(ana.id), "text": "multipart"})
        form.add_field("reply_markup", json.dumps(markup))
        form.add_field("unused", b"bytes", filename="f.bin")
        async with session.post(url, data=form):
            pass
    assert [m.text for m in ana.messages] == ["json", "query", "multipart"]
    assert [m.buttons for m in ana.messages] == [[[("Da", "yes")]], [], [[("Da", "yes")]]]
    logged = fake.calls("sendMessage")[0].params
    assert logged == {"chat_id": ana.id, "text": "json", "reply_markup": markup}


class _Misspelt(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "sendMesage"


# Commands, menu button, webhooks, waiting


async def test_commands_are_kept_per_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    default = [BotCommand(command="start", description="Početak")]
    english = [BotCommand(command="help", description="Help")]
    await bot.set_my_commands(default)
    await bot.set_my_commands(english, language_code="en")
    await bot.set_my_commands(english, scope=BotCommandScopeChat(chat_id=ana.id))
    assert fake.commands() == [{"command": "start", "description": "Početak"}]
    assert fake.commands(language_code="en") == [{"command": "help", "description": "Help"}]
    assert fake.commands({"type": "chat", "chat_id": ana.id})[0]["command"] == "help"
    assert same(await bot.get_my_commands(scope=BotCommandScopeDefault()), default)
    await bot.delete_my_commands(language_code="en")
    assert fake.commands(language_code="en") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(default, scope=BotCommandScopeChat(chat_id=42))


async def test_menu_button(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    assert fake.menu_button() == {"type": "commands"}
    button = MenuButtonWebApp(text="Otvori", web_app=WebAppInfo(url="https://example.com"))
    await bot.set_chat_menu_button(chat_id=ana.id, menu_button=button)
    assert same(await bot.get_chat_menu_button(chat_id=ana.id), button)
    assert fake.menu_button(ana.id)["text"] == "Otvori" and fake.menu_button() == {
        "type": "commands"
    }
    # A Mini App opens only from a public https address, as Telegram insists.
    for url in ("http://127.0.0.1:8080/desk/app", "https://localhost/desk/app"):
        plain = MenuButtonWebApp(text="Otvori", web_app=WebAppInfo(url=url))
        with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
            await bot.set_chat_menu_button(chat_id=ana.id, menu_button=plain)
    assert fake.menu_button(ana.id)["web_app"] == {"url": "https://example.com"}


async def test_webhooks_deliver_updates() -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    reply: dict[str, Any] = {}

    async def endpoint(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.json_response(reply)  # a method in the answer is executed by Telegram

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    async with FakeTelegram(token=TOKEN, allow_http_webhooks=True) as fake:
        bot = make_bot(fake)
        try:
            ana = started(fake)
            reply.update(method="sendChatAction", chat_id=ana.id, action="typing")
            ana.send("dropped")
            assert await bot.set_webhook(url, secret_token="s3cret", drop_pending_updates=True)
            status, body = await call(fake, "getUpdates")
            assert status == 409 and "webhook is active" in body["description"]
            update_id = ana.send("/start")
            await fake.wait_for(method="sendChatAction")
            assert received == [("s3cret", fake.update(update_id))] and ana.actions == ["typing"]
            info = await bot.get_webhook_info()
            assert (info.url, info.pending_update_count) == (url, 0)
            assert await bot.delete_webhook()
        finally:
            await bot.session.close()
    await runner.cleanup()
    async with FakeTelegram(token=TOKEN) as strict:
        status, body = await call(strict, "setWebhook", url="http://example.com/hook")
        assert body["description"] == (
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        )


async def test_waiting_for_requests_and_messages(fake: FakeTelegram, bot: Bot) -> None:
    ana = started(fake)
    mark = fake.mark()
    later = asyncio.create_task(fake.wait_for(method="sendMessage", chat_id=ana.id, since=mark))
    ana.send("zdravo")
    await bot.send_message(ana.id, "prva")
    await bot.send_message(ana.id, "druga")
    assert (await later).params["text"] == "prva"
    assert [(await ana.wait_message()).text, (await ana.wait_message()).text] == ["prva", "druga"]
    with pytest.raises(TimeoutError, match=r"no matching request within 0.05s"):
        await fake.wait_for(lambda r: r.method == "sendPhoto", timeout=0.05)
    with pytest.raises(TimeoutError, match="the bot sent nothing to Ana"):
        await ana.wait_message(timeout=0.05)
    assert isinstance(ana.last, StoredMessage)
    assert [r.result["text"] for r in fake.sent(chat_id=ana.id)] == ["prva", "druga"]
