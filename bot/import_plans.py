"""`python -m bot.import_plans plans.csv [--dry-run]`: staff load plans for many people at once.

Every row is checked first; if any row is wrong, the problems are listed with their line
numbers and nothing is written. Then the rows are written 500 per transaction, so the running
bot keeps answering during a long import. Should a batch fail, the lines before it are written:
run the same file again to finish (rows already there are recognised by their titles).
Needs only DATABASE_URL (no bot token): reminders for the new tasks are sent by the running bot.
Exit codes: 0 done, 1 problems (listed on stderr), 2 no such file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import SystemClock
from bot.config import DatabaseSettings
from bot.db.engine import create_engine, create_session_factory, safe_url
from bot.db.migrate import upgrade_to_head
from bot.kit import data_files
from bot.plans import csv_import as plan_import
from bot.plans.csv_import import Progress, Report
from bot.plans.reminders import ReminderRules
from bot.plans.rules import Context

PROGRESS_EVERY = 5.0  # seconds between progress lines
SHOWN_PROBLEMS = 200


async def _run(data: bytes, path: Path, dry_run: bool) -> int:
    settings = DatabaseSettings()
    database_url = settings.database_url
    rules, default_tz = ReminderRules.from_settings(settings), settings.timezone
    engine = create_engine(database_url)
    shown = 0.0

    def progress(step: Progress) -> None:
        nonlocal shown
        if time.monotonic() - shown >= PROGRESS_EVERY or step.batches_written == 1:
            shown = time.monotonic()
            print(
                f"  {step.rows_written} of {step.rows_total} rows written "
                f"(batch {step.batches_written} of {step.batches_total})",
                flush=True,
            )

    try:
        await upgrade_to_head(engine)
        report = await plan_import.run(
            create_session_factory(engine),
            data,
            Context(SystemClock().now(), rules, default_tz, source="import"),
            dry_run=dry_run,
            on_batch=progress,
        )
    except (SQLAlchemyError, OSError) as exc:
        print(f"{path}: the database {safe_url(database_url)} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    if report.interrupted:
        _interrupted(path, report)
        return 1
    if not report.ok:
        print(f"{path}: nothing was imported, {len(report.problems)} problem(s):", file=sys.stderr)
        for problem in report.problems[:SHOWN_PROBLEMS]:
            print(f"  {problem}", file=sys.stderr)
        if len(report.problems) > SHOWN_PROBLEMS:
            print(f"  … and {len(report.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
        return 1
    verb = "would" if dry_run else "did"
    batches = "" if dry_run else f" in {report.batches_written} batch(es)"
    print(
        f"{path} ({safe_url(database_url)}): {verb} create {report.goals_created} goal(s) and "
        f"{report.tasks_created} task(s), move {report.tasks_moved} task(s); "
        f"{report.unchanged} unchanged; {len(report.people)} people; {report.rows} rows{batches}"
    )
    return 0


def _interrupted(path: Path, report: Report) -> None:
    print(
        f"{path}: stopped after writing {report.rows_written} of {report.rows} rows "
        f"({report.batches_written} of {report.batches_total} batches: "
        f"{report.goals_created} goal(s) and {report.tasks_created} task(s) created, "
        f"{report.tasks_moved} moved):",
        file=sys.stderr,
    )
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    print(
        "  Run the same file again to import the rest: rows already imported are recognised "
        "by their goal and task titles and are not added twice.",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.import_plans", description=__doc__)
    parser.add_argument("csv", type=Path, help="UTF-8 CSV, one row per task")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    try:
        data = data_files.read_file(args.csv, plan_import.LIMITS)
    except OSError as exc:
        print(f"{args.csv}: cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(data, args.csv, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
