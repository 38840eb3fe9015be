"""`python -m bot.import_workshops FILE [--dry-run]`: workshops and counsellors from YAML or CSV.

Everything is checked first; if anything is wrong, the problems are listed with where they
are and nothing is written. Needs only DATABASE_URL (no bot token): messages to people whose
booking changed are sent by the running bot.
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
from bot.services import workshop_import
from bot.services.booking import Context
from bot.services.reminders import ReminderRules


async def _run(text: str, path: Path, dry_run: bool) -> int:
    settings = DatabaseSettings()
    engine = create_engine(settings.database_url)
    ctx = Context(SystemClock().now(), ReminderRules.from_settings(settings), settings.timezone)
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            report = await workshop_import.run(session, text, path.name, ctx)
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
        f"{path} ({safe_url(settings.database_url)}): {verb} create "
        f"{report.workshops_created} workshop(s) and {report.counsellors_created} counsellor(s), "
        f"update {report.workshops_updated} workshop(s) and {report.counsellors_updated} "
        f"counsellor(s); {report.unchanged} unchanged; {report.people_told} people to be told"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.import_workshops", description=__doc__)
    parser.add_argument("file", type=Path, help="UTF-8 .yaml/.yml (workshops, counsellors) or .csv")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 2
    text = args.file.read_text(encoding="utf-8-sig")
    return asyncio.run(_run(text, args.file, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
