"""The desk keeps a workshop's times by its town's clock, as the bot does: a Belgrade staff
member's 16:00 Sofia workshop is 16:00 in Sofia (to the desk, the bot and the announcement),
editing keeps it; import problems come in the reader's language; the Counselling link in the
nav is for staff and people linked to a counsellor."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.booking import rules as booking
from bot.booking.models import Counsellor, Workshop
from bot.i18n.formatting import fmt_datetime, zone_label
from bot.people import rules as people
from tests.booking_support import counsellor_with_hours, slots_of
from tests.conversation import onboard, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, page, running_desk, sign_in
from tests.test_booking_conversation import open_card
from tests.test_desk_workshops import FORM, IMPORT, _csrf, _post, _staff_client, _upload
from tests.test_roles import new_mentor, staff_member

SOFIA_FORM = {
    **FORM,
    "city": "sofia",
    "address": "бул. Витоша 1",
    # Typed by a staff member whose own clock is Belgrade's (an hour behind Sofia's).
    "starts": "2026-12-10T16:00",
    "ends": "2026-12-10T18:00",
    "closes": "2026-12-10T12:00",
}
STARTS = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # 16:00 in Sofia (UTC+2 in December)


@pytest.fixture
async def desk_any_db(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


def _note(locale: str, zone: str) -> str:
    return tr(locale, "({place} time)", place=zone_label(zone, locale))


async def _stored(run: DeskRun, workshop_id: int) -> Workshop:
    async with run.harness.sessions() as session:
        found = await session.get(Workshop, workshop_id)
    assert found is not None
    return found


async def test_a_sofia_workshop_made_in_belgrade_is_at_16_00_in_sofia(
    desk_any_db: DeskRun,
) -> None:
    run = desk_any_db
    staff, client = await _staff_client(run)
    author = await stored_user(run.harness, staff.id)
    assert author is not None
    assert people.timezone_of(author, run.harness.settings.timezone) == "Europe/Belgrade"
    async with client:
        csrf = await _csrf(client, f"{run.base}/desk/workshops/new")
        status, location, _ = await _post(
            client, f"{run.base}/desk/workshops/new", SOFIA_FORM, csrf
        )
        assert status == 303, location
        workshop_id = int(location.split("/")[3].split("?")[0])
        made = await _stored(run, workshop_id)
        assert made.timezone == "Europe/Sofia"
        assert made.starts_at.replace(tzinfo=UTC) == STARTS
        assert made.closes_at.replace(tzinfo=UTC) == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)

        # The desk shows Sofia's clock, and says so to a reader in Belgrade.
        shown = fmt_datetime(STARTS, "en", "Europe/Sofia") + " " + _note("en", "Europe/Sofia")
        for url in (f"/desk/workshops/{workshop_id}", "/desk/workshops"):
            status, html = await page(client, f"{run.base}{url}")
            assert status == 200 and shown in html_lib.unescape(html), url

        # The form gives the times back as typed, says whose they are, and saving keeps them.
        status, html = await page(client, f"{run.base}/desk/workshops/{workshop_id}/edit")
        assert status == 200 and 'value="2026-12-10T16:00"' in html
        assert 'value="2026-12-10T18:00"' in html and 'value="2026-12-10T12:00"' in html
        place = zone_label("Europe/Sofia", "en")
        assert tr("en", "These times are {place} time.", place=place) in html_lib.unescape(html)
        edit = {**SOFIA_FORM, "title": "Email and phone, again"}
        status, location, _ = await _post(
            client, f"{run.base}/desk/workshops/{workshop_id}/edit", edit, csrf
        )
        assert status == 303 and location.endswith("done=saved")
        kept = await _stored(run, workshop_id)
        assert kept.title == "Email and phone, again"
        assert kept.starts_at.replace(tzinfo=UTC) == STARTS
        assert kept.timezone == "Europe/Sofia"

        # The announcement written from it gives Sofia's time, the place named for Serbian.
        status, html = await page(
            client, f"{run.base}/desk/announcements/new?workshop={workshop_id}"
        )
        text = html_lib.unescape(html)
        assert status == 200
        assert f"{fmt_datetime(STARTS, 'sr', 'Europe/Sofia')}–" in text
        assert _note("sr", "Europe/Sofia") in text
        assert f"{fmt_datetime(STARTS, 'bg', 'Europe/Sofia')}–" in text
        assert _note("bg", "Europe/Sofia") not in text
        assert f"{shown} · Email and phone, again" in text  # the workshops to pick from

    # The bot: 16:00 for a reader in Sofia, and 16:00 (Sofia time) for one in Belgrade.
    ivo = await onboard(run.harness, "bg", first_name="Ivo")
    await open_card(ivo, "bg", "Имейл и телефон")
    assert "16:00–18:00" in ivo.last.body
    assert _note("bg", "Europe/Sofia") not in ivo.last.body
    jana = await onboard(run.harness, "sr", first_name="Jana")
    reader = await stored_user(run.harness, jana.id)
    assert reader is not None
    assert people.timezone_of(reader, run.harness.settings.timezone) == "Europe/Belgrade"
    await open_card(jana, "sr", "Мејл и телефон")
    assert f"16:00–18:00 {_note('sr', 'Europe/Sofia')}" in jana.last.body


async def test_an_online_workshop_keeps_its_authors_clock(desk_any_db: DeskRun) -> None:
    run = desk_any_db
    _staff, client = await _staff_client(run)
    online = {
        **SOFIA_FORM,
        "city": "online",
        "address": "",
        "online_url": "https://meet.example.org/x",
    }
    async with client:
        csrf = await _csrf(client, f"{run.base}/desk/workshops/new")
        status, location, _ = await _post(client, f"{run.base}/desk/workshops/new", online, csrf)
        assert status == 303, location
        made = await _stored(run, int(location.split("/")[3].split("?")[0]))
    assert made.timezone == "Europe/Belgrade"
    assert made.starts_at.replace(tzinfo=UTC) == datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_import_problems_are_in_the_readers_language(desk: DeskRun, locale: str) -> None:
    staff = await staff_member(desk.harness, locale)
    url = f"{desk.base}/desk/workshops/import"
    broken = IMPORT.replace("capacity: 20", "capacity: many").replace(
        "end: 2026-12-14 12:00", "end: 2026-12-14 09:00"
    )
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        csrf = await _csrf(client, url)
        status, html = await _upload(client, url, csrf, "w.yaml", broken.encode())
    text = html_lib.unescape(html)
    assert status == 422
    for english in ("capacity must be a whole number", "it ends before it starts"):
        assert tr(locale, english) != english
        assert tr(locale, english) in text and english not in text
    assert re.search(tr(locale, "Line {line}: {reason}", line=r"\d+", reason=""), text)


@pytest.fixture
async def desk(sqlite_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(sqlite_url) as run:
        yield run


async def test_the_counselling_link_is_for_staff_and_linked_counsellors(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    mentor = await new_mentor(desk.harness, staff)
    link = 'href="/desk/counselling"'
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and link in html
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and link not in html
    counsellor_id = await counsellor_with_hours(desk.harness.sessions)
    linked = await stored_user(desk.harness, mentor.id)
    assert linked is not None
    async with desk.harness.sessions.begin() as session:
        found = await session.scalar(select(Counsellor).where(Counsellor.id == counsellor_id))
        assert found is not None
        found.user_id = linked.id
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and link in html


async def test_a_sofia_counsellors_hours_and_appointments_keep_sofias_clock(
    desk_any_db: DeskRun,
) -> None:
    run = desk_any_db
    _staff, client = await _staff_client(run)
    async with client:
        csrf = await _csrf(client, f"{run.base}/desk/counselling")
        made = {"name": "Vesna", "service": "career", "city": "sofia", "place": "ул. Раковски 5"}
        status, location, _ = await _post(client, f"{run.base}/desk/counselling", made, csrf)
        assert status == 303 and re.fullmatch(r"/desk/counselling/\d+", location), location
        counsellor_id = int(location.rsplit("/", 1)[1])
        url = f"{run.base}{location}"
        hours = {"weekday": "1", "start": "10:00", "end": "14:00", "slot": "45"}
        status, location, _ = await _post(client, f"{url}/hours", hours, csrf)
        assert location.endswith("done=saved")
        async with run.harness.sessions() as session:
            found = await session.get(Counsellor, counsellor_id)
            assert found is not None and found.timezone == "Europe/Sofia"
        # 10:00 in Sofia is 08:00 UTC in December.
        first = (await slots_of(run.harness.sessions, counsellor_id))[0]
        assert first.starts_at.replace(tzinfo=UTC).hour == 8
        youth = await onboard(run.harness, "bg", first_name="Ivo")
        user = await stored_user(run.harness, youth.id)
        assert user is not None
        async with run.harness.sessions.begin() as session:
            ctx = booking.context_for(run.harness.settings, run.harness.clock)
            booked = await booking.book_slot(session, user, first.id, "career", ctx)
        day = booked.starts_at.date().isoformat()
        status, html = await page(client, f"{url}?week={day}")
        text = html_lib.unescape(html)
        note = _note("en", "Europe/Sofia")
        assert status == 200 and "Ivo" in text
        assert fmt_datetime(booked.starts_at, "en", "Europe/Sofia") + " " + note in text
        assert tr("en", "Weekly hours") + " " + note in text
        off = {"first": day, "last": day, "reason": "sick"}
        status, _, html = await _post(client, f"{url}/time-off", off, csrf)
        assert status == 200
        assert fmt_datetime(booked.starts_at, "en", "Europe/Sofia") in html_lib.unescape(html)
