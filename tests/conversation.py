"""Helpers for conversation tests: texts as each locale shows them, and onboarding in one call.

Expected texts are looked up in the compiled catalogs, so a test written once checks every
locale, and a message that silently falls back to English fails in Serbian and Bulgarian.
"""

from __future__ import annotations

import gettext
from functools import cache
from typing import Any

from sqlalchemy import select

from bot.botapi import StoredMessage, parse_html
from bot.i18n.catalogs import DOMAIN, LOCALES_DIR
from bot.i18n.locales import EN, LANGUAGE_NAMES, LOCALES
from bot.people.models import User
from tests.harness import Chats, Harness, Person

ALL_LOCALES = list(LOCALES)
# Telegram reports only a language, never a script: what each of our locales arrives as.
TELEGRAM_CODE = {"sr": "sr", "sr_Latn": "sr", "bg": "bg", "en": "en"}
# Years of birth relative to the harness clock (2026-11-29).
ADULT_YEAR = 2004


@cache
def _translations(locale: str) -> gettext.GNUTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[locale])


def tr(locale: str, msgid: str, **values: Any) -> str:
    text = _translations(locale).gettext(msgid)
    if locale != EN:
        assert text != msgid or not any(c.isalpha() for c in msgid), (
            f"{msgid!r} is not translated into {locale}"
        )
    return text.format(**values) if values else text


def trn(locale: str, singular: str, plural: str, n: int, **values: Any) -> str:
    return _translations(locale).ngettext(singular, plural, n).format(n=n, **values)


def labels(message: StoredMessage) -> list[str]:
    return [b.text for row in message.buttons for b in row]


def language_button(locale: str, message: StoredMessage) -> str:
    for label in labels(message):
        if label.removeprefix("✓ ") == LANGUAGE_NAMES[locale]:
            return label
    raise AssertionError(f"no button for {locale} in {labels(message)}")


async def onboard(
    harness: Chats,
    locale: str = "sr",
    *,
    first_name: str = "Ana",
    year: int = ADULT_YEAR,
    start: str = "/start",
    user_id: int | None = None,
) -> Person:
    """A person who picked ``locale``, agreed and gave a year: ends on the main menu."""
    kwargs: dict[str, Any] = {"language_code": TELEGRAM_CODE[locale]}
    if user_id is not None:
        kwargs["user_id"] = user_id
    person = harness.person(first_name=first_name, **kwargs)
    picker = await person.send(start)
    intro = await person.click(language_button(locale, picker))
    after = await person.click(tr(locale, "✅ I agree"), intro)
    if tr(locale, "✅ All set!") not in after.body:  # mentors are not asked their age
        await person.click(str(year), after)
    assert tr(locale, "✅ All set!") in person.last.body, person.last.body
    return person


async def stored_user(harness: Harness, telegram_id: int) -> User | None:
    async with harness.sessions() as session:
        result = await session.execute(select(User).where(User.telegram_id == telegram_id))
        return result.scalar_one_or_none()


def plain(html: str) -> str:
    """A translated HTML text as Telegram shows it (tags gone, entities decoded)."""
    return parse_html(html)[0]
