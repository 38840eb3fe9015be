"""The first conversation: consent, then age, then whatever invite brought the person here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import invite_queries as invite_rows
from bot.people import invites
from bot.people import rules as people
from bot.people.models import InviteKind, User
from bot.people.rules import AgeCheck


class Step(StrEnum):
    DONE = "done"
    ASK_BIRTHDAY = "ask_birthday"
    TOO_YOUNG = "too_young"
    INVALID_YEAR = "invalid_year"


@dataclass(frozen=True)
class Result:
    step: Step
    redemption: invites.Redemption | None = None


async def invite_kind(session: AsyncSession, token: str | None) -> InviteKind | None:
    """What an unredeemed token would do, so that a future mentor is not asked their age."""
    if not token or not invites.looks_like_token(token):
        return None
    invite = await invite_rows.by_hash(session, invites.hash_token(token))
    return InviteKind(invite.kind) if invite is not None else None


async def finish(
    session: AsyncSession,
    user: User,
    *,
    now: datetime,
    birth_year: int | None,
    had_birthday: bool | None,
    pending_token: str | None,
    display_name: str | None,
    default_tz: str,
) -> Result:
    """Stores consent only when valid: below 15, only a guardian's (mentor's) link makes it so."""
    redemption = None
    if birth_year is not None:
        age = people.check_birth_year(birth_year, now.year, had_birthday)
        if age == AgeCheck.INVALID:
            return Result(Step.INVALID_YEAR)
        if age == AgeCheck.ASK_BIRTHDAY:
            return Result(Step.ASK_BIRTHDAY)
        if age == AgeCheck.TOO_YOUNG:
            if pending_token and await invite_kind(session, pending_token) == InviteKind.MENTEE:
                redemption = await invites.redeem(session, user, pending_token, now)
                pending_token = None
            if not await people.guardian_linked(session, user):
                return Result(Step.TOO_YOUNG, redemption)
    people.give_consent(
        user, now=now, display_name=display_name, birth_year=birth_year, default_tz=default_tz
    )
    if pending_token:
        redemption = await invites.redeem(session, user, pending_token, now)
    return Result(Step.DONE, redemption)
