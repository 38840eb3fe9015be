"""Who may use the desk, and how they sign in: single-use links from /console, Mini App
sign-ins, sessions that expire when idle and end at once on a role change or /deleteme.

Only hashes of link and cookie tokens are stored, so a leaked table opens nothing. The web part
(bot/web) holds the cookie; everything it trusts about a person comes from here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotAllowed
from bot.people import queries as users
from bot.people.models import DeskLink, DeskSession, Role, User

LINK_TTL = timedelta(minutes=10)
# last_seen_at of a session is written at most this often (SQLite has one writer at a time).
SEEN_PRECISION = timedelta(minutes=1)
# A Mini App's initData is accepted this long after Telegram signed it.
MINI_APP_TTL = timedelta(hours=1)
TOKEN_BYTES = 32
DESK_ROLES = (Role.STAFF, Role.MENTOR)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_use_desk(user: User | None) -> bool:
    """Staff and mentors who agreed to the privacy notice; a young person has no desk."""
    return user is not None and user.role in DESK_ROLES and user.consent_at is not None


def csrf_token(session_token: str) -> str:
    """The token every form of a session carries: derived from the cookie, never stored."""
    return hmac.new(session_token.encode(), b"putokaz-desk-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), given or "")


async def issue_link(session: AsyncSession, user: User, now: datetime, idle: timedelta) -> str:
    """A sign-in link's token for `user`, valid for LINK_TTL and once. Expired links and idle
    sessions of everyone are dropped on the way (they would be refused anyway)."""
    if not may_use_desk(user):
        raise NotAllowed("no desk for this role")
    await purge(session, now, idle)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        DeskLink(
            token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + LINK_TTL
        )
    )
    await session.flush()
    return token


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str  # the cookie's value; only its hash is stored


async def _open(session: AsyncSession, user: User, now: datetime, via: str) -> SignedIn:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        DeskSession(
            token_hash=hash_token(token), user_id=user.id, via=via, created_at=now, last_seen_at=now
        )
    )
    await session.flush()
    return SignedIn(user, token)


async def redeem_link(session: AsyncSession, token: str, now: datetime) -> SignedIn | None:
    """A session for the link's person, or None for an unknown, used or expired link (the same
    answer for all three). Claimed with one UPDATE, so two tabs cannot both use it."""
    if not token or len(token) > 128:
        return None
    claimed = await session.execute(
        update(DeskLink)
        .where(
            DeskLink.token_hash == hash_token(token),
            DeskLink.used_at.is_(None),
            DeskLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(DeskLink.user_id)
    )
    user_id = claimed.scalar_one_or_none()
    if user_id is None:
        return None
    user = await users.get(session, user_id)
    if user is None or not may_use_desk(user):
        return None
    return await _open(session, user, now, "link")


async def sign_in_mini_app(
    session: AsyncSession, telegram_id: int, signed_at: datetime, now: datetime
) -> SignedIn | None:
    """A session for the person Telegram vouched for in a Mini App's initData (checked by the
    caller with the bot's token), if they may use the desk and the data is fresh."""
    if not (now - MINI_APP_TTL <= signed_at <= now + timedelta(minutes=5)):
        return None
    user = await users.get_by_telegram_id(session, telegram_id)
    if user is None or not may_use_desk(user):
        return None
    return await _open(session, user, now, "mini_app")


async def signed_in_user(
    session: AsyncSession, token: str | None, now: datetime, idle: timedelta
) -> User | None:
    """The person behind a session cookie, if the session is open, not idle for longer than
    `idle`, and the person may (still) use the desk."""
    if not token or len(token) > 128:
        return None
    row = (
        await session.execute(
            select(DeskSession).where(DeskSession.token_hash == hash_token(token))
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if now - row.last_seen_at > idle:
        await session.delete(row)
        return None
    user = await users.get(session, row.user_id)
    if not may_use_desk(user):
        await session.delete(row)
        return None
    if now - row.last_seen_at > SEEN_PRECISION:
        row.last_seen_at = now
    return user


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(
            delete(DeskSession).where(DeskSession.token_hash == hash_token(token))
        )


async def end_all(session: AsyncSession, user_id: int) -> None:
    """Every session and unused link of a person ends now (a role change, /deleteme)."""
    await session.execute(delete(DeskSession).where(DeskSession.user_id == user_id))
    await session.execute(delete(DeskLink).where(DeskLink.user_id == user_id))


async def purge(session: AsyncSession, now: datetime, idle: timedelta) -> None:
    """Drops expired links and idle sessions (they would be refused anyway)."""
    await session.execute(delete(DeskLink).where(DeskLink.expires_at < now))
    await session.execute(delete(DeskSession).where(DeskSession.last_seen_at < now - idle))


async def link_locale(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The language of the person a still-valid link is for (its page speaks it); reads only."""
    if not token or len(token) > 128:
        return None
    query = (
        select(User.locale)
        .join(DeskLink, DeskLink.user_id == User.id)
        .where(
            DeskLink.token_hash == hash_token(token),
            DeskLink.used_at.is_(None),
            DeskLink.expires_at > now,
        )
    )
    return (await session.execute(query)).scalar_one_or_none()
