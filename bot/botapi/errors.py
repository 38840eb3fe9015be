"""Refusals worded the way telegram-bot-api words them.

The server builds descriptions as "<Prefix>: <message>" and lowers the message's first letter
unless it is an UPPER_CASE error code from Telegram's servers (``BUTTON_DATA_INVALID``), so
``bad_request("Message text is empty")`` gives ``Bad Request: message text is empty``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

_PREFIXES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """A refusal: becomes ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def describe(code: int, message: str) -> str:
    prefix = _PREFIXES.get(code) or _phrase(code)
    if not message or message.startswith(prefix):
        return message or prefix
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return f"{prefix}: {message}"
    return f"{prefix}: {message[0].lower()}{message[1:]}"


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def bad_request(message: str) -> ApiError:
    return ApiError(400, describe(400, message))


def forbidden(message: str) -> ApiError:
    return ApiError(403, describe(403, message))


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def not_implemented(method: str) -> ApiError:
    # Deliberately not Telegram's wording: a test must notice the fake lacks the method.
    return ApiError(400, f"fake: method {method} is not implemented")


def method_not_found() -> ApiError:
    return ApiError(404, "Not Found: method not found")


CHAT_NOT_FOUND = "Chat not found"
BLOCKED = "bot was blocked by the user"
DEACTIVATED = "user is deactivated"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
