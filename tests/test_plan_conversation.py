"""Plans and reminders as mentors and young people use them, through the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import create_bot
from bot.db.engine import create_engine, create_session_factory
from bot.kit.pacing import Pacer
from bot.plans import reminder_rows
from bot.plans.models import Reminder, ReminderStatus, Task, TaskStatus
from bot.plans.telegram.callbacks import MoreTimeCb, NudgeCb, TaskAction, TaskCb
from bot.reminder_sender import ReminderSender
from tests.conversation import ALL_LOCALES, labels, onboard, stored_user, tr, trn
from tests.databases import truncate_all
from tests.harness import Harness, Person, running_bot
from tests.test_roles import invite_youth, new_mentor, staff_member

REFUSAL = "This button no longer works."


async def mentor_and_youth(harness: Harness, youth_locale: str = "en") -> tuple[Person, Person]:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    youth = await onboard(harness, youth_locale, first_name="Vesna", start=f"/start {token}")
    return mentor, youth


async def add_task(mentor: Person, title: str = "Write a CV", day: str = "10") -> None:
    """Through the mentor's screens: My young people -> name -> add goal -> add task."""
    listing = await mentor.send("/mentees")
    plan = await mentor.click(next(b for b in labels(listing) if b.startswith("Vesna")), listing)
    if "🎯 Find a job" not in labels(await mentor.click("➕ Add a task", plan)):
        ask = await mentor.click("🎯 Add a goal")
        assert "A new goal for Vesna" in ask.body
        domains = await mentor.send("Find a job")
        await mentor.click("Work and career", domains)
    else:
        await mentor.click("🎯 Find a job")
    await mentor.send(title)
    owner = mentor.last
    calendar_message = await mentor.click("The young person", owner)
    assert "November 2026" in labels(calendar_message)
    nxt = await mentor.click("▶️", calendar_message)
    assert "December 2026" in labels(nxt)
    times = await mentor.click(day, nxt)
    await mentor.click("14:00", times)


def sender_for(harness: Harness) -> ReminderSender:
    pacer = Pacer({"reminder": 1000.0, "broadcast": 1000.0})
    return ReminderSender(
        harness.bot, harness.sessions, harness.assembled.i18n, pacer, harness.clock,
        harness.settings,
    )  # fmt: skip


async def reminders_of(harness: Harness) -> list[Reminder]:
    async with harness.sessions() as session:
        return list((await session.scalars(select(Reminder).order_by(Reminder.id))).all())


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_a_mentor_adds_a_task_and_the_young_person_completes_it(
    harness: Harness, locale: str
) -> None:
    mentor, youth = await mentor_and_youth(harness, locale)
    await add_task(mentor)
    assert "Write a CV" in mentor.last.body and "14:00" not in mentor.last.body  # the plan
    told = youth.last
    assert tr(locale, "📋 Open my plan") in labels(told)
    assert "Write a CV" in told.body

    plan = await youth.click(tr(locale, "📋 Open my plan"), told)
    assert tr(locale, "📋 <b>My plan</b>") in plan.html_text
    card = await youth.click("1. Write a CV", plan)
    assert tr(locale, "⏳ I need more time") in labels(card)
    done = await youth.click(tr(locale, "✅ Done"), card)
    assert youth.last_answer == tr(locale, "✅ Well done!")
    assert "Vesna" in mentor.last.body and "Write a CV" in mentor.last.body
    saved = await youth.send("Sent it to 3 <companies> & one more")
    assert tr(locale, "Thanks! Your note is saved.") in saved.html_text
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.status == TaskStatus.DONE
    assert task.done_note == "Sent it to 3 <companies> & one more"
    assert done.message_id == card.message_id
    reminders = await reminders_of(harness)
    assert reminders and {r.status for r in reminders} == {ReminderStatus.CANCELLED}


