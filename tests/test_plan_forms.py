"""The mentor's plan forms (aiogram-dialog): Back on every step, bad input, a new date, a new name,
the mentor's own words, old buttons, and a form that survives a restart on Redis."""

from __future__ import annotations

from datetime import date, time, timedelta

from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import func, select

from bot.botapi import FakeTelegram, StoredMessage
from bot.plans.models import Goal, PlanChange, Task, TaskStatus
from bot.plans.telegram.callbacks import MenteeAction, MenteeCb, MoreTimeCb, TaskAction, TaskCb
from tests.conftest import ADMIN_ID
from tests.conversation import labels, onboard, tr
from tests.databases import REDIS_URL
from tests.harness import TOKEN, Harness, Person, running_bot
from tests.test_plan_conversation import add_task, mentor_and_youth
from tests.test_roles import new_mentor

REFUSAL = "This button no longer works."
PLAN = "📋 Plan of Vesna"
NO_GOALS = "Every task belongs to a goal. Add a goal first."
WHICH_GOAL = "Which goal is the new task for?"
GOAL_TITLE = "🎯 A new goal for Vesna. Type it in a few words, for example: Find a job."
DOMAIN = "Which part of life is it about?"
TASK_TITLE = "Type the task in a few words, for example: Ask the school for a certificate."
OWNER = "Who does it?"
DAY = "📅 By when? Pick the day."
TIME = "🕒 At what time? Tap one or type it, like 17:30."
BUTTONS = "Please use the buttons 👇"
TEXT = "Please send the text as a message."


def _fits(message: StoredMessage) -> None:
    """Every button of a form carries at most 64 bytes (Telegram's limit)."""
    for row in message.buttons:
        for button in row:
            assert button.data is None or len(button.data.encode()) <= 64, button


async def _plan(mentor: Person) -> StoredMessage:
    listing = await mentor.send("/mentees")
    return await mentor.click(next(b for b in labels(listing) if b.startswith("Vesna")), listing)


