"""Sends due reminders and mentors' morning digests: each once, across restarts and instances.

It delivers for two features (task reminders, the summary of a plan saved at the desk and the
digest of plans, the reminders, offers and
notices of booking), so it sits beside the scheduler, above both, and takes each message's words
from the feature it belongs to.

A tick (woken every REMINDER_TICK_SECONDS; one at a time per process):
1. claims what is due in one short transaction: each row gets this batch's token and a lease
   (REMINDER_LEASE_SECONDS). The batch is no bigger than REMINDER_RATE sends in half the lease,
   so it always ends well inside its claim;
2. just before the next couple of seconds of messages go out, holds their rows in a short
   transaction: still pending, still this batch's token, lease pushed ahead (again if slow
   answers made that hold old). A row another instance took over after the lease ran out, or
   one a change of its task or booking moved or cancelled, is not sent;
3. sends (a few messages at once, each after a slot from the shared pacer, each with a timeout
   of a quarter of the lease) and writes the outcome right after, in its own short transaction.
   A delivered reminder is recorded as sent even if its lease ran out meanwhile.

A 429 pauses all background sending through the pacer; the rest of the batch goes back to the
queue, due when the pause ends. stop() (SIGTERM) claims nothing more, lets the messages in flight
finish and be recorded, and hands the rest back, due now, for the next start. So after kill -9
only messages sent but not yet recorded (at most one per worker) go out again, once their lease
has passed; after SIGTERM none; none is lost. No transaction or pooled connection stays open
across a Bot API call.

The morning digest works the same way per mentor and local day (a digests_sent row): claimed
with a token, held just before the send, marked done right after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import SQLAlchemyError

from bot.booking import rules as booking
from bot.booking.telegram import screens as booking_screens
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.middlewares.errors import describe
from bot.kit.pacing import Pacer
from bot.kit.retry import background_sending
from bot.kit.texts import _, esc, name_or_someone, ngettext
from bot.people import rules as people
from bot.people.models import User
from bot.plans import reminder_delivery as delivery
from bot.plans import rules as plans
from bot.plans import sheet
from bot.plans.models import Task, TaskStatus
from bot.plans.reminder_delivery import Outcome, Result
from bot.plans.reminder_rows import Claimed, new_token
from bot.plans.reminders import ReminderRules, is_stale
from bot.plans.telegram.screens import (
    due_text,
    plan_summary,
    plan_summary_keyboard,
    reminder_keyboard,
    reminder_text,
)

log = logging.getLogger(__name__)

BATCH = 200  # the most one claim takes, however fast the rate
SEND_SHARE = 0.5  # of the lease, for sending a whole batch at REMINDER_RATE
HOLD_SECONDS = 2.0  # of sending at REMINDER_RATE held at once, just before it goes out
DIGEST_LEASE = timedelta(minutes=5)
# The digest goes out from this local hour until noon (later it is no longer "morning").
DIGEST_UNTIL = time(12)
WRITE_ATTEMPTS = 3  # an outcome not written is sent again after the lease: try a little

T = TypeVar("T")


def claim_batch(rate: float, lease_seconds: float) -> int:
    """What the pacer lets out in half the lease: a batch never outlives its claim, even when
    sending is slow, and another instance finds the rest of the queue free to take."""
    return max(1, min(BATCH, math.floor(rate * lease_seconds * SEND_SHARE)))


def hold_size(rate: float) -> int:
    """Rows held in one transaction just before they go out: a couple of seconds of sending."""
    return max(1, min(50, math.ceil(rate * HOLD_SECONDS)))


def worker_count(rate: float) -> int:
    """Messages in flight at once: enough to keep the rate with slow answers, few, because each
    one in flight at a kill -9 may go out twice."""
    return max(1, min(10, math.ceil(rate / 3)))


@dataclass(frozen=True)
class Message:
    text: str
    markup: InlineKeyboardMarkup
    # A booking's updated calendar file: then the text is its caption (one message, one outcome).
    document: BufferedInputFile | None = None


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
        self.batch = claim_batch(settings.reminder_rate, settings.reminder_lease_seconds)
        self.workers = worker_count(settings.reminder_rate)
        self.hold_size = hold_size(settings.reminder_rate)
        # A message answered within a quarter of the lease is recorded long before anyone
        # else may take its row over.
        self.request_timeout = max(1, settings.reminder_lease_seconds // 4)
        self._stopping = False
        self._round: asyncio.Task[None] | None = None
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._nudged = asyncio.Event()  # set and cleared at once: wakes whoever waits for a slot
        self._resume_at = datetime.min.replace(tzinfo=UTC)  # the end of the last 429 pause

    # Lifecycle

    async def wake(self) -> None:
        """The scheduler's call: starts a round unless one is running. The round is this
        sender's own task, so a long batch neither makes the scheduler skip runs nor gets
        cancelled half-way by the scheduler's shutdown."""
        if self._stopping:
            return
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._safe_tick(), name="reminder-round")

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception as exc:  # the next wake-up tries again; rows keep their claims
            log.error("reminder round failed: %s", describe(exc))

    async def stop(self, grace: float = 10.0) -> None:
        """Nothing more is claimed; messages in flight finish and are recorded, the rest of the
        batch is handed back, due now. Returns when the running round and digests are done."""
        self._stopping = True
        self._nudge()
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("reminders still sending after %.0f s: the next start resends them", grace)
            round_ = self._round
            if round_ is not None and not round_.done():
                round_.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await round_

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if not self._running:
                self._idle.set()

    def _nudge(self) -> None:
        self._nudged.set()
        self._nudged.clear()

    def _pause(self, retry_after: int) -> datetime:
        """A 429: all background sending waits, and whatever waits for a slot gives up now (its
        rows go back to the queue). Returns when sending may go on."""
        self.pacer.pause(retry_after)
        self._resume_at = max(self._resume_at, self.clock.now() + timedelta(seconds=retry_after))
        self._nudge()
        return self._resume_at

    def _interrupted(self) -> bool:
        """Stopping, or Telegram asked to wait: no new message now."""
        return self._stopping or self.pacer.paused_for > 0

    async def _slot(self) -> bool:
        """A sending slot from the pacer; False as soon as a stop or a 429 says not now, so
        that the rest of the batch goes back instead of waiting out the pause claimed."""
        if self._interrupted():
            return False
        waiting = asyncio.ensure_future(self.pacer.slot("reminder"))
        try:
            while not waiting.done():
                nudged = asyncio.ensure_future(self._nudged.wait())
                try:
                    await asyncio.wait({waiting, nudged}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    nudged.cancel()
                if not waiting.done() and self._interrupted():
                    return False
            return not self._stopping
        finally:
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting

    async def _write(self, what: str, work: Callable[[], Awaitable[T]]) -> T | None:
        """One short transaction, tried again after a database hiccup: an outcome that is not
        written means the message goes out again after the lease."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await work()
            except (SQLAlchemyError, OSError) as exc:
                if attempt == WRITE_ATTEMPTS:
                    log.error("%s not written: %s", what, type(exc).__name__)
                    return None
                await asyncio.sleep(0.5 * attempt)
        return None

    # Reminders

    async def tick(self) -> int:
        """One round: claim what is due, send it, record each outcome. Returns how many sent."""
        if self._interrupted():
            return 0  # stopping, or a 429 pause: claiming now would only push rows back
        with self._busy():
            async with self.sessions.begin() as session:
                batch = await delivery.claim_due(session, self.clock.now(), self.batch, self.lease)
            if not batch:
                return 0
            return await self._send_batch(batch)

    async def _send_batch(self, batch: list[Claimed]) -> int:
        quiet: list[Result] = []  # decided without sending: written together at the end
        sending: list[asyncio.Task[Result]] = []
        free = asyncio.Semaphore(self.workers)
        queue = deque(batch)
        left: list[Claimed] = []
        while queue and not left:
            if self._interrupted():
                left = list(queue)
                break
            group: list[tuple[Claimed, Message]] = []
            while queue and len(group) < self.hold_size:
                item = queue.popleft()
                prepared = await self._prepare(item)
                if isinstance(prepared, Result):
                    quiet.append(prepared)
                else:
                    group.append((item, prepared))
            held_at = self.clock.now()
            held = await self._hold([item for item, _message in group])
            for position, (item, message) in enumerate(group):
                if item.reminder.id not in held:
                    continue  # taken over after our lease ran out, or moved: not ours
                await free.acquire()
                if not await self._slot():
                    free.release()
                    left = [i for i, _m in group[position:]] + list(queue)
                    break
                if self.clock.now() - held_at > self.lease * SEND_SHARE:
                    # Slow answers or a stalled process: hold the rest of the group again.
                    held_at = self.clock.now()
                    held &= await self._hold(
                        [i for i, _m in group[position:] if i.reminder.id in held]
                    )
                    if item.reminder.id not in held:
                        free.release()
                        continue
                task = asyncio.create_task(self._deliver(item, message), name="reminder-send")
                task.add_done_callback(lambda _task: free.release())
                sending.append(task)
        results = list(await asyncio.gather(*sending))
        await self._write("reminder outcomes", lambda: self._record(quiet, left))
        return sum(1 for r in results if r.outcome == Outcome.SENT)

    async def _hold(self, items: list[Claimed]) -> set[int]:
        """The rows of `items` still ours, their lease pushed ahead (one short transaction)."""
        if not items:
            return set()

        async def held() -> set[int]:
            async with self.sessions.begin() as session:
                return await delivery.hold(session, items, self.clock.now(), self.lease)

        return await self._write("hold of reminders", held) or set()

    async def _prepare(self, item: Claimed) -> Result | Message:
        """The message to send, or why there is none (decided from the claimed rows)."""
        try:
            return await self._compose(item)
        except Exception as exc:  # a bug must neither lose the reminder nor stop the queue
            log.error("reminder %s could not be prepared: %s", item.reminder.id, describe(exc))
            return Result(item, Outcome.ERROR)

    async def _compose(self, item: Claimed) -> Result | Message:
        user, task, reminder = item.user, item.task, item.reminder
        if reminder.booking_id is not None:
            return await self._prepare_booking(item, reminder.booking_id)
        if reminder.kind == sheet.SUMMARY:
            return await self._prepare_plan_summary(item)
        if task is None or task.status != TaskStatus.TODO:
            return Result(item, Outcome.CANCELLED)
        if is_stale(reminder.kind, reminder.scheduled_at, self.clock.now()):
            return Result(item, Outcome.CANCELLED)
        if not user.is_active or user.consent_at is None:
            return Result(item, Outcome.BLOCKED)
        with self.i18n.context(), self.i18n.use_locale(user.locale):
            return Message(reminder_text(reminder.kind, task, user.locale), reminder_keyboard(task))

    async def _prepare_booking(self, item: Claimed, booking_id: int) -> Result | Message:
        """A workshop or counselling reminder, offer or notice (bot/booking/rules.py)."""
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
            return Message(
                booking_screens.message_text(reminder.kind, view, texts, user.locale, tz),
                booking_screens.message_keyboard(reminder.kind, view),
                booking_screens.notice_calendar(reminder.kind, view, texts, user.locale, now),
            )

    async def _prepare_plan_summary(self, item: Claimed) -> Result | Message:
        """The one message about a plan saved at the desk (bot/plans/sheet.py), in the young
        person's language now; dropped when the plan or the person is gone meanwhile."""
        user = item.user
        async with self.sessions() as session:
            summary = await sheet.summary_to_send(session, item.reminder)
        if summary is None:
            return Result(item, Outcome.CANCELLED)
        if not user.is_active or user.consent_at is None:
            return Result(item, Outcome.BLOCKED)
        with self.i18n.context(), self.i18n.use_locale(user.locale):
            return Message(
                plan_summary(summary.by, summary.news, user.locale), plan_summary_keyboard()
            )

    async def _deliver(self, item: Claimed, message: Message) -> Result:
        """Send, then write the outcome in its own short transaction."""
        try:
            result = await self._send(item, message)
        except Exception as exc:  # a bug: the row goes back with a delay, not lost
            log.error("reminder %s: sending failed: %s", item.reminder.id, describe(exc))
            result = Result(item, Outcome.ERROR)

        async def record() -> None:
            await self._record([result], [])

        await self._write(f"outcome of reminder {item.reminder.id}", record)
        return result

    async def _send(self, item: Claimed, message: Message) -> Result:
        user, reminder = item.user, item.reminder
        try:
            with background_sending(retry_server_errors=False):
                if message.document is not None:
                    await self.bot.send_document(
                        user.telegram_id,
                        message.document,
                        caption=message.text,
                        reply_markup=message.markup,
                        request_timeout=self.request_timeout,
                    )
                else:
                    await self.bot.send_message(
                        user.telegram_id,
                        message.text,
                        reply_markup=message.markup,
                        request_timeout=self.request_timeout,
                    )
        except TelegramRetryAfter as exc:
            when = self._pause(exc.retry_after)
            return Result(item, Outcome.RETRY, when)
        except TelegramForbiddenError:
            return Result(item, Outcome.BLOCKED)
        except TelegramBadRequest as exc:
            if _unreachable(exc.message):
                return Result(item, Outcome.BLOCKED)
            log.error("reminder %s refused: %s", reminder.id, exc.message)
            return Result(item, Outcome.FAILED)
        except (TelegramServerError, TelegramNetworkError) as exc:
            log.warning("reminder %s not sent, will retry: %s", reminder.id, type(exc).__name__)
            return Result(item, Outcome.ERROR)
        return Result(item, Outcome.SENT)

    async def _record(self, results: list[Result], left: list[Claimed]) -> None:
        """Outcomes, and rows handed back unsent, in one transaction."""
        if not results and not left:
            return
        now = self.clock.now()
        # Due when a 429 pause ends, or now when stopping: the next start sends them.
        pause = self.pacer.paused_for  # ours, or one the broadcast sender ran into
        left_due = max(now + timedelta(seconds=pause), self._resume_at) if pause > 0 else now
        async with self.sessions.begin() as session:
            await delivery.record(session, results, left, left_due, now)

    # Mentors' morning digest

    async def digests(self) -> int:
        """Each mentor, once per local day after the quiet hours: their mentees' late tasks."""
        if self._stopping:
            return 0
        with self._busy():
            now = self.clock.now()
            rules = ReminderRules.from_settings(self.settings)
            async with self.sessions() as session:
                mentors = await delivery.mentors(session)
            sent = 0
            for mentor in mentors:
                if self._interrupted():
                    break  # the next run (or the next start) goes on where this one stopped
                tz = people.timezone_of(mentor, self.settings.timezone)
                local = now.astimezone(ZoneInfo(tz))
                if not time(rules.quiet_end) <= local.time() < DIGEST_UNTIL:
                    continue
                if await self._digest(mentor, local.date(), rules):
                    sent += 1
            return sent

    async def _digest(self, mentor: User, day: date, rules: ReminderRules) -> bool:
        token = new_token()
        now = self.clock.now()
        async with self.sessions.begin() as session:
            claimed = await delivery.claim_digest(session, mentor.id, day, now, DIGEST_LEASE, token)
            if claimed is None:
                return False
            ctx = plans.Context(now, rules, self.settings.timezone)
            late = await delivery.late_tasks(session, mentor.id, ctx)
        if not late:
            await self._digest_written(claimed, done=True)
            return False
        with self.i18n.context(), self.i18n.use_locale(mentor.locale):
            text = digest_text(mentor, late)
            markup = kb.only([kb.nav(_("👥 My young people"), Page.MENTEES)])
        if not await self._slot():
            await self._digest_written(claimed, release=token)
            return False

        async def held() -> bool:
            async with self.sessions.begin() as session:
                return await delivery.hold_digest(
                    session, claimed, token, self.clock.now(), DIGEST_LEASE
                )

        if not await self._write(f"hold of digest {claimed}", held):
            return False  # another instance took it over: it sends it
        try:
            with background_sending(retry_server_errors=False):
                await self.bot.send_message(
                    mentor.telegram_id,
                    text,
                    reply_markup=markup,
                    request_timeout=self.request_timeout,
                )
        except TelegramRetryAfter as exc:
            self._pause(exc.retry_after)
            await self._digest_written(claimed, release=token)
            return False
        except TelegramForbiddenError:
            await self._digest_written(claimed, done=True, inactive=mentor)
            return False
        except TelegramBadRequest as exc:
            if _unreachable(exc.message):
                await self._digest_written(claimed, done=True, inactive=mentor)
            else:  # the same text would be refused again: given up for today
                log.error("digest for mentor %s refused: %s", mentor.id, exc.message)
                await self._digest_written(claimed, done=True)
            return False
        except (TelegramServerError, TelegramNetworkError) as exc:
            log.warning("digest for mentor %s not sent: %s", mentor.id, type(exc).__name__)
            await self._digest_written(claimed, release=token)
            return False
        await self._digest_written(claimed, done=True)
        return True

    async def _digest_written(
        self,
        digest_id: int,
        *,
        done: bool = False,
        release: str | None = None,
        inactive: User | None = None,
    ) -> None:
        async def work() -> None:
            async with self.sessions.begin() as session:
                await delivery.digest_written(
                    session, digest_id, self.clock.now(),
                    done=done, release=release, unreachable=inactive,
                )  # fmt: skip

        await self._write(f"digest {digest_id}", work)


def _unreachable(description: str) -> bool:
    """Telegram's ways of saying this person cannot get messages from the bot."""
    lowered = description.lower()
    return "chat not found" in lowered or "peer_id_invalid" in lowered


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
