"""Invite rows, looked up by the hash of their token."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people.models import Invite


async def add(session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def by_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    query = select(Invite).where(Invite.token_hash == token_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def claim(session: AsyncSession, invite_id: int, user_id: int, now: datetime) -> bool:
    """Marks the invite used, only if nobody used or revoked it in the meantime."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by_id=user_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def open_invites(
    session: AsyncSession, now: datetime, created_by_id: int | None = None
) -> Sequence[Invite]:
    query = select(Invite).where(
        Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now
    )
    if created_by_id is not None:
        query = query.where(Invite.created_by_id == created_by_id)
    return (await session.execute(query.order_by(Invite.created_at))).scalars().all()


async def revoke(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def created_by(session: AsyncSession, user_id: int) -> Sequence[Invite]:
    query = select(Invite).where(Invite.created_by_id == user_id).order_by(Invite.created_at)
    return (await session.execute(query)).scalars().all()
