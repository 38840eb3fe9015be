"""The bot itself: getMe, getting updates, webhooks, commands, menu button, files."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from bot.botapi.errors import CHAT_NOT_FOUND, ApiError, bad_request
from bot.botapi.html import checked_link
from bot.botapi.params import Call
from bot.botapi.registry import Described, method
from bot.botapi.state import BotState

_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
_SIMPLE_SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})


def _allowed_updates(call: Call) -> Any:
    try:  # telegram-bot-api ignores a malformed allowed_updates
        return json.loads(call.arg("allowed_updates")) if call.arg("allowed_updates") else None
    except ValueError:
        return None


@method("getMe")
async def get_me(state: BotState, call: Call) -> Any:
    return state.bot_user | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
async def log_out(state: BotState, call: Call) -> Any:
    return True


@method("close")
async def close(state: BotState, call: Call) -> Any:
    return True


@method("getUpdates")
async def get_updates(state: BotState, call: Call) -> Any:
    if state.webhook.url:
        raise ApiError(409, _WEBHOOK_CONFLICT)
    if state.first_get_updates_at is None:
        state.first_get_updates_at = time.monotonic()
    state.updates.set_allowed(_allowed_updates(call))
    limit = min(max(call.integer("limit", 100), 1), 100)
    timeout = min(max(call.integer("timeout"), 0), 50)
    return await state.updates.poll(call.integer("offset"), limit, timeout)


def _check_webhook_url(state: BotState, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and state.allow_http_webhooks:
        return  # a test-only relaxation: real Telegram needs HTTPS on a few ports
    if parts.scheme != "https":
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in (80, 88, 443, 8443):
        raise ApiError(
            400,
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        )


def _set_webhook(state: BotState, call: Call, url: str) -> Described:
    if url:
        _check_webhook_url(state, url)
    hook = state.webhook
    max_connections = min(max(call.integer("max_connections", 40), 1), 100) if url else 40
    secret = call.arg("secret_token") if url else ""
    drop = call.flag("drop_pending_updates")
    state.updates.set_allowed(_allowed_updates(call))
    current = (hook.url, hook.max_connections, hook.secret_token)
    if (url, max_connections, secret) == current and not drop:
        return Described(True, "Webhook is already set" if url else "Webhook is already deleted")
    if drop:
        state.updates.clear()
    hook.url, hook.max_connections, hook.secret_token = url, max_connections, secret
    hook.ip_address = call.arg("ip_address") if url else ""
    hook.last_error_date = hook.last_error_message = None
    state.updates.webhook_active = bool(url)
    state.changed.fire()
    state.on_webhook_change()
    return Described(True, "Webhook was set" if url else "Webhook was deleted")


@method("setWebhook")
async def set_webhook(state: BotState, call: Call) -> Any:
    return _set_webhook(state, call, call.arg("url"))


@method("deleteWebhook")
async def delete_webhook(state: BotState, call: Call) -> Any:
    return _set_webhook(state, call, "")


@method("getWebhookInfo")
async def get_webhook_info(state: BotState, call: Call) -> Any:
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates.pending),
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if state.updates.allowed is not None:
            info["allowed_updates"] = sorted(state.updates.allowed)
    return info


def command_scope_key(state: BotState, call: Call) -> str:
    """A canonical key for the scope of setMyCommands and friends; checks like Telegram."""
    scope = call.json_arg("scope", "BotCommandScope")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("Can't parse BotCommandScope: BotCommandScope must be an Object")
    kind = scope.get("type")
    if not isinstance(kind, str):
        raise bad_request("Can't parse BotCommandScope: Can't find field \"type\"")
    if kind in _SIMPLE_SCOPES:
        return json.dumps({"type": kind})
    if kind not in _CHAT_SCOPES:
        raise bad_request("Can't parse BotCommandScope: Unsupported type specified")
    chat_id = str(scope.get("chat_id", ""))
    if not chat_id:
        raise bad_request("Can't parse BotCommandScope: Empty chat_id specified")
    user_id = scope.get("user_id")
    if kind == "chat_member" and (not isinstance(user_id, int) or user_id <= 0):
        raise bad_request("Can't parse BotCommandScope: Invalid user_id specified")
    return scope_key({"type": kind, "chat_id": state.chat(chat_id).id, "user_id": user_id})


def scope_key(scope: dict[str, Any]) -> str:
    """Scopes naming the same chats compare equal, whatever the JSON looked like."""
    kind = scope.get("type", "default")
    if kind not in _CHAT_SCOPES:
        return json.dumps({"type": kind})
    key = {"type": kind, "chat_id": int(scope["chat_id"])}
    if kind == "chat_member":
        key["user_id"] = int(scope["user_id"])
    return json.dumps(key, sort_keys=True)


def _language(call: Call) -> str:
    language = call.arg("language_code")
    if language and not (len(language) == 2 and language.isascii() and language.isalpha()):
        raise bad_request("Invalid language code specified")
    return language


def _commands(call: Call) -> list[dict[str, str]]:
    given = call.json_arg("commands", "commands")
    if given is None:
        return []
    if not isinstance(given, list):
        raise bad_request("Expected an Array of BotCommand")
    commands = []
    for item in given:
        if not isinstance(item, dict):
            raise bad_request("Can't parse BotCommand: expected an Object")
        for name in ("command", "description"):
            if not isinstance(item.get(name), str):
                raise bad_request(f"Can't parse BotCommand: Can't find field \"{name}\"")
        command = item["command"].strip().removeprefix("/")
        description = item["description"].strip()
        if not command:
            raise bad_request("Command must be non-empty")
        if len(command) > 32:
            raise bad_request("Command length must not exceed 32")
        if not description:
            raise bad_request("Command description must be non-empty")
        if len(description) > 256:
            raise bad_request("Command description length must not exceed 256")
        commands.append({"command": command, "description": description})
    # Telegram's servers then refuse what is not lowercase letters, digits and underscores.
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789_")
    if any(not set(c["command"]) <= allowed for c in commands):
        raise bad_request("BOT_COMMAND_INVALID")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    return commands


@method("setMyCommands")
async def set_my_commands(state: BotState, call: Call) -> Any:
    commands = _commands(call)
    key = (command_scope_key(state, call), _language(call))
    if commands:
        state.commands[key] = commands
    else:  # an empty list deletes, like deleteMyCommands
        state.commands.pop(key, None)
    return True


@method("deleteMyCommands")
async def delete_my_commands(state: BotState, call: Call) -> Any:
    state.commands.pop((command_scope_key(state, call), _language(call)), None)
    return True


@method("getMyCommands")
async def get_my_commands(state: BotState, call: Call) -> Any:
    return state.commands.get((command_scope_key(state, call), _language(call)), [])


def _menu_button(call: Call) -> dict[str, Any]:
    button = call.json_arg("menu_button", "menu button")
    if button is None:
        return {"type": "default"}
    if not isinstance(button, dict):
        raise bad_request("Can't parse menu button: MenuButton must be an Object")
    kind = button.get("type")
    if kind in ("default", "commands"):
        return {"type": kind}
    if kind != "web_app":
        raise bad_request("Can't parse menu button: MenuButton has unsupported type")
    web_app = button.get("web_app")
    if not isinstance(button.get("text"), str) or not isinstance(web_app, dict):
        raise bad_request("Can't parse menu button: Can't find field \"web_app\"")
    url = web_app.get("url")
    if not isinstance(url, str):
        raise bad_request("Can't parse menu button: Can't find field \"url\"")
    # A Mini App opens only from a public https address, as in an inline button.
    if not url.lower().startswith("https://") or checked_link(url) is None:
        raise bad_request("BUTTON_URL_INVALID")
    return {"type": "web_app", "text": button["text"], "web_app": {"url": url}}


def _menu_chat(state: BotState, call: Call) -> int:
    user_id = call.integer("chat_id")
    if user_id <= 0:
        raise bad_request("Invalid chat_id specified")
    chat = state.chats.get(user_id)
    if chat is None or not chat.known:
        raise bad_request(CHAT_NOT_FOUND)
    return user_id


@method("setChatMenuButton")
async def set_chat_menu_button(state: BotState, call: Call) -> Any:
    button = _menu_button(call)
    if call.has("chat_id"):
        chat = state.chats[_menu_chat(state, call)]
        chat.menu_button = None if button["type"] == "default" else button
    else:
        state.menu_button = {"type": "commands"} if button["type"] == "default" else button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(state: BotState, call: Call) -> Any:
    if call.has("chat_id"):
        chat = state.chats[_menu_chat(state, call)]
        return chat.menu_button or state.menu_button
    return state.menu_button


@method("getFile")
async def get_file(state: BotState, call: Call) -> Any:
    stored = state.files.get(call.arg("file_id"))
    if stored is None:
        raise bad_request("Invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


def _bot_text(field: str) -> None:
    """Registers setMy<Field> and getMy<Field>, stored per language."""
    title = "".join(part.title() for part in field.split("_"))

    async def setter(state: BotState, call: Call) -> Any:
        state.bot_texts[(field, _language(call))] = call.arg(field)
        return True

    async def getter(state: BotState, call: Call) -> Any:
        return {field: state.bot_texts.get((field, _language(call)), "")}

    method(f"setMy{title}")(setter)
    method(f"getMy{title}")(getter)


for _field in ("name", "description", "short_description"):
    _bot_text(_field)
