"""Everything the fake Telegram knows, independent of HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.botapi.errors import CHAT_NOT_FOUND, bad_request
from bot.botapi.media import DEFAULT_SIZE, image_size, photo_sizes
from bot.botapi.models import (
    CallbackQueryRecord,
    ChatState,
    RecordedRequest,
    Signal,
    StoredFile,
    StoredMessage,
    WebhookConfig,
)
from bot.botapi.params import UploadedFile
from bot.botapi.text import FormattedText, format_text
from bot.botapi.updates import UpdateQueue

# What real file ids start with, per kind, so they look familiar in logs.
_FILE_ID_PREFIX = {
    "document": "BQACAgIAAxkBAA",
    "photo": "AgACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
}


class BotState:
    def __init__(
        self,
        token: str,
        *,
        bot_username: str,
        bot_first_name: str,
        strict_html: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.strict_html = strict_html
        self.allow_http_webhooks = False
        self.webhook = WebhookConfig()
        self.on_webhook_change: Callable[[], None] = lambda: None
        self.clock = clock
        self.changed = Signal()
        self.updates = UpdateQueue(self.changed)
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_button: dict[str, Any] = {"type": "commands"}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (name|description|..., language)
        self.requests: list[RecordedRequest] = []
        self.first_get_updates_at: float | None = None
        self.record_requests = True  # False: nothing kept (a long-running local mode)
        self.revision = 0  # raised by every change to a message, see touch()
        self._counter = 0

    def now(self) -> int:
        return int(self.clock())

    def touch(self, chat: ChatState, message: StoredMessage) -> None:
        """Marks a message as changed now, for readers that follow a chat (bot/local)."""
        self.revision += 1
        message.rev = chat.rev = self.revision

    def next_number(self) -> int:
        self._counter += 1
        return self._counter

    # Chats and users

    @property
    def users(self) -> dict[int, dict[str, Any]]:
        return {chat.id: chat.user for chat in self.chats.values()}

    def chat(self, chat_id: str | int) -> ChatState:
        """The private chat with that id, or Telegram's refusal if the bot may not use it."""
        text = str(chat_id).strip()
        if not text:
            raise bad_request("chat_id is empty")
        chat = self.chats.get(int(text)) if text.lstrip("-").isdigit() else None
        if chat is None or not chat.known:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    # Files

    def new_file(self, kind: str, *, data: bytes = b"", **fields: Any) -> StoredFile:
        number = self.next_number()
        prefix = _FILE_ID_PREFIX.get(kind, "BAACAgIAAxkBAA")
        stored = StoredFile(f"{prefix}{number:08d}fake", f"AgAD{number:06d}", kind, data, **fields)
        if kind == "photo" and not stored.width:
            stored.width, stored.height = image_size(data) or DEFAULT_SIZE
        self.files[stored.file_id] = stored
        return stored

    def file_from(self, kind: str, upload: UploadedFile | None, remote: str) -> StoredFile:
        """The file a send* call refers to: an upload, a known file_id or an HTTP(S) URL."""
        if upload is not None:
            number = self.next_number()
            prefix = _FILE_ID_PREFIX.get(kind, "BAACAgIAAxkBAA")
            stored = StoredFile.from_upload(
                upload, kind, f"{prefix}{number:08d}fake", f"AgAD{number:06d}"
            )
            if kind == "photo":
                stored.width, stored.height = image_size(upload.data) or DEFAULT_SIZE
            self.files[stored.file_id] = stored
            return stored
        if remote in self.files:
            return self.files[remote]
        if remote.startswith(("http://", "https://")):
            name = remote.rstrip("/").rsplit("/", 1)[-1] or None
            return self.new_file(kind, url=remote, file_name=name if kind != "photo" else None)
        raise bad_request("Wrong file identifier/HTTP URL specified")

    # Messages

    def format(
        self, text: str, parse_mode: str, entities: Any, *, allow_empty: bool
    ) -> FormattedText:
        return format_text(
            text, parse_mode, entities, allow_empty=allow_empty, strict_html=self.strict_html
        )

    def render(self, chat: ChatState, message: StoredMessage) -> None:
        """Rebuilds the Message object of a bot message from its current fields."""
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": chat.to_api(),
            "date": message.date,
        }
        replied = chat.messages.get(message.reply_to_message_id or 0)
        if replied is not None:
            out["reply_to_message"] = {
                k: v for k, v in replied.raw.items() if k != "reply_to_message"
            }
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if message.text is not None:
            out["text"] = message.text
            if message.entities:
                out["entities"] = message.entities
        if message.document is not None:
            out["document"] = message.document.to_api()
        if message.photo is not None:
            out["photo"] = photo_sizes(message.photo)
        out.update(message.media)
        if message.caption:
            out["caption"] = message.caption
            if message.caption_entities:
                out["caption_entities"] = message.caption_entities
        if message.inline_keyboard is not None:
            out["reply_markup"] = message.inline_keyboard
        message.raw = out

    def add_bot_message(
        self,
        chat: ChatState,
        *,
        text: FormattedText | None = None,
        caption: FormattedText | None = None,
        **fields: Any,
    ) -> StoredMessage:
        message = StoredMessage(chat.id, chat.new_message_id(), self.now(), True, **fields)
        self.set_content(message, text=text, caption=caption)
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        chat.messages[message.message_id] = message
        self.render(chat, message)
        chat.events.append(message)
        self.touch(chat, message)
        self.changed.fire()
        return message

    def set_content(
        self,
        message: StoredMessage,
        *,
        text: FormattedText | None = None,
        caption: FormattedText | None = None,
    ) -> None:
        users = self.users
        if text is not None:
            message.text, message.entities = text.text, text.api_entities(users)
        if caption is not None:
            message.caption = caption.text or None
            message.caption_entities = caption.api_entities(users)

    def edited(self, chat: ChatState, message: StoredMessage, previous: str | None) -> None:
        message.history.append(previous)
        message.edits += 1
        message.edit_date = self.now()
        self.render(chat, message)
        chat.events.append(message)
        self.touch(chat, message)
        self.changed.fire()

    def add_user_message(self, chat: ChatState, content: dict[str, Any]) -> StoredMessage:
        chat.known = True
        message_id = chat.new_message_id()
        raw = {
            "message_id": message_id,
            "from": dict(chat.user),
            "chat": chat.to_api(),
            "date": self.now(),
            **content,
        }
        message = StoredMessage(
            chat.id,
            message_id,
            raw["date"],
            False,
            text=content.get("text"),
            entities=list(content.get("entities", [])),
            caption=content.get("caption"),
            raw=raw,
        )
        chat.messages[message_id] = message
        self.touch(chat, message)
        self.changed.fire()
        return message
