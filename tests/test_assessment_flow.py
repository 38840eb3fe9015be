"""The self-assessment as people meet it, through the fake Bot API, in every locale."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select

from bot import app
from bot.assessment import chart, questionnaire
from bot.assessment.models import Assessment, AssessmentAnswer
from bot.assessment.telegram.callbacks import AssessAction, AssessCb, MenteeResultsCb, StepCb
from bot.botapi import FakeTelegram, StoredMessage
from bot.config import Settings
from bot.kit.callbacks import NavCb, Page
from bot.kit.dialog_errors import DialogError
from bot.kit.sealing import new_key
from tests.assessment_steps import (
    QUESTIONNAIRE,
    answer_until_done,
    chart_labels,
    chart_of,
    current_question,
    data_of,
    keyed_bot,
    open_assessment,
    press,
)
from tests.conversation import ALL_LOCALES, labels, onboard, plain, stored_user, tr
from tests.harness import TOKEN, Harness, Person
from tests.test_roles import invite_youth, new_mentor, staff_member

REFUSAL = "This button no longer works."
WORRY = "Rent <b>& bills</b>"
TOTAL = len(QUESTIONNAIRE.questions)
# The counter numbers the questions everyone is asked; follow-ups keep the number before them.
NUMBERED = sum(1 for q in QUESTIONNAIRE.questions if q.condition is None)
TEXTS = sum(1 for q in QUESTIONNAIRE.questions if q.kind == "text")


@pytest.fixture
async def keyed(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    async with keyed_bot(sqlite_url, monkeypatch) as harness:
        yield harness


def domain_names(locale: str) -> list[str]:
    return [tr(locale, d.name) for d in QUESTIONNAIRE.domains]


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_a_young_person_completes_the_self_assessment_in_one_message(
    keyed: Harness, locale: str
) -> None:
    youth = await onboard(keyed, locale, first_name="Mila")
    first = await open_assessment(youth, locale)
    assert f"1 / {NUMBERED}" in first.html_text
    assert tr(locale, QUESTIONNAIRE.questions[0].text) in first.html_text
    assert labels(first)[:2] == [tr(locale, "Yes"), tr(locale, "No")]
    assert tr(locale, "⏸ Pause") in labels(first)
    second = await press(youth, first, "a", 1)  # not a returnee
    assert second.message_id == first.message_id, "questions edit one message in place"
    assert f"2 / {NUMBERED}" in second.html_text  # the total did not move
    assert tr(locale, "Education and training") in second.html_text

    done = await answer_until_done(youth, second, locale, text=WORRY)
    for name in domain_names(locale):
        assert name in done.body
    assert "▰" in done.body
    # The chart: a small PNG labelled in the person's language.
    photo = chart_of(youth)
    assert chart_labels(photo) == domain_names(locale)
    assert photo.caption == plain(tr(locale, "📊 Your chart: the further out, the better it goes."))
    summary = youth.last
    assert tr(locale, "👉 <b>Next steps.</b> Tap one and I will tell your mentor.") in (
        summary.html_text
    )
    assert any(label.startswith("🙋 ") for label in labels(summary))
    assert tr(locale, "📈 My progress") in labels(summary)
    # Few messages for the whole questionnaire: one for every question with buttons, one after
    # each typed answer (the last becomes the scores), the chart and the next steps.
    assert first.edits >= TOTAL - 2 - 2
    sent = [m for m in youth.messages if m.message_id >= first.message_id]
    assert [m.message_id for m in sent[-3:]] == [
        done.message_id,
        photo.message_id,
        summary.message_id,
    ]
    assert len(sent) == 5


async def test_typed_text_where_a_button_is_expected_gets_a_nudge_and_the_question(
    keyed: Harness,
) -> None:
    youth = await onboard(keyed, "sr", first_name="Iva")
    first = await open_assessment(youth, "sr")
    nudge = await youth.send("maybe")
    assert nudge.message_id != first.message_id
    assert nudge.html_text.startswith(tr("sr", "Please use the buttons 👇"))
    assert tr("sr", QUESTIONNAIRE.questions[0].text) in nudge.html_text
    assert labels(nudge) == labels(first)
    # The repeated question works, and so does the old one (it resyncs to where she is).
    after = await press(youth, nudge, "a", 0)
    assert current_question(after) == QUESTIONNAIRE.questions[1]
    stale = await press(youth, first, "a", 0)
    assert current_question(stale) == QUESTIONNAIRE.questions[1]
    # Commands still work in the middle of it.
    menu = await youth.send("/menu")
    assert tr("sr", "What would you like to do?") in menu.html_text


async def test_back_shows_the_earlier_answer_and_skip_moves_on(keyed: Harness) -> None:
    youth = await onboard(keyed, "en", first_name="Ana")
    first = await open_assessment(youth, "en")
    assert "⬅️ Back" not in labels(first)  # nothing before the first question
    assert "⏭ Skip" not in labels(first)
    second = await press(youth, first, "a", 1)
    back = await press(youth, second, "b")
    assert current_question(back) == QUESTIONNAIRE.questions[0]
    assert "✓ No" in labels(back) and "Yes" in labels(back)
    second = await press(youth, back, "a", 1)
    # On to the money question that may be skipped.
    message = second
    while (question := current_question(message)) is not None and question.id != "money_enough":
        message = await press(youth, message, "a", 0)
    assert "⏭ Skip" in labels(message)
    skipped = await press(youth, message, "s")
    assert current_question(skipped) == QUESTIONNAIRE.question("budget")
    async with keyed.sessions() as session:
        row = await session.scalar(
            select(AssessmentAnswer).where(AssessmentAnswer.question == "money_enough")
        )
    assert row is not None and row.skipped and row.option is None


@pytest.mark.parametrize(
    ("returned", "study", "shown", "hidden"),
    [
        (0, 0, {"school_coping", "papers_abroad"}, set()),
        (1, 1, set(), {"school_coping", "school_missing", "papers_abroad", "registered"}),
    ],
)
async def test_conditional_questions_follow_earlier_answers(
    keyed: Harness, returned: int, study: int, shown: set[str], hidden: set[str]
) -> None:
    youth = await onboard(keyed, "bg", first_name="Petya")
    message = await open_assessment(youth, "bg")
    seen = []
    answers = {"returned": returned, "study_now": study}
    for _ in range(40):
        question = current_question(message)
        if question is None or question.kind == "text":
            break
        seen.append(question.id)
        message = await press(youth, message, "a", answers.get(question.id, 0))
    assert shown <= set(seen) and not hidden & set(seen)
    assert f"/ {NUMBERED}" in message.html_text  # the same total on every branch


async def test_pause_and_come_back_after_a_restart(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress is in the database: a restart (memory FSM lost) resumes at the same question."""
    key = new_key()
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with keyed_bot(sqlite_url, monkeypatch, fake, key) as first:
            youth = await onboard(first, "sr_Latn", first_name="Jovana")
            message = await open_assessment(youth, "sr_Latn")
            for _ in range(5):
                message = await press(youth, message, "a", 1)
            where = current_question(message)
            assert where is not None
            paused = await press(youth, message, "p")
            paused_text = "⏸ Paused at question {n} of {total}. Come back any time: Menu → 📝 "
            assert paused.html_text == tr(
                "sr_Latn", paused_text + "Self-assessment.", n=6, total=NUMBERED
            )

        async with keyed_bot(sqlite_url, monkeypatch, fake, key) as second:
            again = Person(second, youth.tg)
            first_keyboard = youth.messages[-1]
            intro = await again.click(
                tr("sr_Latn", "📝 Self-assessment"), await again.send("/menu")
            )
            stopped = "You stopped at question {n} of {total}. Continue where you left off?"
            assert tr("sr_Latn", stopped, n=6, total=NUMBERED) in intro.html_text
            resumed = await again.click(tr("sr_Latn", "▶️ Continue"), intro)
            assert current_question(resumed) == where
            assert "6 / " in resumed.html_text
            # An old question message from before the restart still leads to the right place.
            old = await again.click_data(
                AssessCb(
                    act=AssessAction.ANSWER, id=data_of(resumed)[0].id, q=where.index, o=0
                ).pack(),
                first_keyboard,
            )
            assert current_question(old) != where
            done = await answer_until_done(again, old, "sr_Latn", text="ok")
            assert tr("sr_Latn", "✅ <b>Done! Thank you.</b>") in done.html_text


