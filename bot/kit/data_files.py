"""Reading a data file people upload (CSV or YAML) safely: bounded, UTF-8 only, no surprises.

Both importers (`python -m bot.import_plans`, `python -m bot.import_workshops`) read their file
through here, and so will the web desk: nothing in this module prints or exits. It turns bytes
into records and a list of `Problem`s; the caller decides what to show.

What is refused, and why:
- More than `Limits.max_bytes` bytes, more than `Limits.max_rows` records, a value longer than
  `Limits.max_field` characters: a file is read whole into memory, and every value must fit the
  database (the importers check the tighter length of each column themselves).
- Anything but UTF-8 (a UTF-8 BOM, as Excel writes it, is fine). Bytes are never decoded by a
  guess: a wrong guess would store mojibake in people's plans. When the bytes are not UTF-8 the
  problem names what they probably are, so staff know what to convert from: UTF-16/32 by their
  BOM or by the NUL bytes every other character has; Windows-1250 (Serbian Latin) against
  Windows-1251 (Cyrillic) by whether the non-ASCII bytes stand between ASCII letters (š, č, ć in
  Latin words) or between each other (whole Cyrillic words). Those are the files Excel on
  Windows writes in Serbia and Bulgaria; a dozen lines of byte counting name them well enough,
  so no detection library (charset-normalizer, chardet: neither is installed) is needed.
- Control characters (NUL and the like) other than tab and newline: PostgreSQL refuses NUL in
  text, and none belongs in a title or an address.
- In CSV: unknown, duplicate or missing columns, and values beyond the named columns (they
  would be dropped without a word).
- In YAML: anchors and aliases (`&a`, `*a`; a 1 KB "billion laughs" file would otherwise expand
  to gigabytes), nesting deeper than `Limits.max_depth`, duplicate keys (the last one would win
  silently), and values PyYAML cannot build, such as the unquoted date 2027-02-30: each becomes a
  problem with its line instead of an exception.

A `Problem` has a `code` (stable, for programs), an English `message` template with `{name}`
placeholders (a future gettext msgid) and its `params`, so the web desk can translate it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# C0 controls but tab and newline, DEL, C1 controls. \r is gone by then (newlines unified).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HIGH_BYTES = re.compile(rb"[\x80-\xff]+")
WORKBOOKS = {b"PK\x03\x04": ".xlsx or .ods", b"\xd0\xcf\x11\xe0": ".xls"}  # zip, OLE2
CODE_PAGES = {"cp1250": "Windows-1250 (Latin)", "cp1251": "Windows-1251 (Cyrillic)"}
CSV_FIELD_LIMIT = csv.field_size_limit()  # the csv module's own limit, 128 KiB


def N_(text: str) -> str:
    """Marks a message for pybabel; the desk translates it where it shows it."""
    return text


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024  # 100,000 plan rows with details fit in about 8 MB
    max_rows: int = 100_000
    max_field: int = 4096  # characters; each importer checks its columns' own, lower limits
    max_depth: int = 8  # YAML nesting: the files have records holding lists of records


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, where it is (line 1 is the first), in words and as data."""

    code: str
    message: str  # English, with {param} placeholders: the text to translate
    params: Mapping[str, object] = field(default_factory=dict)
    line: int | None = None  # None: the file as a whole
    item: str | None = None  # e.g. "workshops #2", beside the line

    @property
    def reason(self) -> str:
        return self.message.format(**self.params)

    @property
    def where(self) -> str:
        if self.line is None:
            return self.item or "file"
        return f"line {self.line}" + (f" ({self.item})" if self.item else "")

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class Invalid(ValueError):
    """A value an importer refuses; the caller adds the line it came from."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.code, self.message, self.params = code, message, params

    def at(self, line: int | None, item: str | None = None) -> Problem:
        return Problem(self.code, self.message, self.params, line, item)


MESSAGES = {
    "file.too_big": N_("the file is larger than {limit} bytes: split it and import each part"),
    "file.too_many_rows": N_("more than {limit} records; split the file and import each part"),
    "file.empty": N_("the file is empty"),
    "file.workbook": N_(
        "this is a spreadsheet workbook ({kind}), not a text file: save it as “CSV UTF-8” and "
        "import that"
    ),
    "encoding.utf16": N_(
        "the file is {encoding}, not UTF-8: save it as “CSV UTF-8” (or as UTF-8 text) and "
        "import that"
    ),
    "encoding.guessed": N_(
        "the file is not UTF-8, it looks like {name}: convert it to UTF-8 (e.g. save it as "
        "“CSV UTF-8”, or `iconv -f {encoding} -t UTF-8`) and import that"
    ),
    "encoding.unknown": N_(
        "the file is not UTF-8: convert it to UTF-8 (e.g. save as “CSV UTF-8”) and import that"
    ),
    "text.control": N_(
        "a control character ({character}) at column {column}; only tab and line breaks may be "
        "in the text"
    ),
    "text.too_long": N_("a value of {length} characters; at most {limit}"),
    "text.far_too_long": N_("a value of more than {length} characters; at most {limit}"),
    "csv.malformed": N_("not valid CSV: {detail}"),
    "csv.missing_columns": N_("missing column(s): {columns}"),
    "csv.unknown_columns": N_("unknown column(s): {columns}; the columns are {known}"),
    "csv.duplicate_columns": N_("column(s) named twice: {columns}"),
    "csv.unnamed_column": N_("a column without a name in the first line (column {column})"),
    "csv.extra_values": N_("{count} value(s) beyond the {columns} named columns: {values}"),
    "yaml.invalid": "not valid YAML: {detail}",
    "yaml.alias": "anchors and aliases (& and *) are not allowed: write each value out in full",
    "yaml.too_deep": "nested deeper than {limit} levels",
    "yaml.duplicate_key": "the key {key!r} is given twice",
    "yaml.bad_date": "{value} is not a real date",
    "yaml.bad_value": "{value!r} cannot be read: {detail}",
}


def problem(code: str, line: int | None = None, item: str | None = None, **params: Any) -> Problem:
    return Problem(code, MESSAGES[code], params, line, item)


# Reading bytes as text


def read_file(path: Path, limits: Limits = Limits()) -> bytes:
    """A file's bytes, but never more than one byte over the limit (decode() refuses those)."""
    with path.open("rb") as file:
        return file.read(limits.max_bytes + 1)


