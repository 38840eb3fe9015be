"""A line to my mentor: the young person writes, the mentor replies to it, the reply comes back;
photos and voice pass through; blocked, unlinked and turned-off lines say so; nothing is kept
but which message answers which, and that only for 30 days."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.people import mentor_line, mentoring
from bot.people.models import MentorLineMessage, User
from bot.scheduler import clean_up
from tests.conversation import ALL_LOCALES, labels, onboard, plain, stored_user, tr
from tests.harness import Harness, Person
from tests.test_roles import invite_youth, new_mentor, staff_member

MENTOR_NAME = "Mentor <Mara> & co"  # as tests.test_roles.new_mentor names them
MENTOR_HTML = "Mentor &lt;Mara&gt; &amp; co"


async def pair(
    harness: Harness, locale: str, *, name: str = "Ана", mentor_locale: str = "en"
) -> tuple[Person, Person, Person]:
    """Staff, a mentor they invited and a young person the mentor invited."""
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff, mentor_locale)
    token = await invite_youth(mentor, mentor_locale)
    youth = await onboard(harness, locale, first_name=name, start=f"/start {token}")
    return staff, mentor, youth


async def rows(harness: Harness) -> int:
    async with harness.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MentorLineMessage)) or 0)


async def reply(person: Person, harness: Harness, message_id: int, text: str) -> None:
    await harness.processed(person.tg.send(text, reply_to=message_id))


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_a_young_person_writes_and_the_mentors_reply_comes_back(
    harness: Harness, locale: str
) -> None:
    # The mentor reads the same language: a Cyrillic name in Latin for Latin readers.
    _, mentor, youth = await pair(harness, locale, name="Милош", mentor_locale=locale)
    name = "Miloš" if locale == "sr_Latn" else "Милош"
    await youth.send("/menu")
    ask = await youth.click(tr(locale, "✉️ Write to my mentor"))
    assert plain(tr(locale, "✉️ <b>Write to {names}</b>", names=MENTOR_HTML)) in ask.body
    done = await youth.send("Можемо ли да се видимо сутра?")
    assert done.body == plain(
        tr(locale, "✅ Sent to {names}. The answer will come here.", names=MENTOR_HTML)
    )
    header, copy = mentor.messages[-2:]
    assert header.html_text == (
        tr(locale, "✉️ <b>{name}</b> writes to you:", name=name)
        + "\n<i>"
        + tr(locale, "Reply to this message to answer.")
        + "</i>"
    )
    assert copy.text == "Можемо ли да се видимо сутра?" and copy.reply_to_message_id == (
        header.message_id
    )
    assert await rows(harness) == 2

    await reply(mentor, harness, copy.message_id, "Može, u 10.")
    assert mentor.last.html_text == tr(
        locale, "✅ Sent to {names}. The answer will come here.", names=name
    )
    youth_header, youth_copy = youth.messages[-2:]
    said = tr(locale, "✉️ Your mentor <b>{name}</b> writes:", name=MENTOR_HTML)
    assert youth_header.html_text.startswith(said)
    assert youth_copy.text == "Može, u 10."
    # And back again, replying to the mentor's answer.
    await reply(youth, harness, youth_copy.message_id, "Хвала!")
    assert mentor.messages[-1].text == "Хвала!"
    assert await rows(harness) == 6


async def test_a_photo_and_a_voice_message_pass_through(harness: Harness) -> None:
    _, mentor, youth = await pair(harness, "sr")
    await youth.send("/mentor")
    await harness.processed(youth.tg.send_photo(caption="моја соба"))
    copy = mentor.messages[-1]
    assert copy.photo is not None and copy.caption == "моја соба"
    await youth.send("/mentor")
    await harness.processed(youth.tg.send_voice(duration=9))
    assert mentor.messages[-1].raw["voice"]["duration"] == 9


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_after_typed_distress_the_young_person_may_tell_the_mentor(
    harness: Harness, locale: str
) -> None:
    _, mentor, youth = await pair(harness, locale)
    typed = {"sr": "треба ми помоћ", "sr_Latn": "treba mi pomoc", "bg": "имам нужда от помощ"}
    text = typed.get(locale, "I need help")
    await youth.send(text)
    card, offer = youth.messages[-2:]
    assert "116 111" in card.body
    assert labels(offer) == [tr(locale, "✉️ Send this to {name}", name=MENTOR_NAME)]
    sent = await youth.click(labels(offer)[0], offer)
    assert sent.html_text == tr(
        locale, "✅ Sent to {names}. The answer will come here.", names=MENTOR_HTML
    )
    assert mentor.messages[-1].text == text
    # Sent once: the offer has lost its button.
    assert harness.fake.message(youth.id, offer.message_id).buttons == []


async def test_other_typed_text_can_be_sent_to_the_mentor(harness: Harness) -> None:
    _, mentor, youth = await pair(harness, "en")
    await youth.send("see you at 5?")
    offer = youth.last
    assert labels(offer) == [f"✉️ Send this to {MENTOR_NAME}"]
    await youth.click(labels(offer)[0], offer)
    assert mentor.last.text == "see you at 5?"


async def test_no_mentor_blocked_mentor_and_unlinked_are_told_plainly(harness: Harness) -> None:
    alone = await onboard(harness, "sr")
    await alone.send("/menu")
    told = await alone.click(tr("sr", "✉️ Write to my mentor"))
    assert told.html_text == tr(
        "sr",
        "✉️ You are not connected to a mentor in Putokaz, so there is nobody I can pass a "
        "message to. When a mentor sends you an invite link, you can write to them here.",
    )

    _, mentor, youth = await pair(harness, "en")
    await youth.send("/mentor")
    await youth.send("first")
    copy = mentor.messages[-1]
    mentor.tg.block()
    await youth.send("/mentor")
    told = await youth.send("are you there?")
    assert "cannot get messages from Putokaz at the moment" in told.body
    mentor_user = await stored_user(harness, mentor.id)
    assert mentor_user is not None and not mentor_user.is_active
    mentor.tg.unblock()

    youth_user = await stored_user(harness, youth.id)
    assert youth_user is not None and mentor_user is not None
    async with harness.sessions.begin() as session:
        await mentoring.remove(session, mentor_user.id, youth_user.id)
    await reply(mentor, harness, copy.message_id, "sorry, I was away")
    assert mentor.last.body.startswith("✉️ You are no longer connected in Putokaz")
    assert all(m.text != "sorry, I was away" for m in youth.messages)


async def test_staff_turn_the_line_off_for_a_programme(harness: Harness) -> None:
    staff, mentor, youth = await pair(harness, "bg")
    youth_user = await stored_user(harness, youth.id)
    assert youth_user is not None
    async with harness.sessions.begin() as session:
        found = await session.get(User, youth_user.id)
        assert found is not None
        found.programme = "di_bg"
    await staff.send("/menu")
    screen = await staff.click("✉️ Messages to mentors")
    screen = await staff.click("✅ Leaving care in Bulgaria", screen)
    assert "🚫 Leaving care in Bulgaria" in labels(screen)
    await youth.send("/mentor")
    assert youth.last.html_text == tr(
        "bg",
        "✉️ Messages to mentors through Putokaz are turned off in your programme, so I did "
        "not pass this on. Please get in touch with your mentor another way.",
    )
    # No offer after typed text either.
    await youth.send("здравей")
    assert all(
        tr("bg", "✉️ Send this to {name}", name=MENTOR_NAME) not in labels(m)
        for m in youth.messages[-2:]
    )
    await staff.click("🚫 Leaving care in Bulgaria", screen)
    await youth.send("/mentor")
    await youth.send("отново работи")
    assert mentor.last.text == "отново работи"


async def test_links_go_after_30_days_and_an_old_reply_is_answered_plainly(
    harness: Harness,
) -> None:
    _, mentor, youth = await pair(harness, "en")
    await youth.send("/mentor")
    await youth.send("hello")
    header = mentor.messages[-2]
    harness.clock.advance(timedelta(days=mentor_line.MENTOR_LINE_DAYS - 1))
    await clean_up(harness.sessions, harness.settings, harness.clock)
    assert await rows(harness) == 2
    harness.clock.advance(timedelta(days=2))
    await clean_up(harness.sessions, harness.settings, harness.clock)
    assert await rows(harness) == 0
    await reply(mentor, harness, header.message_id, "late answer")
    assert mentor.last.body.startswith("✉️ I cannot pass this reply on any more")
    assert all(m.text != "late answer" for m in youth.messages)


async def test_mydata_lists_the_links_and_deleteme_removes_them(harness: Harness) -> None:
    _, _mentor, youth = await pair(harness, "en")
    await youth.send("/mentor")
    await youth.send("hello")
    sent = await youth.send("/mydata")
    assert sent.document is not None
    data = json.loads(sent.document.data)
    assert [m["with"] for m in data["mentor_line_messages"]] == [MENTOR_NAME, MENTOR_NAME]
    assert "hello" not in sent.document.data.decode()
    ask = await youth.send("/deleteme")
    await youth.click("🗑 Yes, delete everything", ask)
    assert await rows(harness) == 0
