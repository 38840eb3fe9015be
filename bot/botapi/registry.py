"""The Bot API methods the fake implements, registered by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.botapi.params import Call
from bot.botapi.state import BotState

Handler = Callable[[BotState, Call], Awaitable[Any]]

# Lower-cased name -> (name as documented, handler); Telegram ignores the case of method names.
HANDLERS: dict[str, tuple[str, Handler]] = {}


@dataclass(frozen=True)
class Described:
    """A result Telegram sends with a description, like setWebhook's "Webhook was set"."""

    result: Any
    description: str


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name.lower()] = (name, handler)
        return handler

    return register
