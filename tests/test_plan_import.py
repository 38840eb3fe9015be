"""Plans from CSV: rows checked first, nothing written if one is wrong; dry runs change nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot import import_plans
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.people.models import Role, User
from bot.plans import csv_import as plan_import
from bot.plans import reminders
from bot.plans import rules as plans
from bot.plans.models import Goal, PlanChange, Reminder, Task
from bot.plans.reminders import ReminderRules
from bot.plans.rules import Context
from tests.harness import running_bot
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
    report = await plan_import.run(sessions, GOOD, CTX)
    assert report.ok, report.problems
    assert (report.goals_created, report.tasks_created, len(report.people)) == (2, 3, 2)
    goals, tasks, reminders = await counts(sessions)
    assert (goals, tasks) == (2, 3) and reminders == 12
    again = await plan_import.run(sessions, GOOD, CTX)
    assert (again.goals_created, again.tasks_created, again.unchanged) == (0, 0, 3)
    moved = GOOD.replace("2026-12-10,14:00", "2026-12-11,14:00")
    third = await plan_import.run(sessions, moved, CTX)
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
    report = await plan_import.run(sessions, bad, CTX)
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
    csv_file.write_text(GOOD.replace("2026-12", f"{date.today().year + 1}-12"), encoding="utf-8")
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


# Files that used to end in a traceback, or were stored half right (issue 10)

HEADER = "telegram_id,goal,domain,task,owner,due_date,due_time,details\n"
BAD_FILES: dict[str, tuple[bytes, str]] = {
    # name: (file, the one problem expected)
    "cp1250": (
        (HEADER + "2,Posao,work,Napiši CV za Đorđa Petrovića,,2026-12-10,,\n").encode("cp1250"),
        "line 2: the file is not UTF-8, it looks like Windows-1250",
    ),
    "cp1251": (
        (HEADER + "2,Посао,work,Напиши CV,,2026-12-10,,\n").encode("cp1251"),
        "line 2: the file is not UTF-8, it looks like Windows-1251",
    ),
    "utf-16": (
        (HEADER + "2,Posao,work,CV,,2026-12-10,,\n").encode("utf-16"),
        "file: the file is UTF-16, not UTF-8",
    ),
    "utf-16 without BOM": (
        (HEADER + "2,Posao,work,CV,,2026-12-10,,\n").encode("utf-16-le"),
        "file: the file is UTF-16, not UTF-8",
    ),
    "id over 64 bits": (
        (HEADER + f"{2**64 + 2},Posao,work,CV,,,,\n").encode(),
        f"line 2: telegram_id must be a whole number from 1 to {2**63 - 1}, not '{2**64 + 2}'",
    ),
    "id of 2^63": (
        (HEADER + f"{2**63},Posao,work,CV,,,,\n").encode(),
        "line 2: telegram_id must be a whole number",
    ),
    "a field over 128 KiB": (
        (HEADER + "2,Posao,work,CV,,,," + "x" * 140_000 + "\n").encode(),
        "line 2: a value of more than 131072 characters; at most 4096",
    ),
    "a field over 4 KiB": (
        (HEADER + "2,Posao,work,CV,,,," + "x" * 5000 + "\n").encode(),
        "line 2: a value of 5000 characters; at most 4096",
    ),
    "details over 1000 characters": (
        (HEADER + "2,Posao,work,CV,,,," + "x" * 1200 + "\n").encode(),
        "line 2: details are at most 1000 characters, not 1200",
    ),
    "a NUL character": (
        (HEADER + "2,Po\x00sao,work,CV,,,,\n").encode(),
        "line 2: a control character (U+0000) at column 5",
    ),
    "an escape character": (
        (HEADER + "2,Posao,work,CV \x1b[31m,,,,\n").encode(),
        "line 2: a control character (U+001B) at column 17",
    ),
    "an extra column": (
        b"telegram_id,goal,domain,task,colour\n2,Posao,work,CV,red\n",
        "line 1: unknown column(s): colour; the columns are telegram_id, goal",
    ),
    "a value beyond the columns": (
        b"telegram_id,goal,domain,task\n2,Posao,work,Write a CV, then send it\n",
        "line 2: 1 value(s) beyond the 4 named columns: 'then send it'",
    ),
    "a column twice": (
        b"telegram_id,goal,domain,task,task\n2,Posao,work,CV,Other\n",
        "line 1: column(s) named twice: task",
    ),
    "Unicode digits": (
        (HEADER + "²,Posao,work,CV,,,,\n").encode(),
        "line 2: telegram_id must be a whole number from 1 to",
    ),
    "a date in year 9999": (
        (HEADER + "2,Posao,work,CV,,9999-12-31,,\n").encode(),
        "line 2: due_date 9999-12-31 is more than 10 years ahead",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_a_bad_file_is_refused_with_its_line_and_nothing_is_written(
    sessions: SessionFactory, name: str
) -> None:
    await youths(sessions)
    data, expected = BAD_FILES[name]
    report = await plan_import.run(sessions, data, CTX)
    assert [str(p)[: len(expected)] for p in report.problems] == [expected]
    assert await counts(sessions) == (0, 0, 0)


async def test_utf8_with_a_bom_and_crlf_lines_is_read(sessions: SessionFactory) -> None:
    """Excel's "CSV UTF-8": a BOM, Windows line ends; Cyrillic titles as they are."""
    await youths(sessions)
    data = b"\xef\xbb\xbf" + GOOD.replace("Find a job", "Посао").replace("\n", "\r\n").encode()
    report = await plan_import.run(sessions, data, CTX)
    assert report.ok, report.problems
    assert (report.goals_created, report.tasks_created) == (2, 3)
    async with sessions() as session:
        titles = set(await session.scalars(select(Goal.title)))
    assert titles == {"Посао", "A place to live"}
    again = await plan_import.run(sessions, data.replace("Посао".encode(), "ПОСАО".encode()), CTX)
    assert (again.goals_created, again.tasks_created, again.unchanged) == (0, 0, 3)


