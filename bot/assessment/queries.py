"""Assessment rows, their answers and scores. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentKind,
    AssessmentScore,
    AssessmentStatus,
)
from bot.db.upsert import insert_ignoring_conflicts


async def in_progress(session: AsyncSession, user_id: int) -> Assessment | None:
    query = select(Assessment).where(Assessment.open_for == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, assessment_id: int) -> Assessment | None:
    return await session.get(Assessment, assessment_id)


async def open_new(
    session: AsyncSession,
    user_id: int,
    version: int,
    first_question: str,
    now: datetime,
    kind: AssessmentKind = AssessmentKind.FULL,
) -> Assessment:
    """Starts one, unless a concurrent update of the same person just did: then that one."""
    statement = insert_ignoring_conflicts(session, Assessment, ["open_for"]).values(
        user_id=user_id,
        version=version,
        kind=kind,
        status=AssessmentStatus.IN_PROGRESS,
        current_question=first_question,
        open_for=user_id,
        requested_steps="",
        started_at=now,
        updated_at=now,
    )
    await session.execute(statement)
    assessment = await in_progress(session, user_id)
    assert assessment is not None
    return assessment


async def remove(session: AsyncSession, assessment_id: int) -> None:
    await session.execute(delete(Assessment).where(Assessment.id == assessment_id))


# Built once (every answer of the self-assessment runs both statements below).
_ANSWERS = (
    select(AssessmentAnswer)
    .where(AssessmentAnswer.assessment_id == bindparam("assessment_id"))
    .order_by(AssessmentAnswer.id)
    # Upserts bypass the identity map: rows loaded earlier in this update are refreshed.
    .execution_options(populate_existing=True)
)


async def answers(session: AsyncSession, assessment_id: int) -> Sequence[AssessmentAnswer]:
    return (await session.execute(_ANSWERS, {"assessment_id": assessment_id})).scalars().all()


# What each step needs of the answers so far, as plain rows: loading them as objects (identity
# map, refresh of every one after the upsert) was the largest part of an answer's ORM work.
_GIVEN = (
    select(
        AssessmentAnswer.question,
        AssessmentAnswer.option,
        AssessmentAnswer.skipped,
        AssessmentAnswer.sealed_text.is_not(None),
        AssessmentAnswer.shared_with_mentor,
    )
    .where(AssessmentAnswer.assessment_id == bindparam("assessment_id"))
    .order_by(AssessmentAnswer.id)
)


async def given(
    session: AsyncSession, assessment_id: int
) -> Sequence[tuple[str, str | None, bool, bool, bool | None]]:
    """(question, option, skipped, has text, shared with the mentor) per answer, in order."""
    result = await session.execute(_GIVEN, {"assessment_id": assessment_id})
    return [
        (q, option, bool(skipped), bool(text), shared)
        for q, option, skipped, text, shared in result
    ]


async def save_answer(
    session: AsyncSession,
    assessment_id: int,
    question: str,
    *,
    option: str | None,
    skipped: bool,
    sealed_text: str | None,
    shared: bool | None,
    now: datetime,
) -> None:
    """One answer per question: answering again after Back replaces the earlier one."""
    await session.execute(
        _SAVE_ANSWER[session.get_bind().dialect.name],
        {
            "assessment_id": assessment_id,
            "question": question,
            "option": option,
            "skipped": skipped,
            "sealed_text": sealed_text,
            "shared_with_mentor": shared,
            "answered_at": now,
        },
    )


def _save_answer(insert: Any) -> Any:
    """The upsert of one answer, on the table (Core: no ORM bookkeeping), built once."""
    table: Any = AssessmentAnswer.__table__
    statement = insert(table)
    replaced = ("option", "skipped", "sealed_text", "shared_with_mentor", "answered_at")
    return statement.on_conflict_do_update(
        index_elements=["assessment_id", "question"],
        set_={name: statement.excluded[name] for name in replaced},
    )


_SAVE_ANSWER = {
    "postgresql": _save_answer(postgresql.insert),
    "sqlite": _save_answer(sqlite.insert),
}


async def set_shared(
    session: AsyncSession, assessment_id: int, question: str, shared: bool
) -> bool:
    result = await session.execute(
        update(AssessmentAnswer)
        .where(
            AssessmentAnswer.assessment_id == assessment_id,
            AssessmentAnswer.question == question,
            AssessmentAnswer.sealed_text.is_not(None),
        )
        .values(shared_with_mentor=shared)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def add_scores(session: AsyncSession, rows: Sequence[AssessmentScore]) -> None:
    session.add_all(rows)
    await session.flush()


async def first_averages(
    session: AsyncSession, user_id: int, kind: str, other_than: int
) -> dict[str, float]:
    """Domain -> average in the person's first completed self-assessment of this kind (not
    `other_than`): a short check is compared with short checks only."""
    first = (
        select(Assessment.id)
        .where(
            Assessment.user_id == user_id,
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.kind == kind,
            Assessment.id != other_than,
        )
        .order_by(Assessment.completed_at, Assessment.id)
        .limit(1)
        .scalar_subquery()
    )
    query = select(AssessmentScore.domain, AssessmentScore.average).where(
        AssessmentScore.assessment_id == first
    )
    return {str(domain): float(average) for domain, average in (await session.execute(query))}


async def supersede(
    session: AsyncSession, user_id: int, kind: str, latest_id: int, now: datetime
) -> None:
    """The person's earlier completed self-assessments of this kind are no longer their latest
    of it from `now` (a short check does not replace a full self-assessment)."""
    await session.execute(
        update(Assessment)
        .where(
            Assessment.user_id == user_id,
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.kind == kind,
            Assessment.superseded_at.is_(None),
            Assessment.id != latest_id,
        )
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )


async def completed(
    session: AsyncSession, user_id: int, limit: int | None = None
) -> Sequence[Assessment]:
    """Newest first."""
    query = (
        select(Assessment)
        .where(Assessment.user_id == user_id, Assessment.status == AssessmentStatus.COMPLETED)
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return (await session.execute(query)).scalars().all()


async def count_completed(session: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(
        Assessment.user_id == user_id, Assessment.status == AssessmentStatus.COMPLETED
    )
    return int((await session.execute(query)).scalar_one())


async def all_of(session: AsyncSession, user_id: int) -> Sequence[Assessment]:
    query = select(Assessment).where(Assessment.user_id == user_id).order_by(Assessment.id)
    return (await session.execute(query)).scalars().all()


async def scores(session: AsyncSession, assessment_id: int) -> Sequence[AssessmentScore]:
    query = select(AssessmentScore).where(AssessmentScore.assessment_id == assessment_id)
    return (await session.execute(query.order_by(AssessmentScore.id))).scalars().all()


async def scores_of(
    session: AsyncSession, assessment_ids: Sequence[int]
) -> Sequence[AssessmentScore]:
    """The scores of several assessments in one query (a person's whole history)."""
    if not assessment_ids:
        return []
    query = select(AssessmentScore).where(AssessmentScore.assessment_id.in_(assessment_ids))
    return (await session.execute(query.order_by(AssessmentScore.id))).scalars().all()


@dataclass(frozen=True)
class LevelCount:
    domain: str
    level: int
    people: int
    total: float  # sum of the averages, for the domain's mean


async def latest_levels(session: AsyncSession) -> Sequence[LevelCount]:
    """Per domain and level: how many people's latest completed full assessment is there (a
    short check is a rougher measure, not mixed in). No text."""
    latest = (
        select(func.max(Assessment.id).label("id"))
        .where(
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.kind == AssessmentKind.FULL,
        )
        .group_by(Assessment.user_id)
        .subquery()
    )
    query = (
        select(
            AssessmentScore.domain,
            AssessmentScore.level,
            func.count(),
            func.sum(AssessmentScore.average),
        )
        .join(latest, latest.c.id == AssessmentScore.assessment_id)
        .group_by(AssessmentScore.domain, AssessmentScore.level)
        .order_by(AssessmentScore.domain, AssessmentScore.level)
    )
    return [
        LevelCount(str(domain), int(level), int(people), float(total))
        for domain, level, people, total in (await session.execute(query)).all()
    ]


async def count_people_completed(session: AsyncSession) -> int:
    query = select(func.count(func.distinct(Assessment.user_id))).where(
        Assessment.status == AssessmentStatus.COMPLETED, Assessment.kind == AssessmentKind.FULL
    )
    return int((await session.execute(query)).scalar_one())
