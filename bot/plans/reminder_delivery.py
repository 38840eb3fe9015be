"""The reminder queue's rules: what is claimed, what each outcome writes, who gets a digest.

The sender (bot/reminder_sender.py) does the Telegram part and pacing, and calls only these, each
in a short transaction of its own; the rows themselves are in reminder_rows.py. A reminder is a
row first (issue 10): claimed with a token and a lease, held just before it goes out, finished
or handed back right after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import queries as users
from bot.people.models import Role, User
from bot.plans import reminder_rows
from bot.plans import rules as plans
from bot.plans.models import ReminderStatus, Task
from bot.plans.reminder_rows import Claimed

MAX_ATTEMPTS = 5


class Outcome(Enum):
    SENT = "sent"
    CANCELLED = "cancelled"  # the task or booking no longer wants it
    BLOCKED = "blocked"
    FAILED = "failed"  # refused by Telegram for good
    RETRY = "retry"  # 429: back in the queue after retry_after
    ERROR = "error"  # 5xx or network: back in the queue after a growing delay
    LOST = "lost"  # taken over or moved meanwhile: not ours to send or to record


@dataclass(frozen=True)
class Result:
    claimed: Claimed
    outcome: Outcome
    retry_at: datetime | None = None


_FINAL = {
    Outcome.SENT: ReminderStatus.SENT,
    Outcome.CANCELLED: ReminderStatus.CANCELLED,
    Outcome.BLOCKED: ReminderStatus.SKIPPED,
    Outcome.FAILED: ReminderStatus.FAILED,
}


def backoff(attempts: int) -> timedelta:
    """After a 5xx or a network error: 5 s, 15 s, 45 s, 135 s."""
    return timedelta(seconds=min(600, 5 * 3 ** max(0, attempts - 1)))


async def claim_due(
    session: AsyncSession, now: datetime, batch: int, lease: timedelta
) -> list[Claimed]:
    """Due reminders, at most `batch`, each with this claim's token and a lease."""
    return await reminder_rows.claim(session, now, batch, lease, reminder_rows.new_token())


async def hold(
    session: AsyncSession, items: list[Claimed], now: datetime, lease: timedelta
) -> set[int]:
    """The rows of `items` still ours, their lease pushed ahead."""
    return await reminder_rows.hold(session, items, now, lease)


async def record(
    session: AsyncSession,
    results: Sequence[Result],
    left: Sequence[Claimed],
    left_due: datetime,
    now: datetime,
) -> None:
    """Each outcome, and rows handed back unsent (due again at `left_due`)."""
    for result in results:
        claimed = result.claimed
        if result.outcome in _FINAL:
            await reminder_rows.finish(session, [claimed], _FINAL[result.outcome], now)
            if result.outcome == Outcome.BLOCKED and claimed.user.is_active:
                await users.set_active(session, claimed.user.telegram_id, False)
        elif result.outcome == Outcome.RETRY and result.retry_at is not None:
            await reminder_rows.release(session, [claimed], result.retry_at, counted=False)
        elif result.outcome == Outcome.ERROR:
            attempts = claimed.reminder.attempts
            if attempts >= MAX_ATTEMPTS:
                await reminder_rows.finish(session, [claimed], ReminderStatus.FAILED, now)
            else:
                await reminder_rows.release(
                    session, [claimed], now + backoff(attempts), counted=True
                )
    if left:
        await reminder_rows.release(session, list(left), left_due, counted=False)


# Mentors' morning digest


async def mentors(session: AsyncSession) -> Sequence[User]:
    """Mentors who may get a digest: active, and agreed to the privacy notice."""
    return (
        await session.scalars(
            select(User).where(
                User.role == Role.MENTOR,
                User.is_active.is_(True),
                User.consent_at.is_not(None),
            )
        )
    ).all()


async def claim_digest(
    session: AsyncSession, mentor_id: int, day: date, now: datetime, lease: timedelta, token: str
) -> int | None:
    return await reminder_rows.claim_digest(session, mentor_id, day, now, lease, token)


async def late_tasks(
    session: AsyncSession, mentor_id: int, ctx: plans.Context
) -> list[tuple[User, Task]]:
    """What the digest lists: the mentor's young people's overdue tasks."""
    return await plans.overdue_for_mentor(session, mentor_id, ctx)


async def hold_digest(
    session: AsyncSession, digest_id: int, token: str, now: datetime, lease: timedelta
) -> bool:
    return await reminder_rows.hold_digest(session, digest_id, token, now, lease)


async def digest_written(
    session: AsyncSession,
    digest_id: int,
    now: datetime,
    *,
    done: bool = False,
    release: str | None = None,
    unreachable: User | None = None,
) -> None:
    """Sent (or given up for today), or handed back; a mentor who cannot be reached is marked."""
    if unreachable is not None:
        await users.set_active(session, unreachable.telegram_id, False)
    if done:
        await reminder_rows.digest_done(session, digest_id, now)
    elif release is not None:
        await reminder_rows.release_digest(session, digest_id, release)
