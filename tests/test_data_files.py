"""Reading uploaded data files: encodings named, sizes bounded, YAML without surprises."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kit import data_files
from bot.kit.data_files import Limits

COLUMNS = ("name", "city")


def texts(problems: list[data_files.Problem]) -> list[str]:
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("text", "encoding", "named"),
    [
        ("name,city\nĐorđe Petrović,Kragujevac\nJelena Šćekić,Niš\n", "cp1250", "cp1250"),
        ("name,city\nЂорђе Петровић,Крагујевац\nЈелена,Ниш\n", "cp1251", "cp1251"),
        ("name,city\nГеорги Иванов,София\nМария,Пловдив\n", "cp1251", "cp1251"),
        ("name,city\nčišćenje,Čačak\n", "cp1250", "cp1250"),
    ],
)
def test_the_likely_windows_code_page_is_named(text: str, encoding: str, named: str) -> None:
    records, problems = data_files.read_csv(text.encode(encoding), COLUMNS)
    assert records == []
    assert [(p.code, p.params["encoding"], p.line) for p in problems] == [
        ("encoding.guessed", named, 2)
    ]
    assert f"iconv -f {named} -t UTF-8" in problems[0].reason


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("name,city\nAna,Niš\n".encode("utf-32"), "file: the file is UTF-32, not UTF-8"),
        ("name,city\nAna,Niš\n".encode("utf-16-be"), "file: the file is UTF-16, not UTF-8"),
        (b"\xef\xbb\xbf \n\n", "file: the file is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "file: this is a spreadsheet workbook (.xlsx"),
        ("Име,Град\nАна,Ниш\n".encode("utf-16-le"), "file: the file is UTF-16, not UTF-8"),
        (b"name,city\nAna\x00\x00\x00\x00,Nis\n", "line 2: a control character (U+0000)"),
        (b"name,city\n1,\x81\n", "line 2: the file is not UTF-8: convert it"),
    ],
)
def test_other_encodings_and_empty_files_are_refused(data: bytes, expected: str) -> None:
    assert texts(data_files.read_csv(data, COLUMNS)[1])[0].startswith(expected)


def test_sizes_are_bounded(tmp_path: Path) -> None:
    small = Limits(max_bytes=100, max_rows=2, max_field=10)
    too_big = b"name,city\n" + b"Ana,Nis\n" * 20
    assert texts(data_files.read_csv(too_big, COLUMNS, limits=small)[1]) == [
        "file: the file is larger than 100 bytes: split it and import each part"
    ]
    records, problems = data_files.read_csv(
        b"name,city\na,b\nc,d\ne,f\ng,h\n", COLUMNS, limits=small
    )
    assert [r.line for r in records] == [2, 3]
    assert texts(problems) == ["line 4: more than 2 records; split the file and import each part"]
    _records, problems = data_files.read_csv(
        b"name,city\nAnastasija Ana,Nis\n", COLUMNS, limits=small
    )
    assert texts(problems) == ["line 2: a value of 14 characters; at most 10"]
    path = tmp_path / "big.csv"
    path.write_bytes(too_big * 1000)
    assert len(data_files.read_file(path, small)) == 101  # never the whole file in memory


def test_columns_are_checked_and_every_value_kept() -> None:
    data = b"Name , CITY,,\nAna,Nis\n\n  , \nMarko,,\n"
    records, problems = data_files.read_csv(data, COLUMNS, required=("name",))
    assert problems == []
    assert [(r.line, r.values) for r in records] == [
        (2, {"name": "Ana", "city": "Nis"}),
        (5, {"name": "Marko", "city": ""}),
    ]
    assert texts(data_files.read_csv(b"name,,city\n", COLUMNS)[1]) == [
        "line 1: a column without a name in the first line (column 2)"
    ]
    assert texts(data_files.read_csv(b"city\nNis\n", COLUMNS, required=("name",))[1]) == [
        "line 1: missing column(s): name"
    ]


def test_control_characters_are_found_on_their_line() -> None:
    data = b"name,city\nAna,Nis\nMar\x07ko,Nis\nIva,Bor\x7f\n"
    records, problems = data_files.read_csv(data, COLUMNS)
    assert [r.line for r in records] == [2]
    assert texts(problems) == [
        "line 3: a control character (U+0007) at column 4; only tab and line breaks may be in "
        "the text",
        "line 4: a control character (U+007F) at column 8; only tab and line breaks may be in "
        "the text",
    ]
    tab_and_newline = b'name,city\n"Ana\tB",\n"two\r\nlines",Nis\n'
    records, problems = data_files.read_csv(tab_and_newline, COLUMNS)
    assert problems == [] and [r.values["name"] for r in records] == ["Ana\tB", "two\nlines"]


def test_problems_are_data_to_translate_later() -> None:
    problem = data_files.problem("csv.missing_columns", 1, columns="name")
    assert (problem.code, problem.message, dict(problem.params)) == (
        "csv.missing_columns",
        "missing column(s): {columns}",
        {"columns": "name"},
    )
    assert str(problem) == "line 1: missing column(s): name"
    assert str(data_files.problem("file.empty", 3, "workshops #2")) == (
        "line 3 (workshops #2): the file is empty"
    )


def test_yaml_records_know_their_lines() -> None:
    document, problems = data_files.read_yaml(b"items:\n  - a: 1\n\n  - a: 2\n    b: [x, y]\n")
    assert problems == []
    first, second = document.data["items"]
    assert [document.line_of(first), document.line_of(second)] == [2, 4]
    assert document.line_of(second["b"]) == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [[[[[[[[[1]]]]]]]]]\n", "line 1: nested deeper than 8 levels"),
        ("a: 1\nb: 2\na: 3\n", "line 3: the key 'a' is given twice"),
        ("a: 1\nb: [1, 2\n", "line 3: not valid YAML: while parsing a flow sequence, expected ','"),
        (
            "a: 1\n---\nb: 2\n",
            "line 2: not valid YAML: expected a single document in the stream, but",
        ),
        ("a: &x 1\nb: *x\n", "line 1: anchors and aliases (& and *) are not allowed"),
        ("a: !!python/object:os.system x\n", "line 1: not valid YAML: could not determine"),
        ('a: "x\\ty"\nb: "x\\ay"\n', "line 2: a control character (U+0007) at column 2"),
        ("a: 2026-02-29\n", "line 1: 2026-02-29 is not a real date"),
        ("a: 2026-13-01 10:00:00\n", "line 1: 2026-13-01 10:00:00 is not a real date"),
        ("a: " + "9" * 5000 + "\n", "line 1: a value of 5000 characters; at most 4096"),
    ],
)
def test_yaml_surprises_become_problems(text: str, expected: str) -> None:
    document, problems = data_files.read_yaml(text.encode())
    assert document.data is None
    assert texts(problems)[0].startswith(expected), texts(problems)


def test_a_number_python_cannot_read_is_a_problem_too() -> None:
    """Python refuses to read integers over 4300 digits (a denial-of-service guard)."""
    roomy = Limits(max_field=10_000)
    _document, problems = data_files.read_yaml(b"a: " + b"9" * 5000 + b"\n", roomy)
    assert [(p.code, p.line) for p in problems] == [("yaml.bad_value", 1)]