async def test_more_time_goes_to_the_mentor_and_the_answer_comes_back(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness, "bg")
    await add_task(mentor, day="10")
    plan = await youth.send("/plan")
    card = await youth.click("1. Write a CV", plan)
    asked = await youth.click(tr("bg", "⏳ I need more time"), card)
    assert "Mentor" in asked.body
    request = mentor.last
    assert "Vesna needs more time for: Write a CV" in request.body
    # Asking twice does not bother the mentor twice.
    before = len(mentor.messages)
    await youth.click_data(TaskCb(id=1, action=TaskAction.MORE).pack(), card)
    assert len(mentor.messages) == before
    answered = await mentor.click("+1 week", request)
    assert "New deadline for Write a CV" in answered.body
    assert youth.last.body.startswith("✅") and "17" in youth.last.body
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.due_date == date(2026, 12, 17)
    # The same answer button pressed again changes nothing.
    again = await mentor.click_data(MoreTimeCb(id=1, days=14).pack(), request)
    assert "already been answered" in again.body


async def test_buttons_for_someone_elses_plan_are_refused(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor)
    staff = await stored_user(harness, 42)
    assert staff is not None
    other_mentor = await new_mentor(harness, Person(harness, harness.fake.user_by_id(42)))
    stranger = await onboard(harness, "en", first_name="Stranger")
    for person, data in [
        (other_mentor, TaskCb(id=1, action=TaskAction.MOVE).pack()),
        (other_mentor, TaskCb(id=1, action=TaskAction.CANCEL_CONFIRMED).pack()),
        (other_mentor, TaskCb(id=1, action=TaskAction.OPEN).pack()),
        (other_mentor, "me:3:plan"),
        (other_mentor, NudgeCb(youth=3, preset=0).pack()),
        (stranger, TaskCb(id=1, action=TaskAction.DONE).pack()),
        (stranger, TaskCb(id=1, action=TaskAction.OPEN).pack()),
        (stranger, TaskCb(id=1, action=TaskAction.MORE).pack()),
        (stranger, "pl:3:0:0"),
        (stranger, NudgeCb(youth=0, preset=0).pack()),
        (youth, TaskCb(id=1, action=TaskAction.CANCEL_CONFIRMED).pack()),
    ]:
        await person.click_data(data)
        assert person.last_answer == REFUSAL, data
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.status == TaskStatus.TODO
    assert "Stranger" not in youth.last.body


async def test_a_past_day_from_an_old_calendar_is_refused(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor)
    plan = await youth.send("/plan")
    listing = await mentor.send("/mentees")
    mentee_plan = await mentor.click(
        next(b for b in labels(listing) if b.startswith("Vesna")), listing
    )
    card = await mentor.click("1. Write a CV", mentee_plan)
    calendar_message = await mentor.click("📅 New date", card)
    assert "December 2026" in labels(calendar_message)  # the month of the deadline
    november = await mentor.click("◀️", calendar_message)
    assert "28" not in labels(november) and "29" in labels(november)  # from today on
    harness.clock.advance(timedelta(days=1))  # the calendar stays open past midnight
    await mentor.click("29", november)
    assert mentor.last_answer == "That day has passed. Please pick another."
    day_button = november.button("30").data
    assert day_button is not None
    await mentor.click_data(day_button.rsplit(":", 1)[0] + ":99999999999999", november)
    assert mentor.last_answer == REFUSAL  # a forged, impossible day
    moved = await mentor.click("30", november)
    assert "Write a CV" in moved.body and mentor.last_answer == "New date saved."
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.due_date == date(2026, 11, 30)
    assert "New deadline for" in youth.last.body
    assert plan.message_id


