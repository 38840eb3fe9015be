"""No edit that changes nothing: Telegram answers those with 400 "message is not modified".

A double tap, "Read more" pressed twice, or a stale button that shows the screen it sits on
again must not send such an edit at all (the fake refuses it as Telegram does, and records it).
"""

from __future__ import annotations

import pytest
from aiogram.types import MessageEntity

from bot.botapi import format_text
from bot.kit.stored_text import entity_ranges, stored_form
from bot.people.telegram.callbacks import LangCb, PeopleCb
from tests.conversation import ALL_LOCALES, language_button, onboard, tr
from tests.harness import NOT_MODIFIED, Harness


def assert_no_unchanged_edit(harness: Harness, since: int = 0) -> None:
    refused = [str(r) for r in harness.fake.refused(NOT_MODIFIED, since=since)]
    assert refused == []


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_read_more_twice_edits_once(harness: Harness, locale: str) -> None:
    person = harness.person(first_name="Mila", language_code="en")
    picker = await person.send("/start")
    intro = await person.click(language_button(locale, picker), picker)
    notice = await person.click(tr(locale, "📄 Read more"), intro)
    assert tr(locale, "🔒 <b>Privacy notice</b>") in notice.html_text
    edits = len(harness.fake.calls("editMessageText"))
    again = await person.click(tr(locale, "📄 Read more"), notice)
    assert again.html_text == notice.html_text and again.buttons == notice.buttons
    assert len(harness.fake.calls("editMessageText")) == edits, "nothing sent"
    assert person.last_answer is None
    assert_no_unchanged_edit(harness)


@pytest.mark.parametrize("locale", ["sr", "bg", "en"])
async def test_a_double_tap_on_a_language_edits_once(harness: Harness, locale: str) -> None:
    # Before consent: the second tap arrives when the message already shows the introduction.
    person = harness.person(first_name="Lana", language_code="en")
    picker = await person.send("/start")
    intro = await person.click(language_button(locale, picker), picker)
    await person.click_data(LangCb(code=locale, onboarding=True).pack(), intro)
    assert harness.fake.message(person.id, intro.message_id).html_text == intro.html_text
    assert_no_unchanged_edit(harness)

    # After consent, in Settings: the second tap arrives on the settings screen it led to.
    person = await onboard(harness, locale, first_name="Sava")
    await person.send("/menu")
    await person.click(tr(locale, "⚙️ Settings"))
    languages = await person.click(tr(locale, "🌐 Language"))
    shown = await person.click(language_button(locale, languages), languages)
    assert tr(locale, "⚙️ <b>Settings</b>") in shown.html_text
    mark = harness.fake.mark()
    await person.click_data(LangCb(code=locale, onboarding=False).pack(), shown)
    assert harness.fake.calls("editMessageText", since=mark) == []
    assert_no_unchanged_edit(harness)


@pytest.mark.parametrize("locale", ["sr_Latn", "bg"])
async def test_a_stale_button_on_the_menu_shows_the_menu_without_an_edit(
    harness: Harness, locale: str
) -> None:
    person = await onboard(harness, locale, first_name="Pera")
    menu = await person.send("/menu")
    mark = harness.fake.mark()
    for stale in ("nv:nothing-like-this", "lg:xx", "tz:99", PeopleCb().pack(), "nv:mentees"):
        after = await person.click_data(stale, menu)
        assert person.last_answer == tr(locale, "This button no longer works.")
        assert after.html_text == menu.html_text and after.buttons == menu.buttons
    assert harness.fake.calls("editMessageText", since=mark) == []
    assert_no_unchanged_edit(harness)


@pytest.mark.parametrize("locale", ["sr", "en"])
async def test_a_changed_screen_is_still_edited(harness: Harness, locale: str) -> None:
    """The comparison lets real changes through: a stale button on another screen brings the
    menu back onto that message."""
    person = await onboard(harness, locale, first_name="Ivo")
    await person.send("/menu")
    help_screen = await person.click(tr(locale, "❓ How it works"))
    mark = harness.fake.mark()
    menu = await person.click_data("nv:nothing-like-this", help_screen)
    assert menu.message_id == help_screen.message_id
    assert tr(locale, "❓ <b>How Putokaz works</b>") not in menu.html_text
    assert len(harness.fake.calls("editMessageText", since=mark, ok=True)) == 1


@pytest.mark.parametrize(
    "html",
    [
        "🧭 <b>Putokaz</b>\nWhat would you like to do?",
        "<b>a</b><strong>b</strong> <i>c <u>d</u></i>",
        "  \n<b>bold first</b> then text \n\n",
        "\n\n  plain with outer space  \n",
        "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#x27;single&#x27; &#128512;",
        'A <a href="https://example.org/cv">link</a> and <code>code</code>',
        '<pre><code class="language-python">print(1)</code></pre> after',
        '<tg-spoiler>hidden</tg-spoiler> <span class="tg-spoiler">also</span>',
        "<blockquote>quoted\nlines</blockquote>\nrest",
        "emoji 👋 before <b>bold 🎉 emoji</b> after",
        "text /menu and https://example.org found by Telegram",
    ],
)
def test_the_stored_form_is_what_telegram_stores(html: str) -> None:
    """The comparison's view of an HTML text matches the fake's TDLib-based parsing."""
    plain, ranges = stored_form(html)
    telegram = format_text(html, "HTML", None, allow_empty=False)
    assert plain == telegram.text
    assert ranges == entity_ranges(MessageEntity.model_validate(e) for e in telegram.api_entities())
