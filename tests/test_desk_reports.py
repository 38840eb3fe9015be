"""The desk's dashboards over real HTTP on SQLite and PostgreSQL: staff reports with exact
figures per period, programme and town, a caseload per role, downloads as CSV and XLSX with
formula-like cells neutralized, and nobody seeing what is not theirs."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.assessment import queries as assessments
from bot.assessment.models import Assessment, AssessmentKind, AssessmentScore, AssessmentStatus
from bot.booking.models import (
    Attendance,
    Booking,
    BookingStatus,
    Counsellor,
    Workshop,
    WorkshopStatus,
)
from bot.broadcasts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from bot.people.models import User
from bot.plans import rules as plans
from tests.conversation import onboard, tr
from tests.desk_support import DeskRun, browser, console_link, page, running_desk, sign_in
from tests.harness import Person
from tests.test_roles import invite_youth, new_mentor, staff_member

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # the harness clock: 11:00 in Belgrade
FORMULA = '=HYPERLINK("http://evil.example","x")'


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass
class Seeded:
    run: DeskRun
    staff: Person
    mara: Person  # mentor of Ana and Boris
    mila: Person  # mentor of the young person with a formula for a name
    ana: int  # users.id
    boris: int
    third: int


async def _id(run: DeskRun, telegram_id: int) -> int:
    async with run.harness.sessions() as session:
        found = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert found is not None
    return int(found)


async def _task(
    run: DeskRun,
    mentor_tg: int,
    youth_id: int,
    title: str,
    due: date,
    due_time: time | None = None,
    done_at: datetime | None = None,
    more_time: bool = False,
) -> None:
    """A task written by the mentor a month ago, done by the young person at `done_at`."""
    h = run.harness
    async with h.sessions.begin() as session:
        mentor = await session.scalar(select(User).where(User.telegram_id == mentor_tg))
        youth = await session.get(User, youth_id)
        assert mentor is not None and youth is not None
        ctx = replace(plans.context_for(h.settings, h.clock), now=NOW - timedelta(days=90))
        goal = await plans.add_goal(session, mentor, youth.id, "Find a job", "work", ctx)
        task = await plans.add_task(
            session,
            mentor,
            goal.id,
            title=title,
            owner="me",
            due_date=due,
            due_time=due_time,
            details=None,
            ctx=ctx,
        )
        if done_at is not None:
            await plans.complete(session, youth, task.id, None, replace(ctx, now=done_at))
        if more_time:
            await plans.ask_more_time(session, youth, task.id, replace(ctx, now=NOW))


async def _assessment(
    run: DeskRun,
    user_id: int,
    done: datetime,
    scores: dict[str, float],
    kind: AssessmentKind = AssessmentKind.FULL,
) -> None:
    async with run.harness.sessions.begin() as session:
        row = Assessment(
            user_id=user_id,
            version=1,
            kind=kind,
            status=AssessmentStatus.COMPLETED,
            started_at=done,
            updated_at=done,
            completed_at=done,
        )
        session.add(row)
        await session.flush()
        # What completing it stores besides (bot/assessment/rules.py's _complete).
        first = await assessments.first_averages(session, user_id, kind, row.id)
        await assessments.supersede(session, user_id, kind, row.id, done)
        for domain, average in scores.items():
            session.add(
                AssessmentScore(
                    assessment_id=row.id,
                    domain=domain,
                    average=average,
                    level=round(average),
                    answered=2,
                    first_average=first.get(domain),
                )
            )


async def _services(run: DeskRun, ana: int, boris: int, third: int) -> None:
    """Workshops, counselling and announcements, as their features would have stored them."""
    async with run.harness.sessions.begin() as session:

        def workshop(day: date, city: str, programme: str, status: str) -> Workshop:
            return Workshop(
                kind="cv",
                title="CV",
                city=city,
                starts_at=at(day, 9),
                ends_at=at(day, 11),
                capacity=10,
                booked=2,
                closes_at=at(day, 8),
                programme=programme,
                status=status,
                created_at=NOW,
                updated_at=NOW,
            )

        held = workshop(date(2026, 11, 20), "nis", "nova", WorkshopStatus.SCHEDULED)
        other = workshop(date(2026, 11, 22), "kragujevac", "safety_net", WorkshopStatus.SCHEDULED)
        off = workshop(date(2026, 11, 21), "nis", "nova", WorkshopStatus.CANCELLED)
        counsellor = Counsellor(
            service="career", name="Vesna", timezone="Europe/Belgrade", created_at=NOW
        )
        session.add_all([held, other, off, counsellor])
        await session.flush()

        def booking(user: int, start: datetime, status: str, **where: object) -> Booking:
            return Booking(
                user_id=user,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=status,
                queued_at=NOW,
                created_at=NOW,
                updated_at=NOW,
                **where,
            )

        session.add_all(
            [
                booking(
                    ana,
                    held.starts_at,
                    BookingStatus.BOOKED,
                    workshop_id=held.id,
                    attendance=Attendance.ATTENDED,
                ),
                booking(
                    boris,
                    held.starts_at,
                    BookingStatus.BOOKED,
                    workshop_id=held.id,
                    attendance=Attendance.NO_SHOW,
                ),
                booking(third, held.starts_at, BookingStatus.CANCELLED, workshop_id=held.id),
                booking(boris, other.starts_at, BookingStatus.BOOKED, workshop_id=other.id),
                booking(ana, off.starts_at, BookingStatus.CALLED_OFF, workshop_id=off.id),
                # Counselling: held, missed, still to come.
                booking(
                    ana, at(date(2026, 11, 18)), BookingStatus.BOOKED, counsellor_id=counsellor.id
                ),
                booking(
                    boris,
                    at(date(2026, 11, 19)),
                    BookingStatus.BOOKED,
                    counsellor_id=counsellor.id,
                    attendance=Attendance.NO_SHOW,
                ),
                booking(
                    ana, at(date(2026, 12, 5)), BookingStatus.BOOKED, counsellor_id=counsellor.id
                ),
            ]
        )

        def broadcast(kind: str) -> Broadcast:
            return Broadcast(kind=kind, status=BroadcastStatus.DONE, created_at=NOW, total=3)

        news, personal = broadcast(BroadcastKind.ANNOUNCEMENT), broadcast(BroadcastKind.MENTOR)
        session.add_all([news, personal])
        await session.flush()
        sent = at(date(2026, 11, 21))
        for user, status, which in (
            (ana, RecipientStatus.SENT, news),
            (boris, RecipientStatus.SENT, news),
            (third, RecipientStatus.BLOCKED, news),
            (ana, RecipientStatus.SENT, personal),
        ):
            session.add(
                BroadcastRecipient(
                    broadcast_id=which.id,
                    user_id=user,
                    status=status,
                    next_attempt_at=sent,
                    sent_at=sent if status == RecipientStatus.SENT else None,
                )
            )


@pytest.fixture
async def seeded(db_url: str) -> AsyncIterator[Seeded]:
    async with running_desk(db_url) as run:
        h = run.harness
        staff = await staff_member(h)
        mara = await new_mentor(h, staff)
        mila = await new_mentor(h, staff, "sr")
        ana_p = await onboard(h, "en", first_name="Ana", start=f"/start {await invite_youth(mara)}")
        boris_p = await onboard(
            h, "en", first_name="Boris", start=f"/start {await invite_youth(mara)}"
        )
        third_p = await onboard(
            h, "sr", first_name=FORMULA, start=f"/start {await invite_youth(mila, 'sr')}"
        )
        ana, boris, third = [await _id(run, p.id) for p in (ana_p, boris_p, third_p)]
        async with h.sessions.begin() as session:
            for user, city, programme in (
                (ana, "nis", "nova"),
                (boris, "kragujevac", "safety_net"),
                (third, "kragujevac", "safety_net"),
            ):
                await session.execute(
                    update(User).where(User.id == user).values(city=city, programme=programme)
                )
            # The third young person was last here four weeks ago.
            await session.execute(
                update(User).where(User.id == third).values(last_seen_at=at(date(2026, 11, 1)))
            )
        d = date(2026, 11, 20)
        await _task(run, mara.id, ana, "Write a CV", d, done_at=at(date(2026, 11, 19)))
        # Done the day after the deadline's day ended in Belgrade: late.
        await _task(run, mara.id, ana, "Call the office", d, done_at=at(date(2026, 11, 21)))
        await _task(run, mara.id, ana, "Open an account", date(2026, 11, 25))  # overdue now
        await _task(run, mara.id, ana, "-1+1 Get the papers", date(2026, 12, 10), more_time=True)
        # A deadline with a time: done half an hour after it (09:30 in Belgrade), late.
        await _task(
            run,
            mara.id,
            boris,
            "Visit the employment office",
            date(2026, 11, 27),
            time(9, 0),
            done_at=at(date(2026, 11, 27), 8, 30),
        )
        # Done in time, but before the default period (the last 30 days).
        await _task(run, mara.id, boris, "Enrol", date(2026, 10, 5), done_at=at(date(2026, 10, 1)))
        await _assessment(run, ana, at(date(2026, 6, 1)), {"education": 2.0, "work": 1.0})
        await _assessment(run, ana, at(date(2026, 11, 10)), {"education": 3.5, "work": 2.0})
        await _assessment(run, boris, at(date(2026, 11, 15)), {"education": 4.5, "work": 3.0})
        await _services(run, ana, boris, third)
        yield Seeded(run, staff, mara, mila, ana, boris, third)


async def _download(client: object, url: str) -> tuple[int, bytes, str]:
    async with client.get(url, allow_redirects=False) as r:  # type: ignore[attr-defined]
        return r.status, await r.read(), r.headers.get("Content-Type", "")


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _figures(body: bytes) -> dict[str, str]:
    rows = _csv(body)
    return {row[0]: row[1] for row in rows[1:]}


async def _report(client: object, base: str, query: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for table in ("young_people", "services"):
        status, body, kind = await _download(client, f"{base}/desk/reports/{table}.csv?{query}")
        assert status == 200 and kind == "text/csv", status
        out.update(_figures(body))
    return out


def _en(*pairs: tuple[str, int]) -> dict[str, str]:
    return {tr("en", label): str(value) for label, value in pairs}


async def test_staff_reports_count_exactly_and_filter(seeded: Seeded) -> None:
    s = seeded
    base = s.run.base
    async with browser() as client:
        await sign_in(client, await console_link(s.staff))
        status, html = await page(client, f"{base}/desk/dashboard")
        assert status == 303
        status, html = await page(client, f"{base}/desk/reports")
        assert status == 200 and "<svg" in html and tr("en", "Life domains") in html
        assert 'value="2026-10-31"' in html and 'value="2026-11-29"' in html

        everyone = await _report(client, base)
        assert everyone == _en(
            ("Signed up by the end of the period", 3),
            ("Active (seen since the period began)", 3),
            ("Completed a self-assessment in the period", 2),
            ("Have a plan", 2),
            ("Tasks done on time", 1),
            ("Tasks done late", 2),
            ("Tasks overdue now", 1),
            ("Workshops", 2),
            ("Workshop seats", 20),
            ("Seats filled", 3),
            ("Came to the workshop", 1),
            ("Did not come", 1),
            ("Counselling sessions held", 1),
            ("Counselling sessions missed", 1),
            ("Announcements sent", 1),
            ("Announcements delivered", 2),
        )
        # A period from September: Boris's early task counts as on time; a later start leaves
        # out the young person last seen on 1 November.
        wider = await _report(client, base, "from=2026-09-01&to=2026-11-29")
        assert wider[tr("en", "Tasks done on time")] == "2"
        later = await _report(client, base, "from=2026-11-05&to=2026-11-29")
        assert later[tr("en", "Active (seen since the period began)")] == "2"
        assert later[tr("en", "Completed a self-assessment in the period")] == "2"
        november_tenth = await _report(client, base, "from=2026-11-01&to=2026-11-12")
        assert november_tenth[tr("en", "Completed a self-assessment in the period")] == "1"
        assert november_tenth[tr("en", "Tasks done late")] == "0"  # both late ones came later

        nova = await _report(client, base, "programme=nova")
        assert nova == everyone | _en(
            ("Signed up by the end of the period", 1),
            ("Active (seen since the period began)", 1),
            ("Completed a self-assessment in the period", 1),
            ("Have a plan", 1),
            ("Tasks done late", 1),
            ("Workshops", 1),
            ("Workshop seats", 10),
            ("Seats filled", 2),
            ("Counselling sessions missed", 0),
            ("Announcements delivered", 1),
        )
        town = await _report(client, base, "town=kragujevac")
        assert town[tr("en", "Tasks done late")] == "1"
        assert town[tr("en", "Tasks done on time")] == "0"
        assert town[tr("en", "Tasks overdue now")] == "0"
        assert town[tr("en", "Signed up by the end of the period")] == "2"
        # Unknown or impossible values fall back to everyone and the last 30 days.
        assert await _report(client, base, "programme=x&town=y&from=2026-02-30&to=soon") == (
            everyone
        )

        # Life domains: each person's latest, and the change from the first.
        status, body, _kind = await _download(client, f"{base}/desk/reports/domains.csv")
        rows = {row[0]: row[1:] for row in _csv(body)[1:]}
        assert rows[tr("en", "Education and training")] == ["2", "4.0", "1", "1.5"]
        assert rows[tr("en", "Work and career")] == ["2", "2.5", "1", "1.0"]
        assert rows[tr("en", "Housing")] == ["0", "", "0", ""]
        # Ended before Ana's second one: her first was her latest then, nothing to compare.
        june = "from=2026-05-01&to=2026-06-30"
        status, body, _kind = await _download(client, f"{base}/desk/reports/domains.csv?{june}")
        rows = {row[0]: row[1:] for row in _csv(body)[1:]}
        assert rows[tr("en", "Education and training")] == ["1", "2.0", "0", ""]
        # Both of hers, ending on 12 November: only her second counts, as her latest, and
        # Boris's (15 November) is not there yet.
        early = "from=2026-05-01&to=2026-11-12"
        status, body, _kind = await _download(client, f"{base}/desk/reports/domains.csv?{early}")
        rows = {row[0]: row[1:] for row in _csv(body)[1:]}
        assert rows[tr("en", "Education and training")] == ["1", "3.5", "1", "1.5"]
        assert rows[tr("en", "Work and career")] == ["1", "2.0", "1", "1.0"]

        # The same table as a workbook.
        status, body, kind = await _download(client, f"{base}/desk/reports/domains.xlsx")
        assert status == 200 and kind.startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet is not None
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[1][:5] == [tr("en", "Education and training"), 2, 4.0, 1, 1.5]

        assert (await page(client, f"{base}/desk/reports/nothing.csv"))[0] == 404
        assert (await page(client, f"{base}/desk/reports/domains.pdf"))[0] == 404


async def test_life_domains_count_full_self_assessments_only(seeded: Seeded) -> None:
    """Short checks are a rougher measure: one taken after a full self-assessment does not
    become the person's latest, and one taken first is not what the change is measured from."""
    run = seeded.run
    short = AssessmentKind.SHORT
    await _assessment(
        run, seeded.ana, at(date(2026, 11, 20)), {"education": 1.0, "work": 5.0}, short
    )
    await _assessment(
        run, seeded.boris, at(date(2026, 11, 1)), {"education": 1.0, "work": 1.0}, short
    )
    async with browser() as client:
        await sign_in(client, await console_link(seeded.staff))
        status, body, _kind = await _download(client, f"{run.base}/desk/reports/domains.csv")
    assert status == 200
    rows = {row[0]: row[1:] for row in _csv(body)[1:]}
    # As without the short checks (test_staff_reports_count_exactly_and_filter).
    assert rows[tr("en", "Education and training")] == ["2", "4.0", "1", "1.5"]
    assert rows[tr("en", "Work and career")] == ["2", "2.5", "1", "1.0"]


