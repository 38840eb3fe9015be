"""A line to my mentor: a young person writes to their mentor through the bot, the mentor
answers by replying, and the answer comes back. The bot copies each message (copyMessage) and
keeps only which copy belongs to which two people (MentorLineMessage), for MENTOR_LINE_DAYS."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import MentorLineMessage, ProgrammeSetting, Role, User
from bot.people.profile import PROGRAMMES
from bot.people.roles import require

MENTOR_LINE_DAYS: Final = 30


class Closed(StrEnum):
    """Why a message cannot go through."""

    NO_MENTOR = "no_mentor"  # not connected to a mentor
    UNLINKED = "unlinked"  # the two of a line are no longer connected
    TURNED_OFF = "turned_off"  # staff turned the line off for the person's programme
    NOT_YOUTH = "not_youth"  # mentors and staff answer; they do not start a line


class LineClosed(Exception):
    def __init__(self, reason: Closed) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def is_open(session: AsyncSession, programme: str | None) -> bool:
    if programme is None:
        return True
    setting = await session.get(ProgrammeSetting, programme)
    return setting is None or setting.mentor_line


async def closed_programmes(session: AsyncSession) -> set[str]:
    rows = await session.scalars(
        select(ProgrammeSetting.programme).where(ProgrammeSetting.mentor_line.is_(False))
    )
    return set(rows)


async def set_open(session: AsyncSession, actor: User, programme: str, is_on: bool) -> None:
    """Staff turn the line on or off for everyone of one programme."""
    require(actor, Role.STAFF)
    if programme not in PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}")
    setting = await session.get(ProgrammeSetting, programme)
    if setting is None:
        session.add(ProgrammeSetting(programme=programme, mentor_line=is_on))
    else:
        setting.mentor_line = is_on


async def mentors_to_write(session: AsyncSession, youth: User) -> list[User]:
    """Whom a young person's message goes to: every mentor they are connected to."""
    if youth.role != Role.YOUTH:
        raise LineClosed(Closed.NOT_YOUTH)
    found = [mentor for mentor, _link in await mentoring.mentors(session, youth.id)]
    if not found:
        raise LineClosed(Closed.NO_MENTOR)
    if not await is_open(session, youth.programme):
        raise LineClosed(Closed.TURNED_OFF)
    return found


async def can_write(session: AsyncSession, youth: User) -> bool:
    try:
        await mentors_to_write(session, youth)
    except LineClosed:
        return False
    return True


def record(
    session: AsyncSession,
    chat_id: int,
    message_ids: Collection[int],
    *,
    youth_id: int,
    mentor_id: int,
    now: datetime,
) -> None:
    for message_id in message_ids:
        session.add(
            MentorLineMessage(
                chat_id=chat_id,
                message_id=message_id,
                youth_id=youth_id,
                mentor_id=mentor_id,
                created_at=now,
            )
        )


@dataclass(frozen=True)
class Reply:
    """A reply to a message of the line: who wrote it and whom it goes to."""

    sender: User
    recipient: User
    youth: User
    mentor: User


async def reply_to(
    session: AsyncSession, sender: User, chat_id: int, message_id: int
) -> Reply | None:
    """None when the replied message is not (or no longer) part of a line of the sender's."""
    row = await session.scalar(
        select(MentorLineMessage).where(
            MentorLineMessage.chat_id == chat_id, MentorLineMessage.message_id == message_id
        )
    )
    if row is None or sender.id not in (row.youth_id, row.mentor_id):
        return None
    youth = await users.get(session, row.youth_id)
    mentor = await users.get(session, row.mentor_id)
    if youth is None or mentor is None:
        return None
    if await mentoring.find(session, mentor.id, youth.id) is None:
        raise LineClosed(Closed.UNLINKED)
    if not await is_open(session, youth.programme):
        raise LineClosed(Closed.TURNED_OFF)
    recipient = mentor if sender.id == youth.id else youth
    return Reply(sender, recipient, youth, mentor)


async def forget_before(session: AsyncSession, cutoff: datetime) -> int:
    result: Any = await session.execute(
        delete(MentorLineMessage).where(MentorLineMessage.created_at < cutoff)
    )
    return int(result.rowcount or 0)


async def forget_old(session: AsyncSession, now: datetime) -> int:
    return await forget_before(session, now - timedelta(days=MENTOR_LINE_DAYS))


async def export(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """For /mydata: when messages of the person's lines were passed on, and with whom."""
    rows: Sequence[MentorLineMessage] = (
        await session.scalars(
            select(MentorLineMessage)
            .where(
                (MentorLineMessage.youth_id == user.id) | (MentorLineMessage.mentor_id == user.id)
            )
            .order_by(MentorLineMessage.created_at, MentorLineMessage.id)
        )
    ).all()
    names: dict[int, str | None] = {}
    out = []
    for row in rows:
        other = row.mentor_id if row.youth_id == user.id else row.youth_id
        if other not in names:
            found = await users.get(session, other)
            names[other] = found.display_name if found else None
        out.append(
            {
                "with": names[other],
                "in_my_chat": row.chat_id == user.telegram_id,
                "at": row.created_at.isoformat(),
            }
        )
    return out
