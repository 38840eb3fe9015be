"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def safe_url(url: str) -> str:
    """The URL as it may appear in a log line or an error message."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    # hide_parameters keeps personal data out of exception texts and logs.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        # One connection, handed out in turn: SQLite runs one writer at a time anyway, and
        # writers on separate connections wait for each other in SQLite's busy handler, which
        # sleeps in growing steps and lets newcomers overtake (seconds-long tails in a rush,
        # bench/burst.py). Transactions are short (none is open during a network wait), so the
        # queue for the connection is short too.
        kwargs.update(pool_size=1, max_overflow=0)
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one update writes; NORMAL sync is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted rows are overwritten with zeros, not left readable in free space of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint_after_commit(session: AsyncSession) -> None:
    """On SQLite, once `session` has committed, copies the WAL into the main file and cuts it
    to zero bytes: what was deleted (zeroed under secure_delete) is then gone from both files,
    instead of staying readable in old WAL frames until some later checkpoint.

    Runs inside the commit, on a connection of its own; it waits (busy_timeout) for other
    connections' transactions to end, and says so in the log if one did not.
    """
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return

    def checkpoint(_session: Session) -> None:
        with engine.connect() as connection:
            row = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if row[0]:
            log.warning("WAL checkpoint after an erasure was blocked by a reader: incomplete")

    event.listen(session.sync_session, "after_commit", checkpoint, once=True)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
