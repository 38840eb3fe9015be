"""Single-use, expiring invite links: staff invite mentors, mentors invite young people."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotAllowed, NotFound
from bot.people import invite_queries as invites
from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import Invite, InviteKind, Role, User

# Telegram deep-link payloads allow [A-Za-z0-9_-], up to 64 characters.
TOKEN_BYTES = 18

WHO_MAY_CREATE = {InviteKind.MENTOR: Role.STAFF, InviteKind.MENTEE: Role.MENTOR}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    invite: Invite
    token: str


async def create(
    session: AsyncSession, creator: User, kind: InviteKind, now: datetime, ttl: timedelta
) -> NewInvite:
    if creator.role != WHO_MAY_CREATE[kind]:
        raise NotAllowed(f"{creator.role} may not create {kind} invites")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite = Invite(
        token_hash=hash_token(token),
        kind=kind,
        created_by_id=creator.id,
        created_at=now,
        expires_at=now + ttl,
    )
    await invites.add(session, invite)
    return NewInvite(invite, token)


class Outcome(StrEnum):
    BECAME_MENTOR = "became_mentor"
    LINKED = "linked"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_STAFF = "already_staff"
    NOT_FOR_YOU = "not_for_you"  # a mentee link opened by a mentor, staff or its own maker
    ALREADY_LINKED = "already_linked"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    mentor: User | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.BECAME_MENTOR, Outcome.LINKED)


def looks_like_token(text: str) -> bool:
    return 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


async def redeem(session: AsyncSession, user: User, token: str, now: datetime) -> Redemption:
    """Refusals that leave the link usable (wrong person) do not consume it."""
    invite = await invites.by_hash(session, hash_token(token)) if looks_like_token(token) else None
    if invite is None or invite.revoked_at is not None:
        return Redemption(Outcome.UNKNOWN)
    if invite.used_at is not None:
        if invite.used_by_id == user.id:
            return await _already(session, user, invite)
        return Redemption(Outcome.USED)
    if invite.expires_at <= now:
        return Redemption(Outcome.EXPIRED)
    if invite.kind == InviteKind.MENTOR:
        return await _redeem_mentor(session, user, invite, now)
    return await _redeem_mentee(session, user, invite, now)


async def _already(session: AsyncSession, user: User, invite: Invite) -> Redemption:
    """Opening one's own used link again (a double tap) is not an error."""
    if invite.kind == InviteKind.MENTOR:
        return Redemption(Outcome.BECAME_MENTOR)
    mentor = await users.get(session, invite.created_by_id) if invite.created_by_id else None
    return Redemption(Outcome.ALREADY_LINKED, mentor)


async def _redeem_mentor(
    session: AsyncSession, user: User, invite: Invite, now: datetime
) -> Redemption:
    if user.role == Role.STAFF:
        return Redemption(Outcome.ALREADY_STAFF)
    if not await invites.claim(session, invite.id, user.id, now):
        return Redemption(Outcome.USED)
    user.role = Role.MENTOR
    return Redemption(Outcome.BECAME_MENTOR)


async def _redeem_mentee(
    session: AsyncSession, user: User, invite: Invite, now: datetime
) -> Redemption:
    mentor = await users.get(session, invite.created_by_id) if invite.created_by_id else None
    if mentor is None or mentor.role != Role.MENTOR:
        return Redemption(Outcome.UNKNOWN)
    if user.role != Role.YOUTH:
        return Redemption(Outcome.NOT_FOR_YOU, mentor)
    if await mentoring.find(session, mentor.id, user.id) is not None:
        return Redemption(Outcome.ALREADY_LINKED, mentor)
    if not await invites.claim(session, invite.id, user.id, now):
        return Redemption(Outcome.USED)
    await mentoring.add(session, mentor.id, user.id, now)
    return Redemption(Outcome.LINKED, mentor)


async def open_for(session: AsyncSession, actor: User, now: datetime) -> Sequence[Invite]:
    """Staff see every open invite; a mentor sees their own."""
    if actor.role == Role.STAFF:
        return await invites.open_invites(session, now)
    if actor.role == Role.MENTOR:
        return await invites.open_invites(session, now, created_by_id=actor.id)
    raise NotAllowed("youth have no invites")


async def revoke(session: AsyncSession, actor: User, invite_id: int, now: datetime) -> None:
    invite = await invites.get(session, invite_id)
    visible = invite is not None and (
        actor.role == Role.STAFF or (actor.role == Role.MENTOR and invite.created_by_id == actor.id)
    )
    if not visible or invite is None:
        raise NotFound("invite")
    if not await invites.revoke(session, invite_id, now):
        raise NotFound("invite already used or revoked")


async def open_made_by(
    session: AsyncSession, actor: User, person_id: int, now: datetime
) -> Sequence[Invite]:
    """The open links a person made, on their desk page: staff see anyone's, a mentor their own."""
    if actor.role == Role.STAFF or (actor.role == Role.MENTOR and actor.id == person_id):
        return await invites.open_invites(session, now, created_by_id=person_id)
    raise NotAllowed("not their invites")
