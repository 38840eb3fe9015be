"""Self-assessment figures for the desk's reports, next to the staff screen's (rules.figures):
counts and averages only, never an answer or a text. Each is one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.assessment.models import Assessment, AssessmentScore, AssessmentStatus
from bot.assessment.questionnaire import Questionnaires
from bot.people.figures import Cohort, Period, in_cohort
from bot.people.models import User


async def assessed(session: AsyncSession, cohort: Cohort, period: Period) -> int:
    """Young people who completed a self-assessment during the period."""
    query = (
        select(func.count(func.distinct(Assessment.user_id)))
        .join(User, User.id == Assessment.user_id)
        .where(
            in_cohort(cohort),
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.completed_at >= period.start,
            Assessment.completed_at < period.end,
        )
    )
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class DomainChange:
    domain: str  # the questionnaire's domain id
    name: str  # its name, to be translated
    people: int  # who completed a self-assessment during the period
    average: float | None  # of their latest, 1.0 – 5.0
    compared: int  # of them, people with two or more
    change: float | None  # mean of (latest − first) over those


async def domain_changes(
    session: AsyncSession, cohort: Cohort, period: Period, questionnaires: Questionnaires
) -> list[DomainChange]:
    """Per life domain, over the cohort's young people who completed a self-assessment during
    the period: the average of their latest one (up to the period's end), and how far it moved
    from their first one ever."""
    per_person = (
        select(
            func.min(Assessment.id).label("first"),
            func.max(Assessment.id).label("last"),
        )
        .join(User, User.id == Assessment.user_id)
        .where(
            in_cohort(cohort),
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.completed_at < period.end,
        )
        .group_by(Assessment.user_id)
        .having(func.max(Assessment.completed_at) >= period.start)
        .subquery()
    )
    latest = aliased(AssessmentScore)
    first = aliased(AssessmentScore)
    two = first.id.is_not(None)
    query = (
        select(
            latest.domain,
            func.count(),
            func.avg(latest.average),
            func.coalesce(func.sum(case((two, 1), else_=0)), 0),
            func.avg(case((two, latest.average - first.average), else_=None)),
        )
        .join(per_person, latest.assessment_id == per_person.c.last)
        .outerjoin(
            first,
            and_(
                first.assessment_id == per_person.c.first,
                first.domain == latest.domain,
                per_person.c.first != per_person.c.last,
            ),
        )
        .group_by(latest.domain)
    )
    found = {
        str(domain): (int(people), avg, int(compared), change)
        for domain, people, avg, compared, change in (await session.execute(query)).all()
    }
    out = []
    for domain in questionnaires.current.domains:
        people, avg, compared, change = found.get(domain.id, (0, None, 0, None))
        out.append(
            DomainChange(
                domain.id,
                domain.name,
                people,
                float(avg) if avg is not None else None,
                compared,
                float(change) if change is not None else None,
            )
        )
    return out
