"""Workshops and counsellors from YAML or CSV: all or nothing, dry runs change nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.db.booking_models import Counsellor, Slot, Workshop, WorkshopText
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.services import workshop_import
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
    async with sessions() as session:
        dry = await workshop_import.run(session, YAML, "plan.yaml", ctx())
        await session.rollback()
    assert dry.ok, dry.problems
    assert (dry.workshops_created, dry.counsellors_created) == (2, 1)
    assert await counted(sessions) == (0, 0, 0)
    async with sessions.begin() as session:
        await workshop_import.run(session, YAML, "plan.yaml", ctx())
    workshops, counsellors, slots = await counted(sessions)
    # Four weeks ahead: Tuesdays 1, 15 and 22 December (the 8th is a holiday), five slots each.
    assert (workshops, counsellors, slots) == (2, 1, 15)
    async with sessions() as session:
        online = await session.scalar(select(Workshop).where(Workshop.ref == "digital-online"))
        text = await session.scalar(select(WorkshopText))
    assert online is not None and online.starts_at == datetime(2026, 12, 12, 16, 0, tzinfo=UTC)
    assert online.city is None and online.closes_at == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
    assert text is not None and text.locale == "sr" and text.title == "Напиши свој CV"
    async with sessions.begin() as session:
        again = await workshop_import.run(session, YAML, "plan.yaml", ctx())
    assert again.ok and again.unchanged == 3
    assert (again.workshops_created, again.workshops_updated) == (0, 0)
    moved = YAML.replace("2026-12-10 14:00", "2026-12-10 15:00")
    async with sessions.begin() as session:
        changed = await workshop_import.run(session, moved, "plan.yml", ctx())
    assert changed.workshops_updated == 1 and changed.unchanged == 2


async def test_one_bad_row_means_nothing_is_written(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        report = await workshop_import.run(session, BAD_CSV, "w.csv", ctx())
    assert not report.ok
    problems = [str(p) for p in report.problems]
    assert problems[0].startswith("line 3: type 'cooking' is not one of")
    assert problems[1] == "line 4: capacity must be a whole number"
    assert await counted(sessions) == (0, 0, 0)


def test_the_command_line_dry_run_then_import(tmp_path: Path, sqlite_url: str) -> None:
    good = tmp_path / "workshops.yaml"
    good.write_text(YAML.replace("2026-12", "2099-12"), encoding="utf-8")
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
