"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
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
from sqlalchemy.pool import Pool

from bot.db import one_trip

log = logging.getLogger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def safe_url(url: str) -> str:
    """The URL as it may appear in a log line or an error message."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str, *, echo: bool = False, connections: int = 10) -> AsyncEngine:
    """`connections`: how many PostgreSQL connections stay open for reuse (the bot passes its
    MAX_CONCURRENT_UPDATES plus the background senders): a rush that needs more than the pool
    keeps opening and closing connections, a server process each, exactly when time is short."""
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
        # The pool's usual reset (a rollback on every return) is done by _rollback_if_open
        # below only when a transaction is still open: after a commit, the usual case, it was
        # one more trip to the driver's thread for every update.
        kwargs["pool_reset_on_return"] = None
    else:
        kwargs.update(pool_size=connections, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _one_trip)
        pool = engine.sync_engine.pool
        event.listen(pool, "reset", _rollback_if_open)
        event.listen(pool, "checkin", _checkpoint_on_checkin(pool))
    return engine


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _rollback_if_open(dbapi_connection: Any, _record: Any, state: Any) -> None:
    """The pool's reset on SQLite: a rollback when the connection still has a transaction."""
    if not state.asyncio_safe:
        return  # cannot wait on the driver here; the connection is discarded anyway
    driver = getattr(dbapi_connection, "driver_connection", None)
    if state.transaction_was_reset or not getattr(driver, "in_transaction", True):
        return
    dbapi_connection.rollback()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's own lower() knows only ASCII; searching names (the desk) needs Cyrillic too,
    # as PostgreSQL's does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one update writes; NORMAL sync is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted rows are overwritten with zeros, not left readable in free space of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _one_trip(dbapi_connection: Any, _record: Any) -> None:
    driver = type(getattr(dbapi_connection, "driver_connection", None))
    if driver.__module__.split(".")[0] == "aiosqlite":
        one_trip.install(dbapi_connection)


def checkpoint_after_commit(session: AsyncSession) -> None:
    """On SQLite, once `session` has committed, copies the WAL into the main file and cuts it
    to zero bytes: what was deleted (zeroed under secure_delete) is then gone from both files,
    instead of staying readable in old WAL frames until some later checkpoint.

    The commit marks the engine; the checkpoint runs on the same connection as it goes back to
    the pool (the pool holds one connection on SQLite, so a connection of its own would wait
    for this one). It waits (busy_timeout) for other processes' readers, and says so in the
    log if one kept it from finishing.
    """
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return

    def mark(_session: Session) -> None:
        _CHECKPOINT_PENDING.add(engine.pool)

    event.listen(session.sync_session, "after_commit", mark, once=True)


_CHECKPOINT_PENDING: weakref.WeakSet[Pool] = weakref.WeakSet()


def _checkpoint_on_checkin(pool: Pool) -> Callable[[Any, Any], None]:
    def checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is None or pool not in _CHECKPOINT_PENDING:
            return
        _CHECKPOINT_PENDING.discard(pool)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row and row[0]:
            log.warning("WAL checkpoint after an erasure was blocked by a reader: incomplete")

    return checkin


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
