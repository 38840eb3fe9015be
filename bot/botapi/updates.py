"""The update queue behind getUpdates (and webhooks), with Telegram's long-polling rules.

- An update of a type outside ``allowed_updates`` is never queued (telegram-bot-api drops it
  when it is created); it goes to :attr:`UpdateQueue.dropped` instead.
- ``offset`` confirms: updates with a lower id are forgotten. A negative offset keeps only that
  many newest updates.
- A new getUpdates call ends a pending one with 409 Conflict, as when two bot instances poll.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from bot.botapi.errors import ApiError
from bot.botapi.models import Signal

# Without allowed_updates Telegram sends everything but these three.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
SUPERSEDED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_SET = "Conflict: terminated by setWebhook request"


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


@dataclass(eq=False)
class _Queued:
    update: dict[str, Any]
    forced: bool = False  # re-pushed duplicate: delivered once even below the offset
    delivered: bool = False

    @property
    def id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._entries: list[_Queued] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._generation = 0
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set
        self.dropped: list[dict[str, Any]] = []
        self.closing = False
        self.webhook_active = False
        self.waiting = 0  # getUpdates calls now held open (long polling)

    def is_allowed(self, kind: str) -> bool:
        return kind not in NOT_BY_DEFAULT if self.allowed is None else kind in self.allowed

    def set_allowed(self, value: Any) -> None:
        """allowed_updates as sent; absent keeps the previous setting, [] restores the default."""
        if isinstance(value, list):
            self.allowed = frozenset(str(v) for v in value) or None

    def continue_after(self, update_id: int) -> None:
        """New updates are numbered after ``update_id``, as Telegram's go on across restarts of
        the bot (local mode's server is new at each start; the bot remembers ids it handled)."""
        self._next_id = max(self._next_id, update_id + 1)

    def push(self, update: dict[str, Any]) -> int:
        update_id = int(update.get("update_id", self._next_id))
        update = {"update_id": update_id} | copy.deepcopy(update)
        self._next_id = max(self._next_id, update_id + 1)
        self._history[update_id] = update
        if self.is_allowed(update_type(update)):
            self._entries.append(_Queued(update))
        else:
            self.dropped.append(update)
        self._signal.fire()
        return update_id

    def repush(self, update_id: int) -> int:
        """Queues an earlier update again with the same id, as Telegram does after a failure."""
        self._entries.append(_Queued(copy.deepcopy(self._history[update_id]), forced=True))
        self._signal.fire()
        return update_id

    def update(self, update_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._history[update_id])

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(e.update) for e in self._ordered()]

    def clear(self) -> None:
        self._entries.clear()

    def confirm(self, offset: int) -> None:
        if offset < 0:
            self._entries = self._ordered()[offset:]
        elif offset > 0:
            self._entries = [
                e for e in self._entries if e.id >= offset or (e.forced and not e.delivered)
            ]

    def _ordered(self) -> list[_Queued]:
        return sorted(self._entries, key=lambda e: e.id)

    def take(self, limit: int) -> list[dict[str, Any]]:
        batch = self._ordered()[:limit]
        for entry in batch:
            entry.delivered = True
        return [copy.deepcopy(e.update) for e in batch]

    def first(self) -> _Queued | None:
        ordered = self._ordered()
        return ordered[0] if ordered else None

    def remove(self, entry: _Queued) -> None:
        if entry in self._entries:
            self._entries.remove(entry)

    async def poll(self, offset: int, limit: int, wait: int) -> list[dict[str, Any]]:
        """getUpdates: answers at once when updates wait, else when one arrives or on timeout."""
        self._generation += 1
        generation = self._generation
        self._signal.fire()  # an older pending poll sees it was superseded
        self.confirm(offset)

        def ready() -> list[dict[str, Any]] | None:
            if self.closing:
                return []
            if self.webhook_active:
                raise ApiError(409, WEBHOOK_SET)
            if generation != self._generation:
                raise ApiError(409, SUPERSEDED)
            return self.take(limit) if self._entries else None

        found = ready()
        if found is not None or wait <= 0:
            return found or []
        self.waiting += 1
        self._signal.fire()
        try:
            return await self._signal.wait_for(ready, wait)
        except TimeoutError:
            return []
        finally:
            self.waiting -= 1
            self._signal.fire()
