"""Self-assessment figures for the desk's reports, next to the staff screen's (rules.figures):
counts and averages only, never an answer or a text. Each is one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment.models import Assessment, AssessmentKind, AssessmentScore, AssessmentStatus
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
    from their first one ever (first and latest by when they were completed). Full
    self-assessments only, as every staff average: a short check is a rougher measure."""
    # Each person's latest by the period's end is the one completed before it and not yet
    # superseded then (Assessment.superseded_at, by the next of the same kind); its scores
    # carry the first one's averages (AssessmentScore.first_average). So: one range read over
    # the period's completions.
    latest = and_(
        Assessment.status == AssessmentStatus.COMPLETED,
        Assessment.kind == AssessmentKind.FULL,
        Assessment.completed_at >= period.start,
        Assessment.completed_at < period.end,
        or_(Assessment.superseded_at.is_(None), Assessment.superseded_at >= period.end),
    )
    score = AssessmentScore
    query = (
        select(
            score.domain,
            func.count(),
            func.avg(score.average),
            func.count(score.first_average),
            func.avg(score.average - score.first_average),
        )
        .select_from(Assessment)
        .join(User, User.id == Assessment.user_id)
        .join(score, score.assessment_id == Assessment.id)
        .where(in_cohort(cohort), latest)
        .group_by(score.domain)
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