def decode(data: bytes, limits: Limits = Limits()) -> tuple[str, list[Problem]]:
    """The text of UTF-8 bytes (BOM dropped, newlines unified), or the problems with them."""
    if len(data) > limits.max_bytes:
        return "", [problem("file.too_big", limit=limits.max_bytes)]
    for magic, kind in WORKBOOKS.items():
        if data.startswith(magic):
            return "", [problem("file.workbook", kind=kind)]
    wide = _wide_encoding(data)
    if wide is not None:
        return "", [problem("encoding.utf16", encoding=wide)]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        guess = windows_code_page(data)
        if guess is None:
            return "", [problem("encoding.unknown", line)]
        return "", [problem("encoding.guessed", line, encoding=guess, name=CODE_PAGES[guess])]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return "", [problem("file.empty")]
    return text, control_characters(text)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 by their BOM, or UTF-16 without one by its NUL bytes."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    # Without a BOM: ASCII characters (digits, commas, Latin letters) are a NUL byte and another,
    # so NULs stand at every other byte, all even or all odd. Binary files have them anywhere.
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if half and max(even, odd) >= half / 5 and min(even, odd) <= half / 50:
        return "UTF-16"
    return None


def windows_code_page(data: bytes) -> str | None:
    """ "cp1250" or "cp1251" for text that is not UTF-8, by where its non-ASCII bytes stand.

    Every Cyrillic letter in cp1251 is a byte >= 0x80, so Cyrillic words are runs of them;
    Serbian or Bulgarian Latin in cp1250 has one or two (š, č, ć, ž, đ) beside ASCII letters.
    """
    latin = cyrillic = 0
    for count, match in enumerate(HIGH_BYTES.finditer(data)):
        if count == 10_000:
            break  # plenty to tell them apart
        start, end = match.span()
        before, after = data[start - 1 : start], data[end : end + 1]
        if before.isalpha() or after.isalpha():  # bytes.isalpha(): ASCII letters only
            latin += end - start
        elif end - start >= 3:
            cyrillic += end - start
    if latin == cyrillic == 0:
        return None
    return "cp1251" if cyrillic > latin else "cp1250"


def control_characters(text: str) -> list[Problem]:
    """A problem for each line that holds a control character (the first one on it)."""
    found: list[Problem] = []
    last_line = 0
    for match in CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line == last_line:
            continue
        last_line = line
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        found.append(
            problem("text.control", line, character=f"U+{ord(match.group()):04X}", column=column)
        )
    return found


def check_value(value: str, limit: int) -> Invalid | None:
    """Why a single value (e.g. one a YAML escape produced) cannot be stored, or None."""
    if len(value) > limit:
        return Invalid("text.too_long", MESSAGES["text.too_long"], length=len(value), limit=limit)
    match = CONTROL.search(value.replace("\r", "\n"))
    if match is not None:
        return Invalid(
            "text.control",
            MESSAGES["text.control"],
            character=f"U+{ord(match.group()):04X}",
            column=match.start() + 1,
        )
    return None


# CSV


@dataclass(frozen=True)
class Record:
    line: int  # where the record ends (its only line, unless a quoted value spans lines)
    values: dict[str, str]  # every named column, stripped; "" when empty or left out


