"""Announcement figures for the desk's reports: how many staff announcements reached how many of
the cohort's young people during the period (a mentor's own messages are not announcements)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.models import Broadcast, BroadcastKind, BroadcastRecipient, RecipientStatus
from bot.people.figures import Cohort, Period, in_cohort
from bot.people.models import User


@dataclass(frozen=True)
class AnnouncementFigures:
    announcements: int  # with at least one delivery in the period
    delivered: int  # messages Telegram accepted


async def announcements(
    session: AsyncSession, cohort: Cohort, period: Period
) -> AnnouncementFigures:
    row = (
        await session.execute(
            select(func.count(func.distinct(BroadcastRecipient.broadcast_id)), func.count())
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .join(User, User.id == BroadcastRecipient.user_id)
            .where(
                in_cohort(cohort),
                Broadcast.kind == BroadcastKind.ANNOUNCEMENT,
                BroadcastRecipient.status == RecipientStatus.SENT,
                BroadcastRecipient.sent_at >= period.start,
                BroadcastRecipient.sent_at < period.end,
            )
        )
    ).one()
    return AnnouncementFigures(int(row[0]), int(row[1]))
