"""bench/console.py runs end to end with tiny sizes on both databases: it seeds, serves the desk,
signs in and asks for every page. Its figures are not checked here (tests never time)."""

from __future__ import annotations

import pytest

from bench import console
from tests.databases import POSTGRES_URL, postgres_available, skip_or_fail


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_console_bench_runs_with_tiny_sizes(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend == "postgresql" and (reason := await postgres_available()) is not None:
        skip_or_fail(reason)
    args = ["--people", "30", "--mentors", "3", "--requests", "2", "--backends", backend]
    await console.main([*args, "--database-url", POSTGRES_URL])
    out = capsys.readouterr().out
    assert f"{backend}: 30 young people, 3 mentors, 300 tasks, 60 self-assessments" in out
    for name in ("people table", "person page", "staff dashboard", "mentor dashboard"):
        assert name in out
    assert "load average" in out or "load:" in out