async def test_caseloads_downloads_and_who_sees_what(seeded: Seeded) -> None:
    s = seeded
    base = s.run.base
    async with browser() as mara, browser() as mila, browser() as staff:
        await sign_in(mara, await console_link(s.mara))
        await sign_in(mila, await console_link(s.mila))
        await sign_in(staff, await console_link(s.staff))

        status, html = await page(mara, f"{base}/desk/dashboard")
        assert status == 303
        status, html = await page(mara, f"{base}/desk/caseload")
        assert status == 200
        assert f'href="/desk/people/{s.ana}">Ana</a>' in html  # overdue, and asked for more time
        assert "HYPERLINK" not in html and "Boris" not in html  # Boris is on track and seen
        assert tr("en", "Everyone was here in the last two weeks.") in html

        # Mila sees only her own young person, unseen for four weeks; Mila speaks Serbian.
        status, html = await page(mila, f"{base}/desk/caseload")
        assert status == 200 and "Ana" not in html and f"/desk/people/{s.third}" in html
        assert tr("sr", "Nobody has overdue tasks.") in html

        # Staff reports are not a mentor's: the pages and the downloads are not there for them.
        for path in ("reports", "reports/young_people.csv", "reports/domains.xlsx"):
            status, html = await page(mara, f"{base}/desk/{path}")
            assert status == 404, path
            assert "Tasks done" not in html

        # Downloads carry only the mentor's own people, and formula-like cells are defused.
        status, body, _ = await _download(mila, f"{base}/desk/caseload/unseen.csv")
        rows = _csv(body)
        assert [r[0] for r in rows[1:]] == ["'" + FORMULA]
        status, body, _ = await _download(mara, f"{base}/desk/caseload/unseen.csv")
        assert _csv(body)[1:] == []
        status, body, _ = await _download(mara, f"{base}/desk/caseload/more_time.csv")
        assert _csv(body)[1:] == [
            ["Ana", "'-1+1 Get the papers", "2026-12-10", "2026-11-29 10:00:00"]
        ]
        status, body, _ = await _download(mara, f"{base}/desk/caseload/overdue.xlsx")
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet is not None
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[1:] == [["Ana", "Mentor <Mara> & co", 1]]

        # Staff see everyone's caseload; the formula stays text in the workbook too.
        status, html = await page(staff, f"{base}/desk/caseload")
        assert f"/desk/people/{s.ana}" in html and f"/desk/people/{s.third}" in html
        status, body, _ = await _download(staff, f"{base}/desk/caseload/unseen.xlsx")
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet is not None
        cell = sheet.cell(row=2, column=1)
        assert cell.value == "'" + FORMULA and cell.data_type == "s"
        assert (await page(staff, f"{base}/desk/caseload/everyone.csv"))[0] == 404

    async with browser() as nobody:
        assert (await page(nobody, f"{base}/desk/caseload"))[0] == 401
        assert (await page(nobody, f"{base}/desk/reports/young_people.csv"))[0] == 401