async def _count(harness: Harness, model: type[Goal] | type[Task]) -> int:
    async with harness.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_back_on_every_step_of_a_new_task_and_goal(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    plan = await _plan(mentor)
    goals = await mentor.click("➕ Add a task", plan)
    assert goals.message_id == plan.message_id and goals.body == NO_GOALS  # edited in place
    _fits(goals)
    plan = await mentor.click("⬅️ Back", goals)
    assert plan.body.startswith(PLAN) and "➕ Add a task" in labels(plan)
    goals = await mentor.click("➕ Add a task", plan)
    goal_title = await mentor.click("🎯 Add a goal", goals)
    assert goal_title.body == GOAL_TITLE
    assert (await mentor.click("⬅️ Back", goal_title)).body == NO_GOALS
    await mentor.click("🎯 Add a goal", goals)
    domains = await mentor.send("Find a job")
    assert domains.body == f"{DOMAIN}\nFind a job"
    _fits(domains)
    assert (await mentor.click("⬅️ Back", domains)).body == GOAL_TITLE
    domains = await mentor.send("Find a job <soon>")
    assert "Find a job &lt;soon&gt;" in domains.html_text
    title = await mentor.click("Work and career", domains)
    assert mentor.last_answer == "Goal added."
    assert "New goal in your plan" in youth.last.body and "Find a job <soon>" in youth.last.body
    assert title.body == f"🎯 Find a job <soon>\n\n{TASK_TITLE}"
    goals = await mentor.click("⬅️ Back", title)
    assert goals.body == WHICH_GOAL and "🎯 Find a job <soon>" in labels(goals)
    title = await mentor.click("🎯 Find a job <soon>", goals)
    owner = await mentor.send("Write a CV")
    assert owner.body == f"{OWNER}\nWrite a CV"
    assert (await mentor.click("⬅️ Back", owner)).body.endswith(TASK_TITLE)
    owner = await mentor.send("Write a CV, really")
    calendar = await mentor.click("Me, the mentor", owner)
    assert calendar.body == DAY and "No deadline" in labels(calendar)
    _fits(calendar)
    assert (await mentor.click("⬅️ Back", calendar)).body == f"{OWNER}\nWrite a CV, really"
    calendar = await mentor.click("An institution", owner)
    times = await mentor.click("30", calendar)
    assert times.body == TIME and "No particular time" in labels(times)
    _fits(times)
    assert (await mentor.click("⬅️ Back", times)).body == DAY
    times = await mentor.click("30", calendar)
    assert await _count(harness, Task) == 0  # nothing until the last step
    plan = await mentor.send("17.30")
    assert plan.body.startswith(f"Task added.\n\n{PLAN}") and "Write a CV, really" in plan.body
    assert labels(times) == []  # the form's message has no buttons left
    assert "New task in your plan: Write a CV, really" in youth.last.body
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
        actions = list(await session.scalars(select(PlanChange.action).order_by(PlanChange.id)))
    assert task is not None and (task.owner, task.due_date, task.due_time) == (
        "institution",
        date(2026, 11, 30),
        time(17, 30),
    )
    assert actions == ["goal_added", "task_added"]
    # The form is over: typing now is not taken as an answer.
    assert "Tap a button, or type what you need" in (await mentor.send("Another task")).body
    # The plan's own "🎯 Add a goal": Back from its first step is the plan.
    plan = await _plan(mentor)
    goal_title = await mentor.click("🎯 Add a goal", plan)
    assert goal_title.body == GOAL_TITLE
    assert (await mentor.click("⬅️ Back", goal_title)).body.startswith(PLAN)
    # No deadline, and no particular time.
    await add_task(mentor, title="Call the office")
    calendar = await mentor.click("The young person", await _owner_step(mentor, "Open an account"))
    plan = await mentor.click("No deadline", calendar)
    assert plan.body.startswith(PLAN) and mentor.last_answer == "Task added."
    calendar = await mentor.click("The young person", await _owner_step(mentor, "Get an ID card"))
    plan = await mentor.click("No particular time", await mentor.click("30", calendar))
    async with harness.sessions() as session:
        made = {t.title: (t.due_date, t.due_time) for t in await session.scalars(select(Task))}
    assert made["Open an account"] == (None, None)
    assert made["Get an ID card"] == (date(2026, 11, 30), None)
    assert made["Call the office"] == (date(2026, 12, 10), time(14, 0))


async def _owner_step(mentor: Person, title: str) -> StoredMessage:
    goals = await mentor.click("➕ Add a task", await _plan(mentor))
    await mentor.click(next(b for b in labels(goals) if b.startswith("🎯 Find")), goals)
    return await mentor.send(title)


async def test_bad_input_is_refused_politely_and_nothing_is_made(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    goals = await mentor.click("➕ Add a task", await _plan(mentor))
    await mentor.click("🎯 Add a goal", goals)
    assert (await mentor.send("   ")).body == TEXT  # nothing but spaces
    assert (await mentor.send("x" * 121)).body == "Too long: at most 120 characters."
    await harness.processed(mentor.tg.send_sticker())
    assert mentor.last.body == TEXT
    domains = await mentor.send("x" * 120)  # exactly the limit is fine
    assert domains.body.startswith(DOMAIN)
    again = await mentor.send("Work")  # a button was expected
    assert mentor.messages[-2].body == BUTTONS
    assert again.body.startswith(DOMAIN) and again.message_id > domains.message_id
    assert labels(domains) == []  # the older copy lost its buttons
    work = again.button("Work and career").data
    assert work is not None
    await mentor.click_data(work.rsplit(":", 1)[0] + ":sailing", again)
    assert mentor.last_answer == REFUSAL  # a forged domain
    assert await _count(harness, Goal) == 0
    title = await mentor.click("Work and career", again)
    assert (await mentor.send("y" * 121)).body == "Too long: at most 120 characters."
    owner = await mentor.send("Write a CV")
    assert owner.body.startswith(OWNER) and title
    await harness.processed(mentor.tg.send_sticker())
    assert mentor.messages[-2].body == BUTTONS
    owner = mentor.last
    calendar = await mentor.click("The young person", owner)
    assert "28" not in labels(calendar) and "29" in labels(calendar)  # from today on
    assert (await mentor.send("30")).body == DAY and mentor.messages[-2].body == BUTTONS
    calendar = mentor.last
    harness.clock.advance(timedelta(days=1))  # the calendar stays open past midnight
    await mentor.click("29", calendar)
    assert mentor.last_answer == "That day has passed. Please pick another."
    day_button = calendar.button("30").data
    assert day_button is not None
    await mentor.click_data(day_button.rsplit(":", 1)[0] + ":99999999999999", calendar)
    assert mentor.last_answer == REFUSAL  # a forged, impossible day
    times = await mentor.click("30", calendar)
    for typed in ("25:00", "12:60", "noon", "-1"):
        assert (await mentor.send(typed)).body == "Please type a time like 17:30.", typed
    preset = times.button("09:00").data
    assert preset is not None
    await mentor.click_data(preset.rsplit(":", 1)[0] + ":25:00", times)
    assert mentor.last_answer == REFUSAL  # a forged time
    assert await _count(harness, Task) == 0
    plan = await mentor.click("09:00", times)
    assert plan.body.startswith(PLAN) and mentor.last_answer == "Task added."
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.title == "Write a CV"
    assert (task.due_date, task.due_time) == (date(2026, 11, 30), time(9, 0))
    assert "Write a CV" in youth.last.body
    # A day that passed while the time step was open: back to the calendar, nothing made.
    goals = await mentor.click("➕ Add a task", await _plan(mentor))
    await mentor.click(next(b for b in labels(goals) if b.startswith("🎯 x")), goals)
    calendar = await mentor.click("The young person", await mentor.send("Late"))
    times = await mentor.click("1", await mentor.click("▶️", calendar))  # 1 December
    assert times.body == TIME
    harness.clock.advance(timedelta(days=2))
    calendar = await mentor.send("10:00")
    assert mentor.messages[-2].body == "That day has passed. Please pick another."
    assert calendar.body == DAY and calendar.message_id > times.message_id
    assert await _count(harness, Task) == 1


async def test_a_new_date_a_new_name_and_own_words_with_back(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness, "bg")
    await add_task(mentor)  # due 10 December, 14:00
    card = await mentor.click("1. Write a CV", await _plan(mentor))
    # A new date: Back is the card; the time of day is kept.
    calendar = await mentor.click("📅 New date", card)
    assert calendar.body.startswith("Write a CV\n\n📅 Deadline now:")
    assert "December 2026" in labels(calendar)
    _fits(calendar)
    card = await mentor.click("⬅️ Back", calendar)
    assert "📅 New date" in labels(card)
    calendar = await mentor.click("📅 New date", card)
    plan = await mentor.click("12", calendar)
    assert plan.body.startswith(PLAN) and mentor.last_answer == "New date saved."
    told = tr("bg", "📅 New deadline for {task}: {due}", task="\0", due="").split("\0")[0]
    assert youth.last.body.startswith(told + "Write a CV")
    # A new name: Back is the card; empty or too long is refused.
    card = await mentor.click("1. Write a CV", plan)
    ask = await mentor.click("✏️ Rename", card)
    _fits(ask)
    card = await mentor.click("⬅️ Back", ask)
    assert "✏️ Rename" in labels(card)
    ask = await mentor.click("✏️ Rename", card)
    assert (await mentor.send("n" * 121)).body == "Too long: at most 120 characters."
    await harness.processed(mentor.tg.send_sticker())
    assert mentor.last.body == TEXT
    renamed = await mentor.send("Write a CV with a photo")
    assert renamed.body.startswith(PLAN) and "Write a CV with a photo" in renamed.body
    assert "Write a CV with a photo" in youth.last.body
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
        actions = list(await session.scalars(select(PlanChange.action).order_by(PlanChange.id)))
    assert task is not None and task.title == "Write a CV with a photo"
    assert (task.due_date, task.due_time) == (date(2026, 12, 12), time(14, 0))
    assert actions[-2:] == ["task_moved", "task_renamed"]
    # Own words: Back is the reminder menu; too long is refused, not cut.
    menu = await mentor.click("📣 Send a reminder", await _plan(mentor))
    ask = await mentor.click("✍️ My own words", menu)
    menu = await mentor.click("⬅️ Back", ask)
    assert "✍️ My own words" in labels(menu)
    ask = await mentor.click("✍️ My own words", menu)
    before = len(youth.messages)
    assert (await mentor.send("w" * 301)).body == "Too long: at most 300 characters."
    assert len(youth.messages) == before
    report = await mentor.send("w" * 300)
    assert report.body == "📣 Sent to 1 young person." and youth.last.body.endswith("w" * 300)


async def test_pick_a_date_for_a_request_and_the_plain_answers_stay_stateless(
    harness: Harness,
) -> None:
    mentor, youth = await mentor_and_youth(harness, "sr")
    await add_task(mentor)
    card = await youth.click("1. Write a CV", await youth.send("/plan"))
    await youth.click(tr("sr", "⏳ I need more time"), card)
    request = mentor.last
    calendar = await mentor.click("📅 Pick a date", request)
    assert calendar.message_id == request.message_id and "Pick the new day." in calendar.body
    back = await mentor.click("⬅️ Back", calendar)
    assert back.body.startswith("⏳ Vesna needs more time for: Write a CV")
    assert labels(back) == ["+3 days", "+1 week", "+2 weeks", "📅 Pick a date", "✖️ No"]
    calendar = await mentor.click("📅 Pick a date", back)
    answered = await mentor.click("20", calendar)
    assert "New deadline for Write a CV" in answered.body
    assert youth.last.body.startswith("✅") and "20" in youth.last.body
    # The plain answers keep working without any form, and an answered request stays answered.
    again = await mentor.click_data(MoreTimeCb(id=1, days=7).pack(), request)
    assert "already been answered" in again.body
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.due_date == date(2026, 12, 20)
    # The young person's buttons are plain too: "Done" from the old card, no form involved.
    await youth.click_data(TaskCb(id=1, action=TaskAction.DONE).pack(), card)
    assert youth.last_answer == tr("sr", "✅ Well done!")
    async with harness.sessions() as session:
        task = await session.scalar(select(Task))
    assert task is not None and task.status == TaskStatus.DONE


async def test_old_and_foreign_form_buttons_get_the_stale_answer(harness: Harness) -> None:
    mentor, youth = await mentor_and_youth(harness)
    await add_task(mentor)
    first = await mentor.click("➕ Add a task", await _plan(mentor))
    second = await mentor.click("➕ Add a task", await _plan(mentor))  # the first one is gone
    await mentor.click("🎯 Find a job", first)
    assert mentor.last_answer == REFUSAL
    assert (await mentor.click("🎯 Find a job", second)).body.endswith(TASK_TITLE)
    await mentor.send("/menu")  # leaving a form through the menu ends it
    await mentor.click("⬅️ Back", second)
    assert mentor.last_answer == REFUSAL
    assert "Tap a button, or type what you need" in (await mentor.send("A title")).body
    # Opening a plain plan screen ends a form too.
    ask = await mentor.click("✏️ Rename", await mentor.click("1. Write a CV", await _plan(mentor)))
    await _plan(mentor)
    await mentor.click("⬅️ Back", ask)
    assert mentor.last_answer == REFUSAL
    # Nobody else opens or uses a mentor's form.
    staff = Person(harness, harness.fake.user_by_id(ADMIN_ID))
    other = await new_mentor(harness, staff)
    stranger = await onboard(harness, "en", first_name="Stranger")
    open_second = await mentor.click("➕ Add a task", await _plan(mentor))
    for person in (other, stranger, youth):
        for data in (
            MenteeCb(id=3, action=MenteeAction.TASK).pack(),
            MenteeCb(id=3, action=MenteeAction.GOAL).pack(),
            TaskCb(id=1, action=TaskAction.MOVE).pack(),
            TaskCb(id=1, action=TaskAction.RENAME).pack(),
            MoreTimeCb(id=1, days=-1).pack(),
            open_second.button("⬅️ Back").data or "",
        ):
            await person.click_data(data)
            assert person.last_answer == REFUSAL, (person.id, data)
    # A task or a person that is not there.
    for data in (
        TaskCb(id=99, action=TaskAction.MOVE).pack(),
        TaskCb(id=99, action=TaskAction.RENAME).pack(),
        MenteeCb(id=99, action=MenteeAction.TASK).pack(),
    ):
        await mentor.click_data(data)
        assert mentor.last_answer == REFUSAL, data
    async with harness.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Task)) == 1


