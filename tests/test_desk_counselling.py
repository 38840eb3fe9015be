"""Counselling at the desk over real HTTP: a counsellor with weekly hours, time off that lists
the people affected before it is confirmed (the bot then tells them in their language), the
week's appointments with attendance, a linked counsellor's own day, and refusals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.booking import counselling
from bot.booking import rules as booking
from bot.booking.models import (
    Availability,
    Booking,
    BookingStatus,
    CounsellingChange,
    Counsellor,
)
from bot.i18n.formatting import fmt_clock, fmt_datetime, fmt_day, weekday_names, zone_label
from bot.people.models import Role, User
from tests.booking_support import counsellor_with_hours, slots_of
from tests.conversation import onboard, stored_user, tr, trn
from tests.desk_support import DeskRun, browser, console_link, csrf_of, page, running_desk, sign_in
from tests.harness import Person
from tests.test_desk_workshops import _post
from tests.test_plan_conversation import sender_for
from tests.test_roles import new_mentor, staff_member


@pytest.fixture
async def desk_any_db(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


@pytest.fixture
async def desk(sqlite_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(sqlite_url) as run:
        yield run


async def _book_first_slot(run: DeskRun, youth: Person, counsellor_id: int) -> Booking:
    user = await stored_user(run.harness, youth.id)
    assert user is not None
    slot = (await slots_of(run.harness.sessions, counsellor_id))[0]
    async with run.harness.sessions.begin() as session:
        ctx = booking.context_for(run.harness.settings, run.harness.clock)
        return await booking.book_slot(session, user, slot.id, "career", ctx)


async def test_counsellor_hours_time_off_and_attendance(desk_any_db: DeskRun) -> None:
    run = desk_any_db
    staff = await staff_member(run.harness)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{run.base}/desk/counselling")
        assert status == 200
        csrf = csrf_of(html)
        made = {"name": "Ana Savetnik", "service": "career", "city": "kragujevac",
                "place": "Trg 1", "account": ""}  # fmt: skip
        status, location, _ = await _post(client, f"{run.base}/desk/counselling", made, csrf)
        assert status == 303 and re.fullmatch(r"/desk/counselling/\d+", location)
        counsellor_id = int(location.rsplit("/", 1)[1])
        url = f"{run.base}{location}"
        # Tuesdays 10:00-14:00 (the counsellor's zone), 45-minute appointments.
        hours = {"weekday": "1", "start": "10:00", "end": "14:00", "slot": "45"}
        status, location, _ = await _post(client, f"{url}/hours", hours, csrf)
        assert location.endswith("done=saved")
        bad = {**hours, "start": "13:50"}  # overlaps, and shorter than a slot
        status, location, _ = await _post(client, f"{url}/hours", bad, csrf)
        assert location.endswith("problem=hours")
        status, html = await page(client, url)
        assert status == 200 and "10:00" in html and "14:00" in html

        youth = await onboard(run.harness, "bg", first_name="Ivo")
        booked = await _book_first_slot(run, youth, counsellor_id)
        day = booked.starts_at.date().isoformat()
        status, html = await page(client, f"{url}?week={day}")
        assert "Ivo" in html

        # Time off: first the people affected, then confirmed; the bot tells them.
        off = {"first": day, "last": day, "reason": "sick"}
        status, _, html = await _post(client, f"{url}/time-off", off, csrf)
        assert status == 200 and "Ivo" in html and 'id="confirm-time-off"' in html
        async with run.harness.sessions() as session:
            assert (await session.get(Booking, booked.id)).status == BookingStatus.BOOKED  # type: ignore[union-attr]
        status, location, _ = await _post(
            client, f"{url}/time-off", {**off, "confirm": "yes"}, csrf
        )
        assert location.endswith("done=time_off")
        assert await sender_for(run.harness).tick() == 1
        assert (
            tr(
                "bg",
                "❌ Your appointment {title}, {when}, is off: the counsellor is away. "
                "Please pick another time.",
            ).split("{")[0]
            in youth.last.html_text
        )
        assert "Кариерно консултиране" in youth.last.html_text  # the service, in Bulgarian
        async with run.harness.sessions() as session:
            assert (await session.get(Booking, booked.id)).status == BookingStatus.CALLED_OFF  # type: ignore[union-attr]


async def test_a_linked_counsellor_sees_their_day_and_marks_attendance(
    desk_any_db: DeskRun,
) -> None:
    run = desk_any_db
    staff = await staff_member(run.harness)
    mentor = await new_mentor(run.harness, staff)
    other_mentor = await new_mentor(run.harness, staff)
    mine = await counsellor_with_hours(run.harness.sessions)
    theirs = await counsellor_with_hours(run.harness.sessions, "legal")
    linked = await stored_user(run.harness, mentor.id)
    assert linked is not None
    async with run.harness.sessions.begin() as session:
        found = await session.get(Counsellor, mine)
        assert found is not None
        found.user_id = linked.id
    youth = await onboard(run.harness, "sr", first_name="Jana")
    booked = await _book_first_slot(run, youth, mine)
    user = await stored_user(run.harness, youth.id)
    assert user is not None
    slot = (await slots_of(run.harness.sessions, theirs))[3]
    async with run.harness.sessions.begin() as session:
        ctx = booking.context_for(run.harness.settings, run.harness.clock)
        elsewhere = await booking.book_slot(session, user, slot.id, "legal", ctx)
    day = booked.starts_at.date().isoformat()
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, location, _ = await _post(client, f"{run.base}/desk/counselling", {}, None)
        assert status == 403  # a form without its token
        async with client.get(f"{run.base}/desk/counselling", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/desk/counselling/mine"
        status, html = await page(client, f"{run.base}/desk/counselling/mine?day={day}")
        assert status == 200 and "Jana" in html
        csrf = csrf_of(html)
        # Staff pages stay staff's.
        status, html = await page(client, f"{run.base}/desk/counselling/{mine}")
        assert status == 403
        back = f"/desk/counselling/mine?day={day}"
        mark = {"booking": str(booked.id), "value": "attended", "back": back}
        status, location, _ = await _post(
            client, f"{run.base}/desk/counselling/attendance", mark, csrf
        )
        assert location.endswith("problem=early")
        run.harness.clock.advance(booked.starts_at - run.harness.clock.now() + timedelta(minutes=5))
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{run.base}{back}")
        csrf = csrf_of(html)
        status, location, _ = await _post(
            client, f"{run.base}/desk/counselling/attendance", mark, csrf
        )
        assert status == 303 and location == back
        # Another counsellor's appointment: as good as none.
        forged = {**mark, "booking": str(elsewhere.id)}
        status, _, _ = await _post(client, f"{run.base}/desk/counselling/attendance", forged, csrf)
        assert status == 404
    async with run.harness.sessions() as session:
        assert (await session.get(Booking, booked.id)).attendance == "attended"  # type: ignore[union-attr]
        assert (await session.get(Booking, elsewhere.id)).attendance is None  # type: ignore[union-attr]
    # Recorded with the counsellor who marked it; nothing on the other counsellor's history.
    marked = [c for c in await _changes(run, mine) if c[0] == "attendance"]
    assert marked == [("attendance", f"{booked.id} attended", linked.id)]
    assert [c for c in await _changes(run, theirs) if c[0] == "attendance"] == []
    async with browser() as client:
        await sign_in(client, await console_link(other_mentor))
        status, html = await page(client, f"{run.base}/desk/counselling")
        assert status == 403 and "For programme staff" in html
    # Staff cannot remove another counsellor's hours through this one's address.
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{run.base}/desk/counselling/{mine}")
        assert "Mentor &lt;Mara&gt; &amp; co · Attendance marked: Came" in html
        csrf = csrf_of(html)
        async with run.harness.sessions() as session:
            other_hours = await session.scalar(
                select(Availability.id).where(Availability.counsellor_id == theirs)
            )
        url = f"{run.base}/desk/counselling/{mine}/hours/{other_hours}/remove"
        assert (await _post(client, url, {}, csrf))[0] == 404


async def _changes(run: DeskRun, counsellor_id: int) -> list[tuple[str, str, int | None]]:
    async with run.harness.sessions() as session:
        found = await session.scalars(
            select(CounsellingChange)
            .where(CounsellingChange.counsellor_id == counsellor_id)
            .order_by(CounsellingChange.id)
        )
        return [(c.action, c.detail, c.actor_id) for c in found]


async def test_changes_from_the_desk_and_the_bot_are_recorded_with_who_made_them(
    desk_any_db: DeskRun,
) -> None:
    run = desk_any_db
    staff = await staff_member(run.harness)
    sara = await stored_user(run.harness, staff.id)
    assert sara is not None
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{run.base}/desk/counselling")
        csrf = csrf_of(html)
        made = {"name": "Ana Savetnik", "service": "career", "city": "kragujevac",
                "place": "Trg 1", "account": ""}  # fmt: skip
        status, location, _ = await _post(client, f"{run.base}/desk/counselling", made, csrf)
        counsellor_id = int(location.rsplit("/", 1)[1])
        url = f"{run.base}{location}"
        hours = {"weekday": "1", "start": "10:00", "end": "14:00", "slot": "45"}
        await _post(client, f"{url}/hours", hours, csrf)
        day = (run.harness.clock.now() + timedelta(days=20)).date().isoformat()
        off = {"first": day, "last": day, "reason": "sick", "confirm": "yes"}
        await _post(client, f"{url}/time-off", off, csrf)

    # The bot's form records the same way.
    card = await staff.click(
        "Ana Savetnik · Career counselling",
        await staff.click("💬 Counselling", await staff.send("/workshops")),
    )
    await staff.click("Th", await staff.click("➕ Weekly hours", card))
    await staff.click("60 min", await staff.send("14:00-16:00"))
    assert staff.last_answer == "Saved."

    # Someone else of the team removes hours at the desk.
    ana = await onboard(run.harness, "en", first_name="Mira")
    async with run.harness.sessions.begin() as session:
        await session.execute(
            update(User).where(User.telegram_id == ana.id).values(role=Role.STAFF)
        )
        rule = await session.scalar(
            select(Availability).where(
                Availability.counsellor_id == counsellor_id, Availability.weekday == 3
            )
        )
        assert rule is not None
        rule_id = rule.id
    mira = await stored_user(run.harness, ana.id)
    assert mira is not None
    async with browser() as client:
        await sign_in(client, await console_link(ana))
        status, html = await page(client, url)
        status, location, _ = await _post(
            client, f"{url}/hours/{rule_id}/remove", {}, csrf_of(html)
        )
        assert status == 303

    assert await _changes(run, counsellor_id) == [
        ("created", "", sara.id),
        ("hours_added", "1 10:00 14:00 45", sara.id),
        ("time_off", f"{day} {day} sick", sara.id),
        ("hours_added", "3 14:00 16:00 60", sara.id),
        ("hours_removed", "3 14:00 16:00 60", mira.id),
    ]
    # The page shows them newest first, in the reader's words and time.
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, url)
        assert status == 200
        section = html.split('id="history"', 1)[1]
        when = fmt_datetime(run.harness.clock.now(), "en", run.harness.settings.timezone)
        assert (
            f"{when} · Mira · Weekly hours removed: Th 2:00\u202fPM–4:00\u202fPM · 60 minutes"
            in section
        )
        assert "Sara · Weekly hours added: Tu 10:00\u202fAM–2:00\u202fPM · 45 minutes" in section
        assert "Sara · Time off added: " in section and "· Sick day" in section
        assert section.index("Mira") < section.index("Counsellor added")
    mine = await staff.send("/mydata")
    assert mine.document is not None and b'"hours_added"' in mine.document.data

    # Mira leaves: what she did stays, done by nobody.
    await ana.send("/deleteme")
    await ana.click("🗑 Yes, delete everything")
    assert (await _changes(run, counsellor_id))[-1] == ("hours_removed", "3 14:00 16:00 60", None)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, url)
        assert "Mira" not in html and "— · Weekly hours removed" in html


@pytest.mark.parametrize("locale", ["sr", "sr_Latn", "bg"])
async def test_the_counsellors_history_speaks_the_readers_language(
    desk: DeskRun, locale: str
) -> None:
    """Every piece of a change line in the reader's words: what, weekday, clock, minutes, days,
    reason, attendance; someone who left shows as "—"."""
    run = desk
    staff = await staff_member(run.harness, locale)
    sara = await stored_user(run.harness, staff.id)
    assert sara is not None
    counsellor_id = await counsellor_with_hours(run.harness.sessions)  # by the import: nobody
    first = date(2026, 12, 21)
    async with run.harness.sessions.begin() as session:
        ctx = booking.context_for(run.harness.settings, run.harness.clock)
        await counselling.add_hours(session, sara, counsellor_id, 3, time(14), time(16), 60, ctx)
        await counselling.add_time_off(
            session, sara, counsellor_id, first, first + timedelta(days=2), "holiday", ctx
        )
        await counselling.record(session, counsellor_id, sara, "attendance", "7 no_show", ctx.now)
        await counselling.set_active(session, sara, counsellor_id, False, ctx)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{run.base}/desk/counselling/{counsellor_id}")
    assert status == 200
    section = html.split('id="history"', 1)[1]
    assert f"<h2>{tr(locale, 'Changes')}</h2>" in section
    reader_tz = sara.timezone or run.harness.settings.timezone  # Sofia's for a Bulgarian
    when = fmt_datetime(run.harness.clock.now(), locale, reader_tz)
    hours = (
        f"{weekday_names(locale)[3]} {fmt_clock(time(14), locale)}–{fmt_clock(time(16), locale)}"
        f" · {trn(locale, '{n} minute', '{n} minutes', 60)}"
    )
    off = f"{fmt_day(first, locale)} – {fmt_day(first + timedelta(days=2), locale)}"
    lines = [
        f"{when} · Sara · {tr(locale, 'Paused')}",
        f"{when} · Sara · {tr(locale, 'Attendance marked')}: {tr(locale, 'Did not come')}",
        f"{when} · Sara · {tr(locale, 'Time off added')}: {off} · {tr(locale, 'Holiday')}",
        f"{when} · Sara · {tr(locale, 'Weekly hours added')}: {hours}",
        f"· — · {tr(locale, 'Weekly hours added')}: ",
        f"· — · {tr(locale, 'Counsellor added')}</li>",
    ]
    found = [section.find(line) for line in lines]
    assert -1 not in found, [line for line, at in zip(lines, found, strict=True) if at < 0]
    assert found == sorted(found)  # newest first
    if locale == "sr_Latn":  # nothing Cyrillic reaches a Latin reader
        assert not any("\u0400" <= c <= "\u04ff" for c in section), section


async def test_a_counsellors_day_is_their_places_day_in_their_places_clock(desk: DeskRun) -> None:
    """A counsellor in Sofia read by a Belgrade mentor, at 23:30 in Belgrade (00:30 in Sofia):
    "today" is Sofia's new day, its appointments at Sofia's times with Sofia named, at the
    desk and in the bot's /today."""
    run = desk
    staff = await staff_member(run.harness)
    mentor = await new_mentor(run.harness, staff)
    linked = await stored_user(run.harness, mentor.id)
    assert linked is not None and linked.timezone == "Europe/Belgrade"
    async with run.harness.sessions.begin() as session:
        sofia = await counselling.create_counsellor(
            session, None, service="career", name="Мария", user_id=linked.id, city="sofia",
            address="бул. Витоша 1", online_url=None, timezone="Europe/Sofia",
            now=run.harness.clock.now(),
        )  # fmt: skip
        ctx = booking.context_for(run.harness.settings, run.harness.clock)
        await counselling.add_hours(session, None, sofia.id, 1, time(10), time(12), 60, ctx)
        sofia_id = sofia.id
    youth = await onboard(run.harness, "bg", first_name="Ivo")
    booked = await _book_first_slot(run, youth, sofia_id)
    assert booked.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 10:00 in Sofia
    run.harness.clock.advance(datetime(2026, 11, 30, 22, 30, tzinfo=UTC) - run.harness.clock.now())
    sofia_time = tr("en", "({place} time)", place=zone_label("Europe/Sofia", "en"))
    line = f"10:00\u202fAM {sofia_time} · Ivo · Career counselling"

    day = await mentor.send("/today")
    assert tr("en", "🗓 <b>Counselling on {day}</b>", day="Dec 1, 2026") in day.html_text
    assert line in day.body
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{run.base}/desk/counselling/mine")
        assert status == 200 and fmt_day(date(2026, 12, 1), "en") in html
        assert line in html.split('id="my-day"', 1)[1]
