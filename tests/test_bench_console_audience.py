"""bench/console_audience.py at a tiny size: the count it measures is the right one (no timing)."""

from __future__ import annotations

from bench.console_audience import run


async def test_the_audience_bench_counts_right_on_a_tiny_database(db_url: str) -> None:
    result = await run(db_url, people=300, repeats=2, warmup=1)
    assert result.counted == result.expected > 0
    assert result.repeats == 2 and result.p95_ms >= result.p50_ms > 0
