"""Emergency and helpline numbers from `dialogs/helplines.yaml`, checked when the bot starts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.kit.dialog_errors import DialogError, locate

HELPLINES_FILE = Path(__file__).resolve().parents[2] / "dialogs" / "helplines.yaml"
_NUMBER = re.compile(r"^\+?[0-9][0-9 ]{1,18}[0-9]$")


@dataclass(frozen=True)
class Line:
    number: str
    name: str  # English msgid; translated when shown
    note: str | None


@dataclass(frozen=True)
class Country:
    code: str
    flag: str
    name: str
    emergency: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Helplines:
    countries: tuple[Country, ...]

    def ordered_for(self, country_code: str) -> tuple[Country, ...]:
        """The person's own country first."""
        return tuple(sorted(self.countries, key=lambda c: c.code != country_code))


def load(path: Path = HELPLINES_FILE) -> Helplines:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DialogError(
            path, getattr(getattr(exc, "problem_mark", None), "line", -1) + 1, str(exc)
        ) from exc
    countries = data.get("countries") if isinstance(data, dict) else None
    if not isinstance(countries, list) or not countries:
        raise DialogError(path, 1, "needs a non-empty list `countries`")
    return Helplines(tuple(_country(path, text, c) for c in countries))


def _country(path: Path, text: str, raw: Any) -> Country:
    if not isinstance(raw, dict):
        raise DialogError(path, 1, "each country must be a mapping")
    for key in ("code", "flag", "name", "emergency", "lines"):
        if not raw.get(key):
            raise DialogError(
                path, locate(text, str(raw.get("code", ""))), f"country lacks `{key}`"
            )
    lines = []
    for line in raw["lines"]:
        number = str(line.get("number", "")) if isinstance(line, dict) else ""
        if not _NUMBER.match(number) or not line.get("name"):
            raise DialogError(
                path, locate(text, number or str(line)), f"bad line {line!r}: needs number and name"
            )
        lines.append(Line(number, str(line["name"]), line.get("note")))
    emergency = str(raw["emergency"])
    if not _NUMBER.match(emergency):
        raise DialogError(path, locate(text, emergency), f"bad emergency number {emergency!r}")
    return Country(str(raw["code"]), str(raw["flag"]), str(raw["name"]), emergency, tuple(lines))
