"""Plan rules and the reminder queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.engine import SessionFactory
from bot.kit.errors import NotAllowed, NotFound
from bot.people import mentoring
from bot.people import rules as people
from bot.people.models import Role, User
from bot.plans import reminder_rows
from bot.plans import rules as plans
from bot.plans.models import PlanChange, Reminder, ReminderStatus, Task
from bot.plans.reminders import ReminderRules
from bot.plans.rules import Context

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RULES = ReminderRules()
LEASE = timedelta(minutes=2)


def ctx(now: datetime = NOW) -> Context:
    return Context(now, RULES, "Europe/Belgrade")


async def person(
    sessions: SessionFactory, telegram_id: int, role: Role, locale: str = "sr"
) -> User:
    async with sessions.begin() as session:
        user = await people.touch(
            session, telegram_id=telegram_id, language_code=locale, now=NOW, admin_ids=set()
        )
        user.role = role
        people.give_consent(
            user, now=NOW, display_name=f"P{telegram_id}", birth_year=2004,
            default_tz="Europe/Belgrade",
        )  # fmt: skip
        return user


async def pair(sessions: SessionFactory) -> tuple[User, User]:
    mentor = await person(sessions, 1, Role.MENTOR)
    youth = await person(sessions, 2, Role.YOUTH)
    async with sessions.begin() as session:
        await mentoring.add(session, mentor.id, youth.id, NOW)
    return mentor, youth


async def new_task(
    sessions: SessionFactory, mentor: User, youth: User, due: date | None, at: time | None = None
) -> int:
    async with sessions.begin() as session:
        goal = await plans.add_goal(session, mentor, youth.id, "Find a job", "work", ctx())
        task = await plans.add_task(
            session, mentor, goal.id, title="Write a CV", owner="me", due_date=due,
            due_time=at, details=None, ctx=ctx(),
        )  # fmt: skip
        return task.id


async def reminder_kinds(sessions: SessionFactory, task_id: int) -> dict[str, str]:
    async with sessions() as session:
        rows = (await session.scalars(select(Reminder).where(Reminder.task_id == task_id))).all()
        return {r.kind: r.status for r in rows}


async def test_a_task_gets_its_reminders_and_done_cancels_them(sessions: SessionFactory) -> None:
    mentor, youth = await pair(sessions)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    assert await reminder_kinds(sessions, task_id) == {
        "before_3": "pending", "before_1": "pending", "due": "pending", "overdue": "pending",
    }  # fmt: skip
    async with sessions.begin() as session:
        await plans.complete(session, youth, task_id, None, ctx())
    assert set((await reminder_kinds(sessions, task_id)).values()) == {"cancelled"}
    async with sessions() as session:
        actions = (await session.scalars(select(PlanChange.action).order_by(PlanChange.id))).all()
    assert actions == ["goal_added", "task_added", "task_done"]


async def test_moving_a_task_moves_its_reminders_and_past_ones_are_not_planned(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 3))  # 3 days ahead
    # The "3 days before" moment (30 Nov) has passed already.
    assert set(await reminder_kinds(sessions, task_id)) == {"before_1", "due", "overdue"}
    async with sessions.begin() as session:
        await plans.move_task(session, mentor, task_id, date(2026, 12, 20), time(15, 0), ctx())
    async with sessions() as session:
        rows = (await session.scalars(select(Reminder).where(Reminder.task_id == task_id))).all()
    moments = {r.kind: r.scheduled_at for r in rows if r.status == ReminderStatus.PENDING}
    assert moments["before_3"] == datetime(2026, 12, 17, 8, tzinfo=UTC)
    assert moments["overdue"] == datetime(2026, 12, 20, 14, tzinfo=UTC)
    async with sessions.begin() as session:
        await plans.cancel_task(session, mentor, task_id, ctx())
    assert set((await reminder_kinds(sessions, task_id)).values()) == {"cancelled"}


async def test_tasks_the_mentor_owns_do_not_remind_the_young_person(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    async with sessions.begin() as session:
        goal = await plans.add_goal(session, mentor, youth.id, "Housing", "housing", ctx())
        task = await plans.add_task(
            session, mentor, goal.id, title="Call the centre", owner="mentor",
            due_date=date(2026, 12, 10), due_time=None, details=None, ctx=ctx(),
        )  # fmt: skip
    assert await reminder_kinds(sessions, task.id) == {}


async def test_only_their_mentor_changes_a_plan_and_only_they_complete_it(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    other_mentor = await person(sessions, 3, Role.MENTOR)
    stranger = await person(sessions, 4, Role.YOUTH)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    async with sessions.begin() as session:
        with pytest.raises(NotAllowed):
            await plans.add_goal(session, other_mentor, youth.id, "x", "work", ctx())
        with pytest.raises(NotAllowed):
            await plans.move_task(session, other_mentor, task_id, date(2026, 12, 24), None, ctx())
        with pytest.raises(NotFound):
            await plans.complete(session, stranger, task_id, None, ctx())
        with pytest.raises(NotFound):
            await plans.task_for(session, other_mentor, task_id, ctx())
        with pytest.raises(NotAllowed):
            await plans.plan(session, stranger, youth.id, ctx())
        view = await plans.plan(session, mentor, youth.id, ctx())
        assert [line.task.id for line in view.open] == [task_id]


async def test_more_time_is_asked_once_and_answered_once(sessions: SessionFactory) -> None:
    mentor, youth = await pair(sessions)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    async with sessions.begin() as session:
        asked = await plans.ask_more_time(session, youth, task_id, ctx())
        again = await plans.ask_more_time(session, youth, task_id, ctx())
    assert not asked.already_asked and again.already_asked
    assert [m.id for m in asked.mentors] == [mentor.id]
    async with sessions.begin() as session:
        first = await plans.answer_more_time(
            session, mentor, asked.request.id, date(2026, 12, 17), ctx()
        )
        second = await plans.answer_more_time(session, mentor, asked.request.id, None, ctx())
    assert first.changed and not second.changed
    assert first.task.due_date == date(2026, 12, 17)


async def _due_reminders(sessions: SessionFactory, count: int, when: datetime) -> None:
    mentor, youth = await pair(sessions)
    async with sessions.begin() as session:
        goal = await plans.add_goal(session, mentor, youth.id, "Work", "work", ctx())
        for number in range(count):
            await plans.add_task(
                session, mentor, goal.id, title=f"Task {number}", owner="me",
                due_date=date(2026, 12, 5), due_time=None, details=None, ctx=ctx(),
            )  # fmt: skip


async def test_a_claimed_reminder_is_not_claimed_again_until_its_lease_passes(
    sessions: SessionFactory,
) -> None:
    await _due_reminders(sessions, 3, NOW)
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # the "3 days before" ones are due
    async with sessions.begin() as session:
        first = await reminder_rows.claim(session, moment, 100, LEASE)
    assert len(first) == 3 and {c.reminder.kind for c in first} == {"before_3"}
    async with sessions.begin() as session:
        assert await reminder_rows.claim(session, moment + timedelta(seconds=30), 100, LEASE) == []
    # The sender died before sending: after the lease the same reminders are due again.
    async with sessions.begin() as session:
        again = await reminder_rows.claim(
            session, moment + LEASE + timedelta(seconds=1), 100, LEASE
        )
    assert sorted(c.reminder.id for c in again) == sorted(c.reminder.id for c in first)
    async with sessions.begin() as session:
        marked = await reminder_rows.finish(session, again, ReminderStatus.SENT, moment)
    assert marked == 3
    # A late "sent" from the first, dead claim changes nothing.
    async with sessions.begin() as session:
        stale = await reminder_rows.finish(session, first, ReminderStatus.SENT, moment)
    assert stale == 0


async def test_a_task_moved_while_its_reminder_is_being_sent_keeps_the_new_time(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 5))
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # "3 days before"
    async with sessions.begin() as session:
        claimed = await reminder_rows.claim(session, moment, 100, LEASE)
    async with sessions.begin() as session:
        await plans.move_task(session, mentor, task_id, date(2026, 12, 12), None, ctx(moment))
    async with sessions.begin() as session:
        await reminder_rows.finish(session, claimed, ReminderStatus.SENT, moment)
    async with sessions() as session:
        row = await session.get(Reminder, claimed[0].reminder.id)
    assert row is not None and row.status == ReminderStatus.PENDING
    assert row.scheduled_at == datetime(2026, 12, 9, 8, tzinfo=UTC)  # 3 days before the 12th


async def test_concurrent_claimers_never_take_the_same_reminder(
    sessions: SessionFactory,
) -> None:
    await _due_reminders(sessions, 60, NOW)
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    async def claimer() -> list[int]:
        taken: list[int] = []
        while True:
            async with sessions.begin() as session:
                batch = await reminder_rows.claim(session, moment, 7, LEASE)
            if not batch:
                return taken
            taken += [c.reminder.id for c in batch]

    results = await asyncio.gather(*(claimer() for _ in range(6)))
    everything = [rid for result in results for rid in result]
    assert len(everything) == len(set(everything)) == 60


async def test_the_overdue_digest_lists_only_late_tasks_of_the_mentors_young_people(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    other_mentor = await person(sessions, 3, Role.MENTOR)
    late = await new_task(sessions, mentor, youth, date(2026, 12, 2))
    await new_task(sessions, mentor, youth, date(2026, 12, 20))
    later = ctx(datetime(2026, 12, 3, 7, 0, tzinfo=UTC))
    async with sessions() as session:
        found = await plans.overdue_for_mentor(session, mentor.id, later)
        nothing = await plans.overdue_for_mentor(session, other_mentor.id, later)
        total = await session.scalar(select(func.count()).select_from(Reminder))
    assert [task.id for _, task in found] == [late]
    assert nothing == []
    assert total and total > 0


async def test_the_stored_deadline_moment_follows_the_deadline_in_the_services_zone(
    sessions: SessionFactory,
) -> None:
    """Task.deadline_at is what the desk's "done late" compares with: the end of the day or the
    time given, in the service's zone (ctx), kept when the task moves; a person's own zone is
    not the reports' (they count in the service's), so changing it leaves it alone."""
    mentor, youth = await pair(sessions)
    day_only = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    with_time = await new_task(sessions, mentor, youth, date(2026, 7, 3), time(9, 30))
    undated = await new_task(sessions, mentor, youth, None)

    async def stored() -> dict[int, datetime | None]:
        async with sessions() as session:
            rows = await session.execute(
                select(Task.id, Task.deadline_at).where(Task.youth_id == youth.id)
            )
            return {task_id: moment for task_id, moment in rows.all()}

    # Midnight after 10 December in Belgrade (winter, UTC+1); 09:30 on 3 July (summer, UTC+2).
    assert await stored() == {
        day_only: datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
        with_time: datetime(2026, 7, 3, 7, 30, tzinfo=UTC),
        undated: None,
    }
    async with sessions.begin() as session:
        await plans.move_task(session, mentor, day_only, date(2026, 12, 12), time(18, 0), ctx())
        await plans.move_task(session, mentor, with_time, date(2026, 12, 20), None, ctx())
        person_now = await session.get(User, youth.id)
        assert person_now is not None
        people.set_timezone(person_now, "America/New_York")
    assert await stored() == {
        day_only: datetime(2026, 12, 12, 17, 0, tzinfo=UTC),
        with_time: datetime(2026, 12, 20, 23, 0, tzinfo=UTC),
        undated: None,
    }


async def test_stored_deadline_moments_follow_a_new_service_zone_at_start_up(
    sessions: SessionFactory,
) -> None:
    mentor, youth = await pair(sessions)
    day_only = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    with_time = await new_task(sessions, mentor, youth, date(2026, 12, 10), time(9, 30))
    async with sessions.begin() as session:
        assert await plans.follow_zone(session, "Europe/Belgrade") == 0  # nothing to do
        # TIMEZONE became Sofia's (UTC+2 in December).
        assert await plans.follow_zone(session, "Europe/Sofia") == 2
    async with sessions() as session:
        rows = await session.execute(select(Task.id, Task.deadline_at))
        assert dict(rows.all()) == {
            day_only: datetime(2026, 12, 10, 22, 0, tzinfo=UTC),
            with_time: datetime(2026, 12, 10, 7, 30, tzinfo=UTC),
        }
