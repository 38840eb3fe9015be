import pytest

from bot.i18n.locales import BG, EN, SR_CYRL, default_timezone, guess_locale
from bot.people.rules import AgeCheck, check_birth_year, clean_name, parse_year, shown_years


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("sr", SR_CYRL),
        ("sr-Latn", SR_CYRL),
        ("bg", BG),
        ("en", EN),
        ("de", EN),
        (None, EN),
        ("", EN),
    ],
)
def test_locale_guess(code: str | None, locale: str) -> None:
    assert guess_locale(code) == locale


def test_bulgarian_speakers_start_in_sofia() -> None:
    assert default_timezone(BG, "Europe/Belgrade") == "Europe/Sofia"
    assert default_timezone(SR_CYRL, "Europe/Belgrade") == "Europe/Belgrade"


@pytest.mark.parametrize(
    ("year", "had_birthday", "expected"),
    [
        (2000, None, AgeCheck.OK),
        (2010, None, AgeCheck.OK),  # 16 this year
        (2011, None, AgeCheck.ASK_BIRTHDAY),  # 15 this year: depends on the birthday
        (2011, True, AgeCheck.OK),
        (2011, False, AgeCheck.TOO_YOUNG),
        (2012, None, AgeCheck.TOO_YOUNG),
        (2026, None, AgeCheck.INVALID),
        (2030, None, AgeCheck.INVALID),
        (1890, None, AgeCheck.INVALID),
    ],
)
def test_age_rule_at_fifteen(year: int, had_birthday: bool | None, expected: AgeCheck) -> None:
    assert check_birth_year(year, 2026, had_birthday) == expected


@pytest.mark.parametrize(
    ("text", "year"),
    [("2007", 2007), (" 2007. ", 2007), ("07", None), ("two thousand", None), ("20077", None)],
)
def test_parse_year(text: str, year: int | None) -> None:
    assert parse_year(text) == year


def test_year_buttons_cover_youth_only() -> None:
    # Four full rows of four; older people tap "Earlier", anyone may type.
    assert shown_years(2026) == list(range(1999, 2015))


def test_names_lose_control_characters_and_are_capped() -> None:
    assert clean_name("Ana\u202e\n") == "Ana"
    assert clean_name("x" * 100) == "x" * 64
    assert clean_name("   ") is None