async def test_reminders_go_out_once_with_their_buttons(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness, "sr")
    await add_task(mentor, day="10")  # due 10 December, 14:00
    sender = sender_for(harness)
    assert await sender.tick() == 0  # nothing due yet
    harness.clock.advance(datetime(2026, 12, 7, 8, 1, tzinfo=UTC) - harness.clock.now())
    assert await sender.tick() == 1
    reminder = youth.last
    assert reminder.html_text == trn(
        "sr",
        "⏰ In {n} day: {task}\nDeadline: {due}",
        "⏰ In {n} days: {task}\nDeadline: {due}",
        3,
        task="<b>Write a CV</b>",
        due="10. дец 2026., 14:00",
    )
    assert labels(reminder) == [
        tr("sr", "✅ Done"),
        tr("sr", "⏳ I need more time"),
        tr("sr", "📋 Open my plan"),
    ]
    assert await sender.tick() == 0  # not twice
    # Done from the reminder itself: the remaining reminders are cancelled.
    await youth.click(tr("sr", "✅ Done"), reminder)
    harness.clock.advance(timedelta(days=5))
    assert await sender.tick() == 0
    statuses = [r.status for r in await reminders_of(harness)]
    assert statuses.count(ReminderStatus.SENT) == 1
    assert statuses.count(ReminderStatus.CANCELLED) == 3


async def test_a_429_delays_the_queue_and_nothing_is_lost(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor, title="One", day="10")
    await add_task(mentor, title="Two", day="10")
    sender = sender_for(harness)
    harness.clock.advance(datetime(2026, 12, 7, 8, 1, tzinfo=UTC) - harness.clock.now())
    harness.fake.fail_next("sendMessage", status=429, retry_after=60, times=2)
    sent = await sender.tick()
    assert sent == 0 and sender.pacer.paused_for > 0
    pending = [r for r in await reminders_of(harness) if r.kind == "before_3"]
    assert {r.status for r in pending} == {ReminderStatus.PENDING}
    assert all(r.due_at == datetime(2026, 12, 7, 8, 2, tzinfo=UTC) for r in pending)
    sender.pacer.pause(0)  # the real pause is in seconds of wall time; skip it here
    sender.pacer._paused_until = 0
    # Telegram's wait is over. (Whether the second reminder was tried before the first 429 came
    # back is a race; if not, it went back to the queue unsent and one 429 is left over.)
    harness.fake.clear_failures()
    harness.clock.advance(timedelta(seconds=61))
    assert await sender.tick() == 2
    assert [m.body.split("\n")[0] for m in youth.messages[-2:]] == [
        "⏰ In 3 days: One",
        "⏰ In 3 days: Two",
    ]


async def test_a_person_who_blocked_the_bot_is_skipped(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor, day="10")
    youth.tg.block()  # no update processed: Telegram answers 403 from now on
    sender = sender_for(harness)
    harness.clock.advance(datetime(2026, 12, 7, 8, 1, tzinfo=UTC) - harness.clock.now())
    assert await sender.tick() == 0
    user = await stored_user(harness, youth.id)
    assert user is not None and not user.is_active
    statuses = {r.kind: r.status for r in await reminders_of(harness)}
    assert statuses["before_3"] == ReminderStatus.SKIPPED
    harness.clock.advance(timedelta(days=2))
    assert await sender.tick() == 0
    assert harness.fake.calls("sendMessage", chat_id=youth.id, ok=False)[-1].status == 403
    assert len(harness.fake.calls("sendMessage", chat_id=youth.id, ok=False)) == 1


async def test_a_crash_between_claim_and_send_sends_once_after_the_lease(
    harness: Harness,
) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor, day="10")
    harness.clock.advance(datetime(2026, 12, 7, 8, 1, tzinfo=UTC) - harness.clock.now())
    lease = timedelta(seconds=harness.settings.reminder_lease_seconds)
    async with harness.sessions.begin() as session:  # a sender claims, then dies
        assert len(await reminder_rows.claim(session, harness.clock.now(), 10, lease)) == 1
    sender = sender_for(harness)
    before = len(youth.messages)
    assert await sender.tick() == 0  # still leased to the dead sender
    harness.clock.advance(lease + timedelta(seconds=1))
    assert await sender.tick() == 1
    assert await sender.tick() == 0
    assert len(youth.messages) == before + 1


