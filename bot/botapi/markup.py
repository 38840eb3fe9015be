"""reply_markup checks, in telegram-bot-api's order: first its own parsing of the JSON (refusals
such as "can't parse inline keyboard button: ..."), then the checks Telegram's servers make
(``BUTTON_DATA_INVALID`` for callback data over 64 bytes)."""

from __future__ import annotations

from typing import Any

from bot.botapi.errors import bad_request
from bot.botapi.html import checked_link

# Any one of these makes an inline button usable; without one it is a "text button".
_INLINE_KINDS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "login_url",
    "web_app",
    "copy_text",
)
_NON_EMPTY = frozenset({"url", "callback_data"})  # an empty string counts as absent


def _text(button: dict[str, Any], where: str) -> None:
    if "text" not in button:
        raise bad_request(f"Can't parse {where}: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request(f'Can\'t parse {where}: Field "text" must be of type String')


def _inline_kind(button: Any) -> str:
    where = "inline keyboard button"
    if not isinstance(button, dict):
        raise bad_request(f"Can't parse {where}: InlineKeyboardButton must be an Object")
    _text(button, where)
    for kind in _INLINE_KINDS:
        if kind in button and (kind not in _NON_EMPTY or button[kind] not in ("", None)):
            return kind
    raise bad_request(f"Can't parse {where}: Text buttons are unallowed in the inline keyboard")


def _rows(markup: dict[str, Any], key: str, message: str) -> list[list[Any]]:
    rows = markup.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(message)
    return rows


def _server_checks(rows: list[list[Any]]) -> None:
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data and len(str(data).encode("utf-8")) > 64:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url and not str(url).lower().startswith("tg:") and checked_link(str(url)) is None:
                raise bad_request("BUTTON_URL_INVALID")


def check_reply_markup(value: Any) -> dict[str, Any] | None:
    """The markup to attach, or None when it asks for nothing (like an empty keyboard)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("Object expected as reply markup")
    keyboard = _rows(value, "keyboard", 'Field "keyboard" must be an Array of Arrays')
    for row in keyboard:
        for button in row:
            if isinstance(button, dict):
                _text(button, "keyboard button")
            elif not isinstance(button, str):
                raise bad_request(
                    "Can't parse keyboard button: KeyboardButton must be a String or an Object"
                )
    inline = _rows(
        value,
        "inline_keyboard",
        'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
    )
    for row in inline:
        for button in row:
            _inline_kind(button)
    if keyboard:
        return value
    if inline:
        _server_checks(inline)
        return {"inline_keyboard": inline}
    if value.get("remove_keyboard") or value.get("hide_keyboard"):
        return value
    if value.get("force_reply"):
        return value
    return None
