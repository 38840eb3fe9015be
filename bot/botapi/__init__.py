"""The embedded Telegram Bot API server: the tests' Telegram and local mode's (bot/local).

Real HTTP on 127.0.0.1, held to Telegram's rules so that what works here works on Telegram:

    fake = await FakeTelegram(token="123456:TEST-TOKEN").start()
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    ana = fake.user("Ana", language_code="sr")
    ana.send("/start")                  # an update for getUpdates
    reply = await ana.wait_message()    # what the bot sent back (a StoredMessage)
    ana.click(reply, "Dalje")           # a callback query for that button
    fake.fail_next("sendMessage", status=429, retry_after=3)
    await fake.stop()

It answers like Telegram, refusals included (malformed HTML, too long texts, bad buttons,
unchanged edits, stale callback queries, unknown or blocking users), and records every request.
Wordings and parsing follow the sources of TDLib and telegram-bot-api; where Telegram is lenient
the fake is too (a bare "&" in HTML is kept as text; ``strict_html=True`` refuses it).

Not modelled: groups and channels (private chats only), inline mode, payments, MarkdownV2 and
Markdown parse modes (refused with "fake: ..."), editing inline messages, copy/forward, media
groups, callback query expiry, Telegram's throttling of repeated getUpdates calls, and phone or
bank-card entity detection; links are detected with a short list of top-level domains.
"""

from bot.botapi.errors import ApiError
from bot.botapi.html import HtmlError, parse_html
from bot.botapi.models import (
    Button,
    CallbackQueryRecord,
    RecordedRequest,
    StoredFile,
    StoredMessage,
)
from bot.botapi.params import UploadedFile
from bot.botapi.server import FakeTelegram
from bot.botapi.text import FormattedText, format_text
from bot.botapi.users import FakeUser

__all__ = [
    "ApiError",
    "Button",
    "CallbackQueryRecord",
    "FakeTelegram",
    "FakeUser",
    "FormattedText",
    "HtmlError",
    "RecordedRequest",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "format_text",
    "parse_html",
]
