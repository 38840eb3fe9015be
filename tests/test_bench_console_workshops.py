"""bench/console_workshops.py runs end to end on tiny sizes (its figures are not checked here:
tests never time)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.console_workshops import measure
from bot.booking.models import Booking, Workshop
from bot.db.engine import create_engine, create_session_factory
from tests.databases import sqlite_url


async def test_the_bench_seeds_and_fetches_the_list(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "bench.sqlite3")
    figures = await measure(url, 40, 300, 7, warmup=1)
    assert (figures.workshops, figures.bookings, figures.requests) == (40, 300, 7)
    assert figures.backend == "sqlite" and figures.p95_ms <= figures.max_ms
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            assert await session.scalar(select(func.count(Workshop.id))) == 40
            assert await session.scalar(select(func.count(Booking.id))) == 300
    finally:
        await engine.dispose()
