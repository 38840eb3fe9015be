"""What the fake remembers: messages, files, chats, callback queries and recorded requests."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.botapi.params import UploadedFile

T = TypeVar("T")
_BUTTON_KINDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "copy_text",
)


class Signal:
    """Wakes every waiter whenever anything changes; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, check: Callable[[], T | None], seconds: float | None) -> T:
        """The first non-None ``check()``; TimeoutError after ``seconds`` (None: never)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while True:
            result = check()
            if result is not None:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), remaining)


@dataclass(eq=False)
class StoredFile:
    """A file Telegram holds: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    kind: str  # document, photo, voice, sticker, ...
    data: bytes = b""
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # when the bot sent a URL instead of bytes
    width: int = 0
    height: int = 0
    duration: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def file_path(self) -> str:
        suffix = mimetypes.guess_extension(self.mime_type or "") or ""
        return f"{self.kind}s/{self.file_unique_id}{suffix}"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.kind == "photo":
            out |= {"width": self.width, "height": self.height}
        if self.kind in ("voice", "audio", "video"):
            out["duration"] = self.duration
        if self.kind not in ("photo", "sticker"):  # PhotoSize and Sticker carry neither
            if self.file_name:
                out["file_name"] = self.file_name
            if self.mime_type:
                out["mime_type"] = self.mime_type
        out["file_size"] = self.size
        return out

    @classmethod
    def from_upload(cls, upload: UploadedFile, kind: str, file_id: str, unique: str) -> StoredFile:
        # Telegram trusts the file name over the part's (usually generic) content type.
        guessed = mimetypes.guess_type(upload.filename)[0]
        generic = upload.content_type in ("", "application/octet-stream")
        mime = guessed or (None if generic else upload.content_type) or "application/octet-stream"
        return cls(file_id, unique, kind, upload.data, upload.filename, mime)


class Button(tuple[str, str | None]):
    """An inline button; compares equal to ``(text, callback_data or url)``."""

    raw: dict[str, Any]

    def __new__(cls, raw: dict[str, Any]) -> Button:
        value = next((raw[k] for k in ("callback_data", "url") if raw.get(k)), None)
        self = super().__new__(cls, (str(raw.get("text", "")), value))
        self.raw = raw
        return self

    @property
    def text(self) -> str:
        return self[0]

    @property
    def data(self) -> str | None:
        value = self.raw.get("callback_data")
        return str(value) if value else None

    @property
    def url(self) -> str | None:
        value = self.raw.get("url")
        return str(value) if value else None

    @property
    def kind(self) -> str:
        """What pressing it does: "callback_data", "url", "web_app", ..."""
        # Empty callback_data or url count as absent; an empty switch_inline_query is valid.
        present = [k for k in _BUTTON_KINDS if k in self.raw]
        usable = [k for k in present if self.raw[k] or k not in ("callback_data", "url")]
        return usable[0] if usable else "text"


@dataclass(eq=False)
class StoredMessage:
    """A message in a private chat, in its current state (after edits)."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    text: str | None = None  # plain text, as the user sees it
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    html: str | None = None  # the text or caption exactly as the bot sent it
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None  # as sent, any keyboard kind
    document: StoredFile | None = None
    photo: StoredFile | None = None
    # Other content as Telegram shows it (voice, sticker, location...): a copy of a person's
    # message (copyMessage) carries it over unchanged.
    media: dict[str, Any] = field(default_factory=dict)
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False
    history: list[str | None] = field(default_factory=list)  # texts/captions before edits
    rev: int = 0  # BotState.revision when it last changed (sent, edited, deleted)
    raw: dict[str, Any] = field(default_factory=dict)  # the Message object Telegram returns

    @property
    def edited(self) -> bool:
        return self.edits > 0

    @property
    def body(self) -> str:
        """The text, or the caption of a media message."""
        return self.text if self.text is not None else self.caption or ""

    @property
    def html_text(self) -> str:
        """The text or caption exactly as the bot sent it; "" for a message without one."""
        return self.html or ""

    @property
    def inline_keyboard(self) -> dict[str, Any] | None:
        markup = self.reply_markup
        return markup if markup is not None and "inline_keyboard" in markup else None

    @property
    def buttons(self) -> list[list[Button]]:
        markup = self.inline_keyboard or {}
        return [[Button(b) for b in row] for row in markup.get("inline_keyboard", [])]

    def button(self, text: str) -> Button:
        found = [b for row in self.buttons for b in row if b.text == text]
        if len(found) != 1:
            problem = "no button" if not found else f"{len(found)} buttons"
            raise AssertionError(
                f"{problem} {text!r} on message {self.message_id} {self.body[:60]!r}; "
                f"buttons: {[b.text for row in self.buttons for b in row]}"
            )
        return found[0]

    def to_api(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(eq=False)
class ChatState:
    """A private chat between the bot and one person."""

    user: dict[str, Any]  # the person's User object
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    known: bool = False  # Telegram lets a bot write only to people who wrote to it first
    blocked: bool = False
    deactivated: bool = False
    events: list[StoredMessage] = field(default_factory=list)  # bot sends and edits, in order
    actions: list[str] = field(default_factory=list)  # sendChatAction
    reply_keyboard: dict[str, Any] | None = None
    menu_button: dict[str, Any] | None = None
    rev: int = 0  # the newest rev of its messages

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def instance(self) -> str:
        """chat_instance of callback queries: stable per chat, unrelated to its id."""
        return str((self.id * 2654435761) % 10**19)

    def to_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(eq=False)
class CallbackQueryRecord:
    id: str
    user_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] | None = None  # text, show_alert, url, cache_time


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP call the bot made, with Telegram's answer."""

    index: int
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    status: int
    response: dict[str, Any]
    at: float  # time.monotonic() when answered

    @property
    def ok(self) -> bool:
        return self.response.get("ok") is True

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        value = self.response.get("description")
        return str(value) if value is not None else None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup", "entities")}
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        return f"#{self.index} {self.method} {shown} -> {outcome}"


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str = ""
    max_connections: int = 40
    ip_address: str = ""
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0  # updates the bot's webhook accepted
