"""The self-assessment's suggested next steps that can be booked here and now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import counselling, workshops
from bot.people.models import User

WORKSHOP = "workshop"
COUNSELLING = "counselling"
# Next-step ids of dialogs/assessment/*.yaml -> a workshop type or a counselling service.
TARGETS: dict[str, tuple[str, str]] = {
    "career": (COUNSELLING, "career"),
    "cv_workshop": (WORKSHOP, "cv_jobs"),
    "housing_advice": (COUNSELLING, "social"),
    "money_workshop": (WORKSHOP, "money"),
    "psych_support": (COUNSELLING, "psychological"),
    "legal_aid": (COUNSELLING, "legal"),
    "skills_workshop": (WORKSHOP, "skills"),
}


async def bookable(
    session: AsyncSession, user: User, now: datetime, step_ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """Step id -> what to open, for steps with an upcoming workshop or an open service."""
    wanted = {step: TARGETS[step] for step in step_ids if step in TARGETS}
    if not wanted:
        return {}
    services = set(await counselling.services_offered(session))
    found = {}
    for step, (what, key) in wanted.items():
        if (what == COUNSELLING and key in services) or (
            what == WORKSHOP and await workshops.has_upcoming(session, user, now, key)
        ):
            found[step] = (what, key)
    return found
