"""Helpers for self-assessment conversations: start it, answer questions, read the results."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from bot.assessment.chart import LABELS_KEY, png_text
from bot.assessment.questionnaire import Question, Questionnaire, load_all
from bot.assessment.telegram.callbacks import AssessCb
from bot.botapi import FakeTelegram, StoredMessage
from bot.kit.sealing import new_key
from tests.conftest import ADMIN_ID
from tests.conversation import tr
from tests.harness import Harness, Person, running_bot

QUESTIONNAIRE: Questionnaire = load_all(locales_dir=None).current


def data_of(message: StoredMessage) -> list[AssessCb]:
    return [
        AssessCb.unpack(b.data)
        for row in message.buttons
        for b in row
        if b.data and b.data.startswith("as:")
    ]


def current_question(message: StoredMessage) -> Question | None:
    """The question a message shows, from the index its buttons carry."""
    for data in data_of(message):
        return QUESTIONNAIRE.questions[data.q]
    return None


def is_share_question(message: StoredMessage) -> bool:
    return any(d.act == "y" for d in data_of(message))


async def press(person: Person, message: StoredMessage, act: str, option: int = 0) -> StoredMessage:
    button = next(d for d in data_of(message) if d.act == act and d.o == option)
    return await person.click_data(button.pack(), message)


async def open_assessment(person: Person, locale: str) -> StoredMessage:
    menu = await person.send("/menu")
    intro = await person.click(tr(locale, "📝 Self-assessment"), menu)
    return await person.click(tr(locale, "📝 Full self-assessment"), intro)


Picker = Callable[[Question], int]


def first_option(_question: Question) -> int:
    return 0


async def answer_until_done(
    person: Person,
    message: StoredMessage,
    locale: str,
    *,
    pick: Picker = first_option,
    text: str | None = None,
    share: bool = False,
) -> StoredMessage:
    """Answers every question; returns the message that shows the scores: the one that held the
    questions, or a new one when the last answer was typed."""
    done = tr(locale, "✅ <b>Done! Thank you.</b>")
    for _ in range(80):
        for sent in person.messages:
            if sent.message_id >= message.message_id and done in sent.html_text:
                return sent
        current = person.harness.fake.message(message.chat_id, message.message_id)
        question = current_question(current)
        assert question is not None, current.html_text
        if is_share_question(current):
            reply = await press(person, current, "y" if share else "n")
        elif question.kind == "text":
            if text is None:
                reply = await press(person, current, "s")
            else:
                reply = await person.send(text)
        else:
            reply = await press(person, current, "a", pick(question))
        if reply.message_id != current.message_id and current_question(reply) is not None:
            message = reply  # typed text: the conversation goes on below it
    raise AssertionError("the questionnaire did not end")


def chart_of(person: Person) -> StoredMessage:
    photos = [m for m in person.messages if m.photo is not None]
    assert photos, "no chart was sent"
    return photos[-1]


def chart_labels(message: StoredMessage) -> list[str]:
    assert message.photo is not None
    data = message.photo.data
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 200_000
    labels: list[str] = json.loads(png_text(data)[LABELS_KEY])
    return labels


@asynccontextmanager
async def keyed_bot(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeTelegram | None = None,
    key: str | None = None,
) -> AsyncIterator[Harness]:
    """The bot with a DATA_KEY, so free-text questions are asked."""
    monkeypatch.setenv("DATA_KEY", key or new_key())
    async with running_bot(
        database_url, admin_ids=frozenset({ADMIN_ID}), strict_html=True, fake=fake
    ) as harness:
        yield harness
