"""Workshops at the desk over real HTTP: create, edit, cancel (the bot tells everyone in their
language), fewer seats, moving someone from the waitlist, attendance, exports, the import with
its dry run, and refusals (mentors, forged ids, forms without their CSRF token)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.booking import rules as booking
from bot.booking.models import Booking, BookingStatus, Workshop, WorkshopChange, WorkshopText
from bot.people.models import User
from tests.booking_support import bookings_of, fresh, workshop
from tests.conversation import onboard, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, csrf_of, page, running_desk, sign_in
from tests.harness import Person
from tests.test_booking_conversation import open_card
from tests.test_plan_conversation import sender_for
from tests.test_roles import new_mentor, staff_member

FORM = {
    "kind": "digital",
    "title": "Email and phone",
    "description": "Bring your phone.",
    "title_sr": "Мејл и телефон",
    "description_sr": "Понеси телефон, џепни пуњач и лични документ.",
    "title_bg": "Имейл и телефон",
    "description_bg": "",
    "title_en": "",
    "description_en": "",
    "city": "kragujevac",
    "address": "Kralja Petra 12",
    "online_url": "",
    # The harness's clock is 2026-11-29 10:00 UTC; the staff member's zone is Belgrade.
    "starts": "2026-12-10T14:00",
    "ends": "2026-12-10T16:00",
    "closes": "2026-12-10T12:00",
    "capacity": "10",
    "programme": "",
    "action": "save",
}


@pytest.fixture
async def desk(sqlite_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(sqlite_url) as run:
        yield run


@pytest.fixture
async def desk_any_db(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


async def _staff_client(run: DeskRun) -> tuple[Person, aiohttp.ClientSession]:
    staff = await staff_member(run.harness)
    client = browser()
    await sign_in(client, await console_link(staff))
    return staff, client


async def _post(
    client: aiohttp.ClientSession, url: str, data: dict[str, str], csrf: str | None
) -> tuple[int, str, str]:
    form = dict(data)
    if csrf is not None:
        form["csrf"] = csrf
    async with client.post(url, data=form, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


async def _csrf(client: aiohttp.ClientSession, url: str) -> str:
    status, html = await page(client, url)
    assert status == 200, html
    return csrf_of(html)


async def _user(run: DeskRun, person: Person) -> User:
    found = await stored_user(run.harness, person.id)
    assert found is not None
    return found


async def _youth_booking(run: DeskRun, youth: Person) -> Booking:
    user = await _user(run, youth)
    found = [b for b in await bookings_of(run.harness.sessions) if b.user_id == user.id]
    assert len(found) == 1
    return found[0]


async def test_staff_create_edit_and_cancel_and_the_bot_tells_each_in_their_language(
    desk_any_db: DeskRun,
) -> None:
    run = desk_any_db
    _staff, client = await _staff_client(run)
    async with client:
        csrf = await _csrf(client, f"{run.base}/desk/workshops/new")
        # Mistakes come back on the form, marked, and nothing is saved.
        bad = {**FORM, "starts": "2026-11-01T10:00", "ends": "2026-11-01T09:00", "capacity": "0"}
        status, _, html = await _post(client, f"{run.base}/desk/workshops/new", bad, csrf)
        assert status == 422
        assert 'id="problem-starts"' in html and 'id="problem-capacity"' in html
        # The preview shows the Serbian as Serbian Latin readers will see it.
        preview = {**FORM, "action": "preview"}
        status, _, html = await _post(client, f"{run.base}/desk/workshops/new", preview, csrf)
        assert status == 200 and "Mejl i telefon" in html and "džepni punjač" in html
        async with run.harness.sessions() as session:
            assert await session.scalar(select(func.count(Workshop.id))) == 0
        status, location, _ = await _post(client, f"{run.base}/desk/workshops/new", FORM, csrf)
        assert status == 303 and re.fullmatch(r"/desk/workshops/\d+\?done=created", location)
        workshop_id = int(location.split("/")[3].split("?")[0])
        status, html = await page(client, f"{run.base}{location}")
        assert status == 200 and "Email and phone" in html and "Mejl i telefon" in html
        assert f"/desk/announcements/new?workshop={workshop_id}" in html

        # Two young people book it in the bot, each seeing it in their language.
        sara = await onboard(run.harness, "sr", first_name="Jana")
        ivo = await onboard(run.harness, "bg", first_name="Ivo")
        await open_card(sara, "sr", "Мејл и телефон")
        await sara.click(tr("sr", "✅ Book a seat"))
        await open_card(ivo, "bg", "Имейл и телефон")
        await ivo.click(tr("bg", "✅ Book a seat"))
        status, html = await page(client, f"{run.base}/desk/workshops/{workshop_id}")
        assert "Jana" in html and "Ivo" in html

        # A new start: both are told by the bot, in their language.
        edit = {**FORM, "starts": "2026-12-11T14:00", "ends": "2026-12-11T16:00"}
        status, location, _ = await _post(
            client, f"{run.base}/desk/workshops/{workshop_id}/edit", edit, csrf
        )
        assert status == 303 and location.endswith("done=saved")
        assert await sender_for(run.harness).tick() == 2
        changed = tr("sr", "✏️ Changed: {title}", title="<b>Мејл и телефон</b>")
        assert changed in sara.last.html_text
        assert tr("bg", "✏️ Changed: {title}", title="<b>Имейл и телефон</b>") in (
            ivo.last.html_text
        )

        # Cancelling: the page lists who is told; confirming calls every booking off.
        status, html = await page(client, f"{run.base}/desk/workshops/{workshop_id}/cancel")
        assert status == 200 and "Jana" in html and "Ivo" in html
        status, location, _ = await _post(
            client, f"{run.base}/desk/workshops/{workshop_id}/cancel", {}, csrf
        )
        assert status == 303 and location.endswith("done=cancelled")
        assert await sender_for(run.harness).tick() == 2
        assert tr("sr", "❌ Cancelled: {title}, {when}. Sorry! Your booking is off.")[:12] in (
            sara.last.html_text
        )
        assert "Мејл и телефон" in sara.last.html_text
        assert tr("bg", "❌ Cancelled: {title}, {when}. Sorry! Your booking is off.")[:12] in (
            ivo.last.html_text
        )
        statuses = {b.status for b in await bookings_of(run.harness.sessions)}
        assert statuses == {BookingStatus.CALLED_OFF}
        # Who did what is recorded.
        async with run.harness.sessions() as session:
            actions = (
                await session.scalars(select(WorkshopChange.action).order_by(WorkshopChange.id))
            ).all()
            texts = (await session.scalars(select(WorkshopText.locale))).all()
        assert list(actions) == ["created", "texts", "edited", "cancelled"]
        assert sorted(texts) == ["bg", "sr"]
        # A cancelled workshop can no longer be edited or cancelled again.
        status, location, _ = await _post(
            client, f"{run.base}/desk/workshops/{workshop_id}/edit", edit, csrf
        )
        assert status == 303 and location.endswith("problem=begun")


async def test_fewer_seats_withdraw_offers_first_then_the_latest_bookings(desk: DeskRun) -> None:
    found = await workshop(desk.harness.sessions, capacity=3)
    _staff, client = await _staff_client(desk)
    names = ("Early", "Middle", "Late", "Waiter")
    people = [await onboard(desk.harness, "en", first_name=name) for name in names]
    for person in people:
        await open_card(person)
        if person is people[-1]:
            await person.click("🕒 Join the waitlist")
        else:
            await person.click("✅ Book a seat")
        desk.harness.clock.advance(timedelta(minutes=1))
    # Middle cancels: the seat is held as an offer for Waiter.
    middle = await _youth_booking(desk, people[1])
    async with desk.harness.sessions.begin() as session:
        await booking.cancel(
            session,
            await _user(desk, people[1]),
            middle.id,
            booking.context_for(desk.harness.settings, desk.harness.clock),
        )
    assert (await _youth_booking(desk, people[3])).status == BookingStatus.OFFERED
    async with client:
        csrf = await _csrf(client, f"{desk.base}/desk/workshops/{found.id}/edit")
        form = {**FORM, "kind": "cv_jobs", "title": "Write your CV", "description": "",
                "title_sr": "", "description_sr": "", "title_bg": "",
                "starts": "2026-12-10T14:00", "ends": "2026-12-10T16:00",
                "closes": "2026-12-10T12:00", "capacity": "1"}  # fmt: skip
        status, _, html = await _post(
            client, f"{desk.base}/desk/workshops/{found.id}/edit", form, csrf
        )
        assert status == 303, html
    early, late, waiter = [await _youth_booking(desk, p) for p in (people[0], people[2], people[3])]
    assert early.status == BookingStatus.BOOKED
    assert late.status == BookingStatus.WAITING
    assert waiter.status == BookingStatus.WAITING
    assert (await fresh(desk.harness.sessions, found.id)).booked == 1
    await sender_for(desk.harness).tick()
    released = tr(
        "en",
        "😔 {title} now has fewer seats, so you are back on the waitlist, first in line. "
        "I will tell you if a seat comes free.",
        title="<b>Write your CV</b>",
    )
    assert released in people[2].last.html_text
    assert released in people[3].last.html_text
    async with desk.harness.sessions() as session:
        detail = await session.scalar(
            select(WorkshopChange.detail).where(WorkshopChange.action == "edited")
        )
    assert detail is not None and "capacity 3→1" in detail


async def test_moving_from_the_waitlist_attendance_and_forged_ids(desk: DeskRun) -> None:
    found = await workshop(desk.harness.sessions, capacity=1)
    other = await workshop(desk.harness.sessions, capacity=1, title="Another one")
    staff, client = await _staff_client(desk)
    first = await onboard(desk.harness, "en", first_name="First")
    second = await onboard(desk.harness, "bg", first_name="Second")
    await open_card(first)
    await first.click("✅ Book a seat")
    await open_card(second, "bg")
    await second.click(tr("bg", "🕒 Join the waitlist"))
    waiting = await _youth_booking(desk, second)
    url = f"{desk.base}/desk/workshops/{found.id}"
    async with client:
        csrf = await _csrf(client, url)
        # Forged: the booking is not on that workshop; a made-up id; no token at all.
        status, _, html = await _post(
            client,
            f"{desk.base}/desk/workshops/{other.id}/seat",
            {"booking": str(waiting.id)},
            csrf,
        )
        assert status == 404
        status, _, _ = await _post(client, f"{url}/seat", {"booking": "999999"}, csrf)
        assert status == 404
        status, _, _ = await _post(client, f"{url}/seat", {"booking": str(waiting.id)}, None)
        assert status == 403
        status, _, _ = await _post(client, f"{url}/seat", {"booking": str(waiting.id)}, "0" * 64)
        assert status == 403
        status, _, _ = await _post(client, f"{desk.base}/desk/workshops/99999/cancel", {}, csrf)
        assert status == 404
        # Full: refused unless staff add a seat.
        status, location, _ = await _post(client, f"{url}/seat", {"booking": str(waiting.id)}, csrf)
        assert location.endswith("problem=full")
        assert (await _youth_booking(desk, second)).status == BookingStatus.WAITING
        status, location, _ = await _post(
            client, f"{url}/seat", {"booking": str(waiting.id), "extra": "yes"}, csrf
        )
        assert location.endswith("done=seated")
        assert (await _youth_booking(desk, second)).status == BookingStatus.BOOKED
        now = await fresh(desk.harness.sessions, found.id)
        assert (now.capacity, now.booked) == (2, 2)
        assert await sender_for(desk.harness).tick() == 1
        assert tr("bg", "✅ You have a seat now: {title}", title="<b>Write your CV</b>") in (
            second.last.html_text
        )
        # Attendance: not before it begins; then marked.
        booked = await _youth_booking(desk, first)
        mark = {"booking": str(booked.id), "value": "attended"}
        status, location, _ = await _post(client, f"{url}/attendance", mark, csrf)
        assert location.endswith("problem=early")
        desk.harness.clock.advance(timedelta(days=11, hours=4))  # past 2026-12-10 13:00 UTC
        await sign_in(client, await console_link(staff))  # the old session went idle
        csrf = await _csrf(client, url)
        status, html = await page(client, url)
        assert "✅" in html and 'name="value" value="no_show"' in html
        status, location, _ = await _post(client, f"{url}/attendance", mark, csrf)
        assert location.endswith("done=marked#participants")
        assert (await _youth_booking(desk, first)).attendance == "attended"
        bad = {"booking": str(booked.id), "value": "maybe"}
        assert (await _post(client, f"{url}/attendance", bad, csrf))[0] == 404
        status, html = await page(client, url)
        assert "attendance" in html and "from the waitlist, one seat added" in html


async def test_exports_neutralize_formulas(desk: DeskRun) -> None:
    found = await workshop(desk.harness.sessions, capacity=5)
    _staff, client = await _staff_client(desk)
    for name in ("=HYPERLINK(1)", "@SUM(2)", "Ана"):
        youth = await onboard(desk.harness, "sr", first_name=name)
        await open_card(youth, "sr")
        await youth.click(tr("sr", "✅ Book a seat"))
    async with client:
        async with client.get(f"{desk.base}/desk/workshops/{found.id}/participants.csv") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
        names = [row[0] for row in rows[1:]]
        assert names == ["'=HYPERLINK(1)", "'@SUM(2)", "Ана"]
        async with client.get(f"{desk.base}/desk/workshops/{found.id}/participants.xlsx") as r:
            assert r.status == 200
            sheet = load_workbook(io.BytesIO(await r.read())).active
            assert sheet is not None
            cells = [row[0] for row in sheet.iter_rows(values_only=True)]
        assert cells == ["name", "'=HYPERLINK(1)", "'@SUM(2)", "Ана"]


IMPORT = """workshops:
  - ref: imp-1
    type: cv_jobs
    title: Imported one
    title_sr: Увезена
    city: kragujevac
    address: Trg 1
    start: 2026-12-14 10:00
    end: 2026-12-14 12:00
    capacity: 8
  - ref: imp-2
    type: digital
    title: Imported two
    online_url: https://meet.example.org/x
    start: 2026-12-15 10:00
    end: 2026-12-15 11:00
    capacity: 20
