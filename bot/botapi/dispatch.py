"""One API call from arguments to answer, in the order Telegram's front end and telegram-bot-api
apply: method lookup, injected failure, required parameters, flood limits, the method itself.
Every call is recorded, refused or not."""

from __future__ import annotations

import logging
import time
from typing import Any

# Imported for their @method registrations.
from bot.botapi import api_bot, api_messages  # noqa: F401
from bot.botapi.errors import (
    QUERY_INVALID,
    ApiError,
    bad_request,
    method_not_found,
    not_implemented,
)
from bot.botapi.faults import Failure, RateLimiter
from bot.botapi.models import RecordedRequest
from bot.botapi.params import Call, UploadedFile, decode_params
from bot.botapi.registry import HANDLERS, Described
from bot.botapi.spec import BotApiSpec, MethodSpec
from bot.botapi.state import BotState

# How telegram-bot-api words a missing required parameter, where it is not the generic
# 'parameter "x" is required'; keyed by field, or by (lower-cased method, field).
_MISSING: dict[Any, str] = {
    "chat_id": "chat_id is empty",
    "text": "Message text is empty",
    "callback_query_id": QUERY_INVALID,
    "action": "Wrong parameter action in request",
    "message_id": "Message identifier is not specified",
    "message_ids": "Message identifiers are not specified",
    "latitude": "Latitude is empty",
    "longitude": "Longitude is empty",
    "file_id": "Invalid file_id",
    ("deletemessage", "chat_id"): "Chat identifier is not specified",
}
for _kind in ("document", "photo", "audio", "video", "voice", "animation", "sticker"):
    _MISSING[_kind] = f"There is no {_kind} in the request"
# Required by the documentation, optional for the server: an empty value has a meaning.
_NOT_ENFORCED = frozenset({("setmycommands", "commands"), ("setwebhook", "url")})

_log = logging.getLogger(__name__)

Outcome = tuple[int, dict[str, Any], str | None]  # status, JSON body, literal body if any


class Executor:
    def __init__(self, state: BotState, spec: BotApiSpec | None, limiter: RateLimiter) -> None:
        self.state = state
        self.spec = spec
        self.limiter = limiter
        self.failures: list[Failure] = []

    def _take_failure(self, method: str, raw: dict[str, str]) -> Failure | None:
        for failure in self.failures:
            if failure.matches(method, raw.get("chat_id", "")):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    @staticmethod
    def _check_required(spec: MethodSpec, call: Call) -> None:
        lower = spec.name.lower()
        missing = [
            f.name
            for f in spec.fields
            if f.required
            and (lower, f.name) not in _NOT_ENFORCED
            and not call.arg(f.name)
            and f.name not in call.files
        ]
        missing.sort(key=lambda name: name == "chat_id")  # the server resolves the chat last
        if missing:
            name = missing[0]
            wording = _MISSING.get((lower, name)) or _MISSING.get(name)
            raise bad_request(wording or f'Parameter "{name}" is required')

    async def execute(
        self, name: str, raw: dict[str, str], files: dict[str, UploadedFile]
    ) -> Outcome:
        lower = name.lower()
        spec = self.spec.method(lower) if self.spec is not None else None
        registered = HANDLERS.get(lower)
        canonical = registered[0] if registered else spec.name if spec else name
        literal = None
        try:
            if self.spec is not None and spec is None and registered is None:
                raise method_not_found()
            failure = self._take_failure(lower, raw)
            if failure is not None:
                literal = failure.body
                raise failure.error
            call = Call(canonical, raw, files)
            if spec is not None:
                self._check_required(spec, call)
            if registered is None:
                raise not_implemented(canonical)
            chat = raw.get("chat_id", "")
            self.limiter.check(lower, chat)
            result = await registered[1](self.state, call)
            self.limiter.record(lower, chat)
            status, body = 200, {"ok": True, "result": result}
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
        except ApiError as error:
            status, body = error.code, error.body()
        except Exception as error:  # a bug in the fake: answer so that the test shows it
            _log.exception("fake Telegram failed on %s", canonical)
            status = 500
            body = ApiError(500, f"fake: internal error in {canonical}: {error!r}").body()
        self.record(canonical, raw, files, status, body)
        return status, body, literal

    def record(
        self,
        method: str,
        raw: dict[str, str],
        files: dict[str, UploadedFile],
        status: int,
        body: dict[str, Any],
    ) -> None:
        if not self.state.record_requests:
            self.state.changed.fire()
            return
        spec = self.spec.method(method) if self.spec is not None else None
        index = len(self.state.requests)
        self.state.requests.append(
            RecordedRequest(
                index,
                method,
                decode_params(raw, spec),
                dict(files),
                status,
                body,
                time.monotonic(),
            )
        )
        self.state.changed.fire()
