"""Alembic's migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import tables  # noqa: F401  (registers every table)
from bot.db.base import Base
from bot.db.migrate import alembic_config


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_equals_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


def test_one_head() -> None:
    """Two heads would mean two branches of migrations that nobody merged."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