"""


async def _upload(
    client: aiohttp.ClientSession, url: str, csrf: str, name: str, data: bytes
) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("action", "check")
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    async with client.post(url, data=form, allow_redirects=False) as response:
        return response.status, await response.text()


async def _workshop_count(run: DeskRun) -> int:
    async with run.harness.sessions() as session:
        return int(await session.scalar(select(func.count(Workshop.id))) or 0)


async def test_import_checks_first_then_imports_all_or_nothing(desk_any_db: DeskRun) -> None:
    run = desk_any_db
    _staff, client = await _staff_client(run)
    url = f"{run.base}/desk/workshops/import"
    async with client:
        csrf = await _csrf(client, url)
        broken = IMPORT.replace("capacity: 20", "capacity: many")
        status, html = await _upload(client, url, csrf, "w.yaml", broken.encode())
        assert status == 422 and "capacity must be a whole number" in html
        assert await _workshop_count(run) == 0
        status, html = await _upload(client, url, csrf, "w.exe", b"x")
        assert status == 422 and 'id="problem"' in html
        status, html = await _upload(client, url, csrf, "w.yaml", IMPORT.encode())
        assert status == 200 and 'id="checked"' in html and '<dd id="created">2</dd>' in html
        assert await _workshop_count(run) == 0  # the dry run wrote nothing
        data = re.search(r'name="data" value="([^"]+)"', html)
        assert data is not None
        confirm = {"action": "import", "name": "w.yaml", "data": data.group(1)}
        status, _, html = await _post(client, url, confirm, None)
        assert status == 403 and await _workshop_count(run) == 0  # the token is needed here too
        status, _, html = await _post(client, url, confirm, csrf)
        assert status == 200 and 'id="imported"' in html
        assert await _workshop_count(run) == 2
        async with run.harness.sessions() as session:
            who = (await session.scalars(select(WorkshopChange.actor_id))).all()
        assert len(who) == 2 and all(actor is not None for actor in who)


async def test_mentors_get_a_polite_page_and_the_nav_is_staffs(desk: DeskRun) -> None:
    found = await workshop(desk.harness.sessions, capacity=5)
    staff = await staff_member(desk.harness)
    mentor = await new_mentor(desk.harness, staff)
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and "/desk/workshops" not in html
        for path in ("", "/new", f"/{found.id}", f"/{found.id}/participants.csv", "/import"):
            status, html = await page(client, f"{desk.base}/desk/workshops{path}")
            assert status == 403 and "For programme staff" in html, path
        csrf = csrf_of(html)
        status, _, _ = await _post(
            client, f"{desk.base}/desk/workshops/{found.id}/cancel", {}, csrf
        )
        assert status == 403
    assert (await fresh(desk.harness.sessions, found.id)).status == "scheduled"


@pytest.mark.parametrize("locale", ["sr", "sr_Latn", "bg"])
async def test_the_pages_speak_the_staff_members_language(desk: DeskRun, locale: str) -> None:
    found = await workshop(desk.harness.sessions, capacity=5)
    staff = await staff_member(desk.harness, locale)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/workshops")
        assert status == 200 and tr(locale, "New workshop") in html and "Write your CV" in html
        status, html = await page(client, f"{desk.base}/desk/workshops/{found.id}")
        assert status == 200 and tr(locale, "Cancel the workshop") in html
        status, html = await page(client, f"{desk.base}/desk/workshops/new")
        assert status == 200 and tr(locale, "Readers of Serbian Latin will see:") in html


async def test_the_list_filters_and_pages_on_the_server(desk: DeskRun) -> None:
    for n in range(27):
        await workshop(desk.harness.sessions, capacity=5, title=f"W{n:02}", city="nis")
    await workshop(desk.harness.sessions, capacity=5, title="Online one", city=None,
                   address=None, online_url="https://meet.example.org/o")  # fmt: skip
    _staff, client = await _staff_client(desk)
    async with client:
        status, html = await page(client, f"{desk.base}/desk/workshops")
        assert "28 workshops" in html and 'rel="next"' in html
        status, html = await page(client, f"{desk.base}/desk/workshops?town=online")
        assert "1 workshop" in html and "Online one" in html and "W00" not in html
        status, html = await page(client, f"{desk.base}/desk/workshops?town=nis&page=2")
        assert "W25" in html and "W00" not in html
        status, html = await page(client, f"{desk.base}/desk/workshops?when=past&town=x")
        assert status == 200 and "0 workshops" in html