async def test_a_form_is_forgotten_by_a_restart_without_redis(sqlite_url: str) -> None:
    admins = frozenset({ADMIN_ID})
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins) as first:
            mentor, _youth = await mentor_and_youth(first)
            goals = await mentor.click("➕ Add a task", await _plan(mentor))
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins) as second:
            again = Person(second, mentor.tg)
            await again.click("🎯 Add a goal", goals)
            assert again.last_answer == REFUSAL
            assert "Tap a button, or type what you need" in (await again.send("A goal")).body


async def test_a_form_goes_on_after_a_restart_on_redis(sqlite_url: str, redis_prefix: str) -> None:
    def storage() -> RedisStorage:
        builder = DefaultKeyBuilder(prefix=redis_prefix, with_destiny=True)
        return RedisStorage.from_url(REDIS_URL, key_builder=builder)

    admins = frozenset({ADMIN_ID})
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as one:
            mentor, youth = await mentor_and_youth(one)
            goals = await mentor.click("➕ Add a task", await _plan(mentor))
            await mentor.click("🎯 Add a goal", goals)
            domains = await mentor.send("Find a job")
        async with running_bot(sqlite_url, fake=fake, admin_ids=admins, storage=storage()) as two:
            again = Person(two, mentor.tg)
            title = await again.click("Work and career", domains)
            assert title.body.endswith(TASK_TITLE)
            calendar = await again.click("The young person", await again.send("Write a CV"))
            times = await again.click("30", calendar)
            plan = await again.click("16:00", times)
            assert plan.body.startswith(PLAN) and again.last_answer == "Task added."
            async with two.sessions() as session:
                task = await session.scalar(select(Task))
            assert task is not None and (task.title, task.due_time) == ("Write a CV", time(16, 0))
            assert "Write a CV" in Person(two, youth.tg).last.body
