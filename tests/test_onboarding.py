"""Onboarding as a person meets it, in every locale: language, consent, year of birth, menu."""

from __future__ import annotations

import pytest

from bot.i18n.locales import LANGUAGE_NAMES
from tests.conversation import (
    ADULT_YEAR,
    ALL_LOCALES,
    TELEGRAM_CODE,
    labels,
    language_button,
    onboard,
    stored_user,
    tr,
)
from tests.harness import Harness


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_a_young_person_goes_from_start_to_the_menu_in_one_message(
    harness: Harness, locale: str
) -> None:
    person = harness.person(first_name="Mila", language_code=TELEGRAM_CODE[locale])
    picker = await person.send("/start")
    intro = await person.click(language_button(locale, picker))
    assert intro.message_id == picker.message_id, "menus edit the message instead of piling up"
    assert tr(locale, "Do you agree?") in intro.html_text
    assert labels(intro) == [
        tr(locale, "✅ I agree"),
        tr(locale, "📄 Read more"),
        tr(locale, "✖️ No, thanks"),
    ]
    question = await person.click(tr(locale, "✅ I agree"))
    assert tr(locale, "🎂 What is your year of birth? Tap it, or type it (for example 2007).") in (
        question.html_text
    )
    assert str(ADULT_YEAR) in labels(question)
    done = await person.click(str(ADULT_YEAR))
    assert tr(locale, "✅ All set!") in done.html_text
    assert tr(locale, "What would you like to do?") in done.html_text
    assert tr(locale, "🆘 Help now") in labels(done)
    assert len(person.messages) == 1

    user = await stored_user(harness, person.id)
    assert user is not None
    assert (user.locale, user.birth_year, user.display_name, user.role) == (
        locale,
        ADULT_YEAR,
        "Mila",
        "youth",
    )
    assert user.consent_at is not None
    assert user.timezone == ("Europe/Sofia" if locale == "bg" else "Europe/Belgrade")
    # The person's own command list, in the exact locale (Telegram knows no script).
    scope = {"type": "chat", "chat_id": person.id}
    commands = {c["command"]: c["description"] for c in harness.fake.commands(scope)}
    assert commands["menu"] == tr(locale, "Main menu")
    assert "people" not in commands and "mentees" not in commands


@pytest.mark.parametrize(
    ("language_code", "preselected", "greeting_locale"),
    [
        ("sr", "sr", "sr"),
        ("sr-Latn", "sr", "sr"),
        ("bg", "bg", "bg"),
        ("en", "en", "en"),
        ("de", "en", "en"),
        (None, "en", "en"),
    ],
)
async def test_the_language_picker_is_preselected_from_telegram(
    harness: Harness, language_code: str | None, preselected: str, greeting_locale: str
) -> None:
    person = harness.person(language_code=language_code)
    picker = await person.send("/start")
    assert picker.html_text == tr(greeting_locale, "👋 Hi! Choose your language:")
    assert f"✓ {LANGUAGE_NAMES[preselected]}" in labels(picker)
    # Serbian Latin is offered beside Cyrillic.
    assert LANGUAGE_NAMES["sr_Latn"] in [label.removeprefix("✓ ") for label in labels(picker)]


async def test_before_consent_only_the_id_and_language_are_stored(harness: Harness) -> None:
    person = harness.person(first_name="Marko", language_code="sr")
    await person.send("/start")
    await person.click(LANGUAGE_NAMES["sr_Latn"])
    user = await stored_user(harness, person.id)
    assert user is not None
    assert user.locale == "sr_Latn"
    assert (user.display_name, user.birth_year, user.consent_at, user.timezone) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_declining_is_respected_and_can_be_revisited(harness: Harness, locale: str) -> None:
    person = harness.person(language_code=TELEGRAM_CODE[locale])
    picker = await person.send("/start")
    await person.click(language_button(locale, picker))
    more = await person.click(tr(locale, "📄 Read more"))
    assert tr(locale, "🔒 <b>Privacy notice</b>") in more.html_text
    assert "30" in more.body  # how long an unconsented id and language are kept
    declined = await person.click(tr(locale, "✖️ No, thanks"))
    assert declined.html_text == tr(
        locale,
        "Okay. I keep only your Telegram ID and language. You can change your mind at any time.",
    )
    user = await stored_user(harness, person.id)
    assert user is not None and user.consent_at is None and user.display_name is None

    # Anything typed now gets a nudge, not a menu.
    nudge = await person.send("hello?")
    assert tr(locale, "👋 Hi! Tap /start to begin.") in nudge.html_text
    helplines = await person.click(tr(locale, "🆘 Help now"), declined)
    assert "116 111" in helplines.body
    back = await person.click(tr(locale, "⬅️ Back"), helplines)
    intro = await person.click(language_button(locale, back), back)
    question = await person.click(tr(locale, "✅ I agree"), intro)
    done = await person.click(str(ADULT_YEAR), question)
    assert tr(locale, "✅ All set!") in done.html_text


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_under_15_is_told_a_mentor_must_link_them_and_nothing_more_is_stored(
    harness: Harness, locale: str
) -> None:
    person = harness.person(first_name="Luka", language_code=TELEGRAM_CODE[locale])
    picker = await person.send("/start")
    await person.click(language_button(locale, picker))
    await person.click(tr(locale, "✅ I agree"))
    answer = await person.send("2013")  # typed instead of tapped
    assert (
        tr(
            locale,
            "Thank you! Because you are under 15, a mentor or guardian has to connect you "
            "to Putokaz first. Ask your case worker for a Putokaz link. Until then I keep "
            "nothing about you.",
        )
        in answer.html_text
    )
    user = await stored_user(harness, person.id)
    assert user is not None
    assert (user.consent_at, user.birth_year, user.display_name) == (None, None, None)
    # Coming back later starts over: nothing was kept.
    again = await person.send("/start")
    assert again.html_text == tr(locale, "👋 Hi! Choose your language:")