async def test_rows_that_would_be_dropped_are_refused(sessions: SessionFactory) -> None:
    await youths(sessions)
    data = GOOD + (
        "2,Find a job,work,Write a CV,me,2026-12-11,,\n"  # the same task again (line 2)
        "2,Find a job,housing,Other,me,2026-12-11,,\n"  # the same goal, another domain
    )
    report = await plan_import.run(sessions, data, CTX)
    assert [str(p) for p in report.problems] == [
        "line 5: the same task as line 2 (goal 'Find a job', task 'Write a CV')",
        "line 6: goal 'Find a job' has domain work on line 2, not housing",
    ]
    assert await counts(sessions) == (0, 0, 0)


async def test_an_imported_task_is_the_one_the_bot_would_make(sessions: SessionFactory) -> None:
    """The import inserts in bulk: the same rows, history and reminders as plans.add_task."""
    await youths(sessions)
    row = "Find a job,work,Write a CV,me,2026-12-10,14:00,With the career counsellor\n"
    assert (await plan_import.run(sessions, f"{HEADER}2,{row}", CTX)).ok
    async with sessions.begin() as session:
        by_hand = await session.scalar(select(User).where(User.telegram_id == 3))
        assert by_hand is not None
        goal = await plans.add_goal(session, None, by_hand.id, "Find a job", "work", CTX)
        await plans.add_task(
            session, None, goal.id, title="Write a CV", owner="me", due_date=date(2026, 12, 10),
            due_time=time(14, 0), details="With the career counsellor", ctx=CTX,
        )  # fmt: skip

    async def plan_of(telegram_id: int) -> list[list[tuple[object, ...]]]:
        async with sessions() as session:
            youth = await session.scalar(select(User).where(User.telegram_id == telegram_id))
            assert youth is not None
            goals = (await session.scalars(select(Goal).where(Goal.youth_id == youth.id))).all()
            tasks = (await session.scalars(select(Task).where(Task.youth_id == youth.id))).all()
            changes = await session.scalars(
                select(PlanChange).where(PlanChange.youth_id == youth.id).order_by(PlanChange.id)
            )
            due = await session.scalars(
                select(Reminder).where(Reminder.user_id == youth.id).order_by(Reminder.kind)
            )
            return [
                [(g.title, g.domain, g.status, g.created_at, g.created_by_id) for g in goals],
                [
                    (
                        t.title,
                        t.details,
                        t.owner,
                        t.due_date,
                        t.due_time,
                        t.deadline_at,
                        t.status,
                        t.created_at,
                        t.updated_at,
                        t.done_at,
                    )
                    for t in tasks
                ],
                [(c.actor_id, c.action, c.detail, c.at) for c in changes],
                [(r.kind, r.scheduled_at, r.due_at, r.status, r.attempts) for r in due],
            ]

    imported, made_by_hand = await plan_of(2), await plan_of(3)
    assert imported == made_by_hand
    assert len(imported[3]) == 4  # reminders 3 days and 1 day before, on time, when late


