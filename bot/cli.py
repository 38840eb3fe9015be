"""`python -m bot`: reads the settings and runs the bot on Telegram, or in local mode without a
token. Apart from bot/app.py because local mode builds on app.run: app.py does not know it."""

from __future__ import annotations

import asyncio
import sys

from pydantic import ValidationError

from bot.app import EXIT_CONFIG, StartupError, describe_settings_error, run
from bot.config import Settings
from bot.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    demo = "--demo" in args
    unknown = [a for a in args if a != "--demo"]
    if unknown:
        print(f"putokaz: unknown argument {unknown[0]} (the only one is --demo)", file=sys.stderr)
        return EXIT_CONFIG
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"putokaz: {describe_settings_error(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    # LOG_LEVEL is for our own lines; libraries (Alembic narrating each step, APScheduler two
    # lines per background run, drivers printing SQL parameters) stay at WARNING unless named
    # in LOG_DEBUG.
    setup_logging(settings.log_level, settings.log_debug)
    try:
        if settings.local:
            from bot.local.runner import run_local  # the chat page's code only when it is used

            asyncio.run(run_local(settings, demo_people=demo))
        elif demo:
            print("putokaz: --demo is for local mode only (without BOT_TOKEN)", file=sys.stderr)
            return EXIT_CONFIG
        else:
            asyncio.run(run(settings))
    except StartupError as exc:
        print(f"putokaz: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        pass
    return 0
