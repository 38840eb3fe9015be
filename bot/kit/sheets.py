"""Tables people download from the desk or the bot, as CSV and XLSX: dashboards, a workshop's
participants, who did not get an announcement.

A cell that a spreadsheet would read as a formula (one starting with = + - @, a tab or a carriage
return: a young person's name can be anything) gets a leading apostrophe in both formats, so a
download never runs anything on a staff member's computer. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

Cell = str | int | float | date | datetime | None
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Sheet names may not hold these, and are at most 31 characters long.
SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Table:
    key: str  # the download's name: letters and underscores
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def neutralized(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plain(value: Cell) -> str | int | float | None:
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return neutralized(value)  # type: ignore[return-value]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralized(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(["" if c is None else _plain(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook  # only downloads need it: not loaded at start-up

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title.translate(SHEET_FORBIDDEN)[:31] or table.key)
    sheet.append([neutralized(h) for h in table.headers])
    for row in table.rows:
        sheet.append([_plain(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
