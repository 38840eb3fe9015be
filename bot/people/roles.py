"""What staff do with people: list them, change roles, remove mentor links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.errors import NotAllowed, NotFound
from bot.people import desk_access, mentoring
from bot.people import queries as users
from bot.people.models import MentorLink, Role, User

PAGE_SIZE = 8


def require(actor: User, *roles: Role) -> None:
    """Every privileged service call checks the role stored in the database."""
    if actor.role not in roles:
        raise NotAllowed(f"{actor.role} is not one of {roles}")


@dataclass(frozen=True)
class Page:
    people: Sequence[User]
    page: int
    pages: int
    total: int


async def list_people(session: AsyncSession, actor: User, role: Role | None, page: int) -> Page:
    require(actor, Role.STAFF)
    total = await users.count(session, role=role)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = await users.page(session, role=role, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    return Page(rows, page, pages, total)


@dataclass(frozen=True)
class Person:
    user: User
    mentors: Sequence[tuple[User, MentorLink]]
    mentees: Sequence[tuple[User, MentorLink]]


async def person(session: AsyncSession, actor: User, user_id: int) -> Person:
    require(actor, Role.STAFF)
    user = await users.get(session, user_id)
    if user is None or user.consent_at is None:
        raise NotFound("user")
    return Person(
        user, await mentoring.mentors(session, user.id), await mentoring.mentees(session, user.id)
    )


@dataclass(frozen=True)
class RoleChange:
    user: User
    old_role: Role
    removed_mentees: Sequence[User]


async def mentees_losing_mentor(
    session: AsyncSession, actor: User, user_id: int, role: Role
) -> Sequence[User]:
    """Who would lose this mentor if the role changed: staff confirm before that happens."""
    target = (await person(session, actor, user_id)).user
    if target.role != Role.MENTOR or role == Role.MENTOR:
        return []
    return [u for u, _ in await mentoring.mentees(session, target.id)]


async def change_role(session: AsyncSession, actor: User, user_id: int, role: Role) -> RoleChange:
    target = (await person(session, actor, user_id)).user
    old_role = Role(target.role)
    if old_role == role:
        return RoleChange(target, old_role, [])
    if old_role == Role.STAFF and await users.count_staff(session) <= 1:
        raise NotAllowed("the last staff member keeps the role")
    removed = await mentees_losing_mentor(session, actor, user_id, role)
    for mentee in removed:
        await mentoring.remove(session, target.id, mentee.id)
    target.role = role
    # Whatever the new role, a desk opened under the old one closes now.
    await desk_access.end_all(session, target.id)
    return RoleChange(target, old_role, removed)


async def unlink(
    session: AsyncSession, actor: User, mentor_id: int, youth_id: int
) -> tuple[User, User]:
    require(actor, Role.STAFF)
    mentor = await users.get(session, mentor_id)
    youth = await users.get(session, youth_id)
    if mentor is None or youth is None or not await mentoring.remove(session, mentor_id, youth_id):
        raise NotFound("link")
    return mentor, youth


async def mentees_of(session: AsyncSession, actor: User) -> Sequence[tuple[User, MentorLink]]:
    require(actor, Role.MENTOR)
    return await mentoring.mentees(session, actor.id)
