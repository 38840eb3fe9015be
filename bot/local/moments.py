"""When the next thing the bot does by itself is due: what "to the next reminder" moves to."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.models import Booking, BookingStatus
from bot.broadcasts.models import Broadcast, BroadcastStatus
from bot.config import Settings
from bot.people.models import Role, User
from bot.plans.models import Reminder, ReminderStatus

if TYPE_CHECKING:
    from bot.app import Running
    from bot.local.clock import MovableClock

# The jobs that look at the clock (bot/scheduler.py); run at once after the clock moved.
CLOCK_JOBS = ("reminders", "digests", "bookings", "broadcasts", "slots", "clean_up")


async def next_due(session: AsyncSession, now: datetime, settings: Settings) -> datetime | None:
    """The earliest pending reminder, scheduled announcement, waitlist offer expiry or (when
    there are mentors) mentors' morning digest after ``now``."""
    later = now + timedelta(seconds=1)
    candidates = [
        await session.scalar(
            select(func.min(Reminder.due_at)).where(
                Reminder.status == ReminderStatus.PENDING, Reminder.due_at > later
            )
        ),
        await session.scalar(
            select(func.min(Broadcast.send_at)).where(
                Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at > later
            )
        ),
        await session.scalar(
            select(func.min(Booking.offer_expires_at)).where(
                Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at > later
            )
        ),
    ]
    mentors = await session.scalar(select(func.count(User.id)).where(User.role == Role.MENTOR))
    if mentors:
        candidates.append(next_morning(now, settings))
    found = [c for c in candidates if c is not None]
    # Just past the moment: the senders take what is due at or before "now".
    return min(found) + timedelta(seconds=1) if found else None


def next_morning(now: datetime, settings: Settings) -> datetime:
    """The next end of the quiet hours in the default time zone: when digests go out."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    morning = datetime.combine(local.date(), time(settings.quiet_hours_end), zone)
    if morning <= local:
        tomorrow = local.date() + timedelta(days=1)
        morning = datetime.combine(tomorrow, time(settings.quiet_hours_end), zone)
    return morning


def run_clock_jobs(scheduler: AsyncIOScheduler, at: datetime) -> None:
    """Every job that reads the clock runs now instead of at its next interval."""
    for job_id in CLOCK_JOBS:
        if scheduler.get_job(job_id) is not None:
            scheduler.modify_job(job_id, next_run_time=at)


# A jump of a day passes through every moment on the way, as the day would have: stopping at
# each lets the senders send what is due then (a reminder found a day late is dropped as stale).
MAX_STOPS = 200
SETTLE_SECONDS = 10.0


async def advance(running: Running, clock: MovableClock, target: datetime) -> int:
    """Moves the clock to ``target``, stopping at each due moment on the way until the bot has
    done what was due; the number of stops."""
    stops = 0
    while stops < MAX_STOPS:
        async with running.sessions() as session:
            due = await next_due(session, clock.now(), running.settings)
        if due is None or due > target:
            break
        clock.move_to(due)
        await settle(running, clock)
        stops += 1
    clock.move_to(target)
    await settle(running, clock)
    return stops


async def settle(running: Running, clock: MovableClock) -> None:
    """Runs the clock's jobs now and waits (briefly) until each ran and nothing due is left."""
    started = datetime.now(UTC)
    run_clock_jobs(running.scheduler, started)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        jobs = [running.scheduler.get_job(job_id) for job_id in CLOCK_JOBS]
        if any(job is not None and job.next_run_time <= started for job in jobs):
            continue
        async with running.sessions() as session:
            if not await _anything_due(session, clock.now()):
                return


async def _anything_due(session: AsyncSession, now: datetime) -> bool:
    # A claimed reminder is pushed a lease ahead until it is sent: in flight, not done.
    reminders = await session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.status == ReminderStatus.PENDING,
            or_(Reminder.due_at <= now, Reminder.claim.is_not(None)),
        )
    )
    announcements = await session.scalar(
        select(func.count(Broadcast.id)).where(
            Broadcast.status.in_((BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)),
            Broadcast.send_at <= now,
        )
    )
    return bool(reminders or announcements)
