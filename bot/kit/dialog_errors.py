"""A broken data file in `dialogs/` stops the bot with the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path


class DialogError(Exception):
    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path.name}, line {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def locate(text: str, needle: str) -> int:
    """The first line that mentions the value, for an error message; 1 when not found."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle and needle in line:
            return number
    return 1
