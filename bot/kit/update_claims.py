"""Claims Telegram update ids so that a redelivered update is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime
from bot.db.upsert import insert_ignoring_conflicts


class ProcessedUpdate(Base):
    """Telegram delivers at least once; a claimed update id is not handled again."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


async def claim(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """True for the first claim of this update id, False for every repeat."""
    statement = (
        insert_ignoring_conflicts(session, ProcessedUpdate, ["update_id"])
        .values(update_id=update_id, processed_at=now)
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def forget_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
