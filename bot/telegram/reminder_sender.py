"""Sends due reminders and mentors' morning digests. Every tick reads what is due from the database.

A reminder is claimed (its due_at pushed forward by a lease) in one committed transaction, sent,
then marked sent in another. A crash in between leaves it to be claimed again after the lease:
at most the reminders in flight at a crash can go out twice; none is lost. A 429 pauses all
background sending through the pacer and puts the reminder back at the end of retry_after.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy import select, update

from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.db.models import Role, User
from bot.db.plan_models import DigestSent, ReminderStatus, Task, TaskStatus
from bot.db.upsert import insert_ignoring_conflicts
from bot.repositories import reminders as reminder_rows
from bot.repositories import users
from bot.repositories.reminders import Claimed
from bot.services import booking, people, plans
from bot.services.pacing import Pacer
from bot.services.reminders import ReminderRules, is_stale
from bot.telegram import booking_screens
from bot.telegram import keyboards as kb
from bot.telegram.plan_screens import due_text, reminder_keyboard, reminder_text
from bot.telegram.retry import background_sending
from bot.telegram.texts import _, esc, name_or_someone, ngettext

log = logging.getLogger(__name__)

BATCH = 200
MAX_ATTEMPTS = 5
DIGEST_LEASE = timedelta(minutes=5)
# The digest goes out from this local hour until noon (later it is no longer "morning").
DIGEST_UNTIL = time(12)


class Outcome(Enum):
    SENT = "sent"
    CANCELLED = "cancelled"  # the task is no longer to do
    BLOCKED = "blocked"
    RETRY = "retry"  # 429: back in the queue after retry_after
    ERROR = "error"  # will be claimed again after the lease


@dataclass(frozen=True)
class Result:
    claimed: Claimed
    outcome: Outcome
    retry_at: datetime | None = None


class ReminderSender:
    def __init__(
        self,
        bot: Bot,
        sessions: SessionFactory,
        i18n: I18n,
        pacer: Pacer,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.i18n = i18n
        self.pacer = pacer
        self.clock = clock
        self.settings = settings
        self.lease = timedelta(seconds=settings.reminder_lease_seconds)

    async def tick(self) -> int:
        """One round: claim what is due, send it, record how it went. Returns how many sent."""
        if self.pacer.paused_for > 0:
            return 0  # a 429 pause: claiming now would only push rows further back
        async with self.sessions.begin() as session:
            batch = await reminder_rows.claim(session, self.clock.now(), BATCH, self.lease)
        if not batch:
            return 0
        results = await asyncio.gather(*(self._deliver(item) for item in batch))
        await self._record(results)
        return sum(1 for r in results if r.outcome == Outcome.SENT)

    async def _deliver(self, item: Claimed) -> Result:
        user, task, reminder = item.user, item.task, item.reminder
        if reminder.booking_id is not None:
            return await self._deliver_booking(item, reminder.booking_id)
        if task is None or task.status != TaskStatus.TODO:
            return Result(item, Outcome.CANCELLED)
        if is_stale(reminder.kind, reminder.scheduled_at, self.clock.now()):
            return Result(item, Outcome.CANCELLED)
        if not user.is_active or user.consent_at is None:
            return Result(item, Outcome.BLOCKED)
        with self.i18n.context(), self.i18n.use_locale(user.locale):
            text = reminder_text(reminder.kind, task, user.locale)
            markup = reminder_keyboard(task)
        return await self._send(item, text, markup)

    async def _deliver_booking(self, item: Claimed, booking_id: int) -> Result:
        """A workshop or counselling reminder, offer or notice (bot/services/booking.py)."""
        user, reminder = item.user, item.reminder
        async with self.sessions() as session:
            found = await booking.message_item(session, booking_id)
        now = self.clock.now()
        if found is None or not booking.still_relevant(reminder.kind, found[0].booking, now):
            return Result(item, Outcome.CANCELLED)
        if not user.is_active or user.consent_at is None:
            return Result(item, Outcome.BLOCKED)
        view, texts = found
        tz = people.timezone_of(user, self.settings.timezone)
        with self.i18n.context(), self.i18n.use_locale(user.locale):
            text = booking_screens.message_text(reminder.kind, view, texts, user.locale, tz)
            markup = booking_screens.message_keyboard(reminder.kind, view)
        return await self._send(item, text, markup)

    async def _send(self, item: Claimed, text: str, markup: InlineKeyboardMarkup) -> Result:
        user, reminder = item.user, item.reminder
        await self.pacer.slot("reminder")
        try:
            with background_sending():
                await self.bot.send_message(user.telegram_id, text, reply_markup=markup)
        except TelegramRetryAfter as exc:
            self.pacer.pause(exc.retry_after)
            when = self.clock.now() + timedelta(seconds=exc.retry_after)
            return Result(item, Outcome.RETRY, when)
        except TelegramForbiddenError:
            return Result(item, Outcome.BLOCKED)
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message:
                return Result(item, Outcome.BLOCKED)
            log.error("reminder %s refused: %s", reminder.id, exc.message)
            return Result(item, Outcome.ERROR)
        except (TelegramServerError, TelegramNetworkError) as exc:
            log.warning("reminder %s not sent, will retry: %s", reminder.id, type(exc).__name__)
            return Result(item, Outcome.ERROR)
        return Result(item, Outcome.SENT)

    async def _record(self, results: list[Result]) -> None:
        now = self.clock.now()
        finished: dict[tuple[ReminderStatus, datetime], list[int]] = defaultdict(list)
        async with self.sessions.begin() as session:
            for result in results:
                claimed = result.claimed
                key = claimed.lease_until
                if result.outcome == Outcome.SENT:
                    finished[(ReminderStatus.SENT, key)].append(claimed.reminder.id)
                elif result.outcome == Outcome.CANCELLED:
                    finished[(ReminderStatus.CANCELLED, key)].append(claimed.reminder.id)
                elif result.outcome == Outcome.BLOCKED:
                    finished[(ReminderStatus.SKIPPED, key)].append(claimed.reminder.id)
                    if claimed.user.is_active:
                        await users.set_active(session, claimed.user.telegram_id, False)
                elif result.outcome == Outcome.RETRY and result.retry_at is not None:
                    await reminder_rows.retry_at(
                        session, [claimed.reminder.id], result.retry_at, key
                    )
                elif claimed.reminder.attempts >= MAX_ATTEMPTS:
                    finished[(ReminderStatus.FAILED, key)].append(claimed.reminder.id)
            for (status, lease_until), ids in finished.items():
                await reminder_rows.finish(session, ids, status, now, lease_until)

    # Mentors' morning digest

    async def digests(self) -> int:
        """Each mentor, once per local day after the quiet hours: their mentees' late tasks."""
        now = self.clock.now()
        rules = ReminderRules.from_settings(self.settings)
        async with self.sessions.begin() as session:
            mentors = (
                await session.scalars(
                    select(User).where(
                        User.role == Role.MENTOR,
                        User.is_active.is_(True),
                        User.consent_at.is_not(None),
                    )
                )
            ).all()
        sent = 0
        for mentor in mentors:
            tz = people.timezone_of(mentor, self.settings.timezone)
            local = now.astimezone(ZoneInfo(tz))
            if not time(rules.quiet_end) <= local.time() < DIGEST_UNTIL:
                continue
            if await self._digest(mentor, local.date(), now, rules):
                sent += 1
        return sent

    async def _digest(self, mentor: User, day: date, now: datetime, rules: ReminderRules) -> bool:
        async with self.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(session, DigestSent, ["mentor_id", "local_date"]).values(
                    mentor_id=mentor.id, local_date=day, sent_at=None, claimed_until=None
                )
            )
            claimed = await session.scalar(
                update(DigestSent)
                .where(
                    DigestSent.mentor_id == mentor.id,
                    DigestSent.local_date == day,
                    DigestSent.sent_at.is_(None),
                    (DigestSent.claimed_until.is_(None)) | (DigestSent.claimed_until < now),
                )
                .values(claimed_until=now + DIGEST_LEASE)
                .returning(DigestSent.id)
            )
            if claimed is None:
                return False
            ctx = plans.Context(now, rules, self.settings.timezone)
            late = await plans.overdue_for_mentor(session, mentor.id, ctx)
        if late:
            with self.i18n.context(), self.i18n.use_locale(mentor.locale):
                text = digest_text(mentor, late)
                markup = kb.only([kb.nav(_("👥 My young people"), "mentees")])
            await self.pacer.slot("reminder")
            try:
                with background_sending():
                    await self.bot.send_message(mentor.telegram_id, text, reply_markup=markup)
            except TelegramRetryAfter as exc:
                self.pacer.pause(exc.retry_after)
                return False  # the claim runs out and the next tick tries again
            except TelegramForbiddenError:
                await self._mark_inactive(mentor)
            except (TelegramServerError, TelegramNetworkError):
                return False
        async with self.sessions.begin() as session:
            await session.execute(
                update(DigestSent).where(DigestSent.id == claimed).values(sent_at=now)
            )
        return bool(late)

    async def _mark_inactive(self, user: User) -> None:
        async with self.sessions.begin() as session:
            await users.set_active(session, user.telegram_id, False)


def digest_text(mentor: User, late: list[tuple[User, Task]]) -> str:
    lines = [
        ngettext(
            "☀️ Good morning! {n} task of your young people is late:",
            "☀️ Good morning! {n} tasks of your young people are late:",
            len(late),
        ).format(n=len(late))
    ]
    for youth, task in late[:30]:
        lines.append(
            f"• {name_or_someone(youth.display_name)}: {esc(task.title)} "
            f"({esc(due_text(task, mentor.locale))})"
        )
    if len(late) > 30:
        hidden = len(late) - 30
        lines.append(ngettext("…and {n} more", "…and {n} more", hidden).format(n=hidden))
    return "\n".join(lines)
