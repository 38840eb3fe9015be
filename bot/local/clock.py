"""Local mode's clock: the real time plus an offset that only ever grows.

Moving it forward makes the bot live in that future: reminders, digests, waitlist offers and
scheduled announcements come due as they would. The offset is kept in a file beside the local
database, so that a restart does not send the bot back in time.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path


class MovableClock:
    def __init__(self, store: Path | None = None, offset: timedelta = timedelta(0)) -> None:
        self._store = store
        self.offset = offset

    @classmethod
    def load(cls, store: Path) -> MovableClock:
        offset = timedelta(0)
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            seconds = float(json.loads(store.read_text(encoding="utf-8"))["offset_seconds"])
            offset = timedelta(seconds=max(0.0, seconds))
        return cls(store, offset)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def timestamp(self) -> float:
        """Seconds since the epoch, for the Bot API server's message dates."""
        return self.now().timestamp()

    def move(self, by: timedelta) -> datetime:
        """Forward only: a clock going back would make due things undue again."""
        if by > timedelta(0):
            self.offset += by
            self._save()
        return self.now()

    def move_to(self, moment: datetime) -> datetime:
        return self.move(moment - self.now())

    def _save(self) -> None:
        if self._store is None:
            return
        self._store.parent.mkdir(parents=True, exist_ok=True)
        payload = {"offset_seconds": self.offset.total_seconds()}
        self._store.write_text(json.dumps(payload), encoding="utf-8")
