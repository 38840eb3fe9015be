"""aiogram's HTTP session, sending JSON bodies instead of url-encoded forms when there is no file.

aiogram posts every request as a form: each field (the text, the keyboard as a JSON string) is
percent-encoded by `urllib.parse.quote`, which calls a Python function per byte. For a Cyrillic
screen with a keyboard that is about 1,500 calls per reply; building a request this way took
about half the CPU it takes as JSON (a microbench of the main menu's sendMessage). cProfile
overstated it (it charges every per-byte call): measured end to end, /menu's CPU moved within the
noise and an answer's by a few per cent. The Bot API takes `application/json` bodies for every
method except uploads, so requests without a file go as one `json.dumps`. Uploads from memory
(charts, calendar files) go as the multipart form aiogram would build, but joined into one body
here: aiohttp's form walked the request a second time and wrote the file in chunks, a socket
write each. What is sent is the same: the fields aiogram would drop from a form (None, empty
text) are dropped here too, and the bot's defaults (parse mode, link previews) are filled in
the same way.

`unread` sends a request whose result nobody reads (the screen a button edits, the calendar file
of a booking): a successful answer is then not parsed into a Message with its keyboard, which
took about as much CPU as building and sending the request (bench/booking.py). Errors are
parsed and raised as always (429, 400, 403, 5xx), so retries and refusals are the same.
"""

from __future__ import annotations

import json
import re
import secrets
from contextvars import ContextVar
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import Response, TelegramType
from aiogram.types import BufferedInputFile, InputFile
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

_JSON_HEADERS = {"Content-Type": "application/json"}

# The request (this very object) whose successful answer is not parsed; a request started from
# inside it (the button's answer, which goes first) is another object and is parsed as usual.
_unread: ContextVar[object] = ContextVar("putokaz_unread_result", default=None)
# What such a request returns: one object, built once (only its `result`, None, is read).
_SUCCEEDED: Response[Any] = Response[Any](ok=True)


async def unread(method: TelegramMethod[Any]) -> None:
    """Sends `method` (bound to a bot, as `message.edit_text(...)` returns it) for its effect
    only: its result is not parsed. Errors are raised as by `await method`."""
    token = _unread.set(method)
    try:
        await method
    finally:
        _unread.reset(token)


class JsonBodySession(AiohttpSession):
    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The request as JSON, or None when it carries a file (then it must be multipart)."""
        fields, files = self._fields(bot, method)
        return None if files else _json(fields)

    def _fields(
        self, bot: Bot, method: TelegramMethod[Any]
    ) -> tuple[dict[str, Any], dict[str, InputFile]]:
        """The request's fields as plain JSON values, and its files by their attach:// name."""
        files: dict[str, InputFile] = {}
        fields: dict[str, Any] = {}
        # None is dropped anyway (aiogram's form skips it): not dumping it saves walking every
        # unset field of every keyboard button.
        dumped = method.model_dump(warnings=False, exclude_none=True)
        for key, value in dumped.items():
            prepared = self._plain(value, bot, files)
            # As aiogram's form: it leaves out None and empty text (false goes as "false").
            if prepared is not None and prepared != "":
                fields[key] = prepared
        return fields, files

    def _plain(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """aiogram's `prepare_value` without dumping, with a short way for plain JSON values:
        the walk over a keyboard's buttons was most of the cost of building a request."""
        if value is None or isinstance(value, str | int | float):
            return value  # bool is an int; a str enum is a str, dumped as its value
        if isinstance(value, dict):
            return {
                key: prepared
                for key, item in value.items()
                if (prepared := self._plain(item, bot, files)) is not None
            }
        if isinstance(value, list):
            items = (self._plain(item, bot, files) for item in value)
            return [prepared for prepared in items if prepared is not None]
        # Defaults (parse mode), files, enums, dates and models: aiogram's own rules.
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        if _unread.get() is method and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                answer = self.json_loads(content)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True:
                return cast("Response[TelegramType]", _SUCCEEDED)
        return super().check_response(
            bot=bot, method=method, status_code=status_code, content=content
        )

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        fields, files = self._fields(bot, method)
        if not files:
            body, headers = _json(fields), _JSON_HEADERS
        else:
            form = _multipart(fields, files)
            if form is None:
                return await super().make_request(bot, method, timeout)
            body, headers = form
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        # The same errors and the same response handling as aiogram's make_request.
        try:
            async with session.post(
                url,
                data=body,
                headers=headers,
                # A number is what aiogram passes too (aiohttp makes it a total timeout).
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise TelegramNetworkError(method=method, message=message) from exc
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)


def _json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


# A file name that goes into the part's header as it is (aiohttp would quote others).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._ -]+")


def _multipart(
    fields: dict[str, Any], files: dict[str, InputFile]
) -> tuple[bytes, dict[str, str]] | None:
    """The form aiogram would send for an upload, as one body: fields as aiogram's form has them
    (text as it is, other values as JSON text), then the files. aiohttp's form sent the file in
    chunks, each part a write of its own; this is a few joins. None for a file not in memory or
    with a name that needs quoting: aiogram's form then."""
    if not all(
        isinstance(file, BufferedInputFile) and _PLAIN_NAME.fullmatch(file.filename or key)
        for key, file in files.items()
    ):
        return None
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for key, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n'
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n".encode()
        )
        parts.append(text.encode())
        parts.append(b"\r\n")
    for key, file in files.items():
        assert isinstance(file, BufferedInputFile)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
            f'filename="{file.filename or key}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        parts.append(file.data)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
