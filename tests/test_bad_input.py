"""Whatever people send, the bot answers briefly and kindly, and the conversation goes on."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.people import privacy
from bot.people.models import User
from tests.conversation import ALL_LOCALES, onboard, stored_user, tr
from tests.harness import Harness

CANNOT_OPEN = "I cannot open photos, stickers, voice messages or files. Please use the buttons."


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_photos_stickers_locations_and_voice_get_a_short_answer(
    harness: Harness, locale: str
) -> None:
    person = await onboard(harness, locale)
    for update_id in (
        person.tg.send_photo(),
        person.tg.send_sticker(),
        person.tg.send_location(44.8, 20.46),
        person.tg.send_voice(),
        person.tg.send_document(),
    ):
        await harness.processed(update_id)
        reply = person.last
        assert tr(locale, CANNOT_OPEN) in reply.html_text
        assert tr(locale, "🆘 Help now") in [b.text for row in reply.buttons for b in row]


async def test_free_text_long_text_and_html_characters(harness: Harness) -> None:
    person = await onboard(harness, "en", first_name="<Zoe> & 🦊")
    for text in ("hello", "x" * 5000, "<b>bold?</b> & <script>", "🙂🙂🙂"):
        reply = await person.send(text)
        assert "type what you need in a few words" in reply.body
    user = await stored_user(harness, person.id)
    assert user is not None and user.display_name == "<Zoe> & 🦊"


async def test_an_edited_message_is_ignored(harness: Harness) -> None:
    person = await onboard(harness, "en")
    sent = person.tg.send("hello")
    await harness.processed(sent)
    before = len(harness.fake.sent())
    edit = person.tg.edit(person.tg.history[-2].message_id, "hello again")
    await harness.processed(edit)
    assert len(harness.fake.sent()) == before


async def test_a_stale_button_from_an_old_menu_is_answered_and_the_menu_shown(
    harness: Harness,
) -> None:
    person = await onboard(harness, "sr")
    old_menu = person.messages[0]
    await person.send("/menu")
    await person.click_data("nv:nothing-like-this", old_menu)
    assert person.last_answer == tr("sr", "This button no longer works.")
    await person.click_data("lg:xx", old_menu)
    assert person.last_answer == tr("sr", "This button no longer works.")
    await person.click_data("tz:99", old_menu)
    assert person.last_answer == tr("sr", "This button no longer works.")
    menu = await person.click(tr("sr", "❓ How it works"), old_menu)
    assert tr("sr", "❓ <b>How Putokaz works</b>") in menu.html_text


async def test_a_button_on_a_deleted_message_is_answered(harness: Harness) -> None:
    person = await onboard(harness, "en")
    await harness.processed(person.tg.click_data(person.messages[0].message_id + 1000, "nv:menu"))
    assert harness.fake.unanswered_callback_queries() == []


async def test_a_repeated_update_is_processed_once(harness: Harness) -> None:
    person = await onboard(harness, "en")
    before = len(harness.fake.sent("sendMessage", chat_id=person.id))
    update_id = person.tg.send("/help")
    await harness.processed(update_id)
    harness.fake.repush(update_id)
    await harness.processed(update_id, times=2)
    assert len(harness.fake.sent("sendMessage", chat_id=person.id)) == before + 1


async def test_blocking_marks_inactive_and_returning_reactivates(harness: Harness) -> None:
    person = await onboard(harness, "en")
    await harness.processed(person.tg.block())
    user = await stored_user(harness, person.id)
    assert user is not None and not user.is_active
    await harness.processed(person.tg.unblock())
    user = await stored_user(harness, person.id)
    assert user is not None and user.is_active


async def test_a_403_while_answering_marks_the_person_inactive(harness: Harness) -> None:
    person = await onboard(harness, "en")
    harness.fake.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    await harness.processed(person.tg.send("/help"))
    user = await stored_user(harness, person.id)
    assert user is not None and not user.is_active
    # Writing again means they are back.
    await person.send("/help")
    user = await stored_user(harness, person.id)
    assert user is not None and user.is_active


async def test_a_429_is_waited_out_and_the_answer_still_arrives(harness: Harness) -> None:
    person = await onboard(harness, "en")
    harness.fake.fail_next("sendMessage", status=429, retry_after=1)
    reply = await person.send("/help")
    assert "How Putokaz works" in reply.body
    assert harness.fake.count_status(429) == 1


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_an_unexpected_error_gets_an_apology_and_a_log_line_without_personal_data(
    harness: Harness,
    locale: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = await onboard(harness, locale, first_name="Secretname")

    async def broken(session: object, user: User, now: object) -> None:
        # The name is only in the exception's message, as personal data would be.
        raise RuntimeError(f"something with {user.display_name} inside")

    monkeypatch.setattr(privacy, "export", broken)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        reply = await person.send("/mydata")
    code = reply.body.rsplit(" ", 1)[-1].strip("()")
    assert reply.html_text == tr(
        locale,
        "😔 Sorry, something went wrong on my side. Please try again, or tap /menu. (Code: {code})",
        code=code,
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert code in logged and "RuntimeError" in logged
    assert "Secretname" not in logged and "/mydata" not in logged
    # The conversation goes on.
    monkeypatch.undo()
    menu = await person.send("/menu")
    assert tr(locale, "What would you like to do?") in menu.html_text


async def test_a_failed_update_changes_nothing_in_the_database(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = harness.person(language_code="en")
    await person.send("/start")
    from bot.people.telegram import screens

    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(screens, "intro", broken)
    reply = await person.click("✓ English")
    assert "Sorry, something went wrong" in person.last.body or reply is not None
    async with harness.sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == person.id))
    assert user is not None and user.locale == "en"
