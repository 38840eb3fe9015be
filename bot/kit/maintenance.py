"""Periodic clean-up: nothing is kept longer than it is needed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit import update_claims as updates
from bot.people import mentor_line
from bot.people import queries as users


async def forget_old_updates(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    return await updates.forget_before(session, now - keep)


async def drop_unconsented(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    """People who never agreed leave only an id and a language; those go after a while."""
    return await users.delete_unconsented_before(session, now - keep)


async def forget_mentor_line(session: AsyncSession, now: datetime) -> int:
    """Which relayed message answers which is kept for MENTOR_LINE_DAYS, then dropped."""
    return await mentor_line.forget_old(session, now)