def test_the_command_line_says_each_problem_in_one_line(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real command (in-process, to be quick) on every bad file: no traceback, exit 1."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    for name, (data, expected) in BAD_FILES.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        assert import_plans.main([str(path)]) == 1, name
        err = capsys.readouterr().err.splitlines()
        assert err[0] == f"{path}: nothing was imported, 1 problem(s):", name
        assert err[1].startswith(f"  {expected}"), (name, err)
        assert len(err) == 2, (name, err)


def _fail_second_reminder_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails while the second batch is being written."""
    calls = 0
    real = reminders.wanted

    def wanted(*args: Any) -> dict[str, datetime]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OperationalError("INSERT INTO reminders", {}, Exception("disk I/O error"))
        return real(*args)

    monkeypatch.setattr(reminders, "wanted", wanted)


async def test_a_failed_batch_keeps_the_ones_before_and_a_rerun_finishes(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await youths(sessions)
    _fail_second_reminder_plan(monkeypatch)
    report = await plan_import.run(sessions, GOOD, CTX, batch_rows=1, pause=0)
    assert report.interrupted and (report.batches_written, report.batches_total) == (1, 3)
    assert [str(p)[:58] for p in report.problems] == [
        "line 3: batch 2 of 3 (1 rows) was not written: Operational"
    ]
    assert (await counts(sessions))[:2] == (1, 1)  # the first batch, and nothing of the second
    monkeypatch.undo()
    again = await plan_import.run(sessions, GOOD, CTX, batch_rows=1, pause=0)
    assert again.ok, again.problems
    assert (again.goals_created, again.tasks_created, again.unchanged) == (1, 2, 1)
    assert await counts(sessions) == (2, 3, 12)  # nothing twice, nothing missing


def test_the_command_line_says_how_to_finish_an_interrupted_import(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = create_engine(sqlite_url)
    asyncio.run(youths(create_session_factory(engine)))
    asyncio.run(engine.dispose())
    path = tmp_path / "plans.csv"
    # One person's rows form one batch: 600 rows for person 2 (two batches), 1 for person 3.
    year = date.today().year + 1
    lines = [f"2,Find a job,work,Task {n},,{year}-12-10,," for n in range(600)]
    path.write_text(HEADER + "\n".join([*lines, f"3,Home,housing,Visit,,{year}-12-15,,"]) + "\n")
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    calls = 0
    real = reminders.wanted

    def wanted(*args: Any) -> dict[str, datetime]:
        nonlocal calls
        calls += 1
        if calls == 501:  # the first row of the second batch
            raise OperationalError("INSERT INTO reminders", {}, Exception("disk I/O error"))
        return real(*args)

    monkeypatch.setattr(reminders, "wanted", wanted)
    assert import_plans.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: stopped after writing 500 of 601 rows (1 of 2 batches" in err
    assert "  line 502: batch 2 of 2 (101 rows) was not written: OperationalError" in err
    assert "Run the same file again to import the rest" in err
    monkeypatch.undo()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert import_plans.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "did create 1 goal(s) and 101 task(s), move 0 task(s); 500 unchanged" in out


async def test_the_bot_answers_during_a_long_import(tmp_path: Path, sqlite_url: str) -> None:
    """The import (the real command, its own process) and the bot on one SQLite file: every
    /menu sent while it writes is answered. bench/import_load.py does this with 50,000 rows."""
    rows, targets = 5000, 50
    day = date.today() + timedelta(days=30)
    path = tmp_path / "plans.csv"
    path.write_text(
        HEADER
        + "".join(
            f"{1000 + n % targets},Goal {n % 5},{plans.DOMAINS[n % 5]},Task {n},,{day},,\n"
            for n in range(rows)
        )
    )
    async with running_bot(sqlite_url) as harness:
        for n in range(targets):
            await person(harness.sessions, 1000 + n, Role.YOUTH)
        ana = harness.person(first_name="Ana")
        await person(harness.sessions, ana.id, Role.YOUTH)
        importing = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.import_plans", str(path),
            env={**os.environ, "DATABASE_URL": sqlite_url}, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        writing = asyncio.Event()
        output: list[bytes] = []

        async def follow() -> None:
            assert importing.stdout is not None
            async for line in importing.stdout:  # "500 of 5000 rows written (batch 1 of 10)"
                output.append(line)
                if b"rows written" in line:
                    writing.set()

        follower = asyncio.create_task(follow())
        answered_meanwhile = 0
        while importing.returncode is None:  # before, while and after it writes
            menu = await ana.send("/menu")  # waits 10 s at most for the bot to finish it
            assert len(menu.buttons) >= 3, menu.body  # the menu, not an apology
            answered_meanwhile += writing.is_set() and importing.returncode is None
        await follower
        out = b"".join(output).decode()
        assert await importing.wait() == 0, out
        assert (await counts(harness.sessions))[1] == rows
    assert answered_meanwhile >= 3, out
