"""Small things that made the bot feel machine-made (issue 16), each met through the real bot and
the fake Bot API, in more than one language."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.botapi import StoredMessage
from bot.i18n.formatting import fmt_number, put_date
from bot.plans.models import Task
from bot.plans.telegram.callbacks import TaskAction, TaskCb
from tests.conftest import ADMIN_ID
from tests.conversation import (
    ADULT_YEAR,
    TELEGRAM_CODE,
    labels,
    language_button,
    onboard,
    plain,
    tr,
    trn,
)
from tests.harness import Harness, Person
from tests.test_roles import invite_token, invite_youth

YOUTH_CONSENT = (
    "🔒 To help you, I keep your Telegram ID, language, first name and year of "
    "birth. Your mentor and the programme staff can see them. You can download or "
    "delete them at any time."
)
STAFF_CONSENT = (
    "🔒 For that, I keep your Telegram ID, language and first name, and what you do here for "
    "the programme. You can download or delete them at any time."
)
UNDER_15 = (
    "Thank you! Because you are under 15, a mentor or guardian has to connect you "
    "to Putokaz first. Ask your case worker for a Putokaz link. Until then I keep "
    "nothing about you."
)
REFUSAL = "This button no longer works."


async def _to_consent(person: Person, locale: str, start: str = "/start") -> StoredMessage:
    picker = await person.send(start)
    return await person.click(language_button(locale, picker))


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_staff_and_mentors_are_asked_only_what_applies_to_them(
    harness: Harness, locale: str
) -> None:
    staff = harness.person(first_name="Sara", user_id=ADMIN_ID, language_code=TELEGRAM_CODE[locale])
    intro = await _to_consent(staff, locale)
    assert tr(locale, STAFF_CONSENT) in intro.html_text
    assert tr(locale, YOUTH_CONSENT) not in intro.html_text
    done = await staff.click(tr(locale, "✅ I agree"), intro)
    assert tr(locale, "✅ All set!") in done.html_text  # no year of birth asked
    # A mentor by invitation: the same.
    await staff.send("/menu")
    link = await staff.click(tr(locale, "➕ Invite a mentor"))
    mentor = harness.person(first_name="Mara", language_code=TELEGRAM_CODE[locale])
    intro = await _to_consent(mentor, locale, f"/start {invite_token(link.body)}")
    assert tr(locale, STAFF_CONSENT) in intro.html_text
    done = await mentor.click(tr(locale, "✅ I agree"), intro)
    assert tr(locale, "✅ All set!") in done.html_text
    # A young person is still told what is kept about them, and asked the year.
    youth = harness.person(first_name="Ana", language_code=TELEGRAM_CODE[locale])
    intro = await _to_consent(youth, locale)
    assert tr(locale, YOUTH_CONSENT) in intro.html_text
    year = await youth.click(tr(locale, "✅ I agree"), intro)
    assert str(ADULT_YEAR) in labels(year)


@pytest.mark.parametrize("locale", ["sr_Latn", "bg"])
async def test_under_15_has_a_way_on_and_help_now_comes_back_to_it(
    harness: Harness, locale: str
) -> None:
    person = harness.person(first_name="Luka", language_code=TELEGRAM_CODE[locale])
    intro = await _to_consent(person, locale)
    years = await person.click(tr(locale, "✅ I agree"), intro)
    young = await person.click("2013", years)
    assert tr(locale, UNDER_15) in young.html_text
    assert labels(young) == [tr(locale, "✏️ I tapped the wrong year"), tr(locale, "🆘 Help now")]
    sos = await person.click(tr(locale, "🆘 Help now"), young)
    assert tr(locale, "🆘 <b>Help now</b>") in sos.html_text
    back = await person.click(tr(locale, "⬅️ Back"), sos)
    assert tr(locale, UNDER_15) in back.html_text  # not the start of onboarding again
    # The wrong year can be corrected.
    years = await person.click(tr(locale, "✏️ I tapped the wrong year"), back)
    done = await person.click(str(ADULT_YEAR), years)
    assert tr(locale, "✅ All set!") in done.html_text


@pytest.mark.parametrize("locale", ["sr", "en"])
async def test_privacy_before_consent_has_a_way_back_to_the_start(
    harness: Harness, locale: str
) -> None:
    person = harness.person(first_name="Iva", language_code=TELEGRAM_CODE[locale])
    notice = await person.send("/privacy")
    assert tr(locale, "🔒 <b>Privacy notice</b>") in notice.html_text
    assert labels(notice) == [tr(locale, "⬅️ Back")]
    picker = await person.click(tr(locale, "⬅️ Back"), notice)
    assert picker.html_text == tr(locale, "👋 Hi! Choose your language:")


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_mydata_comes_with_a_readable_summary_in_the_persons_language(
    harness: Harness, locale: str
) -> None:
    person = await onboard(harness, locale, first_name="Mila")
    await person.send("/mydata")
    summary, document = person.messages[-2], person.messages[-1]
    assert document.document is not None
    data = json.loads(document.document.data)
    assert "person" in data  # the file stays as it was, for a computer
    assert summary.document is None
    assert tr(locale, "📦 <b>What Putokaz keeps about you</b>") in summary.html_text
    assert tr(locale, "👤 Name: {name}", name="Mila") in summary.html_text
    assert tr(locale, "🎂 Year of birth: {year}", year=ADULT_YEAR) in summary.html_text
    assert trn(locale, "📝 {n} self-assessment", "📝 {n} self-assessments", 0) in summary.html_text
    assert "exported_at" not in summary.html_text and "birth_year" not in summary.html_text


def test_numbers_and_dates_are_written_as_each_language_does() -> None:
    assert [fmt_number(1.5, loc) for loc in ("en", "sr", "sr_Latn", "bg")] == [
        "1.5",
        "1,5",
        "1,5",
        "1,5",
    ]
    assert fmt_number(2.0, "sr") == "2"
    # A date that ends a sentence keeps one full stop; words a person typed stay as written.
    sentence = put_date("Rok je bio {due}. Gotovo? {task}", "due", "12. jan 2027.")
    assert sentence.format(task="Wait..") == "Rok je bio 12. jan 2027. Gotovo? Wait.."
    assert put_date("Due {due}.", "due", "Jan 12, 2027") == "Due Jan 12, 2027."


async def _mentor_and_youth(harness: Harness, locale: str) -> tuple[Person, Person]:
    staff = await onboard(harness, "en", first_name="Sara", user_id=ADMIN_ID)
    await staff.send("/menu")
    link = await staff.click("➕ Invite a mentor")
    mentor = await onboard(
        harness, "en", first_name="Mara", start=f"/start {invite_token(link.body)}"
    )
    token = await invite_youth(mentor)
    youth = await onboard(harness, locale, first_name="Vesna", start=f"/start {token}")
    return mentor, youth


async def _task(mentor: Person, title: str, owner: str, day: str | None) -> None:
    listing = await mentor.send("/mentees")
    plan = await mentor.click(next(b for b in labels(listing) if b.startswith("Vesna")), listing)
    if "🎯 Find a job" not in labels(await mentor.click("➕ Add a task", plan)):
        await mentor.click("🎯 Add a goal")
        domains = await mentor.send("Find a job")
        await mentor.click("Work and career", domains)
    else:
        await mentor.click("🎯 Find a job")
    await mentor.send(title)
    calendar = await mentor.click(owner, mentor.last)
    if day is None:
        await mentor.click("No deadline", calendar)
        return
    nxt = await mentor.click("▶️", calendar)
    times = await mentor.click(day, nxt)
    await mentor.click("No particular time", times)


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_tasks_read_naturally_and_only_the_young_persons_own_have_their_buttons(
    harness: Harness, locale: str
) -> None:
    mentor, youth = await _mentor_and_youth(harness, locale)
    await _task(
        mentor, "Call the centre", "Me, the mentor", None
    )  # the mentor does it, no deadline
    told = youth.last
    assert tr(locale, "📋 New task in your plan: {task}\nIt has no deadline.", task="") in (
        told.html_text.replace("<b>Call the centre</b>", "")
    )
    plan = await youth.send("/plan")
    card = await youth.click(next(b for b in labels(plan) if b.endswith("Call the centre")), plan)
    assert tr(locale, "📅 No deadline") in card.html_text
    assert tr(locale, "📅 Deadline: {due}", due=tr(locale, "no deadline")) not in card.html_text
    assert tr(locale, "Your mentor takes care of this one and marks it done.") in card.html_text
    assert tr(locale, "✅ Done") not in labels(card)
    assert tr(locale, "⏳ I need more time") not in labels(card)
    # A forged "Done" for it is refused and changes nothing.
    async with harness.sessions() as session:
        task = await session.scalar(select(Task).where(Task.title == "Call the centre"))
    assert task is not None
    await youth.click_data(TaskCb(id=task.id, action=TaskAction.DONE).pack(), card)
    assert youth.last_answer == tr(locale, REFUSAL)
    async with harness.sessions() as session:
        again = await session.get(Task, task.id)
    assert again is not None and again.status == "todo"

    # Her own task, with a day and no time: more time given, told with one full stop.
    await _task(mentor, "Write a CV", "The young person", "10")
    plan = await youth.send("/plan")
    card = await youth.click(next(b for b in labels(plan) if b.endswith("Write a CV")), plan)
    assert tr(locale, "✅ Done") in labels(card)
    await youth.click(tr(locale, "⏳ I need more time"), card)
    await mentor.click("+1 week", mentor.last)
    granted = plain(youth.last.html_text)
    assert granted.startswith("✅")
    assert ".." not in granted and "г.." not in granted, granted
    assert ".." not in mentor.last.body, mentor.last.body


def test_every_step_of_the_staff_and_mentor_forms_has_a_back_button() -> None:
    """No wizard prompt is a dead end: each window of each form offers "⬅️ Back"."""
    from bot.booking.telegram import staff_counselling, workshop_forms
    from bot.plans.telegram import plan_forms

    dialogs = [
        staff_counselling.new_dialog(),
        staff_counselling.hours_dialog(),
        staff_counselling.time_off_dialog(),
        workshop_forms.new_dialog(),
        workshop_forms.edit_dialog(),
        plan_forms.new_task_dialog(),
        plan_forms.move_dialog(),
        plan_forms.rename_dialog(),
        plan_forms.nudge_dialog(),
    ]

    def widgets(widget: object) -> list[object]:
        found = [widget]
        for child in getattr(widget, "buttons", None) or []:
            found += widgets(child)
        return found

    windows = [(state, w) for d in dialogs for state, w in d.windows.items()]
    assert len(windows) > 30
    for state, window in windows:
        texts = [
            getattr(getattr(w, "text", None), "msgid", None)
            for w in widgets(getattr(window, "keyboard", None))
        ]
        assert "⬅️ Back" in texts, state
