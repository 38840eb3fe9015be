"""Helpers for broadcast tests and the benchmark: seeded people, a sender of one's own, counts.

The people are written straight into the database (as onboarding leaves them) and made known to
the fake Telegram, so that thousands can be set up in a second.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot
from bot.botapi import FakeTelegram, FakeUser
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import EVERYONE, BroadcastRecipient
from bot.broadcasts.telegram.sender import BroadcastSender
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.dispatcher import create_i18n, create_pacer
from bot.people.models import Role, User
from tests.transaction_guard import ConnectionsHeld

TOKEN = "123456:TEST-token-for-putokaz"
STAFF_TELEGRAM_ID = 42


def settings_for(fake: FakeTelegram, database_url: str, **values: Any) -> Settings:
    return Settings(
        bot_token=SecretStr(TOKEN),
        database_url=database_url,
        telegram_api_base=fake.base_url,
        _env_file=None,
        **values,
    )


@dataclass
class Node:
    """One bot process: its own engine, HTTP session, pacer and sender."""

    bot: Bot
    engine: AsyncEngine
    sessions: SessionFactory
    sender: BroadcastSender
    held: ConnectionsHeld

    async def close(self) -> None:
        await self.bot.session.close()
        await self.engine.dispose()
        assert self.held.violations == [], "no connection is held across a Bot API call"


def start_node(fake: FakeTelegram, database_url: str, clock: Clock, **values: Any) -> Node:
    settings = settings_for(fake, database_url, **values)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    bot = create_bot(settings)
    held = ConnectionsHeld()
    held.watch(engine)
    bot.session.middleware(held.guard())
    sender = BroadcastSender(bot, sessions, create_pacer(settings), create_i18n(), clock, settings)
    return Node(bot, engine, sessions, sender, held)


async def seed(
    sessions: SessionFactory,
    fake: FakeTelegram,
    count: int,
    now: datetime,
    *,
    locales: Sequence[str] = ("sr", "sr_Latn", "bg", "en"),
    **columns: Any,
) -> list[FakeUser]:
    """`count` consented young people who have written to the bot, languages in turn."""
    people = []
    cycle = itertools.cycle(locales)
    chosen = []
    for _ in range(count):
        locale = next(cycle)
        person = fake.user(f"P{len(fake.users)}", language_code=locale[:2], has_started=True)
        people.append(person)
        chosen.append((person.id, locale))
    await seed_rows(sessions, chosen, now, **columns)
    return people


async def seed_rows(
    sessions: SessionFactory, people: Sequence[tuple[int, str]], now: datetime, **columns: Any
) -> None:
    """Users rows for (telegram id, locale) pairs, as onboarding leaves them."""
    rows = [_user_row(tid, locale, now, f"P{tid}", **columns) for tid, locale in people]
    async with sessions.begin() as session:
        for start in range(0, len(rows), 1000):
            await session.execute(insert(User), rows[start : start + 1000])


def _user_row(
    telegram_id: int, locale: str, now: datetime, name: str, **columns: Any
) -> dict[str, Any]:
    return {
        "telegram_id": telegram_id,
        "locale": locale,
        "role": Role.YOUTH,
        "timezone": "Europe/Belgrade",
        "display_name": name,
        "birth_year": 2004,
        "consent_at": now,
        "consent_version": 1,
        "is_active": True,
        "announcements_muted": False,
        "created_at": now,
        "last_seen_at": now,
    } | columns


async def staff_member(sessions: SessionFactory, fake: FakeTelegram | None, now: datetime) -> User:
    """The staff member who writes; `fake` None when the fake server runs elsewhere."""
    if fake is not None and STAFF_TELEGRAM_ID not in fake.state.chats:
        fake.user("Sara", language_code="en", user_id=STAFF_TELEGRAM_ID, has_started=True)
    async with sessions.begin() as session:
        found = await session.scalar(select(User).where(User.telegram_id == STAFF_TELEGRAM_ID))
        if found is None:
            row = _user_row(STAFF_TELEGRAM_ID, "en", now, "Sara", role=Role.STAFF)
            await session.execute(insert(User), [row])
            found = await session.scalar(select(User).where(User.telegram_id == STAFF_TELEGRAM_ID))
        assert found is not None
        return found


async def announce(
    sessions: SessionFactory,
    author: User,
    now: datetime,
    texts: dict[str, str] | None = None,
    *,
    audience: tuple[str, str | None] | None = None,
) -> int:
    """An announcement written and sent now, as the staff screens do it. Returns its id."""
    async with sessions.begin() as session:
        actor = await session.get(User, author.id)
        assert actor is not None
        draft = await broadcasts.open_draft(session, actor, now)
        for locale, body in (texts or {EVERYONE: "Hello"}).items():
            await broadcasts.set_text(session, actor, draft.id, locale, body)
        if audience is not None:
            await broadcasts.choose_audience(session, actor, draft.id, *audience)
        await broadcasts.send_now(
            session,
            actor,
            draft.id,
            now,
            report_chat_id=actor.telegram_id,
            report_message_id=None,
        )
        return draft.id


async def statuses(sessions: SessionFactory, broadcast_id: int) -> Counter[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(BroadcastRecipient.status).where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        return Counter(found.all())


def deliveries(fake: FakeTelegram, people: Iterable[FakeUser]) -> Counter[int]:
    """Successful messages per person (send* calls the fake accepted)."""
    wanted = {p.id for p in people}
    counted: Counter[int] = Counter()
    for request in fake.sent():
        chat = int(request.chat_id or 0)
        if chat in wanted:
            counted[chat] += 1
    return counted