async def test_two_instances_on_one_postgresql_send_each_reminder_once(
    postgres_url: str,
) -> None:
    """A second bot instance: its own engine, Bot and pacer, the same database."""
    engine = create_engine(postgres_url)
    await truncate_all(engine)
    async with running_bot(postgres_url, admin_ids=frozenset({42})) as harness:
        mentor, youth = await mentor_and_youth(harness)
        for number in range(12):
            await add_task(mentor, title=f"Task {number}", day="10")
        harness.clock.advance(datetime(2026, 12, 7, 8, 1, tzinfo=UTC) - harness.clock.now())
        other_bot = create_bot(harness.settings)
        other = ReminderSender(
            other_bot, create_session_factory(engine), harness.assembled.i18n,
            Pacer({"reminder": 1000.0}), harness.clock, harness.settings,
        )  # fmt: skip
        try:
            senders = [sender_for(harness), other]
            totals = await asyncio.gather(*(s.tick() for _ in range(3) for s in senders))
        finally:
            await other_bot.session.close()
            await engine.dispose()
        assert sum(totals) == 12
        texts = [m.body.split("\n")[0] for m in youth.messages if m.body.startswith("⏰")]
        assert sorted(texts) == sorted(f"⏰ In 3 days: Task {n}" for n in range(12))


async def test_mentors_get_one_morning_digest_of_late_tasks(harness: Harness) -> None:
    mentor, _youth = await mentor_and_youth(harness)
    await add_task(mentor, day="1")  # 1 December, 14:00
    sender = sender_for(harness)
    harness.clock.advance(datetime(2026, 12, 2, 6, 0, tzinfo=UTC) - harness.clock.now())
    assert await sender.digests() == 0  # 07:00 in Belgrade: still quiet
    harness.clock.advance(timedelta(hours=2))
    assert await sender.digests() == 1
    assert "Good morning! 1 task of your young people is late" in mentor.last.body
    assert "Vesna: Write a CV" in mentor.last.body
    assert await sender.digests() == 0  # once a day
    async with harness.sessions() as session:
        # Planned on 29 November for 1 December: "3 days before" had already passed.
        assert await session.scalar(select(func.count()).select_from(Reminder)) == 3


async def test_a_mentor_nudges_a_young_person_in_their_language(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness, "sr_Latn")
    listing = await mentor.send("/mentees")
    plan = await mentor.click(next(b for b in labels(listing) if b.startswith("Vesna")), listing)
    menu = await mentor.click("📣 Send a reminder", plan)
    report = await mentor.click("📞 Please get in touch with me.", menu)
    assert "Sent to 1 young person." in report.body
    assert tr("sr_Latn", "📞 Please get in touch with me.") in youth.last.body
    listing = await mentor.send("/mentees")
    everyone = await mentor.click("📣 Remind all of them", listing)
    ask = await mentor.click("✍️ My own words", everyone)
    assert "up to 300 characters" in ask.body
    await mentor.send("See you <Monday> & bring the papers")
    assert "See you <Monday> & bring the papers" in youth.last.body


async def test_a_mentor_renames_and_cancels_a_task_and_the_young_person_is_told(
    harness: Harness,
) -> None:
    mentor, youth = await mentor_and_youth(harness, "bg")
    await add_task(mentor)
    card = await mentor.click("1. Write a CV", mentor.last)
    assert "Who does it: the young person" in card.body
    ask = await mentor.click("✏️ Rename", card)
    renamed = await mentor.send("Write a CV <with photo>")
    assert "Write a CV &lt;with photo&gt;" in renamed.html_text
    assert tr("bg", "✏️ A task in your plan has a new name: {task}", task="") in (
        youth.last.html_text
    )
    card = await mentor.click("1. Write a CV <with photo>", renamed)
    confirm = await mentor.click("✖️ Cancel this task", card)
    await mentor.click("Yes, cancel the task", confirm)
    assert "Write a CV <with photo>" in youth.last.body
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.status == TaskStatus.CANCELLED
    assert "Type the new name of the task." in ask.body
