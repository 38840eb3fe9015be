"""Plans from CSV: rows checked first, nothing written if one is wrong; dry runs change nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.models import Role
from bot.db.plan_models import Goal, Reminder, Task
from bot.services import plan_import
from bot.services.plans import Context
from bot.services.reminders import ReminderRules
from tests.test_plans import person

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CTX = Context(NOW, ReminderRules(), "Europe/Belgrade")
GOOD = """telegram_id,goal,domain,task,owner,due_date,due_time,details
2,Find a job,work,Write a CV,me,2026-12-10,14:00,With the career counsellor
2,Find a job,work,Apply for 3 jobs,,2026-12-20,,
3,A place to live,housing,Visit the flat,institution,2026-12-15,,
"""


async def counts(sessions: SessionFactory) -> tuple[int, int, int]:
    async with sessions() as session:
        goals = await session.scalar(select(func.count()).select_from(Goal))
        tasks = await session.scalar(select(func.count()).select_from(Task))
        reminders = await session.scalar(select(func.count()).select_from(Reminder))
    return int(goals or 0), int(tasks or 0), int(reminders or 0)


async def youths(sessions: SessionFactory) -> None:
    await person(sessions, 2, Role.YOUTH)
    await person(sessions, 3, Role.YOUTH)
    await person(sessions, 9, Role.MENTOR)


async def test_a_good_file_creates_goals_tasks_and_reminders_once(
    sessions: SessionFactory,
) -> None:
    await youths(sessions)
    async with sessions.begin() as session:
        report = await plan_import.run(session, GOOD, CTX)
    assert report.ok, report.problems
    assert (report.goals_created, report.tasks_created, len(report.people)) == (2, 3, 2)
    goals, tasks, reminders = await counts(sessions)
    assert (goals, tasks) == (2, 3) and reminders == 12
    async with sessions.begin() as session:
        again = await plan_import.run(session, GOOD, CTX)
    assert (again.goals_created, again.tasks_created, again.unchanged) == (0, 0, 3)
    moved = GOOD.replace("2026-12-10,14:00", "2026-12-11,14:00")
    async with sessions.begin() as session:
        third = await plan_import.run(session, moved, CTX)
    assert third.tasks_moved == 1
    assert (await counts(sessions))[:2] == (2, 3)


async def test_one_bad_row_means_nothing_is_written_and_every_problem_is_listed(
    sessions: SessionFactory,
) -> None:
    await youths(sessions)
    bad = GOOD + (
        "77,Find a job,work,Unknown person,,2026-12-10,,\n"
        "2,Find a job,cooking,Bad domain,,2026-12-10,,\n"
        "2,Find a job,work,Bad date,,2026-02-30,,\n"
        "2,Find a job,work,Past date,,2026-11-01,,\n"
        "2,Find a job,work,Bad time,,2026-12-10,25:00,\n"
        "9,Find a job,work,A mentor,,2026-12-10,,\n"
        "2,Find a job,work,Bad owner,boss,2026-12-10,,\n"
    )
    async with sessions.begin() as session:
        report = await plan_import.run(session, bad, CTX)
    lines = [(p.line, p.reason.split(" ")[0]) for p in report.problems]
    assert [line for line, _ in lines] == [5, 6, 7, 8, 9, 10, 11]
    reasons = " | ".join(str(p) for p in report.problems)
    for expected in (
        "no one with telegram_id 77",
        "domain 'cooking'",
        "'2026-02-30' is not a date",
        "in the past",
        "'25:00' is not a time",
        "is a mentor",
        "owner 'boss'",
    ):
        assert expected in reasons
    assert await counts(sessions) == (0, 0, 0)


def test_missing_columns_are_reported_on_line_1() -> None:
    rows, problems = plan_import.parse("telegram_id,goal\n2,x\n", NOW.date())
    assert rows == [] and [str(p) for p in problems] == ["line 1: missing column(s): domain, task"]


def test_the_command_line_dry_run_writes_nothing(tmp_path: Path, sqlite_url: str) -> None:
    csv_file = tmp_path / "plans.csv"
    csv_file.write_text("telegram_id,goal,domain,task\n5,Find a job,work,Write a CV\n")
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [sys.executable, "-m", "bot.import_plans", str(csv_file), "--dry-run"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "nothing was imported" in done.stderr
    assert "line 2: no one with telegram_id 5" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "bot.import_plans", str(tmp_path / "nope.csv")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 2


async def test_the_command_line_reports_then_imports(tmp_path: Path, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = create_session_factory(engine)
    await youths(sessions)
    csv_file = tmp_path / "plans.csv"
    csv_file.write_text(GOOD.replace("2026-12", "2099-12"), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": sqlite_url}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.import_plans", str(csv_file), *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
        )  # fmt: skip

    dry = await asyncio.to_thread(cli, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would create 2 goal(s) and 3 task(s)" in dry.stdout
    assert await counts(sessions) == (0, 0, 0)
    real = await asyncio.to_thread(cli)
    assert real.returncode == 0, real.stderr
    assert "did create 2 goal(s) and 3 task(s)" in real.stdout
    assert (await counts(sessions))[:2] == (2, 3)
    await engine.dispose()
