"""Workshops and counsellors from YAML or CSV: all or nothing, dry runs change nothing."""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot import import_workshops
from bot.booking import workshop_import, workshops
from bot.booking.models import Counsellor, Slot, Workshop, WorkshopText
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from tests.booking_support import ctx

YAML = """
workshops:
  - ref: cv-kg-1
    type: cv_jobs
    title: Write your CV
    title_sr: Напиши свој CV
    description_sr: Понеси личну карту.
    city: kragujevac
    address: Kralja Petra 12
    start: 2026-12-10 14:00
    end: 2026-12-10 16:00
    capacity: 12
    languages: sr,en
  - ref: digital-online
    type: digital
    title: Email and phone
    online_url: https://meet.example.org/abc
    start: 2026-12-12 18:00
    end: 2026-12-12 19:30
    timezone: Europe/Sofia
    capacity: 30
counsellors:
  - ref: ana
    service: career
    name: Ana Petrović
    city: kragujevac
    address: Trg 1
    hours:
      - {day: tue, from: "10:00", to: "14:00", slot: 45}
    time_off:
      - {from: 2026-12-08, to: 2026-12-08, reason: holiday}
"""

BAD_CSV = """ref,type,title,city,address,start,end,capacity
ok-1,cv_jobs,Fine,kragujevac,Trg 1,2026-12-10 14:00,2026-12-10 16:00,10
bad-1,cooking,Unknown type,kragujevac,Trg 1,2026-12-10 14:00,2026-12-10 16:00,10
bad-2,cv_jobs,No place,,,2026-12-10 14:00,2026-12-10 13:00,ten
"""


async def counted(sessions: SessionFactory) -> tuple[int, int, int]:
    async with sessions() as session:
        workshops = await session.scalar(select(func.count()).select_from(Workshop))
        counsellors = await session.scalar(select(func.count()).select_from(Counsellor))
        slots = await session.scalar(select(func.count()).select_from(Slot))
    return int(workshops or 0), int(counsellors or 0), int(slots or 0)


async def test_a_yaml_file_imports_once_and_again_changes_nothing(
    sessions: SessionFactory,
) -> None:
    dry = await workshop_import.run(sessions, YAML, "plan.yaml", ctx(), dry_run=True)
    assert dry.ok, dry.problems
    assert (dry.workshops_created, dry.counsellors_created) == (2, 1)
    assert await counted(sessions) == (0, 0, 0)
    assert (await workshop_import.run(sessions, YAML, "plan.yaml", ctx())).ok
    workshops, counsellors, slots = await counted(sessions)
    # Four weeks ahead: Tuesdays 1, 15 and 22 December (the 8th is a holiday), five slots each.
    assert (workshops, counsellors, slots) == (2, 1, 15)
    async with sessions() as session:
        online = await session.scalar(select(Workshop).where(Workshop.ref == "digital-online"))
        text = await session.scalar(select(WorkshopText))
    assert online is not None and online.starts_at == datetime(2026, 12, 12, 16, 0, tzinfo=UTC)
    assert online.city is None and online.closes_at == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
    assert text is not None and text.locale == "sr" and text.title == "Напиши свој CV"
    again = await workshop_import.run(sessions, YAML, "plan.yaml", ctx())
    assert again.ok and again.unchanged == 3
    assert (again.workshops_created, again.workshops_updated) == (0, 0)
    moved = YAML.replace("2026-12-10 14:00", "2026-12-10 15:00")
    changed = await workshop_import.run(sessions, moved, "plan.yml", ctx())
    assert changed.workshops_updated == 1 and changed.unchanged == 2


async def test_one_bad_row_means_nothing_is_written(sessions: SessionFactory) -> None:
    report = await workshop_import.run(sessions, BAD_CSV, "w.csv", ctx())
    assert not report.ok
    problems = [str(p) for p in report.problems]
    assert problems[0].startswith("line 3: type 'cooking' is not one of")
    assert problems[1] == "line 4: capacity must be a whole number"
    assert await counted(sessions) == (0, 0, 0)