async def test_without_a_data_key_no_free_text_is_asked(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import ADMIN_ID
    from tests.harness import running_bot

    monkeypatch.delenv("DATA_KEY", raising=False)
    async with running_bot(sqlite_url, admin_ids=frozenset({ADMIN_ID}), strict_html=True) as h:
        youth = await onboard(h, "en", first_name="Ana")
        message = await open_assessment(youth, "en")
        assert f"1 / {NUMBERED - TEXTS}" in message.html_text
        await answer_until_done(youth, message, "en")
        async with h.sessions() as session:
            texts = await session.scalar(
                select(func.count()).where(AssessmentAnswer.sealed_text.is_not(None))
            )
        assert texts == 0


async def _linked(harness: Harness, mentor_locale: str = "en") -> tuple[Person, Person, Person]:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff, mentor_locale)
    token = await invite_youth(mentor, mentor_locale)
    youth = await onboard(harness, "sr", first_name="Marko", start=f"/start {token}")
    return staff, mentor, youth


async def test_the_mentor_sees_results_and_only_the_text_they_were_allowed(
    keyed: Harness,
) -> None:
    staff, mentor, youth = await _linked(keyed)
    first = await open_assessment(youth, "sr")
    await answer_until_done(youth, first, "sr", text=WORRY, share=True)
    youth_user = await stored_user(keyed, youth.id)
    assert youth_user is not None

    await mentor.send("/menu")
    listing = await mentor.click("📝 Self-assessments")
    card = await mentor.click("📝 Marko", listing)
    assert "📝 <b>Marko</b> · self-assessment" in card.html_text
    assert "Finished: " in card.body
    assert WORRY in card.body  # shared, and escaped as HTML
    assert "Rent &lt;b&gt;&amp; bills&lt;/b&gt;" in card.html_text
    # Above it, what was asked, not the young person's instruction how to answer.
    assert "💬 <i>What worries them most right now</i>" in card.html_text
    assert "Write a few words" not in card.html_text

    # Another mentor, and a young person, forging the same button are refused.
    other = await new_mentor(keyed, staff)
    await other.click_data(MenteeResultsCb(youth=youth_user.id).pack())
    assert other.last_answer == REFUSAL
    await youth.click_data(MenteeResultsCb(youth=youth_user.id).pack())
    assert youth.last_answer == tr("sr", REFUSAL)
    await other.click_data(NavCb(to=Page.AS_STATS).pack())
    assert other.last_answer == REFUSAL

    # Staff see numbers per domain and never what anyone wrote.
    await staff.send("/menu")
    figures = await staff.click("📊 Self-assessments")
    assert "1 young person has finished at least one." in figures.body
    assert "Housing" in figures.body and "levels 1–5:" in figures.body
    assert "Rent" not in figures.body


