"""Announcements at the desk over real HTTP, on SQLite and PostgreSQL: the live count, the
previews, sending now and scheduling (the rows the bot's sender works through), the progress
JSON, the failures CSV, and refusals of forged ids, missing CSRF tokens and non-staff."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.booking import rules as booking
from bot.booking.models import Workshop
from bot.broadcasts.models import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    BroadcastText,
    ButtonKind,
    RecipientStatus,
)
from bot.broadcasts.telegram.sender import BroadcastSender
from bot.people.models import MentorLink, Role, User
from tests.booking_support import ctx, workshop
from tests.conversation import onboard, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, csrf_of, page, running_desk, sign_in
from tests.harness import Harness, Person
from tests.test_roles import new_mentor, staff_member


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


def sender(harness: Harness) -> BroadcastSender:
    return BroadcastSender(
        harness.bot,
        harness.sessions,
        harness.assembled.pacer,
        harness.assembled.i18n,
        harness.clock,
        harness.settings,
    )


async def place(harness: Harness, person: Person, town: str, programme: str | None = None) -> None:
    async with harness.sessions.begin() as session:
        await session.execute(
            update(User).where(User.telegram_id == person.id).values(city=town, programme=programme)
        )


async def announcements(harness: Harness) -> list[Broadcast]:
    async with harness.sessions() as session:
        return list((await session.scalars(select(Broadcast).order_by(Broadcast.id))).all())


async def recipients(harness: Harness, broadcast_id: int) -> list[BroadcastRecipient]:
    async with harness.sessions() as session:
        query = select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
        return list((await session.scalars(query)).all())


async def post(
    client: aiohttp.ClientSession, url: str, data: dict[str, str]
) -> tuple[int, str, str]:
    async with client.post(url, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def signed_in_staff(run: DeskRun, client: aiohttp.ClientSession) -> tuple[Person, str]:
    staff = await staff_member(run.harness)
    signed = await sign_in(client, await console_link(staff))
    assert signed.status == 303
    status, html = await page(client, f"{run.base}/desk/announcements/new")
    assert status == 200
    return staff, csrf_of(html)


async def test_count_preview_schedule_and_send_with_progress_and_failures(desk: DeskRun) -> None:
    h = desk.harness
    jana = await onboard(h, "sr", first_name="=Jana")
    marko = await onboard(h, "sr_Latn", first_name="Marko")
    ivo = await onboard(h, "bg", first_name="Ivo")
    await place(h, jana, "kragujevac")
    await place(h, marko, "kragujevac")
    await place(h, ivo, "kragujevac")
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)
        status, html = await page(client, base)
        assert status == 200 and 'href="/desk/announcements"' in html

        # The live count: everyone in Serbian in Kragujevac (both scripts).
        form = {"csrf": csrf, "lang": "sr", "town": "kragujevac", "mode": "each"}
        async with client.post(f"{base}/check", data=form) as response:
            assert response.status == 200
            answer = await response.json()
        assert answer["total"] == 2 and "2 people" in answer["html"]

        # Without JavaScript: the Count button shows the same on the page.
        status, html, _ = await post(client, f"{base}/new", {**form, "do": "count"})
        assert status == 200 and 'id="count" class="big">2 people' in html

        # The preview: the Serbian text as Latin readers get it, the HTML checked as Telegram does.
        texts = {"text_sr": "<b>Радионица</b> у Крагујевцу", "text_en": "Workshop"}
        status, html, _ = await post(client, f"{base}/new", {**form, **texts, "do": "preview"})
        assert "<b>Радионица</b> у Крагујевцу" in html and "<b>Radionica</b> u Kragujevcu" in html
        # Above each text, the line that says who speaks, as each language group will read it.
        assert 'class="byline">📣 <b>The Putokaz team</b> announces:' in html
        assert "Обавештење: <b>Тим Путоказа</b>" in html and "<b>Tim Putokaza</b>" in html
        broken = {**form, "text_sr": "<b>Радионица", "do": "send"}
        status, html, _ = await post(client, f"{base}/new", broken)
        assert status == 422 and "Telegram would refuse" in html
        too_long = {**form, "text_sr": "я" * 4097, "do": "send"}
        status, html, _ = await post(client, f"{base}/new", too_long)
        assert status == 422 and "too long" in html
        assert await announcements(h) == []

        # Scheduled in the author's time zone (Belgrade: UTC+1 in December).
        local = datetime(2026, 11, 29, 14, 30)
        later = {**form, **texts, "when": "later", "at": local.strftime("%Y-%m-%dT%H:%M")}
        status, _, location = await post(client, f"{base}/new", {**later, "do": "send"})
        assert status == 303
        [scheduled] = await announcements(h)
        assert location == f"/desk/announcements/{scheduled.id}"
        assert scheduled.status == BroadcastStatus.SCHEDULED
        assert scheduled.send_at == local.replace(tzinfo=ZoneInfo("Europe/Belgrade")).astimezone(
            UTC
        )
        assert scheduled.kind == BroadcastKind.ANNOUNCEMENT
        assert scheduled.audience == Audience.FILTERS
        stored_staff = await stored_user(h, staff.id)
        assert stored_staff is not None and scheduled.author_id == stored_staff.id
        status, html = await page(client, f"{desk.base}{location}")
        assert status == 200 and "Scheduled" in html

        # Sent now: one row per recipient, then the bot's sender delivers them.
        status, _, location = await post(client, f"{base}/new", {**form, **texts, "do": "send"})
        assert status == 303
        sent = (await announcements(h))[-1]
        rows = await recipients(h, sent.id)
        assert len(rows) == 2 and sent.status == BroadcastStatus.SENDING
        async with client.get(f"{desk.base}{location}/progress") as response:
            progress = await response.json()
        assert progress["left"] == 2 and progress["delivered"] == 0 and not progress["finished"]
        blocked = jana.tg.block()
        await h.processed(blocked)
        await sender(h).run_round()
        # Who speaks first, then the text as written, in the reader's script.
        assert marko.last.body.endswith("\n\nRadionica u Kragujevcu")
        assert marko.last.body.startswith("📣 ")
        async with client.get(f"{desk.base}{location}/progress") as response:
            progress = await response.json()
        assert progress["delivered"] == 1 and progress["blocked"] == 1 and progress["left"] == 0
        assert progress["finished"] is True and progress["status"] == "done"

        async with client.get(f"{desk.base}{location}/failures.csv") as response:
            assert response.status == 200 and response.content_type == "text/csv"
            body = (await response.read()).decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(body)))
        assert table[0] == ["name", "language", "status", "reason", "attempts"]
        assert table[1][:3] == ["'=Jana", "sr", "blocked"]


async def test_forged_ids_missing_csrf_and_non_staff_are_refused(desk: DeskRun) -> None:
    h = desk.harness
    await onboard(h, "sr", first_name="Jana")
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)
        form = {"text_sr": "Здраво", "mode": "each", "do": "send"}
        status, _, _ = await post(client, f"{base}/new", form)
        assert status == 403
        status, _, _ = await post(client, f"{base}/new", {**form, "csrf": "0" * 64})
        assert status == 403
        status, _, _ = await post(client, f"{base}/check", {"mode": "each"})
        assert status == 403
        assert await announcements(h) == []
        for url in (f"{base}/999999", f"{base}/999999/progress", f"{base}/999999/failures.csv"):
            assert (await page(client, url))[0] == 404
        assert (await page(client, f"{base}/new?workshop=999999"))[0] == 404
        # A mentor that does not exist, a workshop button for none: refused, nothing written.
        forged = {**form, "csrf": csrf, "mentor": "999999"}
        status, html, _ = await post(client, f"{base}/new", forged)
        assert status == 422 and "not in Putokaz any more" in html
        forged = {**form, "csrf": csrf, "button": "workshop", "button_ws": "999999"}
        status, html, _ = await post(client, f"{base}/new", forged)
        assert status == 422
        assert await announcements(h) == []

        # A mentor's own message is not the desk's to show.
        mentor = await new_mentor(h, staff)
        stored_mentor = await stored_user(h, mentor.id)
        assert stored_mentor is not None
        async with h.sessions.begin() as session:
            own = Broadcast(
                kind=BroadcastKind.MENTOR,
                author_id=stored_mentor.id,
                status=BroadcastStatus.DONE,
                audience=Audience.MENTEES,
                audience_value=str(stored_mentor.id),
                created_at=h.clock.now(),
                total=0,
            )
            session.add(own)
            await session.flush()
            session.add(BroadcastText(broadcast_id=own.id, locale="*", body="Private"))
            own_id = own.id
        assert (await page(client, f"{base}/{own_id}"))[0] == 404

    # A mentor signed in to the desk has no announcements there.
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and "/desk/announcements" not in html
        assert (await page(client, f"{base}/new"))[0] == 404
        assert (await page(client, base))[0] == 404


async def test_announce_a_workshop_prefilled_with_its_button_and_audience(desk: DeskRun) -> None:
    h = desk.harness
    reader = await onboard(h, "sr", first_name="Jana")
    await place(h, reader, "kragujevac", "nova")
    other = await onboard(h, "sr", first_name="Mira")
    await place(h, other, "nis", "nova")
    found = await workshop(
        h.sessions, title="Пиши CV", programme="nova", languages=("sr",), city="kragujevac"
    )
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        _staff, csrf = await signed_in_staff(desk, client)
        status, html = await page(client, f"{base}/new?workshop={found.id}")
        assert status == 200
        assert "&lt;b&gt;Пиши CV&lt;/b&gt;" in html  # in the Serbian text area
        assert '<option value="kragujevac" selected>' in html
        assert '<option value="nova" selected>' in html
        assert '<option value="sr" selected>' in html
        assert 'id="count" class="big">1 person' in html
        form = {
            "csrf": csrf,
            "mode": "each",
            "text_sr": "<b>Пиши CV</b>",
            "lang": "sr",
            "town": "kragujevac",
            "prog": "nova",
            "button": "workshop",
            "button_ws": str(found.id),
            "do": "send",
        }
        status, _, location = await post(client, f"{base}/new", form)
        assert status == 303
        [made] = await announcements(h)
        assert made.button_kind == ButtonKind.WORKSHOP and made.button_value == str(found.id)
        await sender(h).run_round()
        assert reader.last.body.endswith("\n\nПиши CV")
        assert not other.messages[-1].body.endswith("Пиши CV")
        card = await reader.click(tr("sr", "🗓 Book a seat"))
        assert "Пиши CV" in card.body
        await reader.click(tr("sr", "✅ Book a seat"), card)
        status, html = await page(client, f"{desk.base}{location}")
        assert status == 200 and 'id="booked">1<' in html
        async with client.get(f"{desk.base}{location}/progress") as response:
            assert (await response.json())["booked"] == 1
        async with h.sessions() as session:
            assert (await session.get(Workshop, found.id)).booked == 1  # type: ignore[union-attr]


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


async def test_a_mentors_young_people_and_a_workshops_people_are_counted(desk: DeskRun) -> None:
    h = desk.harness
    ana = await onboard(h, "sr", first_name="Ana")
    ivo = await onboard(h, "bg", first_name="Ivo")
    await onboard(h, "en", first_name="Tom")
    cv = await workshop(h.sessions, capacity=1)
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)
        mentor = await new_mentor(h, staff)
        stored = {p.id: await stored_user(h, p.id) for p in (ana, ivo, mentor)}
        ana_user, ivo_user, mentor_user = (stored[p.id] for p in (ana, ivo, mentor))
        assert ana_user and ivo_user and mentor_user
        async with h.sessions.begin() as session:
            session.add(
                MentorLink(mentor_id=mentor_user.id, youth_id=ana_user.id, created_at=h.clock.now())
            )
            await booking.book_workshop(session, ana_user, cv.id, ctx(h.clock.now()))
            await booking.join_waitlist(session, ivo_user, cv.id, ctx(h.clock.now()))

        async def count(**values: str) -> int:
            form = {"csrf": csrf, "mode": "each", **values}
            async with client.post(f"{desk.base}/desk/announcements/check", data=form) as r:
                assert r.status == 200
                return int((await r.json())["total"])

        assert await count() == 4  # everyone but the author
        assert await count(mentor=str(mentor_user.id)) == 1
        assert await count(role="mentor") == 1
        assert await count(ws=str(cv.id)) == 2
        assert await count(ws=str(cv.id), seat="booked") == 1
        assert await count(ws=str(cv.id), seat="waiting", lang="bg") == 1
        assert await count(ws=str(cv.id), seat="waiting", lang="en") == 0


async def test_a_photo_is_uploaded_once_and_a_broken_one_is_refused(desk: DeskRun) -> None:
    h = desk.harness
    reader = await onboard(h, "en", first_name="Tom")
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)

        def form(data: bytes, name: str) -> aiohttp.FormData:
            made = aiohttp.FormData()
            for key, value in {"csrf": csrf, "mode": "one", "text_all": "Hi", "do": "send"}.items():
                made.add_field(key, value)
            made.add_field("photo", data, filename=name, content_type="image/png")
            return made

        async with client.post(f"{base}/new", data=form(b"not a photo", "x.png")) as r:
            assert r.status == 422 and "JPEG or PNG" in await r.text()
        big = PNG + b"\0" * (1024 * 1024)
        async with client.post(f"{base}/new", data=form(big, "big.png")) as r:
            assert r.status == 413 and "too large" in await r.text()
        assert await announcements(h) == []
        async with client.post(f"{base}/new", data=form(PNG, "ok.png"), allow_redirects=False) as r:
            assert r.status == 303
        [made] = await announcements(h)
        assert made.photo_file_id is not None
        assert staff.last.photo is not None  # the author's own chat got it once
        await sender(h).run_round()
        assert reader.last.photo is not None
        assert (reader.last.caption or "").endswith("\n\nHi")


async def another_staff_member(harness: Harness) -> Person:
    """A second person of the team (the first is the bot's admin), to tell who did what."""
    ana = await onboard(harness, "en", first_name="Ana")
    async with harness.sessions.begin() as session:
        await session.execute(
            update(User).where(User.telegram_id == ana.id).values(role=Role.STAFF)
        )
    return ana


async def test_a_scheduled_announcement_is_cancelled_at_the_desk_with_who_did_it(
    desk: DeskRun,
) -> None:
    h = desk.harness
    jana = await onboard(h, "sr", first_name="Jana")
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        _, csrf = await signed_in_staff(desk, client)
        local = datetime(2026, 11, 29, 14, 30)
        later = {
            "csrf": csrf,
            "mode": "each",
            "text_sr": "Сутра",
            "when": "later",
            "at": local.strftime("%Y-%m-%dT%H:%M"),
            "do": "send",
        }
        status, _, location = await post(client, f"{base}/new", later)
        assert status == 303
        [scheduled] = await announcements(h)
        assert scheduled.status == BroadcastStatus.SCHEDULED
        status, html = await page(client, f"{desk.base}{location}")
        assert 'id="stop"' in html and "Cancel the announcement" in html

    ana = await another_staff_member(h)
    async with browser() as client:
        assert (await sign_in(client, await console_link(ana))).status == 303
        status, html = await page(client, f"{base}/{scheduled.id}/stop")
        assert status == 200 and "Cancel this announcement?" in html
        assert "Nobody gets it." in html
        csrf = csrf_of(html)
        # Without the token nothing happens.
        status, _, _ = await post(client, f"{base}/{scheduled.id}/stop", {})
        assert status == 403
        assert (await announcements(h))[0].status == BroadcastStatus.SCHEDULED
        status, _, location = await post(client, f"{base}/{scheduled.id}/stop", {"csrf": csrf})
        assert status == 303 and location == f"/desk/announcements/{scheduled.id}?done=cancelled"
        [cancelled] = await announcements(h)
        stored_ana = await stored_user(h, ana.id)
        assert stored_ana is not None
        assert cancelled.status == BroadcastStatus.CANCELLED
        assert cancelled.stopped_by_id == stored_ana.id
        assert cancelled.stopped_at == h.clock.now()
        status, html = await page(client, f"{desk.base}{location}")
        assert "Cancelled. Nobody gets it." in html
        assert 'id="stopped-by">Ana · ' in html and 'id="stop"' not in html
        # Pressed again (another tab): nothing changes, the page says why.
        status, _, location = await post(client, f"{base}/{scheduled.id}/stop", {"csrf": csrf})
        assert status == 303 and location.endswith("?done=already")
        assert (await page(client, f"{base}/{scheduled.id}/stop"))[0] == 303

    # Its time comes: the sender writes no rows and sends nothing.
    h.clock.advance(timedelta(days=2))
    await sender(h).run_round()
    assert await recipients(h, scheduled.id) == []
    assert all("Сутра" not in m.body for m in jana.messages)

    # Ana leaves: the announcement stays, cancelled by nobody.
    await ana.send("/deleteme")
    await ana.click("🗑 Yes, delete everything")
    [kept] = await announcements(h)
    assert kept.status == BroadcastStatus.CANCELLED and kept.stopped_by_id is None


async def test_an_announcement_being_sent_is_stopped_at_the_desk(desk: DeskRun) -> None:
    h = desk.harness
    readers = [await onboard(h, "en", first_name=f"Reader {n}") for n in range(3)]
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)
        form = {"csrf": csrf, "mode": "each", "text_en": "Oops", "do": "send"}
        status, _, location = await post(client, f"{base}/new", form)
        assert status == 303
        [sending] = await announcements(h)
        assert (
            sending.status == BroadcastStatus.SENDING and len(await recipients(h, sending.id)) == 3
        )
        # One of them got it already when the stop is pressed.
        async with h.sessions.begin() as session:
            first = await session.scalar(
                select(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == sending.id)
                .order_by(BroadcastRecipient.id)
                .limit(1)
            )
            assert first is not None
            first.status = RecipientStatus.SENT
            first.sent_at = h.clock.now()
        status, html = await page(client, f"{desk.base}{location}")
        assert 'id="stop"' in html and "Stop sending" in html
        status, html = await page(client, f"{base}/{sending.id}/stop")
        assert status == 200 and "Stop sending this announcement?" in html
        assert "2 people have not got it yet and will not get it." in html
        status, _, location = await post(client, f"{base}/{sending.id}/stop", {"csrf": csrf})
        assert status == 303 and location.endswith("?done=stopped")
        rows = await recipients(h, sending.id)
        assert sorted(r.status for r in rows) == [
            RecipientStatus.CANCELLED,
            RecipientStatus.CANCELLED,
            RecipientStatus.SENT,
        ]
        await sender(h).run_round()
        assert all("Oops" not in m.body for r in readers for m in r.messages)
        [stopped] = await announcements(h)
        stored_staff = await stored_user(h, staff.id)
        assert stored_staff is not None and stopped.stopped_by_id == stored_staff.id
        assert stopped.status == BroadcastStatus.DONE
        status, html = await page(client, f"{desk.base}{location}")
        assert "Stopped. Messages already on their way still arrive." in html
        assert 'id="stopped-by">Sara · ' in html
        assert 'id="cancelled">2</dd>' in html
        async with client.get(f"{base}/{sending.id}/progress") as response:
            progress = await response.json()
        assert progress["left"] == 0 and progress["cancelled"] == 2


