"""The database or Redis going away: nobody is left without an answer, /sos still works.

A TCP proxy stands between the bot and the server; cutting it is an outage as the bot sees it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy.engine import make_url

from bot.db.engine import create_engine
from tests.conversation import onboard, tr
from tests.databases import REDIS_URL, truncate_all
from tests.harness import Harness, running_bot
from tests.tcp_proxy import TcpProxy

OUTAGE = (
    "⏳ Sorry, I cannot do that right now. Please try again in a minute. "
    "If you need help now, tap /sos."
)


@pytest.fixture
async def proxied_postgres(postgres_url: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    engine = create_engine(postgres_url)
    try:
        await truncate_all(engine)
    finally:
        await engine.dispose()
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield url.set(port=proxy.port).render_as_string(hide_password=False), proxy
    await proxy.stop()


async def _outage_checks(harness: Harness, proxy: TcpProxy, locale: str) -> None:
    person = await onboard(harness, locale)
    menu = person.last
    await proxy.cut()
    sos = await person.send("/sos")
    assert tr(locale, "🆘 <b>Help now</b>") in sos.html_text
    assert "116 111" in sos.body
    typed = await person.send("/menu")
    assert typed.body == tr(locale, OUTAGE)
    before = len(person.messages)
    await person.click(tr(locale, "🆘 Help now"), menu)
    assert tr(locale, "🆘 <b>Help now</b>") in person.last.html_text
    assert len(person.messages) == before + 1
    await person.click(tr(locale, "📋 My plan"), menu)
    assert person.last.body == tr(locale, OUTAGE)
    # running_bot checks at the end that every button press was answered.


async def test_database_away_everyone_answered_and_sos_from_memory(
    proxied_postgres: tuple[str, TcpProxy],
) -> None:
    url, proxy = proxied_postgres
    async with running_bot(url, strict_html=True) as harness:
        await _outage_checks(harness, proxy, "sr")
        await proxy.restore()
        person = harness.person(first_name="Back", language_code="bg")
        again = await person.send("/start")
        assert again.reply_markup is not None  # the language picker: the bot works again


async def test_database_back_the_conversation_goes_on(
    proxied_postgres: tuple[str, TcpProxy],
) -> None:
    url, proxy = proxied_postgres
    async with running_bot(url, strict_html=True) as harness:
        person = await onboard(harness, "en")
        await proxy.cut()
        assert (await person.send("/menu")).body == OUTAGE
        await proxy.restore()
        menu = await person.send("/menu")
        assert "What would you like to do?" in menu.body


async def test_redis_away_everyone_answered(sqlite_url: str, redis_prefix: str) -> None:
    target = make_url(REDIS_URL)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 6379)
    await proxy.start()
    via_proxy = target.set(port=proxy.port).render_as_string(hide_password=False)
    storage = RedisStorage.from_url(via_proxy, key_builder=DefaultKeyBuilder(prefix=redis_prefix))
    try:
        async with running_bot(sqlite_url, storage=storage, strict_html=True) as harness:
            await _outage_checks(harness, proxy, "bg")
            await proxy.restore()
    finally:
        await proxy.stop()
