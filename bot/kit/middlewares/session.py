"""The unit of work of one update: one session, no transaction open during a Bot API call.

Handlers read and write through one `AsyncSession` per update; it is committed when the handler
returns and rolled back if it fails. What is new against a plain session-per-update: the moment a
handler calls the Bot API (a reply, an edit, a photo), the work done so far is committed first and
the connection goes back to the pool, so no database lock (SQLite has only one) and no pooled
connection waits on Telegram's 50–300 ms. Work after the call opens a new short transaction on
the same session, and what needs a sent message's id stores it there. This is decided once, here,
and not by commits sprinkled through handlers.

The same gate answers a pressed button first: before any other request of the update goes out,
the callback query is answered (with the text the handler set so far), so the spinner never waits
on other calls. See `bot/kit/middlewares/callbacks.py`.

Requests a handler makes from a task of its own (asyncio.gather, create_task) are not seen by
the gate, which may only commit from the update's task: send from the handler itself.

The update id is claimed inside the same transaction (Telegram delivers at least once): a repeat
is skipped, and a failed update releases its claim with the rollback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.kit import update_claims as updates

if TYPE_CHECKING:
    from bot.kit.middlewares.callbacks import PendingAnswer

log = logging.getLogger(__name__)


@dataclass
class UpdateScope:
    """What the gate in front of the Bot API needs to know about the update being handled."""

    session: AsyncSession
    task: asyncio.Task[Any] | None
    pending_answer: PendingAnswer | None = None

    def owns_current_task(self) -> bool:
        # A task a handler starts inherits the context; only the update's own task may commit
        # its session (an AsyncSession is not safe to share between tasks).
        return self.task is asyncio.current_task()

    async def before_network(self) -> None:
        """Ends the open transaction (if any): called before every Bot API request."""
        await release(self.session)


_scope: ContextVar[UpdateScope | None] = ContextVar("putokaz_update_scope", default=None)


def current_scope() -> UpdateScope | None:
    scope = _scope.get()
    return scope if scope is not None and scope.owns_current_task() else None


async def release(session: AsyncSession) -> None:
    """Commits the update's work so far before a slow wait that is not a Bot API call.

    For handlers that wait on something else (a per-person lock, a chart drawn in a thread):
    the same rule as for Telegram, no transaction held while waiting.
    """
    if session.in_transaction():
        await session.commit()


class UnitOfWork(BaseMiddleware):
    """One session per update, committed before any Bot API call and when the handler returns."""

    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        async with self.sessions() as session:
            scope = UpdateScope(session, asyncio.current_task())
            token = _scope.set(scope)
            data["session"] = session
            try:
                if not await updates.claim(session, event.update_id, self.clock.now()):
                    await session.rollback()
                    log.info("update %s was delivered again; skipped", event.update_id)
                    return None
                result = await handler(event, data)
            except BaseException:
                await session.rollback()
                raise
            finally:
                _scope.reset(token)
            await session.commit()
            return result


class CommitBeforeTelegram(BaseRequestMiddleware):
    """On the Bot's session: the update's transaction ends, and its button is answered, first."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        scope = current_scope()
        if scope is None:
            return await make_request(bot, method)
        await scope.before_network()
        pending = scope.pending_answer
        if pending is not None and method is not pending.outgoing:
            if pending.is_answer(method):
                if pending.answered:
                    # Answered already, before an earlier request: a second answer is refused.
                    return Response[TelegramType](ok=True, result=True)
                pending.answered = True
            elif not pending.answered and not pending.disabled:
                pending.start(bot)
        return await make_request(bot, method)
