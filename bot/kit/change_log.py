"""Who changed what: the history tables a desk page shows (workshop_changes, counselling_changes).

Ours, not an audit library's. SQLAlchemy-Continuum and sqlalchemy-history keep a copy of every
changed row in version tables: that would mean new tables, would copy people's names where
/deleteme cannot reach them, and neither runs on our AsyncSession (both track it as an open
issue). Database audit triggers are PostgreSQL's alone, and the database does not know which
desk user pressed the button. What a page needs is one short line per action (a word and a few
words of detail the page reads back in the reader's language, never a name) with the actor's
id, which goes when their account does. Each table has the same columns but for the key of what
changed (`workshop_id`, `counsellor_id`); `ChangeLog` is given the model and that key.

The plans' trail (plan_changes) is not one of these: it keeps the goal and task changed, the
fields before and after as JSON, and where the change was made (bot, desk, import), it is
written without a flush in bulk by the plan import, and its page names the goal or task as it is
called now. It keeps its own writer and reader in bot/plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.people.models import User

DETAIL_LIMIT = 300  # the tables' detail column
SHOWN = 50  # the latest changes a page shows


class ChangeRow(Protocol):
    """The columns every change table has besides its key (as the mapped class holds them: a
    model's row reads them as values)."""

    id: ClassVar[InstrumentedAttribute[int]]
    actor_id: ClassVar[InstrumentedAttribute[int | None]]
    action: ClassVar[InstrumentedAttribute[str]]
    detail: ClassVar[InstrumentedAttribute[str]]
    created_at: ClassVar[InstrumentedAttribute[datetime]]

    def __init__(self, **values: Any) -> None: ...


Row = TypeVar("Row", bound=ChangeRow)


@dataclass(frozen=True)
class ChangeLog(Generic[Row]):
    """The history of one kind of thing: `key` is the model's column naming the thing."""

    model: type[Row]
    key: InstrumentedAttribute[int]

    async def record(
        self,
        session: AsyncSession,
        subject_id: int,
        actor: User | None,
        action: str,
        detail: str,
        now: datetime,
    ) -> None:
        """One line of the thing's history (`actor` None: the import command on the server)."""
        session.add(
            self.model(
                **{self.key.key: subject_id},
                actor_id=actor.id if actor is not None else None,
                action=action,
                detail=detail[:DETAIL_LIMIT],
                created_at=now,
            )
        )
        await session.flush()

    async def latest(
        self, session: AsyncSession, subject_id: int, limit: int = SHOWN
    ) -> list[tuple[Row, User | None]]:
        """The thing's latest changes, newest first, with who made them (None: gone, or the
        server). The caller checks first that the reader may see the thing."""
        found = await session.execute(
            select(self.model, User)
            .outerjoin(User, User.id == self.model.actor_id)
            .where(self.key == subject_id)
            .order_by(self.model.id.desc())
            .limit(limit)
        )
        return [(change, person) for change, person in found.all()]

    async def made_by(self, session: AsyncSession, user: User) -> list[Row]:
        """Every change this person made, oldest first (their own data, for /mydata)."""
        found = await session.scalars(
            select(self.model).where(self.model.actor_id == user.id).order_by(self.model.id)
        )
        return list(found)

    async def mydata(self, session: AsyncSession, user: User) -> list[dict[str, str]]:
        """`made_by` as /mydata lists it: the thing by its id (named after the key without
        "_id": "workshop", "counsellor"), the action, its detail and when."""
        name = self.key.key.removesuffix("_id")
        return [
            {
                name: str(getattr(change, self.key.key)),
                "action": change.action,
                "detail": change.detail,
                "at": change.created_at.isoformat(),
            }
            for change in await self.made_by(session, user)
        ]
