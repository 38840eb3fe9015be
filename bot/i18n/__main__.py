"""`python -m bot.i18n update|sync|compile|check`: the catalog chores in one place.

update  = pybabel extract + pybabel update + sync + compile (after changing texts)
sync    = fill English msgstr from msgid, regenerate sr_Latn from sr (after translating sr)
compile = write the .mo files aiogram loads
check   = what the tests check: nothing missing, fuzzy, mismatched or out of date
"""

from __future__ import annotations

import os
import sys

from babel.messages.frontend import CommandLineInterface

from bot.i18n.catalogs import ROOT, check, compile_all, sync


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    os.chdir(ROOT)  # pybabel reads [tool.babel] from ./pyproject.toml
    if command == "update":
        CommandLineInterface().run(["pybabel", "extract"])  # type: ignore[no-untyped-call]
        CommandLineInterface().run(["pybabel", "update"])  # type: ignore[no-untyped-call]
        command = "sync"
    if command == "sync":
        sync()
        command = "compile"
    if command == "compile":
        for path in compile_all(force=True):
            print(f"compiled {path.relative_to(ROOT)}")
        return 0
    if command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problems")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
