"""Sending, editing and deleting messages; answering button presses.

Checks run in telegram-bot-api's order, so when a call is wrong in several ways the fake gives
the refusal Telegram would give: content first (text, parse errors), then reply_markup, then the
chat, then what Telegram's servers check (length, blocked user).
"""

from __future__ import annotations

from typing import Any

from bot.botapi.errors import (
    BLOCKED,
    DEACTIVATED,
    NOT_MODIFIED,
    QUERY_INVALID,
    ApiError,
    bad_request,
    forbidden,
)
from bot.botapi.markup import check_reply_markup
from bot.botapi.models import ChatState, StoredFile, StoredMessage
from bot.botapi.params import Call
from bot.botapi.registry import method
from bot.botapi.state import BotState
from bot.botapi.text import MAX_CAPTION, MAX_TEXT, FormattedText, utf16_len

_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "record_audio",
        "upload_audio",
        "upload_document",
        "choose_sticker",
        "find_location",
        "pick_up_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _markup(call: Call) -> dict[str, Any] | None:
    return check_reply_markup(call.json_arg("reply_markup", "reply keyboard markup"))


def _inline_markup(call: Call) -> dict[str, Any] | None:
    markup = _markup(call)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("Inline keyboard expected")
    return markup


def _writable(state: BotState, call: Call) -> ChatState:
    chat = state.chat(call.arg("chat_id"))
    if chat.deactivated:
        raise forbidden(DEACTIVATED)
    if chat.blocked:
        raise forbidden(BLOCKED)
    return chat


def _reply_to(chat: ChatState, call: Call) -> int | None:
    given = call.json_arg("reply_parameters", "reply parameters")
    if given is None:
        message_id, allow = (
            call.integer("reply_to_message_id"),
            call.flag("allow_sending_without_reply"),
        )
    elif not isinstance(given, dict):
        raise bad_request("Object expected as reply parameters")
    elif "message_id" not in given:
        raise bad_request('Can\'t find field "message_id"')
    elif not str(given["message_id"]).lstrip("-").isdigit():
        raise bad_request('Field "message_id" must be a valid Number')
    else:
        message_id = int(given["message_id"])
        allow = bool(given.get("allow_sending_without_reply"))
    if message_id <= 0:
        return None
    target = chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request("Message to be replied not found")
    return message_id


def _caption(state: BotState, call: Call) -> FormattedText:
    caption = state.format(
        call.arg("caption"),
        call.arg("parse_mode"),
        call.json_arg("caption_entities", "caption entities"),
        allow_empty=True,
    )
    return caption


def _check_caption(caption: FormattedText) -> None:
    if utf16_len(caption.text) > MAX_CAPTION:
        raise bad_request("Message caption is too long")


