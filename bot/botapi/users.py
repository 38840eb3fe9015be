"""A person talking to the bot: what they do becomes updates, what the bot shows them is kept."""

from __future__ import annotations

from typing import Any

from bot.botapi.autolink import find_entities
from bot.botapi.media import photo_sizes
from bot.botapi.models import CallbackQueryRecord, ChatState, StoredMessage
from bot.botapi.state import BotState


class FakeUser:
    """Every action pushes one update and returns its update_id."""

    def __init__(self, state: BotState, chat: ChatState) -> None:
        self._state = state
        self._chat = chat
        self._cursor = 0  # wait_message() returns bot messages from this event on
        self.last_callback_query_id: str | None = None

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def chat_id(self) -> int:
        return self._chat.id

    @property
    def first_name(self) -> str:
        return str(self._chat.user["first_name"])

    @property
    def language_code(self) -> str | None:
        value = self._chat.user.get("language_code")
        return str(value) if value is not None else None

    def to_api(self) -> dict[str, Any]:
        """The User object Telegram sends for this person."""
        return dict(self._chat.user)

    @property
    def chat(self) -> ChatState:
        return self._chat

    # What the bot shows

    @property
    def messages(self) -> list[StoredMessage]:
        """The bot's messages in this chat as they look now: after edits, without deleted ones."""
        return [m for m in self.history if m.from_bot]

    @property
    def history(self) -> list[StoredMessage]:
        """The whole chat, the person's messages included, oldest first."""
        return [m for _, m in sorted(self._chat.messages.items()) if not m.deleted]

    @property
    def last(self) -> StoredMessage:
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has sent nothing to {self.first_name} ({self.id})")
        return messages[-1]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the person currently sees, if any."""
        markup = self._chat.reply_keyboard
        if markup is None:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in markup.get("keyboard", [])
        ]

    @property
    def actions(self) -> list[str]:
        """Chat actions ("typing", ...) the bot sent here."""
        return list(self._chat.actions)

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    async def wait_message(self, timeout: float = 5.0) -> StoredMessage:  # noqa: ASYNC109
        """The next message the bot sends or edits here since this person's last action.

        Successive calls return successive messages, so nothing the bot did in between is
        missed even when it answered before the call.
        """
        events = self._chat.events

        def next_event() -> StoredMessage | None:
            if self._cursor < len(events):
                self._cursor += 1
                return events[self._cursor - 1]
            return None

        try:
            return await self._state.changed.wait_for(next_event, timeout)
        except TimeoutError:
            shown = [m.body[:60] for m in self.messages[-3:]]
            raise TimeoutError(
                f"the bot sent nothing to {self.first_name} within {timeout}s; "
                f"its latest messages: {shown}"
            ) from None

    # What the person does

    def _push(self, update: dict[str, Any]) -> int:
        self._cursor = len(self._chat.events)
        return self._state.updates.push(update)

    def send_message(self, **content: Any) -> int:
        """Any message content, e.g. ``send_message(contact={...})``."""
        message = self._state.add_user_message(self._chat, content)
        return self._push({"message": message.raw})

    def send(self, text: str, *, reply_to: int | None = None) -> int:
        """A text message; pressing a reply-keyboard button sends its label this way."""
        keyboard = self._chat.reply_keyboard
        labels = [label for row in self.keyboard or [] for label in row]
        if keyboard and keyboard.get("one_time_keyboard") and text in labels:
            self._chat.reply_keyboard = None  # the client hides a one-time keyboard after use
        content: dict[str, Any] = {"text": text}
        entities = [e.to_api() for e in find_entities(text)]
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            replied = self._chat.messages[reply_to]
            content["reply_to_message"] = {
                k: v for k, v in replied.raw.items() if k != "reply_to_message"
            }
        return self.send_message(**content)

    def send_photo(
        self, *, caption: str | None = None, width: int = 1280, height: int = 960
    ) -> int:
        photo = self._state.new_file("photo", width=width, height=height, data=b"\xff\xd8photo")
        content: dict[str, Any] = {"photo": photo_sizes(photo)}
        if caption:
            content["caption"] = caption
        return self.send_message(**content)

    def send_document(
        self,
        file_name: str = "document.pdf",
        data: bytes = b"%PDF-1.4 fake",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> int:
        stored = self._state.new_file(
            "document", data=data, file_name=file_name, mime_type=mime_type
        )
        content: dict[str, Any] = {"document": stored.to_api()}
        if caption:
            content["caption"] = caption
        return self.send_message(**content)

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self._state.new_file("sticker", data=b"RIFFsticker", width=512, height=512)
        sticker = stored.to_api() | {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.send_message(sticker=sticker)

    def send_voice(self, duration: int = 3, data: bytes = b"OggS voice") -> int:
        stored = self._state.new_file("voice", data=data, mime_type="audio/ogg", duration=duration)
        return self.send_message(voice=stored.to_api())

    def send_location(self, latitude: float, longitude: float) -> int:
        return self.send_message(location={"latitude": latitude, "longitude": longitude})

    def send_contact(self, phone_number: str, first_name: str | None = None) -> int:
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id,
        }
        return self.send_message(contact=contact)

    def edit(self, message_id: int, text: str) -> int:
        """The person edits one of their own messages: an edited_message update."""
        message = self._chat.messages[message_id]
        if message.from_bot or message.text is None:
            raise AssertionError(f"message {message_id} is not a text message of {self.id}")
        message.history.append(message.text)
        message.text, message.edits = text, message.edits + 1
        message.edit_date = self._state.now()
        message.raw = {k: v for k, v in message.raw.items() if k != "entities"}
        message.raw |= {"text": text, "edit_date": message.edit_date}
        entities = [e.to_api() for e in find_entities(text)]
        if entities:
            message.raw["entities"] = entities
        message.entities = entities
        self._state.touch(self._chat, message)
        return self._push({"edited_message": message.raw})

    def click(self, message: StoredMessage | int, text: str) -> int:
        """Presses the inline button labelled ``text`` on the message as it looks now."""
        current = self._current(message)
        button = current.button(text)
        if button.data is None:
            raise AssertionError(
                f"button {text!r} is a {button.kind} button: pressing it sends the bot nothing"
            )
        return self.click_data(current.message_id, button.data)

    def click_data(self, message: StoredMessage | int, data: str) -> int:
        """A callback query with any data, as a stale or forged button would send."""
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._chat.messages.get(message_id)
        if stored is not None and not stored.deleted:
            shown = stored.to_api()
        else:  # Telegram sends an InaccessibleMessage: date 0
            shown = {"chat": self._chat.to_api(), "message_id": message_id, "date": 0}
        query_id = str(4_000_000_000_000_000_000 + self._state.next_number())
        self._state.callback_queries[query_id] = CallbackQueryRecord(
            query_id, self.id, message_id, data
        )
        self.last_callback_query_id = query_id
        query = {
            "id": query_id,
            "from": self.to_api(),
            "message": shown,
            "chat_instance": self._chat.instance,
            "data": data,
        }
        return self._push({"callback_query": query})

    def _current(self, message: StoredMessage | int) -> StoredMessage:
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise AssertionError(f"message {message_id} is not in the chat with {self.id}")
        return stored

    def _member_update(self, old: str, new: str) -> int:
        bot = dict(self._state.bot_user)
        old_member: dict[str, Any] = {"user": bot, "status": old}
        new_member: dict[str, Any] = {"user": bot, "status": new}
        for member in (old_member, new_member):
            if member["status"] == "kicked":  # ChatMemberBanned always carries until_date
                member["until_date"] = 0
        update = {
            "chat": self._chat.to_api(),
            "from": self.to_api(),
            "date": self._state.now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._push({"my_chat_member": update})

    def block(self) -> int:
        """Blocks the bot: a my_chat_member update, then 403 for everything sent here."""
        self._chat.blocked = True
        return self._member_update("member", "kicked")

    def unblock(self) -> int:
        self._chat.blocked = False
        return self._member_update("kicked", "member")

    def deactivate(self) -> None:
        """The account is deleted: sending here answers 403 "user is deactivated"."""
        self._chat.deactivated = True
