"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four such calls
per statement: open a cursor, execute, fetch the rows, close the cursor. Each trip wakes the
thread, waits for the interpreter lock and wakes the event loop again: with the statement itself
taking microseconds, the trips were most of the database's CPU per update (bench/throughput.py)
and, in a rush, most of the time the one pooled connection is held (bench/burst.py). Here a
statement is executed, fetched and its cursor closed in a single call on that thread.

A commit with no transaction open (only reads since the last one) is not sent to that thread:
sqlite3 would do nothing with it.

Installed on each new connection by `bot.db.engine` (the `connect` event), by giving the
connection a subclass of SQLAlchemy's aiosqlite adapter whose cursors do this. Server-side
(streaming) cursors are left as they are. If SQLAlchemy or aiosqlite change shape, `install`
leaves the connection alone and says so once in the log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util.concurrency import await_

log = logging.getLogger(__name__)


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    """On aiosqlite's thread: the statement, its rows and its counts, the cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # After the fetch: with RETURNING, SQLite counts the rows as they are stepped through.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, minus the three trips of its own aiosqlite cursor."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # Not the parent's __init__: it opens an aiosqlite cursor (a trip) that is not needed.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            found = await self._connection._execute(
                _run, self._connection._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = found
        self._rows.clear()
        self._rows.extend(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            await_(self._trip(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            await_(self._trip(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the driver's side

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has no further result sets")

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def commit(self) -> None:
        # sqlite3 opens a transaction only before a write, and its commit() does nothing when
        # none is open: after reads only (the card shown again after a booking, most screens)
        # that nothing was one more trip to aiosqlite's thread. Read here, the flag is not
        # changing: nothing else runs on this connection while SQLAlchemy commits it.
        driver = self._connection._connection
        if driver is not None and not driver.in_transaction:
            return
        super().commit()


_warned = False


def install(dbapi_connection: Any) -> None:
    """Makes a new pooled aiosqlite connection execute in one trip (see the module's text)."""
    global _warned
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection and hasattr(
        dbapi_connection._connection, "_execute"
    ):
        dbapi_connection.__class__ = OneTripConnection
    elif not _warned:
        _warned = True
        log.warning("SQLite driver not as expected: statements take four trips each")