def test_the_command_line_dry_run_then_import(tmp_path: Path, sqlite_url: str) -> None:
    good = tmp_path / "workshops.yaml"
    good.write_text(YAML.replace("2026-12", f"{date.today().year + 1}-12"), encoding="utf-8")
    bad = tmp_path / "workshops.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": sqlite_url}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.import_workshops", *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
        )  # fmt: skip

    refused = cli(str(bad), "--dry-run")
    assert refused.returncode == 1 and "nothing was imported, 2 problem(s)" in refused.stderr
    dry = cli(str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would create 2 workshop(s) and 1 counsellor(s)" in dry.stdout
    real = cli(str(good))
    assert "did create 2 workshop(s)" in real.stdout
    engine = create_engine(sqlite_url)
    try:
        assert asyncio.run(counted(create_session_factory(engine)))[:2] == (2, 1)
    finally:
        asyncio.run(engine.dispose())
    assert cli(str(tmp_path / "nope.yaml")).returncode == 2


# Files that used to end in a traceback, or were stored half right (issue 10)

COUNSELLOR = """counsellors:
  - ref: ana
    service: career
    name: Ana Petrović
    online_url: https://meet.example.org/ana
"""
WORKSHOP_CSV_HEADER = "ref,type,title,city,address,start,end,capacity\n"
WORKSHOP_ROW = "w-1,cv_jobs,Write your CV,kragujevac,Trg 1,2026-12-10 14:00,2026-12-10 16:00,10\n"
# Each of 9 keys holds 9 of the one before: `timezone` is 9^9 strings, read as one text.
BOMB_KEYS = (
    "description", "description_sr", "description_bg", "description_en", "address", "city",
    "online_url", "programme", "languages", "timezone",
)  # fmt: skip
BOMB = (
    f"workshops:\n  - ref: lol\n    {BOMB_KEYS[0]}: &k0 [{', '.join(['lol'] * 9)}]\n"
    + "".join(
        f"    {key}: &k{n} [{', '.join([f'*k{n - 1}'] * 9)}]\n"
        for n, key in enumerate(BOMB_KEYS[1:-1], 1)
    )
    + f"    {BOMB_KEYS[-1]}: *k8\n"
)
BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    # name: (file name, file, the one problem expected)
    "cp1251": (
        "w.yaml",
        COUNSELLOR.replace("Ana Petrović", "Ана Петровић").encode("cp1251"),
        "line 4: the file is not UTF-8, it looks like Windows-1251",
    ),
    "cp1250": (
        "w.csv",
        (WORKSHOP_CSV_HEADER + WORKSHOP_ROW.replace("Write", "Napiši CV, piši")).encode("cp1250"),
        "line 2: the file is not UTF-8, it looks like Windows-1250",
    ),
    "utf-16": ("w.yaml", COUNSELLOR.encode("utf-16"), "file: the file is UTF-16, not UTF-8"),
    "impossible date, unquoted": (
        "w.yaml",
        (COUNSELLOR + "    time_off:\n      - {from: 2027-02-30, reason: holiday}\n").encode(),
        "line 7: 2027-02-30 is not a real date",
    ),
    "impossible closing date": (
        "w.yaml",
        YAML.replace("    capacity: 12\n", "    capacity: 12\n    closes: 2026-02-30\n").encode(),
        "line 13: 2026-02-30 is not a real date",
    ),
    "id over 64 bits": (
        "w.yaml",
        (COUNSELLOR + f"    telegram_id: {2**64}\n").encode(),
        f"line 2 (counsellors #1): telegram_id must be a whole number from 1 to {2**63 - 1}",
    ),
    "a field over 128 KiB": (
        "w.yaml",
        COUNSELLOR.replace("Ana Petrović", "x" * 140_000).encode(),
        "line 4: a value of 140000 characters; at most 4096",
    ),
    "a field over 128 KiB in CSV": (
        "w.csv",
        (WORKSHOP_CSV_HEADER + WORKSHOP_ROW.replace("Write your CV", "x" * 140_000)).encode(),
        "line 2: a value of more than 131072 characters; at most 4096",
    ),
    "a name longer than its column": (
        "w.yaml",
        COUNSELLOR.replace("Ana Petrović", "Ana " * 30).encode(),
        "line 2 (counsellors #1): name is longer than 100 characters",
    ),
    "a NUL character, escaped": (
        "w.yaml",
        COUNSELLOR.replace("Ana Petrović", '"Ana\\0Petrović"').encode(),
        "line 4: a control character (U+0000) at column 4",
    ),
    "a NUL character": (
        "w.csv",
        (WORKSHOP_CSV_HEADER + WORKSHOP_ROW.replace("Trg 1", "Trg\x001")).encode(),
        "line 2: a control character (U+0000) at column 41",
    ),
    "anchors and aliases": ("w.yaml", BOMB.encode(), "line 3: anchors and aliases (& and *)"),
    "an extra column": (
        "w.csv",
        ("colour," + WORKSHOP_CSV_HEADER + "red," + WORKSHOP_ROW).encode(),
        "line 1: unknown column(s): colour; the columns are",
    ),
    "a value beyond the columns": (
        "w.csv",
        (WORKSHOP_CSV_HEADER + WORKSHOP_ROW.replace("Trg 1", "Trg 1, 2nd floor")).encode(),
        "line 2: 1 value(s) beyond the 8 named columns: '10'",
    ),
    "an unknown key": (
        "w.yaml",
        (COUNSELLOR + "    _where: line 1\n").encode(),
        "line 2 (counsellors #1): unknown key(s): _where",
    ),
    "a key twice": (
        "w.yaml",
        (COUNSELLOR + "    name: Ana P.\n").encode(),
        "line 6: the key 'name' is given twice",
    ),
    "a list for a text": (
        "w.yaml",
        COUNSELLOR.replace("Ana Petrović", "[Ana, Petrović]").encode(),
        "line 2 (counsellors #1): name must be a single value, not a list or a record",
    ),
    "a slot of 10^30 minutes": (
        "w.yaml",
        (COUNSELLOR + "    hours:\n      - {day: tue, from: '10:00', to: '14:00', slot: ")
        .replace("slot: ", f"slot: {10**30}}}\n")
        .encode(),
        "line 2 (counsellors #1): hours need day (mon…sun), from and to (HH:MM) and slot",
    ),
    "the year 1": (
        "w.csv",
        (
            WORKSHOP_CSV_HEADER + WORKSHOP_ROW.replace("2026-12-10 14:00", "0001-01-01 00:30")
        ).encode(),
        "line 2: start is more than 10 years away",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_a_bad_file_is_refused_with_its_line_and_nothing_is_written(
    sessions: SessionFactory, name: str
) -> None:
    file_name, data, expected = BAD_FILES[name]
    report = await workshop_import.run(sessions, data, file_name, ctx())
    assert [str(p)[: len(expected)] for p in report.problems] == [expected]
    assert await counted(sessions) == (0, 0, 0)


def test_aliases_are_refused_before_anything_is_expanded() -> None:
    """The 1.3 KB "billion laughs" took 10 s and 4.2 GB; now it stops at the first anchor."""
    tracemalloc.start()
    try:
        found, _counsellors, problems = workshop_import.load(BOMB, "bomb.yaml")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == [] and [p.code for p in problems] == ["yaml.alias"]
    assert peak < 2 * 1024 * 1024  # bytes: the file is 0.5 KB, its expansion 9^9 strings


def test_the_command_line_refuses_an_alias_bomb_in_bounded_memory(
    tmp_path: Path, sqlite_url: str
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)

    def at_most_1_gib() -> None:  # the old loader took 4.2 GB: it would fail with MemoryError
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "bot.import_workshops", str(bomb)],
        capture_output=True, text=True, env={**os.environ, "DATABASE_URL": sqlite_url},
        cwd=tmp_path, timeout=60, check=False, preexec_fn=at_most_1_gib,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"{bomb}: nothing was imported, 1 problem(s):",
        "  line 3: anchors and aliases (& and *) are not allowed: write each value out in full",
    ]


