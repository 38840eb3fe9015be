"""Test databases: a migrated SQLite file per test, a migrated PostgreSQL database per run.

In CI (CI=true) a PostgreSQL server that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.db.tables  # noqa: F401  (registers every table)
from bot.db.base import Base
from bot.db.engine import create_engine
from bot.db.migrate import upgrade_to_head

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    engine = create_engine(sqlite_url(path))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return sqlite_url(target)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_available() -> str | None:
    """None when reachable, else the reason."""
    try:
        connection = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(POSTGRES_URL)), 5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


def skip_or_fail(reason: str, server: str = "PostgreSQL") -> None:
    if IN_CI:
        pytest.fail(f"{server} is required in CI: {reason}")
    pytest.skip(f"{server} not reachable: {reason}")


async def create_postgres_database() -> str:
    """A fresh, migrated database; dropped by drop_postgres_database."""
    name = f"putokaz_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return url


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def truncate_all(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
