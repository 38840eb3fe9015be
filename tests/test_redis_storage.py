"""With REDIS_URL, dialog state lives in Redis: a restarted bot continues where a person was."""

from __future__ import annotations

from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage

from bot.botapi import FakeTelegram
from tests.conversation import ADULT_YEAR, language_button, stored_user, tr
from tests.databases import REDIS_URL
from tests.harness import TOKEN, Person, running_bot


def _storage(prefix: str) -> RedisStorage:
    return RedisStorage.from_url(REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix))


async def test_onboarding_continues_after_a_restart(db_url: str, redis_prefix: str) -> None:
    """On SQLite and PostgreSQL: the consent dialog survives the bot going down in between."""
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(db_url, storage=_storage(redis_prefix), fake=fake) as first:
            person = first.person(first_name="Ana", language_code="sr")
            picker = await person.send("/start")
            await person.click(language_button("sr", picker))
            question = await person.click(tr("sr", "✅ I agree"))

        async with running_bot(db_url, storage=_storage(redis_prefix), fake=fake) as second:
            # A new Person for the new harness, the same Telegram user and chat.
            again = Person(second, person.tg)
            done = await again.send(str(ADULT_YEAR))  # still in the year question
            assert tr("sr", "✅ All set!") in done.html_text
            assert done.message_id > question.message_id  # answered below, not edited
            user = await stored_user(second, person.id)
            assert user is not None and user.birth_year == ADULT_YEAR


async def test_without_redis_a_restart_forgets_the_dialog_but_nothing_breaks(
    sqlite_url: str,
) -> None:
    """The in-memory default: after a restart the person is gently sent back to /start."""
    async with FakeTelegram(token=TOKEN, strict_html=True) as fake:
        async with running_bot(sqlite_url, fake=fake) as first:
            person = first.person(first_name="Ana", language_code="en")
            picker = await person.send("/start")
            await person.click(language_button("en", picker))
            await person.click("✅ I agree")
        async with running_bot(sqlite_url, fake=fake) as second:
            reply = await Person(second, person.tg).send(str(ADULT_YEAR))
            assert "Tap /start to begin" in reply.body
