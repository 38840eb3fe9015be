"""The sending queue's rules: who is claimed next, what an outcome writes, when a broadcast is done.

The sender (bot/broadcasts/telegram/sender.py) does the Telegram part and calls only these, in
short transactions of its own; the rows themselves are in queries.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts import queries as rows
from bot.broadcasts.models import Broadcast, BroadcastStatus
from bot.broadcasts.queries import Claimed, Outcome
from bot.broadcasts.rules import Signature, signature
from bot.people.models import User


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    author: User | None  # None: nobody to report to (gone, or blocked the bot)
    counts: dict[str, int]


async def author_of(session: AsyncSession, broadcast: Broadcast) -> User | None:
    """Who is told how sending goes: the author, while they still use the bot."""
    if broadcast.author_id is None:
        return None
    author = await session.get(User, broadcast.author_id)
    if author is None or not author.is_active:
        return None
    return author


async def claim_fairly(
    session: AsyncSession, now: datetime, lease: timedelta, batch: int, token: str
) -> list[Claimed]:
    """Up to `batch` recipients, shared out between the broadcasts being sent: a mentor's five
    messages do not wait behind an announcement to thousands."""
    active = await rows.sending_ids(session)
    if not active:
        return []
    share = max(1, math.ceil(batch / len(active)))
    claimed: list[Claimed] = []
    for broadcast_id in active:
        claimed += await rows.claim(session, broadcast_id, now, lease, share, token)
    return claimed


async def content(
    session: AsyncSession, broadcast_id: int
) -> tuple[Broadcast, dict[str, str], Signature] | None:
    """The broadcast, its text per language and who it comes from."""
    broadcast = await rows.get(session, broadcast_id)
    if broadcast is None:
        return None
    return broadcast, await rows.texts(session, broadcast_id), await signature(session, broadcast)


async def record(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    await rows.record(session, outcomes, now)


async def report_at(
    session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """The message that shows the author the progress, edited as sending goes on."""
    found = await rows.get(session, broadcast_id)
    if found is not None:
        found.report_chat_id = chat_id
        found.report_message_id = message_id


async def progress(session: AsyncSession, broadcast_id: int) -> Progress | None:
    """Counts so far of a broadcast still being sent; None once it is not."""
    broadcast = await rows.get(session, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return None
    counts = await rows.counts(session, broadcast_id)
    return Progress(broadcast, await author_of(session, broadcast), counts)


async def finish_ready(session: AsyncSession, now: datetime) -> list[Progress]:
    """Broadcasts with nobody left to send to are done; each with its final counts."""
    finished = await rows.finish_ready(session, now)
    return [
        Progress(b, await author_of(session, b), await rows.counts(session, b.id)) for b in finished
    ]