async def test_cancelling_forged_ids_and_mentors_are_refused(desk: DeskRun) -> None:
    h = desk.harness
    await onboard(h, "en", first_name="Jana")
    base = f"{desk.base}/desk/announcements"
    async with browser() as client:
        staff, csrf = await signed_in_staff(desk, client)
        form = {"csrf": csrf, "mode": "each", "text_en": "Hello", "do": "send"}
        status, _, _ = await post(client, f"{base}/new", form)
        [sending] = await announcements(h)
        for url in (f"{base}/999999/stop", f"{base}/{'9' * 12}/stop"):
            assert (await page(client, url))[0] == 404
            assert (await post(client, url, {"csrf": csrf}))[0] == 404
        # A forged token is as good as none.
        status, _, _ = await post(client, f"{base}/{sending.id}/stop", {"csrf": "0" * 64})
        assert status == 403
        mentor = await new_mentor(h, staff)
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200
        assert (await page(client, f"{base}/{sending.id}/stop"))[0] == 404
        # With the mentor's own valid token: still not theirs to stop.
        status, _, _ = await post(client, f"{base}/{sending.id}/stop", {"csrf": csrf_of(html)})
        assert status == 404
    [untouched] = await announcements(h)
    assert untouched.status == BroadcastStatus.SENDING and untouched.stopped_by_id is None
    assert {r.status for r in await recipients(h, sending.id)} == {RecipientStatus.PENDING}
