"""Delivers announcements and mentors' messages from the recipient rows in the database.

A round (woken every second by the scheduler; one round at a time per process):
1. scheduled broadcasts whose time has come get their recipient rows;
2. rows are claimed in batches with a lease and sent by a few workers, each message taking a
   slot from the shared pacer, so the whole process stays under the broadcast rate;
3. every outcome is written as soon as the previous write is done (many at once under load),
   so at a crash only the messages in flight or not yet written can go out twice;
4. broadcasts with nobody left waiting are closed, and their authors get the report.

A 429 pauses the whole queue for retry_after through the pacer; 5xx and network errors put the
row back with a growing delay; a 403 marks the person inactive. A claimed row whose lease is
close to running out is not sent but handed back, so another instance that takes it over after
the lease never sends it at the same time. Replies to people never pass through here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcasts import delivery
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import Broadcast, RecipientStatus
from bot.broadcasts.queries import Claimed, Outcome
from bot.broadcasts.telegram import announcement, screens
from bot.broadcasts.telegram.announcement import Content, Rendered
from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.kit.middlewares.errors import describe
from bot.kit.pacing import Pacer
from bot.kit.render import as_shown, edit
from bot.kit.retry import background_sending
from bot.kit.send_window import SendWindow
from bot.kit.texts import _
from bot.people.models import User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # 5xx or network errors in a row before a recipient counts as failed
PROGRESS_EVERY = 3.0  # seconds between two edits of the author's progress message


def claim_batch(rate: float) -> int:
    """About two seconds of sending: small enough to share between instances."""
    return max(10, min(500, math.ceil(rate * 2)))


def worker_count(rate: float) -> int:
    """Enough requests in flight to keep the rate with slow answers; well under aiohttp's 100
    connections, so that replies to people always find one."""
    return max(4, min(50, math.ceil(rate / 2)))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 5 * 3 ** max(0, attempts - 1)))


@dataclass
class Stats:
    """What this process did, for logs and the benchmark."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0
    rate_limited: int = 0  # 429 answers
    recorded: int = 0


@dataclass
class _Job:
    claimed: Claimed
    deadline: float  # time.monotonic() after which it is handed back, not sent


@dataclass
class _Round:
    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    low: asyncio.Event = field(default_factory=asyncio.Event)
    touched: set[int] = field(default_factory=set)


