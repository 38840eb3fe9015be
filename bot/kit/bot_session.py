"""aiogram's HTTP session, sending JSON bodies instead of url-encoded forms when there is no file.

aiogram posts every request as a form: each field (the text, the keyboard as a JSON string) is
percent-encoded by `urllib.parse.quote`, which calls a Python function per byte. For a Cyrillic
screen with a keyboard that is about 1,500 calls per reply; building a request this way took
about half the CPU it takes as JSON (a microbench of the main menu's sendMessage). cProfile
overstated it (it charges every per-byte call): measured end to end, /menu's CPU moved within the
noise and an answer's by a few per cent. The Bot API takes `application/json` bodies for every
method except uploads, so requests without a file go as one `json.dumps`; uploads (charts, calendar
files) keep aiogram's multipart form. What is sent is the same: the fields aiogram would drop from
a form (None, empty text) are dropped here too, and the bot's defaults (parse mode, link
previews) are filled in the same way.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

_JSON_HEADERS = {"Content-Type": "application/json"}


class JsonBodySession(AiohttpSession):
    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The request as JSON, or None when it carries a file (then it must be multipart)."""
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        # None is dropped anyway (aiogram's form skips it): not dumping it saves walking every
        # unset field of every keyboard button.
        dumped = method.model_dump(warnings=False, exclude_none=True)
        for key, value in dumped.items():
            prepared = self._plain(value, bot, files)
            # As aiogram's form: it leaves out None and empty text (false goes as "false").
            if prepared is not None and prepared != "":
                fields[key] = prepared
        if files:
            return None
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

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

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        # The same errors and the same response handling as aiogram's make_request.
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
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
