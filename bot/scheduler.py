"""Periodic jobs. Each job reads what must happen from the database, so restarts lose nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.booking import counselling
from bot.booking import rules as booking
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.kit import maintenance
from bot.plans.reminders import ReminderRules

if TYPE_CHECKING:
    from bot.broadcasts.telegram.sender import BroadcastSender
    from bot.reminder_sender import ReminderSender

log = logging.getLogger(__name__)


async def clean_up(sessions: SessionFactory, settings: Settings, clock: Clock) -> None:
    now = clock.now()
    async with sessions.begin() as session:
        updates = await maintenance.forget_old_updates(
            session, now, timedelta(hours=settings.processed_update_ttl_hours)
        )
        people = await maintenance.drop_unconsented(
            session, now, timedelta(days=settings.unconsented_ttl_days)
        )
        relayed = await maintenance.forget_mentor_line(session, now)
    if updates or people or relayed:
        log.info(
            "clean-up: %d update ids, %d unconsented people, %d relayed message links removed",
            updates,
            people,
            relayed,
        )


def create_scheduler(
    sessions: SessionFactory, settings: Settings, clock: Clock
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        clean_up,
        "interval",
        minutes=30,
        args=(sessions, settings, clock),
        id="clean_up",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=600,
    )
    return scheduler


def add_reminder_jobs(
    scheduler: AsyncIOScheduler, sender: ReminderSender, settings: Settings
) -> None:
    """Deadline reminders every few seconds (a wake-up: the sender starts a round unless one
    is running); mentors' digests every few minutes."""
    scheduler.add_job(
        sender.wake,
        "interval",
        seconds=settings.reminder_tick_seconds,
        id="reminders",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=60,
    )
    scheduler.add_job(
        sender.digests,
        "interval",
        minutes=5,
        id="digests",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=600,
    )


async def booking_upkeep(sessions: SessionFactory, settings: Settings, clock: Clock) -> int:
    """Waitlist offers nobody took pass on; free seats go to whoever waits.

    One short transaction per offer and per workshop: each holds one workshop's lock, so two
    instances running this at once never wait for each other in a circle, a booking waits for
    one offer at most, and a crash half-way loses nothing already passed on. The messages are
    reminder rows written in the same transactions, sent (once) by the reminder sender.
    """
    ctx = booking.Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)
    moved = 0
    async with sessions() as session:
        due = await booking.due_offers(session, ctx.now)
    for booking_id in due:
        async with sessions.begin() as session:
            moved += await booking.expire_offer(session, booking_id, ctx)
    async with sessions() as session:
        to_fill = await booking.workshops_to_fill(session, ctx.now)
    for workshop_id in to_fill:
        async with sessions.begin() as session:
            moved += await booking.fill_free_seats(session, workshop_id, ctx)
    return moved


async def roll_slots(sessions: SessionFactory, settings: Settings, clock: Clock) -> int:
    """Counselling slots for the coming weeks, a day further each day."""
    ctx = booking.Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)
    async with sessions.begin() as session:
        return await counselling.sync_all(session, ctx)


def add_booking_jobs(
    scheduler: AsyncIOScheduler, sessions: SessionFactory, settings: Settings, clock: Clock
) -> None:
    """Offers expire within a minute; the slot rows move forward every hour."""
    common = {"args": (sessions, settings, clock), "coalesce": True, "max_instances": 1}
    scheduler.add_job(
        booking_upkeep, "interval", seconds=60, id="bookings", misfire_grace_time=60, **common
    )
    scheduler.add_job(roll_slots, "interval", hours=1, id="slots", misfire_grace_time=600, **common)


def add_broadcast_job(
    scheduler: AsyncIOScheduler, sender: BroadcastSender, settings: Settings
) -> None:
    """A wake-up every second: the sender starts a round unless one is running."""
    scheduler.add_job(
        sender.tick,
        "interval",
        seconds=settings.broadcast_tick_seconds,
        id="broadcasts",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=30,
    )