def test_the_command_line_says_each_problem_in_one_line(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    for name, (file_name, data, expected) in BAD_FILES.items():
        path = tmp_path / name / file_name
        path.parent.mkdir()
        path.write_bytes(data)
        assert import_workshops.main([str(path)]) == 1, name
        err = capsys.readouterr().err.splitlines()
        assert err[0] == f"{path}: nothing was imported, 1 problem(s):", name
        assert err[1].startswith(f"  {expected}"), (name, err)
        assert len(err) == 2, (name, err)


async def test_a_failed_batch_keeps_the_ones_before_and_a_rerun_finishes(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = workshops.create
    calls = 0

    async def create(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OperationalError("INSERT INTO workshops", {}, Exception("disk I/O error"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(workshops, "create", create)
    report = await workshop_import.run(sessions, YAML, "w.yaml", ctx(), batch_items=1, pause=0)
    assert report.interrupted and (report.batches_written, report.batches_total) == (1, 3)
    assert str(report.problems[0]).startswith(
        "file: batch 2 of 3 (1 records) was not written: OperationalError"
    )
    assert (await counted(sessions))[:2] == (1, 0)
    monkeypatch.undo()
    again = await workshop_import.run(sessions, YAML, "w.yaml", ctx(), batch_items=1, pause=0)
    assert again.ok, again.problems
    assert (again.workshops_created, again.counsellors_created, again.unchanged) == (1, 1, 1)
    assert (await counted(sessions))[:2] == (2, 1)


async def test_spaces_in_texts_do_not_make_every_import_an_update(
    sessions: SessionFactory,
) -> None:
    spaced = YAML.replace("title: Write your CV", "title: 'Write  your   CV '")
    assert (await workshop_import.run(sessions, spaced, "w.yaml", ctx())).ok
    again = await workshop_import.run(sessions, spaced, "w.yaml", ctx())
    assert (again.workshops_updated, again.unchanged) == (0, 3)


SOFIA_YAML = """
workshops:
  - ref: cv-sofia
    type: cv_jobs
    title: CV
    city: sofia
    address: bul. Vitosha 1
    start: 2026-12-10 14:00
    end: 2026-12-10 16:00
    capacity: 12
counsellors:
  - ref: maria
    service: career
    name: Maria
    city: sofia
    address: bul. Vitosha 1
    hours:
      - {day: tue, from: "10:00", to: "12:00", slot: 60}
"""


async def test_a_towns_rows_are_in_its_own_time_zone(sessions: SessionFactory) -> None:
    """No `timezone` given: a row in Sofia is in Sofia's time, not the default (Belgrade)."""
    assert (await workshop_import.run(sessions, SOFIA_YAML, "sofia.yaml", ctx())).ok
    async with sessions() as session:
        made = await session.scalar(select(Workshop))
        counsellor = await session.scalar(select(Counsellor))
        first = await session.scalar(select(Slot).order_by(Slot.starts_at))
    assert made is not None and made.timezone == "Europe/Sofia"
    assert made.starts_at == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # 14:00 in Sofia
    assert counsellor is not None and counsellor.timezone == "Europe/Sofia"
    assert first is not None and first.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
