"""`python -m bot.import_workshops FILE [--dry-run]`: workshops and counsellors from YAML or CSV.

Everything is checked first; if anything is wrong, the problems are listed with their lines
and nothing is written. Then the records are written 50 per transaction, so the running bot
keeps answering. Should a batch fail, the records before it are written: run the same file
again to finish (records are matched by their ref). Needs only DATABASE_URL (no bot token):
messages to people whose booking changed are sent by the running bot.
Exit codes: 0 done, 1 problems (listed on stderr), 2 no such file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.booking import workshop_import
from bot.booking.rules import Context
from bot.clock import SystemClock
from bot.config import DatabaseSettings
from bot.db.engine import create_engine, create_session_factory, safe_url
from bot.db.migrate import upgrade_to_head
from bot.kit import data_files
from bot.plans.reminders import ReminderRules

SHOWN_PROBLEMS = 200


async def _run(data: bytes, path: Path, dry_run: bool) -> int:
    settings = DatabaseSettings()
    engine = create_engine(settings.database_url)
    ctx = Context(SystemClock().now(), ReminderRules.from_settings(settings), settings.timezone)
    try:
        await upgrade_to_head(engine)
        report = await workshop_import.run(
            create_session_factory(engine), data, path.name, ctx, dry_run=dry_run
        )
    except (SQLAlchemyError, OSError) as exc:
        where = safe_url(settings.database_url)
        print(f"{path}: the database {where} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    summary = (
        f"{report.workshops_created} workshop(s) and {report.counsellors_created} counsellor(s), "
        f"update {report.workshops_updated} workshop(s) and {report.counsellors_updated} "
        f"counsellor(s); {report.unchanged} unchanged; {report.people_told} people to be told"
    )
    if report.interrupted:
        print(
            f"{path}: stopped after {report.batches_written} of {report.batches_total} batches "
            f"(did create {summary}):",
            file=sys.stderr,
        )
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        print(
            "  Run the same file again to import the rest: records already imported are "
            "recognised by their ref and not added twice.",
            file=sys.stderr,
        )
        return 1
    if not report.ok:
        print(f"{path}: nothing was imported, {len(report.problems)} problem(s):", file=sys.stderr)
        for problem in report.problems[:SHOWN_PROBLEMS]:
            print(f"  {problem}", file=sys.stderr)
        if len(report.problems) > SHOWN_PROBLEMS:
            print(f"  … and {len(report.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
        return 1
    verb = "would" if dry_run else "did"
    print(f"{path} ({safe_url(settings.database_url)}): {verb} create {summary}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.import_workshops", description=__doc__)
    parser.add_argument("file", type=Path, help="UTF-8 .yaml/.yml (workshops, counsellors) or .csv")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    try:
        data = data_files.read_file(args.file, workshop_import.LIMITS)
    except OSError as exc:
        print(f"{args.file}: cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(data, args.file, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
