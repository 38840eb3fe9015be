"""Counselling at the desk over real HTTP: a counsellor with weekly hours, time off that lists
the people affected before it is confirmed (the bot then tells them in their language), the
week's appointments with attendance, a linked counsellor's own day, and refusals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.booking import rules as booking
from bot.booking.models import Availability, Booking, BookingStatus, Counsellor
from tests.booking_support import counsellor_with_hours, slots_of
from tests.conversation import onboard, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, csrf_of, page, running_desk, sign_in
from tests.harness import Person
from tests.test_desk_workshops import _post
from tests.test_plan_conversation import sender_for
from tests.test_roles import new_mentor, staff_member


@pytest.fixture
async def desk_any_db(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
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
    async with browser() as client:
        await sign_in(client, await console_link(other_mentor))
        status, html = await page(client, f"{run.base}/desk/counselling")
        assert status == 403 and "For programme staff" in html
    # Staff cannot remove another counsellor's hours through this one's address.
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{run.base}/desk/counselling/{mine}")
        csrf = csrf_of(html)
        async with run.harness.sessions() as session:
            other_hours = await session.scalar(
                select(Availability.id).where(Availability.counsellor_id == theirs)
            )
        url = f"{run.base}/desk/counselling/{mine}/hours/{other_hours}/remove"
        assert (await _post(client, url, {}, csrf))[0] == 404
