"""A person's town and programme: optional, from short fixed lists, so announcements can reach
the people of one town or one programme."""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotFound
from bot.people import queries as users
from bot.people.models import Role, User
from bot.people.roles import require

# Towns of the programmes Putokaz serves, the largest cities, and "other".
CITIES: Final[tuple[str, ...]] = (
    "beograd",
    "novi_sad",
    "nis",
    "kragujevac",
    "krusevac",
    "cacak",
    "kraljevo",
    "novi_pazar",
    "pirot",
    "dimitrovgrad",
    "ada",
    "nova_crnja",
    "sremska_mitrovica",
    "ruma",
    "sofia",
    "plovdiv",
    "varna",
    "other",
)

# The time zone of each town: a town's times (workshops, counselling hours) are its own, and a
# person's time zone follows the town they live in. "other" says nothing about the zone.
BELGRADE: Final = "Europe/Belgrade"
SOFIA: Final = "Europe/Sofia"
CITY_ZONES: Final[dict[str, str]] = {
    **{key: BELGRADE for key in CITIES[: CITIES.index("ruma") + 1]},
    "sofia": SOFIA,
    "plovdiv": SOFIA,
    "varna": SOFIA,
}
assert set(CITY_ZONES) == set(CITIES) - {"other"}


def zone_of_city(city: str | None) -> str | None:
    """The town's time zone; None for online or "other"."""
    return CITY_ZONES.get(city) if city is not None else None


# The programmes behind the bot (see DOMAIN.md).
PROGRAMMES: Final[tuple[str, ...]] = ("safety_net", "nova", "reintegration", "duga", "di_bg")


def set_city(user: User, city: str | None) -> None:
    if city is not None and city not in CITIES:
        raise ValueError(f"unknown city {city!r}")
    user.city = city
    # Moving town moves the clock: the time zone follows the town (one with a known zone).
    zone = zone_of_city(city)
    if zone is not None:
        user.timezone = zone


async def set_programme(
    session: AsyncSession, actor: User, user_id: int, programme: str | None
) -> User:
    """Staff record which programme a person belongs to."""
    require(actor, Role.STAFF)
    if programme is not None and programme not in PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}")
    target = await users.get(session, user_id)
    if target is None or target.consent_at is None:
        raise NotFound("user")
    target.programme = programme
    return target


def set_muted(user: User, muted: bool) -> None:
    user.announcements_muted = muted
