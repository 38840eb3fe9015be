"""`python -m bot.import_plans plans.csv [--dry-run]`: staff load plans for many people at once.

Every row is checked first; if any row is wrong, the problems are listed with their line
numbers and nothing is written. Needs only DATABASE_URL (no bot token): reminders for the new
tasks are sent by the running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import DatabaseSettings
from bot.db.engine import create_engine, create_session_factory, safe_url
from bot.db.migrate import upgrade_to_head
from bot.services import plan_import
from bot.services.plans import Context
from bot.services.reminders import ReminderRules


async def _run(text: str, path: Path, dry_run: bool) -> int:
    settings = DatabaseSettings()
    database_url = settings.database_url
    engine = create_engine(database_url)
    rules, default_tz = ReminderRules.from_settings(settings), settings.timezone
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            report = await plan_import.run(
                session, text, Context(SystemClock().now(), rules, default_tz)
            )
            if report.ok and not dry_run:
                await session.commit()
            else:
                await session.rollback()
    finally:
        await engine.dispose()
    if not report.ok:
        print(f"{path}: nothing was imported, {len(report.problems)} problem(s):", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    verb = "would" if dry_run else "did"
    print(
        f"{path} ({safe_url(database_url)}): {verb} create {report.goals_created} goal(s) and "
        f"{report.tasks_created} task(s), move {report.tasks_moved} task(s); "
        f"{report.unchanged} unchanged; {len(report.people)} people"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.import_plans", description=__doc__)
    parser.add_argument("csv", type=Path, help="UTF-8 CSV, one row per task")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"{args.csv}: no such file", file=sys.stderr)
        return 2
    text = args.csv.read_text(encoding="utf-8-sig")
    return asyncio.run(_run(text, args.csv, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
