"""Helpers for reminder delivery tests and bench/reminder_restart.py: due reminders, senders.

People are written straight into the database (as onboarding leaves them) and made known to the
fake Telegram; each gets one task that is late and its "overdue" reminder, due now.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot
from bot.botapi import FakeTelegram, FakeUser
from bot.clock import Clock
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.dispatcher import create_i18n, create_pacer
from bot.people.models import User
from bot.plans.models import Goal, Reminder, ReminderStatus, Task, TaskOwner, TaskStatus
from bot.plans.reminders import OVERDUE
from bot.reminder_sender import ReminderSender
from tests.broadcast_support import TOKEN, deliveries, seed, settings_for
from tests.transaction_guard import ConnectionsHeld

__all__ = [
    "TOKEN",
    "Node",
    "bot_env",
    "deliveries",
    "due_reminders",
    "repeats",
    "start_node",
    "start_process",
    "statuses",
]


async def due_reminders(
    sessions: SessionFactory, fake: FakeTelegram, count: int, now: datetime
) -> list[FakeUser]:
    """`count` people, each with a task that was due yesterday and its reminder due now."""
    people = await seed(sessions, fake, count, now - timedelta(days=30))
    async with sessions.begin() as session:
        users = (
            await session.scalars(select(User).where(User.telegram_id.in_([p.id for p in people])))
        ).all()
        for index, user in enumerate(sorted(users, key=lambda u: u.id)):
            goal = Goal(youth_id=user.id, title="Find a flat", domain="housing", created_at=now)
            session.add(goal)
            await session.flush()
            task = Task(
                goal_id=goal.id,
                youth_id=user.id,
                title=f"Task of {user.telegram_id}",
                owner=TaskOwner.ME,
                due_date=(now - timedelta(days=1)).date(),
                status=TaskStatus.TODO,
                created_at=now,
                updated_at=now,
            )
            session.add(task)
            await session.flush()
            # Slightly different moments keep the order of sending stable.
            moment = now - timedelta(minutes=1) + timedelta(milliseconds=index)
            await session.execute(
                insert(Reminder).values(
                    user_id=user.id,
                    task_id=task.id,
                    kind=OVERDUE,
                    scheduled_at=moment,
                    due_at=moment,
                    status=ReminderStatus.PENDING,
                    attempts=0,
                )
            )
    return people


async def statuses(sessions: SessionFactory) -> Counter[str]:
    async with sessions() as session:
        rows = await session.execute(
            select(Reminder.status, func.count()).group_by(Reminder.status)
        )
        return Counter({str(status): int(n) for status, n in rows.all()})


def repeats(fake: FakeTelegram, people: Iterable[FakeUser]) -> dict[int, int]:
    """Chats that got more than one message, and how many more."""
    return {chat: n - 1 for chat, n in deliveries(fake, people).items() if n > 1}


@dataclass
class Node:
    """One bot instance: its own engine, HTTP session, pacer and reminder sender."""

    bot: Bot
    engine: AsyncEngine
    sessions: SessionFactory
    sender: ReminderSender
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
    sender = ReminderSender(bot, sessions, create_i18n(), create_pacer(settings), clock, settings)
    return Node(bot, engine, sessions, sender, held)


def bot_env(database_url: str, api_base: str, **values: str) -> dict[str, str]:
    """The environment of a `python -m bot` subprocess: nothing of ours leaks in."""
    prefixes = (
        "BOT_", "DATABASE_", "BROADCAST_", "REMINDER_", "TELEGRAM_", "REDIS_", "WEBHOOK_", "WEB_"
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        WEB_PORT="0",  # the desk's server on any free port: tests may run side by side
        BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        TELEGRAM_API_BASE=api_base,
        PYTHONUNBUFFERED="1",
        **values,
    )
    return env


async def start_process(
    directory: Path, env: dict[str, str], name: str
) -> asyncio.subprocess.Process:
    """`python -m bot`, its log in `directory`/`name`.log."""
    with (directory / f"{name}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=directory,  # no .env there
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
