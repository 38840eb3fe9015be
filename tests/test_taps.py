"""How many taps from /start to a first self-assessment result, counted through the fake Bot API.

Run with `pytest tests/test_taps.py -q -s` to see the figures; the tests also hold them to a
ceiling so a change that makes the way longer fails. Before the short check existed, the only
result was the full one's: 36 taps (3 to onboard, 2 to open it, 29 answers, 2 skipped texts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.botapi import StoredMessage
from tests.assessment_steps import (
    QUESTIONNAIRE,
    data_of,
    is_share_question,
    keyed_bot,
)
from tests.conversation import ADULT_YEAR, TELEGRAM_CODE, language_button, tr
from tests.harness import Harness, Person


@pytest.fixture
async def keyed(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    async with keyed_bot(sqlite_url, monkeypatch) as harness:
        yield harness


class Counted:
    """A person whose every button press is counted (typing /start is not a tap)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.taps = 0

    async def click(self, label: str, message: StoredMessage | None = None) -> StoredMessage:
        self.taps += 1
        return await self.person.click(label, message)

    async def click_data(self, data: str, message: StoredMessage | None = None) -> StoredMessage:
        self.taps += 1
        return await self.person.click_data(data, message)


async def _onboard(keyed: Harness, locale: str) -> Counted:
    person = keyed.person(first_name="Tara", language_code=TELEGRAM_CODE[locale])
    counted = Counted(person)
    picker = await person.send("/start")
    intro = await counted.click(language_button(locale, picker))
    after = await counted.click(tr(locale, "✅ I agree"), intro)
    await counted.click(str(ADULT_YEAR), after)
    return counted


async def _answer(counted: Counted, locale: str, message: StoredMessage) -> None:
    done = tr(locale, "✅ <b>Done! Thank you.</b>")
    start = message.message_id
    while not any(done in m.html_text for m in counted.person.messages if m.message_id >= start):
        data = data_of(message)
        assert data, message.html_text
        acts = {d.act for d in data}
        # Share: no; a text question (no options): skip; otherwise the first option.
        act = "n" if is_share_question(message) else ("a" if "a" in acts else "s")
        button = next(d for d in data_of(message) if d.act == act)
        message = await counted.click_data(button.pack(), message)


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_taps_from_start_to_the_full_assessment_result(keyed: Harness, locale: str) -> None:
    counted = await _onboard(keyed, locale)
    menu = counted.person.last
    intro = await counted.click(tr(locale, "📝 Self-assessment"), menu)
    first = await counted.click(tr(locale, "📝 Full self-assessment"), intro)
    await _answer(counted, locale, first)
    print(f"\n[{locale}] taps from /start to the full self-assessment's result: {counted.taps}")
    assert counted.taps <= 36


@pytest.mark.parametrize("locale", ["sr", "en"])
async def test_taps_from_start_to_the_short_check_result(keyed: Harness, locale: str) -> None:
    counted = await _onboard(keyed, locale)
    menu = counted.person.last
    intro = await counted.click(tr(locale, "📝 Self-assessment"), menu)
    first = await counted.click(tr(locale, "⚡ Short check · 2 min"), intro)
    await _answer(counted, locale, first)
    print(f"\n[{locale}] taps from /start to the short check's result: {counted.taps}")
    domains = len(QUESTIONNAIRE.domains)
    assert counted.taps == 3 + 2 + domains  # onboarding, menu → short check, one per domain
