"""Who writes to the bot: first contact, consent, age, language and time zone."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n.locales import default_timezone, guess_locale, is_known
from bot.people import mentoring
from bot.people import queries as users
from bot.people.models import Role, User

# Raise when the privacy notice changes in substance: everyone is asked again.
PRIVACY_VERSION = 1
# Serbian data protection law: from 15 a person consents alone; younger needs a guardian.
CONSENT_AGE = 15
OLDEST_SHOWN_AGE = 28
YOUNGEST_SHOWN_AGE = 12
# last_seen_at is for retention only; writing it on every message would serialize SQLite.
SEEN_PRECISION = timedelta(hours=6)
MAX_NAME = 64


async def touch(
    session: AsyncSession,
    *,
    telegram_id: int,
    language_code: str | None,
    now: datetime,
    admin_ids: Collection[int],
) -> User:
    """The person behind an update, created on first contact with nothing but id and language."""
    user = await users.get_by_telegram_id(session, telegram_id)
    if user is None:
        user = await _create(session, telegram_id, language_code, now, admin_ids)
    if not user.is_active:
        user.is_active = True
    if now - user.last_seen_at > SEEN_PRECISION:
        user.last_seen_at = now
    return user


async def _create(
    session: AsyncSession,
    telegram_id: int,
    language_code: str | None,
    now: datetime,
    admin_ids: Collection[int],
) -> User:
    await users.add_if_absent(
        session,
        telegram_id=telegram_id,
        locale=guess_locale(language_code),
        role=Role.STAFF if telegram_id in admin_ids else Role.YOUTH,
        is_active=True,
        created_at=now,
        last_seen_at=now,
    )
    user = await users.get_by_telegram_id(session, telegram_id)
    assert user is not None
    return user


def needs_consent(user: User) -> bool:
    return user.consent_at is None or (user.consent_version or 0) < PRIVACY_VERSION


class AgeCheck(StrEnum):
    OK = "ok"
    ASK_BIRTHDAY = "ask_birthday"  # turns 15 this year: depends on the birthday
    TOO_YOUNG = "too_young"
    INVALID = "invalid"


def check_birth_year(year: int, today_year: int, had_birthday: bool | None = None) -> AgeCheck:
    age_this_year = today_year - year
    if year < today_year - 120 or age_this_year < 5:
        return AgeCheck.INVALID
    if age_this_year > CONSENT_AGE:
        return AgeCheck.OK
    if age_this_year < CONSENT_AGE:
        return AgeCheck.TOO_YOUNG
    if had_birthday is None:
        return AgeCheck.ASK_BIRTHDAY
    return AgeCheck.OK if had_birthday else AgeCheck.TOO_YOUNG


def parse_year(text: str) -> int | None:
    digits = text.strip().rstrip(".")
    if len(digits) != 4 or not digits.isdigit():
        return None
    return int(digits)


def shown_years(today_year: int) -> list[int]:
    """The years offered as buttons, youngest last; older people tap "earlier" or type."""
    return list(range(today_year - OLDEST_SHOWN_AGE + 1, today_year - YOUNGEST_SHOWN_AGE + 1))


async def guardian_linked(session: AsyncSession, user: User) -> bool:
    return await mentoring.has_mentor(session, user.id)


def give_consent(
    user: User,
    *,
    now: datetime,
    display_name: str | None,
    birth_year: int | None,
    default_tz: str,
) -> None:
    user.consent_at = now
    user.consent_version = PRIVACY_VERSION
    user.birth_year = birth_year
    user.display_name = clean_name(display_name)
    if user.timezone is None:
        user.timezone = default_timezone(user.locale, default_tz)


def clean_name(name: str | None) -> str | None:
    if not name:
        return None
    # Control characters and bidi overrides in names would garble other people's lists.
    kept = "".join(c for c in name if c.isprintable() and c not in "\u202a\u202b\u202c\u202d\u202e")
    return kept.strip()[:MAX_NAME] or None


def refresh_name(user: User, name: str | None) -> None:
    if user.consent_at is not None:
        cleaned = clean_name(name)
        if cleaned and cleaned != user.display_name:
            user.display_name = cleaned


def set_locale(user: User, locale: str) -> None:
    if not is_known(locale):
        raise ValueError(f"unknown locale {locale!r}")
    user.locale = locale


# Offered in settings; people who moved abroad can pick where they live now.
TIMEZONES = (
    "Europe/Belgrade",
    "Europe/Sofia",
    "Europe/Vienna",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Paris",
    "Europe/London",
    "Europe/Stockholm",
)


def set_timezone(user: User, tz: str) -> None:
    ZoneInfo(tz)  # raises for an unknown zone
    user.timezone = tz


def timezone_of(user: User, default_tz: str) -> str:
    return user.timezone or default_timezone(user.locale, default_tz)
