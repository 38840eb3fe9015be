"""Logging set-up: LOG_LEVEL for Putokaz's own loggers, WARNING for every library.

Libraries log at DEBUG whatever passes through them: aiosqlite every statement with its
parameters (names, birth years, notes, announcement texts), SQLAlchemy's engine every row it
reads. So LOG_LEVEL reaches only the "bot" loggers, whose lines carry ids and counts, never what
people wrote or are called. A library's lines are there only when named in LOG_DEBUG, and the
two that print data at DEBUG stop at INFO even then: statements without their parameters
(the engine is made with hide_parameters=True), no rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

OWN = "bot"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose DEBUG lines carry data, and the most they may say.
HELD_AT = {
    "aiosqlite": logging.INFO,  # DEBUG: every call with its SQL parameters
    "sqlalchemy.engine": logging.INFO,  # DEBUG: every result row
}


def setup_logging(level: str | int, debug: Iterable[str] = ()) -> None:
    """Our loggers at `level`; the loggers named in `debug` at DEBUG; everything else WARNING."""
    logging.basicConfig(format=FORMAT)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger(OWN).setLevel(level)
    for name in debug:
        logging.getLogger(name).setLevel(_most(name))
    for name, most in HELD_AT.items():  # also when a parent ("sqlalchemy") was named
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < most:
            logger.setLevel(most)


def _most(name: str) -> int:
    for held, most in HELD_AT.items():
        if name == held or name.startswith(held + "."):
            return max(logging.DEBUG, most)
    return logging.DEBUG
