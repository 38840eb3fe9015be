"""Demo people for local mode: a small programme in Kragujevac, Pirot and Sofia, made through
the same rules (services) the bot uses, and removed in one step.

What is demo is recognisable without a flag column: the people's Telegram ids lie in
DEMO_FIRST..DEMO_FIRST+99 (Telegram never hands out such ids to people who could write to a local
bot), and the workshops and counsellors carry a `ref` starting with "demo-". Removing the demo
erases those people as /deleteme would (their bookings free seats, their unsent announcements
go) and then the demo workshops and counsellors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bot.app import Running
from bot.assessment import questionnaire
from bot.assessment import rules as assessment
from bot.assessment.questionnaire import Kind
from bot.booking import counselling, workshops
from bot.booking import rules as booking
from bot.booking.models import Counsellor, Workshop
from bot.botapi.models import ChatState
from bot.broadcasts import rules as broadcasts
from bot.broadcasts.models import EVERYONE
from bot.i18n.locales import BG, EN, SR_CYRL, SR_LATN
from bot.kit import commands
from bot.local.clock import MovableClock
from bot.local.texts import N_, translate
from bot.people import invites, privacy, profile
from bot.people import rules as people
from bot.people.models import InviteKind, Role, User
from bot.plans import rules as plans
from bot.plans.reminders import ReminderRules, to_utc

log = logging.getLogger(__name__)

DEMO_FIRST = 7_000_000_001
DEMO_COUNT = 100
REF_PREFIX = "demo-"


@dataclass(frozen=True)
class DemoPerson:
    number: int
    name: str
    locale: str
    language_code: str  # what Telegram says (it knows no script)
    role: Role
    city: str
    programme: str
    age: int | None
    about: str

    @property
    def telegram_id(self) -> int:
        return DEMO_FIRST + self.number


JELENA = DemoPerson(
    0, "Јелена", SR_CYRL, "sr", Role.MENTOR, "kragujevac", "safety_net", None,
    N_("Mentor in Kragujevac with three young people"),
)  # fmt: skip
MILICA = DemoPerson(
    1, "Милица", SR_CYRL, "sr", Role.YOUTH, "kragujevac", "safety_net", 17,
    N_("17, leaving her foster family in Kragujevac; reads Cyrillic"),
)  # fmt: skip
MARKO = DemoPerson(
    2, "Marko", SR_LATN, "sr", Role.YOUTH, "kragujevac", "safety_net", 19,
    N_("19, looking for a first job in Kragujevac; reads Latin letters"),
)  # fmt: skip
KALINA = DemoPerson(
    3, "Калина", BG, "bg", Role.YOUTH, "sofia", "di_bg", 17,
    N_("17, leaving residential care in Sofia; reads Bulgarian"),
)  # fmt: skip
AMIR = DemoPerson(
    4, "Amir", EN, "en", Role.YOUTH, "pirot", "reintegration", 24,
    N_("24, a returnee starting a business in Pirot; reads English"),
)  # fmt: skip
ANA = DemoPerson(
    5, "Ана", SR_CYRL, "sr", Role.STAFF, "kragujevac", "safety_net", None,
    N_("Programme staff: workshops, counselling, announcements"),
)  # fmt: skip
VESNA = DemoPerson(
    6, "Весна", SR_CYRL, "sr", Role.MENTOR, "pirot", "reintegration", None,
    N_("Counsellor for psychological support in Pirot (/today)"),
)  # fmt: skip
PEOPLE = (MILICA, MARKO, KALINA, AMIR, JELENA, VESNA, ANA)
_BY_ID = {p.telegram_id: p for p in PEOPLE}

EnsureChat = Callable[[int, str, str | None], ChatState]


def is_demo(telegram_id: int) -> bool:
    return DEMO_FIRST <= telegram_id < DEMO_FIRST + DEMO_COUNT


def order(telegram_id: int) -> int:
    person = _BY_ID.get(telegram_id)
    return PEOPLE.index(person) if person else len(PEOPLE)


def about(telegram_id: int, locale: str) -> str | None:
    person = _BY_ID.get(telegram_id)
    if person is None:
        return None
    return translate(person.about, locale)


# Plans: (person, domain, goal, [(task, owner, days from today, hour or None)]), in each young
# person's own language, as their mentor would type them.
PLANS: tuple[tuple[DemoPerson, str, str, tuple[tuple[str, str, int, int | None], ...]], ...] = (
    (MILICA, "education", "Завршити средњу школу", (
        ("Узети уверење из школе", "me", 1, None),
        ("Разговор са саветником за каријеру", "me", 6, 12),
    )),
    (MILICA, "documents", "Лична документа", (
        ("Предати захтев за личну карту", "me", -2, None),
    )),
    (MILICA, "housing", "Живот после хранитељске породице", (
        ("Обићи два стана за изнајмљивање", "mentor", 10, None),
    )),
    (MARKO, "work", "Prvi posao", (
        ("Napisati CV", "me", 2, None),
        ("Prijaviti se na tri oglasa", "me", 7, None),
    )),
    (MARKO, "money", "Sopstveni novac", (
        ("Otvoriti račun u banci", "me", 3, None),
    )),
    (KALINA, "education", "Професионално обучение", (
        ("Записване за курс по готварство", "me", 4, None),
    )),
    (AMIR, "work", "Start a small business", (
        ("Business training in Pirot", "me", 5, None),
        ("Write a one-page business plan", "me", 12, None),
    )),
    (AMIR, "documents", "Settle in again", (
        ("Register my address", "me", 1, None),
    )),
)  # fmt: skip

# Workshops: (ref, kind, city, zone, days ahead, hour, hours long, seats, titles sr/bg/en,
# address, booked by, waiting).
WORKSHOPS: tuple[dict[str, Any], ...] = (
    {
        "ref": "demo-cv-kragujevac", "kind": "cv_jobs", "city": "kragujevac",
        "zone": "Europe/Belgrade", "days": 3, "hour": 14, "hours": 2, "capacity": 12,
        "address": "Краља Петра I 12",
        "titles": {SR_CYRL: "Напиши свој CV", BG: "Напиши своето CV", EN: "Write your CV"},
        "booked": (MILICA, MARKO), "waiting": (),
    },
    {
        "ref": "demo-business-pirot", "kind": "business", "city": "pirot",
        "zone": "Europe/Belgrade", "days": 5, "hour": 10, "hours": 3, "capacity": 2,
        "address": "Српских владара 77",
        "titles": {SR_CYRL: "Покрени свој посао", BG: "Започни свой бизнес",
                   EN: "Start your own business"},
        "booked": (AMIR, MILICA), "waiting": (MARKO,),
    },
    {
        "ref": "demo-digital-sofia", "kind": "digital", "city": "sofia",
        "zone": "Europe/Sofia", "days": 4, "hour": 17, "hours": 2, "capacity": 10,
        "address": "бул. Витоша 40",
        "titles": {BG: "Дигитални умения за работа", SR_CYRL: "Дигиталне вештине за посао",
                   EN: "Digital skills for work"},
        "booked": (KALINA,), "waiting": (),
    },
)  # fmt: skip


def _at(day: date, hour: int, zone: str) -> datetime:
    return to_utc(datetime.combine(day, time(hour)), zone)


async def seed(running: Running, clock: MovableClock, ensure_chat: EnsureChat) -> bool:
    """Creates the demo programme; False when it is already there."""
    sessions, settings = running.sessions, running.settings
    now = clock.now()
    async with sessions() as session:
        present = await session.scalar(
            select(User.id).where(User.telegram_id == MILICA.telegram_id)
        )
    if present is not None:
        return False
    rules = ReminderRules.from_settings(settings)
    tz = settings.timezone
    today = now.astimezone(ZoneInfo(tz)).date()
    plan_ctx = plans.Context(now, rules, tz)
    booking_ctx = booking.Context(now, rules, tz)
    users: dict[int, User] = {}
    async with sessions.begin() as session:
        for person in PEOPLE:
            user = await people.touch(
                session, telegram_id=person.telegram_id, language_code=person.language_code,
                now=now, admin_ids=(),
            )  # fmt: skip
            people.set_locale(user, person.locale)
            birth_year = today.year - person.age if person.age else None
            people.give_consent(
                user, now=now, display_name=person.name, birth_year=birth_year, default_tz=tz
            )
            profile.set_city(user, person.city)
            users[person.number] = user
        await session.flush()
        # Roles as in the programme: the first staff member, who invites the mentors, who
        # invite their young people.
        from bot.people import queries as user_rows

        await user_rows.promote_to_staff(session, [ANA.telegram_id])
        await session.refresh(users[ANA.number])
        ana = users[ANA.number]
        for person in PEOPLE:
            await profile.set_programme(session, ana, users[person.number].id, person.programme)
        ttl = timedelta(days=1)
        for mentor in (JELENA, VESNA):
            link = await invites.create(session, ana, InviteKind.MENTOR, now, ttl)
            await invites.redeem(session, users[mentor.number], link.token, now)
        jelena = users[JELENA.number]
        for youth in (MILICA, MARKO, AMIR):
            link = await invites.create(session, jelena, InviteKind.MENTEE, now, ttl)
            await invites.redeem(session, users[youth.number], link.token, now)
        for youth, domain, title, tasks in PLANS:
            goal = await plans.add_goal(
                session, jelena if youth is not KALINA else None, users[youth.number].id,
                title, domain, plan_ctx,
            )  # fmt: skip
            for task_title, owner, days, hour in tasks:
                await plans.add_task(
                    session, jelena if youth is not KALINA else None, goal.id,
                    title=task_title, owner=owner, due_date=today + timedelta(days=days),
                    due_time=time(hour) if hour is not None else None, details=None,
                    ctx=plan_ctx,
                )  # fmt: skip
    async with sessions.begin() as session:
        await _workshops(session, users, today, booking_ctx)
    async with sessions.begin() as session:
        await _counselling(session, users, booking_ctx)
    for person, past_days, level in ((MILICA, 60, 1), (MILICA, 3, 2), (KALINA, 10, 2)):
        async with sessions.begin() as session:
            young = await session.get(User, users[person.number].id)
            assert young is not None
            await _assessment(session, young, now - timedelta(days=past_days), level)
    async with sessions.begin() as session:
        staff = await session.get(User, users[ANA.number].id)
        assert staff is not None
        await _announcement(session, staff, today, tz, now)
    for person in PEOPLE:
        ensure_chat(person.telegram_id, person.name, person.language_code)
        await commands.set_for_chat(
            running.bot, running.assembled.i18n, person.telegram_id, person.role, person.locale
        )
    log.info("demo people added")
    return True


async def _workshops(
    session: Any, users: dict[int, User], today: date, ctx: booking.Context
) -> None:
    ana = users[ANA.number]
    for spec in WORKSHOPS:
        day = today + timedelta(days=spec["days"])
        starts = _at(day, spec["hour"], spec["zone"])
        titles: dict[str, str] = spec["titles"]
        main = titles.get(SR_CYRL) or titles[BG]
        draft = workshops.Draft(
            kind=spec["kind"], title=main, starts_at=starts,
            ends_at=starts + timedelta(hours=spec["hours"]), capacity=spec["capacity"],
            city=spec["city"], address=spec["address"], ref=spec["ref"],
            texts={code: (title, None) for code, title in titles.items()},
        )  # fmt: skip
        workshop = await workshops.create(session, ana, draft, ctx)
        for person in spec["booked"]:
            await booking.book_workshop(session, users[person.number], workshop.id, ctx)
        for person in spec["waiting"]:
            await booking.join_waitlist(session, users[person.number], workshop.id, ctx)


async def _counselling(session: Any, users: dict[int, User], ctx: booking.Context) -> None:
    ana = users[ANA.number]
    offered = (
        (VESNA, "psychological", "Весна Јовановић", "pirot", "Ћирила и Методија 5",
         ((1, 10, 14), (3, 10, 14))),
        (ANA, "career", "Ана Петровић", "kragujevac", "Трг слободе 3", ((0, 12, 15), (2, 9, 12))),
    )  # fmt: skip
    for person, service, name, city, address, hours in offered:
        counsellor = await counselling.create_counsellor(
            session, ana, service=service, name=name, user_id=users[person.number].id,
            city=city, address=address, online_url=None, timezone="Europe/Belgrade",
            now=ctx.now, ref=f"{REF_PREFIX}{service}-{city}",
        )  # fmt: skip
        for weekday, start, end in hours:
            await counselling.add_hours(
                session, ana, counsellor.id, weekday, time(start), time(end), 45, ctx
            )


async def _assessment(session: Any, user: User, when: datetime, level: int) -> None:
    """A finished self-assessment: answers a step worse (level 1) or better (2) than middling."""
    questionnaires = questionnaire.load_all()
    outcome = await assessment.begin(session, user, questionnaires, allow_text=False, now=when)
    for _ in range(200):
        if not isinstance(outcome, assessment.Screen):
            return
        question = outcome.question
        if question.kind != Kind.CHOICE:
            outcome = await assessment.skip(
                session, user, questionnaires, assessment_id=outcome.assessment_id,
                question_index=question.index, allow_text=False, now=when,
            )  # fmt: skip
            continue
        ranked = sorted(range(len(question.options)), key=lambda i: question.options[i].score or 0)
        pick = ranked[min(1, len(ranked) - 1)] if level == 1 else ranked[max(0, len(ranked) - 2)]
        outcome = await assessment.choose(
            session, user, questionnaires, assessment_id=outcome.assessment_id,
            question_index=question.index, option_index=pick, allow_text=False, now=when,
        )  # fmt: skip


async def _announcement(session: Any, ana: User, today: date, tz: str, now: datetime) -> None:
    draft = await broadcasts.open_draft(session, ana, now)
    texts = {
        EVERYONE: "<b>Workshops this week</b>\nCV writing in Kragujevac, business start-up "
        "in Pirot and digital skills in Sofia. Open “🗓 Workshops” to book a seat.",
        SR_CYRL: "<b>Радионице ове недеље</b>\nПисање CV-ја у Крагујевцу, покретање посла "
        "у Пироту и дигиталне вештине у Софији. Отвори „🗓 Радионице” и резервиши место.",
        BG: "<b>Работилници тази седмица</b>\nCV в Крагуевац, собствен бизнес в Пирот и "
        "дигитални умения в София. Отвори „🗓 Работилници“, за да се запишеш.",
    }
    for locale, body in texts.items():
        await broadcasts.set_text(session, ana, draft.id, locale, body)
    when = _at(today + timedelta(days=1), 10, tz)
    await broadcasts.schedule(session, ana, draft.id, when, now, report_chat_id=ana.telegram_id)


async def remove(running: Running, clock: MovableClock) -> list[int]:
    """Erases every demo person (as /deleteme does) and the demo workshops and counsellors;
    the Telegram ids of the people removed."""
    sessions, settings = running.sessions, running.settings
    ctx = booking.Context(clock.now(), ReminderRules.from_settings(settings), settings.timezone)
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(User.id).where(
                    User.telegram_id >= DEMO_FIRST, User.telegram_id < DEMO_FIRST + DEMO_COUNT
                )
            )
        ).all()
    removed = []
    for user_id in ids:
        async with sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                continue
            removed.append(user.telegram_id)
            await privacy.erase(session, user, ctx)
    async with sessions.begin() as session:
        await session.execute(delete(Workshop).where(Workshop.ref.like(f"{REF_PREFIX}%")))
        await session.execute(delete(Counsellor).where(Counsellor.ref.like(f"{REF_PREFIX}%")))
    for telegram_id in removed:
        await commands.clear_for_chat(running.bot, telegram_id)
    log.info("demo data removed: %d people", len(removed))
    return removed
