"""Router-level checks against what the database says now, not what a button implied."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.people import rules as people
from bot.people.models import Role, User


class Consented(Filter):
    async def __call__(self, event: TelegramObject, user: User | None = None) -> bool:
        return user is not None and not people.needs_consent(user)


class HasRole(Filter):
    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(
        self, event: TelegramObject, user: User | None = None
    ) -> bool | dict[str, Any]:
        return user is not None and not people.needs_consent(user) and user.role in self.roles
