"""An audience of several conditions at once (the desk's audience builder): role, language,
town, programme, one mentor's young people, and the people booked on or waiting for one
workshop. Stored on the broadcast as a short query string; every condition is optional and
they all must hold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qsl, urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.models import Workshop
from bot.i18n.locales import BG, EN, SR_CYRL
from bot.kit.errors import NotAllowed
from bot.people import profile
from bot.people import queries as users
from bot.people.models import Role

LANGUAGES: Final[tuple[str, ...]] = (SR_CYRL, BG, EN)  # Serbian: both scripts


class Seat(StrEnum):
    """Which people of a workshop: with a seat (or one offered), waiting, or either."""

    BOOKED = "booked"
    WAITING = "waiting"
    ANY = "any"


@dataclass(frozen=True)
class Filters:
    role: str | None = None
    language: str | None = None
    town: str | None = None
    programme: str | None = None
    mentor: int | None = None  # users.id of a mentor: their young people
    workshop: int | None = None
    seat: Seat = Seat.ANY

    def encode(self) -> str:
        values: dict[str, str] = {}
        for key, value in (
            ("role", self.role),
            ("lang", self.language),
            ("town", self.town),
            ("prog", self.programme),
            ("mentor", self.mentor),
            ("ws", self.workshop),
        ):
            if value is not None:
                values[key] = str(value)
        if self.workshop is not None:
            values["seat"] = self.seat.value
        return urlencode(values)

    @property
    def empty(self) -> bool:
        return self == Filters()


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


def parse(raw: dict[str, str]) -> Filters:
    """From a form or the stored string: anything unknown is left out, never an error."""

    def pick(key: str, allowed: tuple[str, ...] | set[str]) -> str | None:
        value = (raw.get(key) or "").strip()
        return value if value in allowed else None

    workshop = _number(raw.get("ws"))
    seat = raw.get("seat") or Seat.ANY
    return Filters(
        role=pick("role", {r.value for r in Role}),
        language=pick("lang", LANGUAGES),
        town=pick("town", profile.CITIES),
        programme=pick("prog", profile.PROGRAMMES),
        mentor=_number(raw.get("mentor")),
        workshop=workshop,
        seat=Seat(seat) if workshop is not None and seat in set(Seat) else Seat.ANY,
    )


def decode(stored: str | None) -> Filters:
    return parse(dict(parse_qsl(stored or "")))


async def checked(session: AsyncSession, filters: Filters) -> Filters:
    """The filters with a mentor or workshop that does not exist (any more) refused."""
    if filters.mentor is not None:
        mentor = await users.get(session, filters.mentor)
        if mentor is None or mentor.role != Role.MENTOR:
            raise NotAllowed("no such mentor")
    if filters.workshop is not None and await session.get(Workshop, filters.workshop) is None:
        raise NotAllowed("no such workshop")
    return filters