async def test_a_private_answer_is_not_shown_to_the_mentor(keyed: Harness) -> None:
    _staff, mentor, youth = await _linked(keyed)
    first = await open_assessment(youth, "sr")
    await answer_until_done(youth, first, "sr", text=WORRY, share=False)
    await mentor.send("/menu")
    card = await mentor.click("📝 Marko", await mentor.click("📝 Self-assessments"))
    assert "Finished: " in card.body and "Rent" not in card.body


async def test_forged_assessment_buttons_are_refused(keyed: Harness) -> None:
    owner = await onboard(keyed, "en", first_name="Owner")
    message = await open_assessment(owner, "en")
    theirs = data_of(message)[0]
    other = await onboard(keyed, "en", first_name="Other")
    for data in (
        AssessCb(act=AssessAction.ANSWER, id=theirs.id, q=theirs.q, o=0).pack(),
        AssessCb(act=AssessAction.PAUSE, id=theirs.id, q=theirs.q).pack(),
        f"as:z:{theirs.id}:{theirs.q}:0",  # an action no button has
        StepCb(id=theirs.id, step="career").pack(),
        NavCb(to=Page.AS_STEPS).pack(),
        "as:a:not-a-number",
    ):
        await other.click_data(data)
        assert other.last_answer == REFUSAL, data
    async with keyed.sessions() as session:
        answered = await session.scalar(select(func.count()).select_from(AssessmentAnswer))
    assert answered == 0