@pytest.mark.parametrize(("had_birthday", "allowed"), [(True, True), (False, False)])
async def test_a_person_turning_15_this_year_is_asked_about_their_birthday(
    harness: Harness, had_birthday: bool, allowed: bool
) -> None:
    locale = "bg"
    person = harness.person(language_code="bg")
    picker = await person.send("/start")
    await person.click(language_button(locale, picker))
    await person.click(tr(locale, "✅ I agree"))
    question = await person.click("2011")
    assert question.html_text == tr(locale, "Has your birthday this year already passed?")
    typed = await person.send("yes")  # buttons expected
    assert tr(locale, "Please use the buttons 👇") in typed.html_text
    answer = await person.click(tr(locale, "Yes" if had_birthday else "Not yet"), typed)
    user = await stored_user(harness, person.id)
    assert user is not None
    if allowed:
        assert tr(locale, "✅ All set!") in answer.html_text
        assert user.birth_year == 2011
    else:
        assert user.consent_at is None and user.birth_year is None


@pytest.mark.parametrize("typed", ["abc", "07", "20O7", "🎂"])
async def test_a_year_that_is_not_a_year_is_asked_again(harness: Harness, typed: str) -> None:
    person = harness.person(language_code="en")
    picker = await person.send("/start")
    await person.click(language_button("en", picker))
    await person.click("✅ I agree")
    answer = await person.send(typed)
    assert "Please tap your year of birth, or type it with four digits" in answer.body
    assert str(ADULT_YEAR) in labels(answer)
    done = await person.send(str(ADULT_YEAR))
    assert "✅ All set!" in done.body


@pytest.mark.parametrize("typed", ["1850", "2030"])
async def test_an_impossible_year_is_refused_politely(harness: Harness, typed: str) -> None:
    person = harness.person(language_code="en")
    picker = await person.send("/start")
    await person.click(language_button("en", picker))
    await person.click("✅ I agree")
    answer = await person.send(typed)
    assert "Hmm, that year does not look right. Please try again." in answer.body
    user = await stored_user(harness, person.id)
    assert user is not None and user.birth_year is None


async def test_earlier_than_the_buttons_show_is_accepted(harness: Harness) -> None:
    person = harness.person(language_code="en")
    picker = await person.send("/start")
    await person.click(language_button("en", picker))
    await person.click("✅ I agree")
    done = await person.click("Earlier")
    assert "✅ All set!" in done.body


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_start_again_goes_to_the_menu(harness: Harness, locale: str) -> None:
    person = await onboard(harness, locale)
    menu = await person.send("/start")
    assert tr(locale, "What would you like to do?") in menu.html_text
    assert menu.message_id != person.messages[0].message_id


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_switching_language_changes_texts_and_commands(harness: Harness, locale: str) -> None:
    person = await onboard(harness, "en")
    settings = await person.click("⚙️ Settings")
    assert "English" in settings.body
    picker = await person.click("🌐 Language", settings)
    after = await person.click(language_button(locale, picker))
    assert tr(locale, "⚙️ <b>Settings</b>") in after.html_text
    assert tr(locale, "Language: {language}", language=LANGUAGE_NAMES[locale]) in after.html_text
    user = await stored_user(harness, person.id)
    assert user is not None and user.locale == locale
    scope = {"type": "chat", "chat_id": person.id}
    commands = {c["command"]: c["description"] for c in harness.fake.commands(scope)}
    assert commands["menu"] == tr(locale, "Main menu")
    menu = await person.send("/menu")
    assert tr(locale, "What would you like to do?") in menu.html_text


async def test_the_time_zone_can_be_changed_and_shows_local_time(harness: Harness) -> None:
    person = await onboard(harness, "sr")
    settings = await person.click(tr("sr", "⚙️ Settings"))
    assert "12:00" in settings.body or "11:00" in settings.body  # 10:00 UTC in Belgrade: 11:00
    zones = await person.click(tr("sr", "🕒 Time zone"), settings)
    sofia = next(label for label in labels(zones) if "12:00" in label)
    after = await person.click(sofia, zones)
    assert "12:00" in after.body
    user = await stored_user(harness, person.id)
    assert user is not None and user.timezone == "Europe/Sofia"


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_help_privacy_and_help_now_in_every_locale(harness: Harness, locale: str) -> None:
    person = await onboard(harness, locale)
    help_text = await person.send("/help")
    assert tr(locale, "❓ <b>How Putokaz works</b>") in help_text.html_text
    notice = await person.send("/privacy")
    assert tr(locale, "🔒 <b>Privacy notice</b>") in notice.html_text
    sos = await person.send("/sos")
    assert "112" in sos.body and "116 111" in sos.body
    first_country = tr(locale, "Bulgaria" if locale == "bg" else "Serbia")
    assert sos.body.index(first_country) < sos.body.index(
        tr(locale, "Serbia" if locale == "bg" else "Bulgaria")
    )


async def test_cancel_leaves_any_dialog(harness: Harness) -> None:
    person = harness.person(language_code="en")
    picker = await person.send("/start")
    await person.click(language_button("en", picker))
    await person.click("✅ I agree")
    stopped = await person.send("/cancel")
    assert stopped.body == "Okay. Send /start when you are ready."
    nudge = await person.send("2004")  # no longer in the year question
    assert "Tap /start to begin" in nudge.body
