"""Dates, times and zone names in a person's language and time zone, through Babel/CLDR."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_skeleton,
    format_time,
    get_timezone_location,
    parse_pattern,
)
from babel.numbers import format_decimal, format_percent


def put_date(template: str, field: str, value: str) -> str:
    """A translated template with `{field}` replaced by a formatted date, ready for the rest of
    its `.format()`. Serbian ("12. јан 2027.") and Bulgarian ("12.01.2027 г.") dates end with a
    full stop of their own: where the template puts one right after the date, one serves both,
    as both languages spell it (never "2027.."). Person-given words are never touched."""
    placeholder = "{" + field + "}"
    if value.endswith("."):
        template = template.replace(placeholder + ".", placeholder)
    return template.replace(placeholder, value)


@lru_cache(maxsize=16)
def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def to_zone(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


@lru_cache(maxsize=64)
def _skeleton_pattern(locale: str, skeleton: str) -> DateTimePattern:
    """The pattern of a skeleton the locale has, looked up once: Babel's format_skeleton looks
    it up (and checks the locale) on every call, a part of each screen's CPU with dates."""
    return parse_pattern(babel_locale(locale).datetime_skeletons[skeleton])


@lru_cache(maxsize=16)
def _short_time(locale: str) -> DateTimePattern:
    return parse_pattern(babel_locale(locale).time_formats["short"])


def fmt_date(value: date | datetime, locale: str, tz: str, skeleton: str = "yMMMd") -> str:
    """A date with the month as a word ("3 Dec 2026", "3. дец 2026."): no day/month confusion."""
    if isinstance(value, datetime):
        value = to_zone(value, tz).date()
    if skeleton in babel_locale(locale).datetime_skeletons:
        return str(_skeleton_pattern(locale, skeleton).apply(value, babel_locale(locale)))
    return str(format_skeleton(skeleton, value, locale=babel_locale(locale)))


def fmt_time(value: datetime, locale: str, tz: str) -> str:
    return str(_short_time(locale).apply(to_zone(value, tz), babel_locale(locale)))


# Kept: the same few moments (the workshops on screen) are written again and again, for everyone
# who opens or books them. The text depends only on the moment, the language and the zone.
@lru_cache(maxsize=1024)
def fmt_datetime(value: datetime, locale: str, tz: str) -> str:
    # CLDR's "medium" date-time has seconds; people need the day and the minute.
    pattern = babel_locale(locale).datetime_formats["medium"]
    return str(pattern).format(fmt_time(value, locale, tz), fmt_date(value, locale, tz))


def zone_label(tz: str, locale: str) -> str:
    """ "Belgrade", "Београд", "Белград": the place people recognise, not the IANA id."""
    return str(get_timezone_location(ZoneInfo(tz), locale=babel_locale(locale), return_city=True))


def fmt_day(value: date, locale: str) -> str:
    """A calendar day that has no time zone (a deadline's date)."""
    return str(format_skeleton("yMMMd", value, locale=babel_locale(locale)))


def fmt_clock(value: time, locale: str) -> str:
    """A wall-clock time that has no time zone (a deadline's time)."""
    return str(format_time(value, format="short", locale=babel_locale(locale)))


def fmt_month(value: date, locale: str) -> str:
    return str(format_skeleton("yMMMM", value, locale=babel_locale(locale)))


def weekday_names(locale: str) -> list[str]:
    """Short weekday names, Monday first (as calendars in Serbia and Bulgaria are)."""
    days = babel_locale(locale).days["stand-alone"]["short"]
    return [str(days[i]) for i in range(7)]


def fmt_number(value: float, locale: str, digits: int | None = None) -> str:
    """A number with the language's separators ("1,234.5" in English, "1.234,5" in Serbian and
    Bulgarian). `digits` None: as many decimals as it has, up to two ("1,5", "2"); otherwise
    exactly that many (a table's column of averages)."""
    decimals = "." + "#" * 2 if digits is None else "." + "0" * digits if digits else ""
    pattern = "#,##0" + decimals
    return str(format_decimal(value, format=pattern, locale=babel_locale(locale)))


def fmt_change(value: float, locale: str, digits: int = 1) -> str:
    """A change with its sign always shown ("+0.5", "−1,2"); zero has none."""
    shown = fmt_number(abs(value), locale, digits)
    if shown == fmt_number(0, locale, digits):
        return shown
    return ("+" if value > 0 else "−") + shown


def fmt_percent(part: int, whole: int, locale: str) -> str:
    """`part` of `whole` as a whole percentage ("75 %" in Serbian); "—" when there is no whole."""
    if whole <= 0:
        return "—"
    return str(format_percent(part / whole, locale=babel_locale(locale)))