@pytest.mark.parametrize("mentor_locale", ["bg", "en"])
async def test_a_next_step_tells_the_mentor_in_their_language(
    keyed: Harness, mentor_locale: str
) -> None:
    _staff, mentor, youth = await _linked(keyed, mentor_locale)
    first = await open_assessment(youth, "sr")
    await answer_until_done(youth, first, "sr")
    summary = youth.last
    step_label = next(label for label in labels(summary) if label.startswith("🙋 "))
    after = await youth.click(step_label, summary)
    assert youth.last_answer == tr("sr", "✅ I told your mentor.")
    assert "✓ " + step_label.removeprefix("🙋 ") in labels(after)
    step = next(s for s in QUESTIONNAIRE.next_steps if tr("sr", s.title) in step_label)
    told = mentor.last
    assert told.html_text == tr(
        mentor_locale,
        "🙋 {name} would like help with: <b>{step}</b>. It came up in their self-assessment. "
        "See it under /menu → 📝 Self-assessments.",
        name="Marko",
        step=tr(mentor_locale, step.title),
    )
    count = len(mentor.messages)
    await youth.click("✓ " + step_label.removeprefix("🙋 "), after)
    assert youth.last_answer == tr("sr", "Your mentor already knows. 🙂")
    assert len(mentor.messages) == count


async def test_without_a_mentor_the_next_step_says_so_kindly(keyed: Harness) -> None:
    youth = await onboard(keyed, "bg", first_name="Ani")
    await answer_until_done(youth, await open_assessment(youth, "bg"), "bg")
    step_label = next(label for label in labels(youth.last) if label.startswith("🙋 "))
    await youth.click(step_label)
    assert youth.last_answer == tr(
        "bg", "You have no mentor in Putokaz yet. Ask your case worker: they can connect you."
    )


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_my_progress_shows_the_change_since_last_time(keyed: Harness, locale: str) -> None:
    youth = await onboard(keyed, locale, first_name="Nina")
    progress = await youth.click(tr(locale, "📈 My progress"), await youth.send("/menu"))
    assert tr(locale, "You have not finished a self-assessment yet.") in progress.html_text
    await answer_until_done(youth, await open_assessment(youth, locale), locale)
    keyed.clock.advance(timedelta(days=60))
    await answer_until_done(
        youth, await open_assessment(youth, locale), locale, pick=lambda q: len(q.options) - 1
    )
    photo = chart_of(youth)
    assert tr(locale, "Dashed line: last time ({date}).", date="X").split("(")[0] in (
        photo.caption or ""
    )
    assert chart_labels(photo) == domain_names(locale)
    progress = await youth.click(tr(locale, "📈 My progress"), await youth.send("/menu"))
    assert tr(locale, "📈 <b>My progress</b>") in progress.html_text
    assert tr(locale, "Change since {date}:", date="X").split("X")[0] in progress.html_text
    assert "⬆️" in progress.body or "⬇️" in progress.body
    chart = await youth.click(tr(locale, "📊 Chart"), progress)
    assert chart.photo is not None and chart_labels(chart) == domain_names(locale)


async def test_mydata_holds_the_assessments_and_deleteme_removes_them(keyed: Harness) -> None:
    youth = await onboard(keyed, "en", first_name="Ana")
    await answer_until_done(youth, await open_assessment(youth, "en"), "en", text=WORRY)
    await youth.send("/mydata")
    document = youth.last.document
    assert document is not None
    data = json.loads(document.data)
    [exported] = data["self_assessments"]
    assert exported["status"] == "completed" and exported["questionnaire_version"] == 1
    assert set(exported["scores"]) == {d.id for d in QUESTIONNAIRE.domains}
    assert [a["text"] for a in exported["answers"] if "text" in a] == [WORRY, WORRY]
    await youth.send("/deleteme")
    await youth.click("🗑 Yes, delete everything")
    async with keyed.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 0
        assert await session.scalar(select(func.count()).select_from(AssessmentAnswer)) == 0


