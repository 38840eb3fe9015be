"""Shared fixtures: compiled catalogs, databases on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.i18n.catalogs import compile_all
from tests.databases import (
    REDIS_URL,
    copy_sqlite,
    create_postgres_database,
    drop_postgres_database,
    migrated_sqlite_template,
    postgres_available,
    skip_or_fail,
    truncate_all,
)
from tests.harness import Harness, running_bot

compile_all()  # aiogram refuses a .po without its .mo

T = TypeVar("T")


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Session fixtures may be set up from inside a test's running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_in_thread(migrated_sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = run_in_thread(postgres_available())
    if reason is not None:
        skip_or_fail(reason)
    url = run_in_thread(create_postgres_database())
    yield url
    run_in_thread(drop_postgres_database(url))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        return copy_sqlite(sqlite_template, tmp_path / "putokaz.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        await truncate_all(engine)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A client of the test Redis (TEST_REDIS_URL); skips the test where there is none, fails
    it in CI."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()  # type: ignore[misc]
    except Exception as exc:  # redis raises its own and OS errors
        await client.aclose()
        skip_or_fail(f"{type(exc).__name__}: {exc}", "Redis")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of the test's own for dialog state in Redis, cleared afterwards."""
    prefix = f"putokaz-test-{secrets.token_hex(4)}"
    yield prefix
    keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    return copy_sqlite(sqlite_template, tmp_path / "putokaz.sqlite3")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


ADMIN_ID = 42


@pytest.fixture
async def harness(sqlite_url: str) -> AsyncIterator[Harness]:
    """The real dispatcher on SQLite against a fake Telegram that refuses unescaped HTML."""
    async with running_bot(sqlite_url, admin_ids=frozenset({ADMIN_ID}), strict_html=True) as h:
        yield h


@pytest.fixture
async def harness_any_db(db_url: str) -> AsyncIterator[Harness]:
    """The same on SQLite and on PostgreSQL."""
    async with running_bot(db_url, admin_ids=frozenset({ADMIN_ID}), strict_html=True) as h:
        yield h