class BroadcastSender:
    def __init__(
        self,
        bot: Bot,
        sessions: SessionFactory,
        pacer: Pacer,
        i18n: I18n,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.pacer = pacer
        self.i18n = i18n
        self.clock = clock
        self.settings = settings
        self.token = secrets.token_hex(8)  # this process's claims
        self.lease = timedelta(seconds=settings.broadcast_lease_seconds)
        # A row is sent only with at least half its lease left, and a request may take a
        # quarter of it: the row is written back long before another instance could take it.
        self.send_window = settings.broadcast_lease_seconds / 2
        self.request_timeout = max(1, settings.broadcast_lease_seconds // 4)
        self.batch = claim_batch(settings.broadcast_rate)
        self.workers = worker_count(settings.broadcast_rate)
        # The pacer spaces the sends; the window makes sure they also arrive spaced.
        self.window = SendWindow(settings.broadcast_rate)
        self.stats = Stats()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._contents: dict[int, Content] = {}
        self._rendered: dict[tuple[int, str], Rendered] = {}
        self._progress_at: dict[int, float] = {}
        self._shown: dict[int, Message] = {}  # report messages as this sender last left them
        self._started_at = 0.0  # when scheduled broadcasts were last looked for
        self._idle = asyncio.Event()  # no round running
        self._idle.set()

    # Lifecycle

    async def tick(self) -> None:
        """The scheduler's wake-up: starts a round unless one is running."""
        if self._stopping:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._safe_round(), name="broadcast-round")

    async def run_round(self) -> None:
        """One round to the end: everything due now is sent (tests and the benchmark)."""
        await self._round()

    async def stop(self, grace: float = 10.0) -> None:
        """No new sends; messages in flight finish and are recorded, the rest is handed back."""
        self._stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            task = self._task
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _safe_round(self) -> None:
        try:
            await self._round()
        except Exception as exc:  # the next tick tries again; rows keep their state
            log.error("broadcast round failed: %s", describe(exc))

    async def _round(self) -> None:
        self._idle.clear()
        try:
            self._contents.clear()
            self._rendered.clear()
            await self._start_due()
            await self._drain()
            await self._finish()
        finally:
            self._idle.set()

    # 1. Scheduled broadcasts whose time has come

    async def _start_due(self) -> None:
        self._started_at = time.monotonic()
        async with self.sessions.begin() as session:
            started = await broadcasts.start_due(session, self.clock.now())
            authors = {b.id: await delivery.author_of(session, b) for b in started}
        for broadcast in started:
            author = authors.get(broadcast.id)
            if author is None:
                continue
            with self.i18n.context(), self.i18n.use_locale(author.locale):
                text = "\n".join(
                    [_scheduled_now(), screens.progress_text({"pending": broadcast.total})]
                )
                markup = screens.progress_markup(broadcast.id)
            try:
                with background_sending():
                    message = await self.bot.send_message(
                        author.telegram_id, text, reply_markup=markup
                    )
            except TelegramAPIError as exc:
                log.info("progress message for broadcast %s not sent: %s", broadcast.id, exc)
                continue
            async with self.sessions.begin() as session:
                await delivery.report_at(
                    session, broadcast.id, author.telegram_id, message.message_id
                )
            self._shown[broadcast.id] = message
            self._progress_at[broadcast.id] = time.monotonic()

    # 2. Sending

    async def _drain(self) -> None:
        run = _Round()
        recorder = _Recorder(self.sessions, self.clock, self.stats)
        workers = [
            asyncio.create_task(self._work(run, recorder), name=f"broadcast-worker-{i}")
            for i in range(self.workers)
        ]
        try:
            while not self._stopping:
                if time.monotonic() - self._started_at >= self.settings.broadcast_tick_seconds:
                    await self._start_due()  # a long round does not hold scheduled ones back
                jobs = await self._claim()
                if not jobs:
                    await run.queue.join()  # what is in flight may hand rows back
                    if self._stopping:
                        break
                    jobs = await self._claim()
                    if not jobs:
                        break
                for job in jobs:
                    run.touched.add(job.claimed.broadcast_id)
                    run.queue.put_nowait(job)
                # Claim again when half the batch is left: the workers never run dry.
                while run.queue.qsize() > self.batch // 2 and not self._stopping:
                    run.low.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(run.low.wait(), 1.0)
                    await self._progress(run.touched)
                await self._progress(run.touched)
            await run.queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await recorder.close()

    async def _claim(self) -> list[_Job]:
        now = self.clock.now()
        async with self.sessions.begin() as session:
            claimed = await delivery.claim_fairly(session, now, self.lease, self.batch, self.token)
            for broadcast_id in sorted({c.broadcast_id for c in claimed} - set(self._contents)):
                # Read once here, not by every worker that meets it first.
                found = await delivery.content(session, broadcast_id)
                if found is not None:
                    self._contents[broadcast_id] = Content.of(*found)
        deadline = time.monotonic() + self.send_window
        return [_Job(c, deadline) for c in claimed]

    async def _work(self, run: _Round, recorder: _Recorder) -> None:
        while True:
            job = await run.queue.get()
            try:
                if run.queue.qsize() <= self.batch // 2:
                    run.low.set()
                recorder.add(await self._deliver(job))
            except Exception as exc:  # a bug must not lose the row: it goes back
                log.error("broadcast delivery failed: %s", describe(exc))
                recorder.add(self._outcome(job, RecipientStatus.PENDING, retry_in=backoff(1)))
            finally:
                run.queue.task_done()

    async def _deliver(self, job: _Job) -> Outcome:
        claimed = job.claimed
        if claimed.blocked:
            return self._outcome(job, RecipientStatus.BLOCKED, error="blocked the bot")
        if not claimed.reachable:
            return self._outcome(job, RecipientStatus.SKIPPED)
        rendered = self._render(claimed.broadcast_id, claimed.locale)
        if rendered is None:
            return self._outcome(job, RecipientStatus.SKIPPED, error="broadcast gone")
        while True:
            if not self._stopping:
                await self.pacer.slot("broadcast")
            if self._stopping or time.monotonic() > job.deadline:
                self.stats.released += 1
                pause = timedelta(seconds=self.pacer.paused_for)
                return self._outcome(job, RecipientStatus.PENDING, retry_in=pause, counted=False)
            try:
                async with self.window.sending():
                    with background_sending(retry_server_errors=False):
                        message = await announcement.send(
                            self.bot,
                            claimed.telegram_id,
                            rendered,
                            request_timeout=self.request_timeout,
                        )
            except TelegramRetryAfter as exc:
                self.stats.rate_limited += 1
                self.pacer.pause(exc.retry_after)
                continue
            except TelegramForbiddenError as exc:
                return self._outcome(job, RecipientStatus.BLOCKED, error=exc.message)
            except TelegramBadRequest as exc:
                if _unreachable(exc.message):
                    return self._outcome(job, RecipientStatus.BLOCKED, error=exc.message)
                return self._outcome(job, RecipientStatus.FAILED, error=exc.message)
            except (TelegramServerError, TelegramNetworkError, TelegramUnauthorizedError) as exc:
                # Unauthorized too: a token being replaced is no reason to give up on people.
                if claimed.attempts + 1 >= MAX_ATTEMPTS:
                    return self._outcome(job, RecipientStatus.FAILED, error=exc.message)
                attempts = claimed.attempts + 1
                return self._outcome(
                    job, RecipientStatus.PENDING, retry_in=backoff(attempts), error=exc.message
                )
            except TelegramAPIError as exc:
                return self._outcome(job, RecipientStatus.FAILED, error=exc.message)
            return self._outcome(job, RecipientStatus.SENT, message_id=message.message_id)

    def _outcome(
        self,
        job: _Job,
        status: RecipientStatus,
        *,
        message_id: int | None = None,
        error: str | None = None,
        retry_in: timedelta | None = None,
        counted: bool = True,
    ) -> Outcome:
        claimed = job.claimed
        failed = status not in (RecipientStatus.SENT, RecipientStatus.SKIPPED) and counted
        attempts = claimed.attempts + (1 if failed and status != RecipientStatus.BLOCKED else 0)
        match status:
            case RecipientStatus.SENT:
                self.stats.sent += 1
            case RecipientStatus.BLOCKED:
                self.stats.blocked += 1
            case RecipientStatus.FAILED:
                self.stats.failed += 1
            case RecipientStatus.PENDING if counted:
                self.stats.retried += 1
        retry_at = self.clock.now() + retry_in if retry_in is not None else None
        return Outcome(
            recipient_id=claimed.id,
            user_id=claimed.user_id,
            status=status,
            token=self.token,
            message_id=message_id,
            error=error[:200] if error else None,
            retry_at=retry_at,
            attempts=attempts,
        )

    def _render(self, broadcast_id: int, locale: str) -> Rendered | None:
        key = (broadcast_id, locale)
        if key not in self._rendered:
            content = self._contents.get(broadcast_id)
            if content is None:
                return None
            with self.i18n.context(), self.i18n.use_locale(locale):
                self._rendered[key] = announcement.render(content, locale)
        return self._rendered[key]

    # Progress and the report

    async def _progress(self, touched: set[int], *, force: bool = False) -> None:
        now = time.monotonic()
        for broadcast_id in sorted(touched):
            if not force and now - self._progress_at.get(broadcast_id, 0.0) < PROGRESS_EVERY:
                continue
            self._progress_at[broadcast_id] = now
            async with self.sessions() as session:
                found = await delivery.progress(session, broadcast_id)
            if found is None or found.author is None or found.broadcast.report_message_id is None:
                continue
            with self.i18n.context(), self.i18n.use_locale(found.author.locale):
                text = screens.progress_text(found.counts)
                markup = screens.progress_markup(broadcast_id)
            await self._edit(found.broadcast, found.author, text, markup)

    async def _finish(self) -> None:
        async with self.sessions.begin() as session:
            finished = await delivery.finish_ready(session, self.clock.now())
        for done in finished:
            broadcast, author, counts = done.broadcast, done.author, done.counts
            self._progress_at.pop(broadcast.id, None)
            log.info("broadcast %s done: %s", broadcast.id, counts)
            if author is None:
                continue
            with self.i18n.context(), self.i18n.use_locale(author.locale):
                text = screens.report_text(counts)
                markup = screens.report_markup(broadcast.id, counts)
            if not await self._edit(broadcast, author, text, markup):
                with contextlib.suppress(TelegramAPIError), background_sending():
                    await self.bot.send_message(author.telegram_id, text, reply_markup=markup)
        for done in finished:
            self._shown.pop(done.broadcast.id, None)

    async def _edit(
        self, broadcast: Broadcast, author: User, text: str, markup: InlineKeyboardMarkup
    ) -> bool:
        if broadcast.report_chat_id is None or broadcast.report_message_id is None:
            return False
        shown = self._shown.get(broadcast.id)
        if shown is None or shown.message_id != broadcast.report_message_id:
            # Not edited by this sender yet: it shows what "Send now" left there.
            with self.i18n.context(), self.i18n.use_locale(author.locale):
                before = screens.progress_text({"pending": broadcast.total})
                before_markup = screens.progress_markup(broadcast.id)
            chat_id, message_id = broadcast.report_chat_id, int(broadcast.report_message_id)
            shown = as_shown(self.bot, chat_id, message_id, before, before_markup)
        try:
            with background_sending():
                edited = await edit(shown, text, markup)
        except TelegramAPIError as exc:
            log.info("progress of broadcast %s not shown: %s", broadcast.id, exc)
            return False
        if edited is None:
            return False
        self._shown[broadcast.id] = edited
        return True


class _Recorder:
    """Writes outcomes as they come: one transaction for everything that arrived during the
    previous one, so a slow database means bigger writes, not a growing backlog."""

    def __init__(self, sessions: SessionFactory, clock: Clock, stats: Stats) -> None:
        self.sessions = sessions
        self.clock = clock
        self.stats = stats
        self._pending: list[Outcome] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._loop(), name="broadcast-recorder")

    def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._wake.set()

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        await self._task

    async def _loop(self) -> None:
        failures = 0
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch, self._pending = self._pending, []
            try:
                async with self.sessions.begin() as session:
                    await delivery.record(session, batch, self.clock.now())
            except (SQLAlchemyError, OSError) as exc:
                failures += 1
                log.warning("recording %d outcomes failed: %s", len(batch), describe(exc))
                if self._closing and failures >= 5:
                    # The leases run out and the rows are sent again by whoever comes next.
                    log.error("%d outcomes not recorded at shutdown", len(batch))
                    return
                self._pending[:0] = batch
                await asyncio.sleep(min(5.0, 0.5 * failures))
                continue
            failures = 0
            self.stats.recorded += len(batch)


def _unreachable(description: str) -> bool:
    """Telegram's ways of saying this person cannot get messages from the bot."""
    lowered = description.lower()
    return "chat not found" in lowered or "peer_id_invalid" in lowered


def _scheduled_now() -> str:
    return _("🕒 Your scheduled message is going out now.")