async def test_the_bot_does_not_start_on_a_broken_questionnaire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise DialogError(Path("dialogs/assessment/v1.yaml"), 12, "option 'no' has no score")

    monkeypatch.setattr(questionnaire, "load_all", broken)
    settings = Settings(bot_token=SecretStr("123:abc"), _env_file=None)
    with pytest.raises(app.StartupError) as caught:
        await app.run(settings)
    assert caught.value.code == app.EXIT_CONFIG
    assert str(caught.value) == (
        "broken data file dialogs/assessment/v1.yaml, line 12: option 'no' has no score"
    )


def test_a_data_key_that_is_not_a_fernet_key_is_one_clear_line() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(bot_token=SecretStr("123:abc"), data_key=SecretStr("not-a-key"), _env_file=None)
    line = app.describe_settings_error(caught.value)
    assert line.startswith("bad configuration: DATA_KEY: ") and "Fernet key" in line
    assert "not-a-key" not in line
    assert (
        Settings(bot_token=SecretStr("123:abc"), data_key=SecretStr(" "), _env_file=None).data_key
        is None
    )


async def test_a_chart_tapped_again_while_drawn_adds_nothing_and_holds_nobody_up(
    keyed: Harness,
) -> None:
    youth = await onboard(keyed, "sr", first_name="Nina")
    await answer_until_done(youth, await open_assessment(youth, "sr"), "sr")
    progress = await youth.click(tr("sr", "📈 My progress"), await youth.send("/menu"))
    photos = sum(1 for m in youth.messages if m.photo is not None)
    other = await onboard(keyed, "bg", first_name="Iva")
    # Hold the drawing lock: the first tap waits on it in its thread.
    assert chart._LOCK.acquire(timeout=5)
    try:
        taps = [youth.tg.click(progress, tr("sr", "📊 Chart")) for _ in range(3)]
        queries = [q for q in keyed.fake.callback_queries.values() if q.user_id == youth.id][-3:]
        # All three buttons stop spinning while the first chart is still being drawn.
        for _ in range(200):
            if all(q.answered for q in queries):
                break
            await asyncio.sleep(0.05)
        assert all(q.answered for q in queries)
        # Everyone else is answered while a chart is being drawn.
        menu = await other.send("/menu")
        assert tr("bg", "What would you like to do?") in menu.html_text
    finally:
        chart._LOCK.release()
    for tap in taps:
        await keyed.processed(tap)
    answers = [(q.answer or {}).get("text") for q in queries]
    assert answers.count(tr("sr", "📊 Your chart is on its way.")) == 2
    assert sum(1 for m in youth.messages if m.photo is not None) == photos + 1


def short_question(message: StoredMessage) -> str:
    """The short check numbers its questions anew: which one a message shows, by its text."""
    short = QUESTIONNAIRE.short_check()
    assert short is not None
    return short.questions[data_of(message)[0].q].id


async def answer_short(youth: Person, message: StoredMessage, best: bool) -> None:
    """Answers the whole short check with the best (or the worst) option of each question."""
    short = QUESTIONNAIRE.short_check()
    assert short is not None
    for number in range(1, len(short.questions) + 1):
        assert f"{number} / {len(short.questions)}" in message.html_text
        question = QUESTIONNAIRE.question(short_question(message))
        assert question is not None
        ranked = sorted(range(len(question.options)), key=lambda i: question.options[i].score or 0)
        message = await press(youth, message, "a", ranked[-1] if best else ranked[0])


