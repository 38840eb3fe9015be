"""Request parameters, read the way telegram-bot-api reads them.

Telegram accepts a query string, url-encoded or multipart forms and JSON bodies alike; every
value ends up as a string (JSON values are re-serialised), and complex fields such as
``reply_markup`` are JSON text inside that string. Handlers read the strings through
:class:`Call`; :func:`decode_params` turns them into Python values for the request log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.botapi.errors import bad_request
from bot.botapi.spec import MethodSpec

_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?")
# Used to decode logged parameters when the Bot API spec is not available.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "from_chat_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
        "duration",
        "width",
        "height",
    }
)
_TEXT_FIELDS = frozenset({"text", "caption", "callback_query_id", "description", "url", "data"})


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One API call: the method and its raw string arguments."""

    method: str
    raw: dict[str, str]
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.raw

    def arg(self, name: str) -> str:
        return self.raw.get(name, "")

    def integer(self, name: str, default: int = 0) -> int:
        """Like td::to_integer: leading digits count, anything unparsable is 0."""
        value = self.raw.get(name, "")
        if not value:
            return default
        match = re.match(r"-?\d+", value)
        return int(match.group()) if match else 0

    def flag(self, name: str) -> bool:
        return self.raw.get(name, "").strip().lower() in ("true", "yes", "1")

    def json_arg(self, name: str, what: str) -> Any:
        """The decoded JSON value, None if absent; a refusal worded after ``what`` if invalid."""
        value = self.raw.get(name, "")
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"Can't parse {what} JSON object") from None

    def file(self, name: str) -> tuple[UploadedFile | None, str]:
        """An uploaded file (direct or ``attach://``), or the file_id/URL string given instead."""
        value = self.raw.get(name, "")
        if value.startswith("attach://"):
            return self.files.get(value[len("attach://") :]), ""
        if value:
            return None, value
        return self.files.get(name), ""


def _stringify(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def read_arguments(request: web.Request) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    raw: dict[str, str] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return raw, files
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        if isinstance(body, dict):
            raw.update({k: _stringify(v) for k, v in body.items() if v is not None})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                files[name] = UploadedFile(name, value.filename, value.content_type, data)
            else:
                raw[name] = str(value)
    return raw, files


def _decode(name: str, value: str, types: tuple[str, ...] | None, is_json: bool) -> Any:
    if types is None:  # no spec: guess from the name and the look of the value
        if name in _TEXT_FIELDS:
            return value
        if name in _INT_FIELDS and _INT.fullmatch(value):
            return int(value)
        if value in ("true", "false"):
            return value == "true"
        is_json = value[:1] in ("{", "[")
    if is_json:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if types and "Integer" in types and _INT.fullmatch(value):
        return int(value)
    if types and "Float" in types and _FLOAT.fullmatch(value):
        return float(value)
    if types and ("Boolean" in types or "True" in types) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def decode_params(raw: dict[str, str], spec: MethodSpec | None) -> dict[str, Any]:
    decoded = {}
    for name, value in raw.items():
        known = spec.field(name) if spec is not None else None
        types = known.types if known is not None else None
        decoded[name] = _decode(name, value, types, known.is_json if known is not None else False)
    return decoded
