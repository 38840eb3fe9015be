"""What the dashboards show, gathered from each feature's figures, with the role checks.

Staff reports are for staff only: a mentor (or anyone else) finds nothing there, the same answer
as a page that does not exist. A caseload is a mentor's own young people; staff see everyone's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.assessment import figures as assessment
from bot.assessment.questionnaire import Questionnaires
from bot.booking import figures as booking
from bot.broadcasts import figures as broadcasts
from bot.kit.errors import NotFound
from bot.people import directory
from bot.people import figures as people
from bot.people import queries as users
from bot.people.figures import Cohort, Period
from bot.people.models import Role, User
from bot.people.queries import Search
from bot.plans import figures as plans

UNSEEN_AFTER = timedelta(days=14)
LISTED = 50  # rows a caseload list shows; the download has them all
DOWNLOAD_LIMIT = 10_000


@dataclass(frozen=True)
class StaffReport:
    cohort: Cohort
    period: Period
    signed_up: int
    active: int
    assessed: int
    with_plan: int
    tasks: plans.TaskFigures
    domains: list[assessment.DomainChange]
    workshops: booking.WorkshopFigures
    counselling: booking.CounsellingFigures
    announcements: broadcasts.AnnouncementFigures


def _staff_only(actor: User) -> None:
    if actor.role != Role.STAFF:
        raise NotFound("staff reports")


async def staff_report(
    session: AsyncSession,
    actor: User,
    cohort: Cohort,
    period: Period,
    now: datetime,
    questionnaires: Questionnaires,
) -> StaffReport:
    _staff_only(actor)
    cohort = Cohort(cohort.programme, cohort.city)  # staff reports are never one mentor's
    signed_up, active = await people.young_people(session, cohort, period)
    return StaffReport(
        cohort=cohort,
        period=period,
        signed_up=signed_up,
        active=active,
        assessed=await assessment.assessed(session, cohort, period),
        with_plan=await plans.with_plan(session, cohort, period),
        tasks=await plans.tasks(session, cohort, period, now),
        domains=await assessment.domain_changes(session, cohort, period, questionnaires),
        workshops=await booking.workshops(session, cohort, period),
        counselling=await booking.counselling(session, cohort, period, now),
        announcements=await broadcasts.announcements(session, cohort, period),
    )


@dataclass(frozen=True)
class Caseload:
    overdue: directory.Table  # young people with overdue tasks, paged
    unseen_total: int
    unseen: Sequence[User]  # not seen for two weeks, longest first
    waiting_total: int
    waiting: Sequence[plans.Waiting]  # requests for more time, oldest first


def _own(actor: User) -> Cohort:
    if actor.role == Role.STAFF:
        return Cohort()
    if actor.role == Role.MENTOR:
        return Cohort(mentor_id=actor.id)
    raise NotFound("no desk for this role")


async def caseload(
    session: AsyncSession,
    actor: User,
    page: int,
    now: datetime,
    tz: str,
    limit: int = LISTED,
) -> Caseload:
    cohort = _own(actor)
    overdue = await directory.table(
        session, actor, Search(role=Role.YOUTH, overdue=True), page, now, tz
    )
    unseen_total, unseen = await people.not_seen_since(session, cohort, now - UNSEEN_AFTER, limit)
    waiting_total, waiting = await plans.waiting_for_more_time(session, cohort, limit)
    return Caseload(overdue, unseen_total, unseen, waiting_total, waiting)


async def overdue_people(
    session: AsyncSession, actor: User, now: datetime, tz: str
) -> Sequence[directory.Row]:
    """Every young person of the caseload with overdue tasks (up to a limit), for a download."""
    _own(actor)
    search = directory.scoped(actor, Search(role=Role.YOUTH, overdue=True))
    local = now.astimezone(ZoneInfo(tz))
    found = await users.search_rows(session, search, local.date(), local.time(), 0, DOWNLOAD_LIMIT)
    ids = [p.id for p in found]
    late = await users.overdue_counts(session, ids, local.date(), local.time())
    mentors = await users.first_mentors(session, ids)
    return [directory.Row(p, mentors.get(p.id), late.get(p.id, 0)) for p in found]