def read_csv(
    data: bytes,
    columns: Collection[str],
    *,
    required: Collection[str] = (),
    limits: Limits = Limits(),
) -> tuple[list[Record], list[Problem]]:
    """The records of a CSV file whose first line names its columns (any order, any case).

    Records with a problem are left out of the list; the problems say which and why. Empty lines
    are skipped. A problem with the file or its first line comes alone, with no records.
    """
    text, problems = decode(data, limits)
    if not text:
        return [], problems
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as exc:
        return [], [*problems, problem("csv.malformed", reader.line_num, detail=str(exc))]
    while header and not header[-1]:
        header.pop()  # trailing empty cells Excel may leave in the first line
    header_problem = _header_problem(header, columns, required)
    if header_problem is not None:
        return [], [header_problem, *problems]
    records: list[Record] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # the csv module's own limit
                found = problem(
                    "text.far_too_long", reader.line_num, length=CSV_FIELD_LIMIT,
                    limit=limits.max_field,
                )  # fmt: skip
            else:
                found = problem("csv.malformed", reader.line_num, detail=str(exc))
            problems.append(found)
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(records) >= limits.max_rows:
            problems.append(problem("file.too_many_rows", line, limit=limits.max_rows))
            break
        if any(CONTROL.search(cell) for cell in cells):
            continue  # decode() reported the control character with its own line
        refused = _row_problem(cells, header, limits)
        if refused is not None:
            problems.append(refused.at(line))
            continue
        values = dict.fromkeys(header, "")
        values.update(zip(header, (cell.strip() for cell in cells), strict=False))
        records.append(Record(line, values))
    problems.sort(key=lambda p: p.line or 0)
    return records, problems


def _header_problem(
    header: list[str], columns: Collection[str], required: Collection[str]
) -> Problem | None:
    if "" in header:
        return problem("csv.unnamed_column", 1, column=header.index("") + 1)
    unknown = [_shown(name) for name in header if name not in columns]
    if unknown:
        known = ", ".join(columns)
        return problem("csv.unknown_columns", 1, columns=", ".join(unknown), known=known)
    twice = sorted({_shown(name) for name in header if header.count(name) > 1})
    if twice:
        return problem("csv.duplicate_columns", 1, columns=", ".join(twice))
    missing = [name for name in required if name not in header]
    if missing:
        return problem("csv.missing_columns", 1, columns=", ".join(missing))
    return None


def _shown(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _row_problem(cells: list[str], header: list[str], limits: Limits) -> Invalid | None:
    extra = [cell.strip() for cell in cells[len(header) :] if cell.strip()]
    if extra:
        shown = ", ".join(repr(_shown(value)) for value in extra[:3])
        return Invalid(
            "csv.extra_values",
            MESSAGES["csv.extra_values"],
            count=len(extra),
            columns=len(header),
            values=shown,
        )
    for cell in cells:
        if len(cell) > limits.max_field:
            return Invalid(
                "text.too_long", MESSAGES["text.too_long"], length=len(cell), limit=limits.max_field
            )
    return None


# YAML


@dataclass(frozen=True)
class Document:
    data: Any
    lines: dict[int, int]  # id() of each mapping and list in `data` -> its first line

    def line_of(self, value: object) -> int | None:
        return self.lines.get(id(value))


def read_yaml(data: bytes, limits: Limits = Limits()) -> tuple[Document, list[Problem]]:
    """The one document of a YAML file, built only from plain values, lists and mappings."""
    text, problems = decode(data, limits)
    empty = Document(None, {})
    if not text or problems:
        return empty, problems
    loader = _Loader(text, limits)
    try:
        document = loader.get_single_data()
    except _Refused as exc:
        return empty, [exc.problem]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = ", ".join(part for part in (exc.context, exc.problem) if part) or "unreadable"
        return empty, [problem("yaml.invalid", mark.line + 1 if mark else None, detail=detail)]
    except yaml.YAMLError as exc:
        return empty, [problem("yaml.invalid", detail=str(exc))]
    finally:
        loader.dispose()
    if loader.problems:
        return empty, sorted(loader.problems, key=lambda p: p.line or 0)
    return Document(document, loader.lines), []


class _Refused(yaml.YAMLError):
    """Stops loading at once: what follows an alias or a too deep level is not built at all."""

    def __init__(self, found: Problem) -> None:
        super().__init__(str(found))
        self.problem = found


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader without anchors and aliases, with a depth limit, and with values it
    cannot build (impossible dates, over-long or control-character text) as problems."""

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits = limits
        self.depth = 0
        self.problems: list[Problem] = []
        self.lines: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else None
        # Refused while composing, before anything is expanded: memory stays that of the text.
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise _Refused(problem("yaml.alias", line))
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _Refused(problem("yaml.too_deep", line, limit=self.limits.max_depth))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            return self._scalar(node, line, deep)
        built = super().construct_object(node, deep)
        self.lines[id(built)] = line
        return built

    def _scalar(self, node: ScalarNode, line: int, deep: bool) -> Any:
        refused = check_value(str(node.value), self.limits.max_field)
        if refused is not None:
            self.problems.append(refused.at(line))
            return None
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # e.g. 2027-02-30 unquoted: a timestamp
            if node.tag == TIMESTAMP_TAG:
                self.problems.append(problem("yaml.bad_date", line, value=node.value))
            else:
                shown = _shown(node.value)
                self.problems.append(problem("yaml.bad_value", line, value=shown, detail=exc))
            return None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key, _value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    self.problems.append(
                        problem("yaml.duplicate_key", key.start_mark.line + 1, key=key.value)
                    )
                seen.add(key.value)
        return super().construct_mapping(node, deep)