@pytest.mark.parametrize("locale", ["sr", "sr_Latn", "bg", "en"])
async def test_the_dashboards_speak_the_persons_language(sqlite_url: str, locale: str) -> None:
    async with running_desk(sqlite_url) as run:
        staff = await staff_member(run.harness, locale)
        async with browser() as client:
            await sign_in(client, await console_link(staff))
            status, html = await page(client, f"{run.base}/desk/reports?from=2026-11-01")
            assert status == 200 and f'<html lang="{locale.replace("_", "-")}">' in html
            for text in ("Reports", "Tasks done late", "Life domains", "Download"):
                assert tr(locale, text) in html, text
            status, html = await page(client, f"{run.base}/desk/caseload")
            assert status == 200 and tr(locale, "Not seen for two weeks") in html
            status, body, _kind = await _download(
                client, f"{run.base}/desk/reports/young_people.csv"
            )
            assert _csv(body)[0] == [tr(locale, "Figure"), tr(locale, "Number")]


async def test_staff_and_mentors_get_the_desk_as_a_menu_button_behind_https(
    sqlite_url: str,
) -> None:
    async with running_desk(sqlite_url, web_base_url="https://desk.example.org") as run:
        h = run.harness
        staff = await staff_member(h)
        app = "https://desk.example.org/desk/app"
        assert h.fake.menu_button(staff.id) == {
            "type": "web_app",
            "text": tr("en", "Desk"),
            "web_app": {"url": app},
        }
        mara = await new_mentor(h, staff, "bg")
        assert h.fake.menu_button(mara.id)["web_app"] == {"url": app}
        assert h.fake.menu_button(mara.id)["text"] == tr("bg", "Desk")
        youth = await onboard(
            h, "en", first_name="Ivo", start=f"/start {await invite_youth(mara, 'bg')}"
        )
        assert h.fake.menu_button(youth.id) == {"type": "commands"}
        # Someone who was a mentor before the desk went public gets it with /console.
        async with h.sessions.begin() as session:
            await session.execute(
                update(User).where(User.telegram_id == youth.id).values(role="mentor")
            )
        await youth.send("/console")
        assert h.fake.menu_button(youth.id)["text"] == tr("en", "Desk")
        # Leaving Putokaz takes the button away.
        await mara.send("/deleteme")
        await mara.click(tr("bg", "🗑 Yes, delete everything"))
        assert h.fake.menu_button(mara.id) == {"type": "commands"}


async def test_no_menu_button_without_https(sqlite_url: str) -> None:
    async with running_desk(sqlite_url) as run:
        staff = await staff_member(run.harness)
        await console_link(staff)
        assert run.harness.fake.menu_button(staff.id) == {"type": "commands"}