@pytest.mark.parametrize("locale", ["sr", "bg", "en"])
async def test_the_short_check_comes_first_and_says_what_it_is(keyed: Harness, locale: str) -> None:
    short = QUESTIONNAIRE.short_check()
    assert short is not None and len(short.questions) == len(QUESTIONNAIRE.domains)
    youth = await onboard(keyed, locale, first_name="Sara")
    intro = await youth.click(tr(locale, "📝 Self-assessment"), await youth.send("/menu"))
    assert labels(intro)[:2] == [
        tr(locale, "⚡ Short check · 2 min"),
        tr(locale, "📝 Full self-assessment"),
    ]
    first = await youth.click(tr(locale, "⚡ Short check · 2 min"), intro)
    assert tr(locale, "⚡ <b>Short check</b>") in first.html_text
    assert f"1 / {len(short.questions)}" in first.html_text
    asked = []
    message = first
    for _ in short.questions:
        asked.append(short_question(message))
        assert tr(locale, QUESTIONNAIRE.question(asked[-1]).text) in message.html_text  # type: ignore[union-attr]
        message = await press(youth, message, "a", 0)
    # One question per domain, every domain.
    assert [QUESTIONNAIRE.question(q).domain for q in asked] == [  # type: ignore[union-attr]
        d.id for d in QUESTIONNAIRE.domains
    ]
    done = next(
        m for m in youth.messages if tr(locale, "✅ <b>Done! Thank you.</b>") in m.html_text
    )
    note = "⚡ This was the short check: one question for each area, a first picture. The full "
    note += "self-assessment asks more and shows more; your mentor will see which one it was."
    assert tr(locale, note) in done.html_text
    for name in domain_names(locale):
        assert name in done.body
    summary = youth.last
    assert tr(locale, "📝 Full self-assessment") in labels(summary)
    # The full one follows from there.
    full = await youth.click(tr(locale, "📝 Full self-assessment"), summary)
    assert tr(locale, "📝 <b>Self-assessment</b>") in full.html_text
    assert f"1 / {NUMBERED}" in full.html_text
    assert current_question(full) == QUESTIONNAIRE.questions[0]


async def test_short_checks_are_compared_only_with_short_checks(keyed: Harness) -> None:
    youth = await onboard(keyed, "sr", first_name="Lena")
    short_label = tr("sr", "⚡ Short check · 2 min")
    intro = await youth.click(tr("sr", "📝 Self-assessment"), await youth.send("/menu"))
    await answer_short(youth, await youth.click(short_label, intro), best=False)
    full = await youth.click(tr("sr", "📝 Full self-assessment"), youth.last)
    await answer_until_done(youth, full, "sr", pick=lambda q: len(q.options) - 1)
    progress = await youth.send("/progress")
    # The newest is a full one and no full one came before: nothing to compare, no arrows.
    assert tr("sr", "This is your first one. Do it again in a few months to see what changed.") in (
        progress.html_text
    )
    assert tr("sr", "Change since {date}:").split("{")[0] not in progress.html_text
    # A second short check is compared with the first short check.
    intro = await youth.click(tr("sr", "📝 Self-assessment"), await youth.send("/menu"))
    await answer_short(youth, await youth.click(short_label, intro), best=True)
    progress = await youth.send("/progress")
    assert (
        tr(
            "sr",
            "⚡ This was the short check: one question for each area, a first picture. "
            "The full self-assessment asks more and shows more; your mentor will see which one "
            "it was.",
        )
        in progress.html_text
    )
    # The chart's two legend lines differ, even on the same day: "before (…)" and "now (…)".
    photo = chart_of(youth)
    assert photo.photo is not None
    legend = json.loads(chart.png_text(photo.photo.data)[chart.LEGEND_KEY])
    assert len(legend) == 2 and legend[0] != legend[1], legend
    assert legend[0].startswith(tr("sr", "before ({date})").split("{")[0])
    assert legend[1].startswith(tr("sr", "now ({date})").split("{")[0])
    bars = [line for line in progress.html_text.splitlines() if line[:1] in ("▰", "▱")]
    assert len(bars) == len(QUESTIONNAIRE.domains)
    assert all(line.startswith("▰" * 5 + "⬆️") for line in bars), bars
