"""When deadline reminders go out, and keeping their rows in step with the tasks.

Times are planned in the person's own time zone and stored in UTC. Reminders before the day go
out in the morning; the overdue one when the deadline has passed; anything that would fall in
the quiet hours moves to the end of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DatabaseSettings
from bot.plans.models import Reminder, ReminderStatus, Task, TaskOwner, TaskStatus

OVERDUE = "overdue"
ON_THE_DAY = "due"
# A "3 days before" found half a day late (the bot was down) would only add noise next to the
# reminder that replaces it; the overdue one is always worth sending.
STALE_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class ReminderRules:
    offsets_days: tuple[int, ...] = (3, 1, 0)
    hour: int = 9
    quiet_start: int = 22
    quiet_end: int = 8

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> ReminderRules:
        return cls(
            offsets_days=settings.reminder_offsets_days,
            hour=settings.reminder_hour,
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
        )

    def is_quiet(self, moment: time) -> bool:
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start > self.quiet_end:  # over midnight, e.g. 22-8
            return moment.hour >= self.quiet_start or moment.hour < self.quiet_end
        return self.quiet_start <= moment.hour < self.quiet_end

    def out_of_quiet(self, local: datetime) -> datetime:
        """The same moment, or the end of the quiet hours it falls in."""
        if not self.is_quiet(local.time()):
            return local
        morning = datetime.combine(local.date(), time(self.quiet_end))
        return morning if morning > local else morning + timedelta(days=1)

    def _awake_until(self, local: datetime) -> datetime:
        """From an awake moment, the next start of the quiet hours."""
        night = datetime.combine(local.date(), time(self.quiet_start))
        return night if night > local else night + timedelta(days=1)

    def after_awake(self, start: datetime, awake: timedelta, tz: str) -> datetime:
        """The moment (UTC) when `awake` of time outside the quiet hours has passed since `start`:
        a clock that stops while the person sleeps (a waitlist offer's time). Counted on the
        local wall clock, so a DST night may give or take an hour."""
        if self.quiet_start == self.quiet_end:
            return start + awake
        local = start.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        left = awake
        while True:
            local = self.out_of_quiet(local)
            night = self._awake_until(local)
            if left <= night - local:
                return max(start, to_utc(local + left, tz))
            left -= night - local
            local = night

    def awake_between(self, start: datetime, end: datetime, tz: str) -> timedelta:
        """How much of start..end lies outside the quiet hours (in `tz`)."""
        if self.quiet_start == self.quiet_end:
            return max(end - start, timedelta(0))
        zone = ZoneInfo(tz)
        local = start.astimezone(zone).replace(tzinfo=None)
        last = end.astimezone(zone).replace(tzinfo=None)
        total = timedelta(0)
        while local < last:
            local = self.out_of_quiet(local)
            if local >= last:
                break
            night = self._awake_until(local)
            total += min(night, last) - local
            local = night
        return total


def kind_for(offset_days: int) -> str:
    return ON_THE_DAY if offset_days == 0 else f"before_{offset_days}"


def offset_of(kind: str) -> int | None:
    if kind.startswith("before_"):
        return int(kind.removeprefix("before_"))
    return 0 if kind == ON_THE_DAY else None


def is_stale(kind: str, scheduled_at: datetime, now: datetime) -> bool:
    return kind != OVERDUE and now - scheduled_at > STALE_AFTER


def to_utc(local: datetime, tz: str) -> datetime:
    """Local wall time to UTC. A time skipped by a DST change comes out just after it."""
    return local.replace(tzinfo=ZoneInfo(tz), fold=0).astimezone(UTC)


def deadline(due_date: date, due_time: time | None, tz: str) -> datetime:
    """The moment a task becomes overdue: its time, or the end of its day."""
    if due_time is not None:
        return to_utc(datetime.combine(due_date, due_time), tz)
    return to_utc(datetime.combine(due_date + timedelta(days=1), time(0)), tz)


def deadline_at(due_date: date | None, due_time: time | None, service_tz: str) -> datetime | None:
    """What Task.deadline_at holds for this deadline: the moment it passes by the service's
    zone (the desk's figures count in it), or None without a deadline."""
    return deadline(due_date, due_time, service_tz) if due_date is not None else None


def set_due(task: Task, due_date: date | None, due_time: time | None, service_tz: str) -> None:
    """Gives a task a new deadline; the one way to change it, so deadline_at always follows."""
    task.due_date, task.due_time = due_date, due_time
    task.deadline_at = deadline_at(due_date, due_time, service_tz)


def planned(
    due_date: date, due_time: time | None, tz: str, rules: ReminderRules
) -> dict[str, datetime]:
    """Every reminder a task with this deadline gets, kind -> UTC moment."""
    moments: dict[str, datetime] = {}
    for offset in rules.offsets_days:
        local = datetime.combine(due_date - timedelta(days=offset), time(rules.hour))
        if offset == 0 and due_time is not None and due_time.hour <= rules.hour:
            # An early appointment: remind two hours ahead rather than after it.
            local = datetime.combine(due_date, due_time) - timedelta(hours=2)
        moments[kind_for(offset)] = to_utc(rules.out_of_quiet(local), tz)
    overdue_local = deadline(due_date, due_time, tz).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    moments[OVERDUE] = to_utc(rules.out_of_quiet(overdue_local), tz)
    return moments


def wanted(task: Task, tz: str, rules: ReminderRules, now: datetime) -> dict[str, datetime]:
    """The reminders this task should still get from now on."""
    if task.status != TaskStatus.TODO or task.due_date is None:
        return {}
    if task.owner == TaskOwner.MENTOR:
        return {}  # the mentor's own to-dos: they see overdue ones in the morning digest
    return {
        kind: moment
        for kind, moment in planned(task.due_date, task.due_time, tz, rules).items()
        if moment > now
    }


async def sync_task(
    session: AsyncSession, task: Task, tz: str, rules: ReminderRules, now: datetime
) -> None:
    """After any change to a task: reminders added, moved or cancelled to match it."""
    want = wanted(task, tz, rules, now)
    rows = (await session.scalars(select(Reminder).where(Reminder.task_id == task.id))).all()
    existing = {row.kind: row for row in rows}
    for kind, row in existing.items():
        moment = want.pop(kind, None)
        if moment is None:
            if row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.CANCELLED
            continue
        if row.scheduled_at != moment or row.status == ReminderStatus.CANCELLED:
            # Moved (or revived by a new date): due again, from the start, and no longer any
            # sender's: one sending the old moment right now must not send or record it.
            row.scheduled_at = moment
            row.due_at = moment
            row.status = ReminderStatus.PENDING
            row.attempts = 0
            row.sent_at = None
            row.claim = None
    for kind, moment in want.items():
        session.add(
            Reminder(
                user_id=task.youth_id,
                task_id=task.id,
                kind=kind,
                scheduled_at=moment,
                due_at=moment,
                status=ReminderStatus.PENDING,
                attempts=0,
            )
        )
    await session.flush()