@method("sendMessage")
async def send_message(state: BotState, call: Call) -> Any:
    source = call.arg("text")
    if not source:
        raise bad_request("Message text is empty")
    call.json_arg("link_preview_options", "link preview options")
    text = state.format(
        source, call.arg("parse_mode"), call.json_arg("entities", "entities"), allow_empty=False
    )
    markup = _markup(call)
    chat = _writable(state, call)
    reply_to = _reply_to(chat, call)
    if utf16_len(text.text) > MAX_TEXT:
        raise bad_request("Message is too long")
    message = state.add_bot_message(
        chat,
        text=text,
        html=source,
        parse_mode=call.arg("parse_mode") or None,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return message.to_api()


async def _send_file(state: BotState, call: Call, kind: str) -> Any:
    upload, remote = call.file(kind)
    if upload is None and not remote:
        raise bad_request(f"There is no {kind} in the request")
    caption = _caption(state, call)
    markup = _markup(call)
    chat = _writable(state, call)
    reply_to = _reply_to(chat, call)
    _check_caption(caption)
    stored = state.file_from(kind, upload, remote)
    message = state.add_bot_message(
        chat,
        caption=caption,
        html=call.arg("caption") or None,
        parse_mode=call.arg("parse_mode") or None,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        document=stored if kind == "document" else None,
        photo=stored if kind == "photo" else None,
    )
    return message.to_api()


@method("sendDocument")
async def send_document(state: BotState, call: Call) -> Any:
    return await _send_file(state, call, "document")


@method("sendPhoto")
async def send_photo(state: BotState, call: Call) -> Any:
    return await _send_file(state, call, "photo")


# What a copy carries over as it is; a copy of a photo or a document becomes the bot's own file.
_COPIED_AS_IS = (
    "animation",
    "audio",
    "contact",
    "dice",
    "location",
    "sticker",
    "venue",
    "video",
    "video_note",
    "voice",
)


def _known_file(state: BotState, raw: dict[str, Any], kind: str) -> StoredFile | None:
    value = raw.get(kind)
    if kind == "photo" and isinstance(value, list) and value:
        value = value[-1]  # the original size
    file_id = value.get("file_id") if isinstance(value, dict) else None
    return state.files.get(file_id) if isinstance(file_id, str) else None


@method("copyMessage")
async def copy_message(state: BotState, call: Call) -> Any:
    """A copy without the "forwarded from" line; answers only the new message's id."""
    message_id = call.integer("message_id")
    caption = _caption(state, call) if call.has("caption") else None
    markup = _markup(call)
    source = state.chat(call.arg("from_chat_id"))
    chat = _writable(state, call)
    reply_to = _reply_to(chat, call)
    original = source.messages.get(message_id)
    if original is None or original.deleted:
        raise bad_request("message to copy not found")
    raw = original.raw
    photo = original.photo or _known_file(state, raw, "photo")
    document = original.document or _known_file(state, raw, "document")
    media = {k: raw[k] for k in _COPIED_AS_IS if k in raw}
    has_media = photo is not None or document is not None or bool(media)
    if original.text is None and not has_media:
        raise bad_request("message can't be copied")
    if caption is not None and has_media:
        _check_caption(caption)
    copy = state.add_bot_message(
        chat,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        photo=photo,
        document=document,
        media=media,
        text=None,
    )
    if original.text is not None:
        copy.text, copy.entities = original.text, list(original.entities)
    elif caption is not None:
        copy.caption, copy.caption_entities = caption.text or None, caption.api_entities()
        copy.html = call.arg("caption") or None
    else:
        copy.caption, copy.caption_entities = original.caption, list(original.caption_entities)
        if not copy.caption_entities and "caption_entities" in raw:
            copy.caption_entities = list(raw["caption_entities"])
    if original.text is not None and not copy.entities and "entities" in raw:
        copy.entities = list(raw["entities"])
    state.render(chat, copy)
    return {"message_id": copy.message_id}


@method("sendChatAction")
async def send_chat_action(state: BotState, call: Call) -> Any:
    action = call.arg("action").lower()
    if action not in _ACTIONS:
        raise bad_request("Wrong parameter action in request")
    chat = _writable(state, call)
    chat.actions.append(action)
    return True


def _message_to_edit(state: BotState, call: Call) -> tuple[ChatState, StoredMessage]:
    if not call.arg("chat_id") and call.integer("message_id") == 0:
        if not call.arg("inline_message_id"):
            raise bad_request("Message identifier is not specified")
        raise ApiError(400, "fake: editing inline messages is not implemented")
    chat = _writable(state, call)
    message = chat.messages.get(call.integer("message_id"))
    if message is None or message.deleted:
        raise bad_request("Message to edit not found")
    if not message.from_bot:
        raise bad_request("Message can't be edited")
    return chat, message


@method("editMessageText")
async def edit_message_text(state: BotState, call: Call) -> Any:
    source = call.arg("text")
    if not source:
        raise bad_request("Message text is empty")
    text = state.format(
        source, call.arg("parse_mode"), call.json_arg("entities", "entities"), allow_empty=False
    )
    markup = _inline_markup(call)
    chat, message = _message_to_edit(state, call)
    if message.text is None:
        raise bad_request("There is no text in the message to edit")
    if utf16_len(text.text) > MAX_TEXT:
        raise bad_request("Message is too long")
    entities = text.api_entities(state.users)
    if (text.text, entities, markup) == (message.text, message.entities, message.inline_keyboard):
        raise bad_request(NOT_MODIFIED)
    previous = message.text
    state.set_content(message, text=text)
    message.html, message.parse_mode = source, call.arg("parse_mode") or None
    message.reply_markup = markup  # an edit without reply_markup removes the keyboard
    state.edited(chat, message, previous)
    return message.to_api()


@method("editMessageCaption")
async def edit_message_caption(state: BotState, call: Call) -> Any:
    caption = _caption(state, call)
    markup = _inline_markup(call)
    chat, message = _message_to_edit(state, call)
    if message.document is None and message.photo is None:
        raise bad_request("There is no caption in the message to edit")
    _check_caption(caption)
    entities = caption.api_entities(state.users)
    old = (message.caption or "", message.caption_entities, message.inline_keyboard)
    if (caption.text, entities, markup) == old:
        raise bad_request(NOT_MODIFIED)
    previous = message.caption
    state.set_content(message, caption=caption)
    message.html, message.parse_mode = call.arg("caption") or None, call.arg("parse_mode") or None
    message.reply_markup = markup
    state.edited(chat, message, previous)
    return message.to_api()


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(state: BotState, call: Call) -> Any:
    markup = _inline_markup(call)
    chat, message = _message_to_edit(state, call)
    if markup == message.inline_keyboard:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    state.edited(chat, message, message.body)
    return message.to_api()


def _delete(state: BotState, chat: ChatState, message_id: int) -> bool:
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        return False
    message.deleted = True
    state.touch(chat, message)
    state.changed.fire()
    return True


@method("deleteMessage")
async def delete_message(state: BotState, call: Call) -> Any:
    if not call.arg("chat_id"):
        raise bad_request("Chat identifier is not specified")
    message_id = call.integer("message_id")
    if message_id <= 0:
        raise bad_request("Message identifier is not specified")
    if not _delete(state, state.chat(call.arg("chat_id")), message_id):
        raise bad_request("Message to delete not found")
    return True


@method("deleteMessages")
async def delete_messages(state: BotState, call: Call) -> Any:
    ids = call.json_arg("message_ids", "message_ids")
    if not ids:
        raise bad_request("Message identifiers are not specified")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise bad_request("Expected an Array of message identifiers")
    chat = state.chat(call.arg("chat_id"))
    for message_id in ids:  # Telegram skips the ones it cannot find
        _delete(state, chat, message_id)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(state: BotState, call: Call) -> Any:
    query = state.callback_queries.get(call.arg("callback_query_id"))
    if query is None or query.answered:
        raise bad_request(QUERY_INVALID)
    text = call.arg("text")
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {
        "text": text or None,
        "show_alert": call.flag("show_alert"),
        "url": call.arg("url") or None,
        "cache_time": call.integer("cache_time"),
    }
    state.changed.fire()
    return True


@method("getChat")
async def get_chat(state: BotState, call: Call) -> Any:
    chat = state.chat(call.arg("chat_id"))
    gifts = dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        True,
    )
    return chat.to_api() | {
        "accent_color_id": chat.id % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }
