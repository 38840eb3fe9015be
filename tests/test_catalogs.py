"""The catalogs are complete, agree with the code and each other, and are valid for Telegram."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.botapi import HtmlError, parse_html
from bot.i18n.catalogs import LOCALES_DIR, ROOT, TEMPLATE, check, po_path, read_catalog
from bot.i18n.formatting import fmt_date, fmt_datetime, fmt_time, zone_label
from bot.i18n.locales import LOCALES
from tests.conversation import trn

TELEGRAM_TEXT_LIMIT = 4096
SAMPLE = {
    "name": "Ана <&> 🦊",
    "n": 3,
    "time": "12:00",
    "date": "1 Dec 2026",
    "number": "112",
    "code": "ab12cd34",
    "days": 30,
    "role": "mentor",
    "language": "English",
    "place": "Belgrade",
    "page": 1,
    "pages": 2,
    "maker": "Sara",
    "total": 28,
    "domains": "Housing, Money",
    "steps": "Career counselling",
    "step": "Career counselling",
    "average": "3.4",
    "levels": "1 · 2 · 3 · 4 · 5",
}


class _Sample(dict[str, object]):
    """Every placeholder gets a value; unknown ones a plain word."""

    def __missing__(self, key: str) -> object:
        return "sample"


def test_every_message_is_translated_in_every_locale_and_latin_matches_cyrillic() -> None:
    problems = check()
    assert problems == [], "\n".join(str(p) for p in problems[:20])


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_the_template_holds_exactly_the_texts_in_the_code(tmp_path: Path) -> None:
    """Fails when someone adds or changes a text and forgets `python -m bot.i18n update`."""
    fresh = tmp_path / "messages.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)  # pybabel reads its configuration from ./pyproject.toml
    try:
        CommandLineInterface().run(  # type: ignore[no-untyped-call]
            ["pybabel", "-q", "extract", "-o", str(fresh)]
        )
    finally:
        os.chdir(cwd)
    with fresh.open("rb") as new, TEMPLATE.open("rb") as committed:
        extracted, stored = _ids(read_po(new)), _ids(read_po(committed))
    assert extracted - stored == set(), "new texts: run python -m bot.i18n update"
    assert stored - extracted == set(), "texts no longer used: run python -m bot.i18n update"


def _strings(locale: str) -> list[tuple[str, str]]:
    catalog = read_catalog(po_path(locale), locale)
    out: list[tuple[str, str]] = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string
        strings = [string] if isinstance(string, str) else list(string or ())
        out.extend((msgid, s) for s in strings)
    return out


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_is_valid_telegram_html_once_filled_in(locale: str) -> None:
    for msgid, string in _strings(locale):
        filled = string.format_map(_Sample(SAMPLE)) if "{" in string else string
        # Names arrive escaped, as the handlers do it.
        filled = filled.replace("Ана <&> 🦊", "Ана &lt;&amp;&gt; 🦊")
        try:
            text, _entities = parse_html(filled, strict=True)
        except HtmlError as exc:
            pytest.fail(f"{locale}: {msgid!r}: {exc}")
        assert 0 < len(text) <= TELEGRAM_TEXT_LIMIT


@pytest.mark.parametrize("locale", LOCALES)
def test_texts_are_short(locale: str) -> None:
    """People read on old phones: no single message text beyond a few lines."""
    for msgid, string in _strings(locale):
        assert len(string) <= 400, f"{locale}: {msgid!r} is {len(string)} characters"


def test_serbian_has_three_plural_forms_and_bulgarian_two() -> None:
    people = ("{n} person", "{n} people")
    assert [trn("sr", *people, n) for n in (1, 2, 5, 21, 22, 11)] == [
        "1 особа",
        "2 особе",
        "5 особа",
        "21 особа",
        "22 особе",
        "11 особа",
    ]
    assert [trn("sr_Latn", *people, n) for n in (1, 3, 7)] == ["1 osoba", "3 osobe", "7 osoba"]
    assert trn("bg", *people, 1) != trn("bg", *people, 2)
    assert [trn("en", *people, n) for n in (1, 2)] == ["1 person", "2 people"]


def _copy_locales(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo"))
    return root


def _edit(root: Path, locale: str, msgid: str, string: str) -> None:
    path = po_path(locale, root)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog[msgid].string = string
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)


@pytest.mark.parametrize(
    ("locale", "msgid", "string", "problem"),
    [
        ("sr_Latn", "Revoked.", "Ručno otkucano.", "differs from the Cyrillic"),
        ("bg", "Role: {role}", "Роля: {rol}", "placeholders differ"),
        ("sr", "🔗 <b>Open invites</b>", "🔗 Отворени позиви", "HTML tags differ"),
        ("bg", "Revoked.", "", "not translated"),
    ],
)
def test_the_check_catches_broken_catalogs(
    tmp_path: Path, locale: str, msgid: str, string: str, problem: str
) -> None:
    root = _copy_locales(tmp_path)
    _edit(root, locale, msgid, string)
    found = [p for p in check(root) if p.locale == locale and p.msgid == msgid]
    assert [p.what for p in found if problem in p.what], found


@pytest.mark.parametrize(
    ("locale", "tz", "date_text", "time_text"),
    [
        ("en", "Europe/Belgrade", "Mar 29, 2026", "3:30\u202fAM"),
        ("sr", "Europe/Belgrade", "29. мар 2026.", "03:30"),
        ("sr_Latn", "Europe/Belgrade", "29. mar 2026.", "03:30"),
        ("bg", "Europe/Sofia", "29.03.2026\u202fг.", "4:30"),
    ],
)
def test_dates_and_times_follow_locale_and_zone_across_dst(
    locale: str, tz: str, date_text: str, time_text: str
) -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # just after the spring change
    assert fmt_date(moment, locale, tz) == date_text
    assert fmt_time(moment, locale, tz) == time_text
    assert time_text in fmt_datetime(moment, locale, tz)


def test_zone_names_are_places_people_recognise() -> None:
    assert zone_label("Europe/Belgrade", "sr") == "Београд"
    assert zone_label("Europe/Belgrade", "sr_Latn") == "Beograd"
    assert zone_label("Europe/Sofia", "bg") == "София"
    assert re.fullmatch(r"\w+", zone_label("Europe/Sofia", "en"))
