"""The desk over real HTTP: sign-in through the bot's link or a Mini App's initData, sessions,
CSRF, and that nobody opens a page about someone they may not see."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.people.models import User
from bot.plans import rules as plans
from tests.conversation import onboard, stored_user, tr
from tests.desk_support import (
    DeskRun,
    browser,
    console_link,
    csrf_of,
    page,
    press_sign_in,
    running_desk,
    sign_in,
)
from tests.harness import TOKEN
from tests.test_roles import invite_youth, new_mentor, staff_member


@pytest.fixture
async def desk(sqlite_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(sqlite_url) as run:
        yield run


async def test_staff_sign_in_once_with_the_link_from_console(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    link = await console_link(staff)
    assert tr("en", "🖥 <b>Your link to the desk</b>\n{link}\n\nIt works once", link="x")[:20] in (
        staff.last.html_text
    )
    async with browser() as client:
        signed = await sign_in(client, link)
        assert signed.status == 303 and signed.headers["Location"] == "/desk/people"
        cookie = signed.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/desk" in cookie
        assert "Secure" not in cookie  # plain http on 127.0.0.1
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and "Sara" in html
        # The same link again, even in the same browser: refused, on opening and on pressing.
        again = await sign_in(client, link)
        assert again.status == 400
        token = link.split("t=")[1]
        assert (await press_sign_in(client, desk.base, token)).status == 400
    async with browser() as other:
        assert (await sign_in(other, link)).status == 400
        status, html = await page(other, f"{desk.base}/desk/people")
        assert status == 401 and "/console" in html


async def test_an_expired_link_does_not_sign_in(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    link = await console_link(staff)
    async with browser() as client:
        async with client.get(link) as opened:  # opened in time, pressed too late
            assert opened.status == 200
        desk.harness.clock.advance(timedelta(minutes=10, seconds=1))
        assert (await press_sign_in(client, desk.base, link.split("t=")[1])).status == 400
        assert (await sign_in(client, link)).status == 400
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 401


async def test_a_young_person_gets_no_link_and_is_told_politely(desk: DeskRun) -> None:
    youth = await onboard(desk.harness, "bg", first_name="Ivo")
    answer = await youth.send("/console")
    assert answer.body == tr(
        "bg", "The desk is for mentors and programme staff. Everything you need is in /menu."
    )
    assert "/desk/signin" not in answer.body


async def test_a_form_without_its_csrf_token_is_refused(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    youth = await onboard(desk.harness, "sr", first_name="Jana")
    stored = await stored_user(desk.harness, youth.id)
    assert stored is not None
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/people/{stored.id}")
        assert status == 200
        url = f"{desk.base}/desk/people/{stored.id}/programme"
        async with client.post(url, data={"programme": "nova"}, allow_redirects=False) as r:
            assert r.status == 403
        async with client.post(
            url, data={"programme": "nova", "csrf": "0" * 64}, allow_redirects=False
        ) as r:
            assert r.status == 403
        assert (await stored_user(desk.harness, youth.id)).programme is None  # type: ignore[union-attr]
        async with client.post(
            url,
            data={"programme": "nova", "csrf": csrf_of(html)},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403  # another site's form, even with a stolen token
        async with client.post(
            url, data={"programme": "nova", "csrf": csrf_of(html)}, allow_redirects=False
        ) as r:
            assert r.status == 303
        assert (await stored_user(desk.harness, youth.id)).programme == "nova"  # type: ignore[union-attr]


async def _user(run: DeskRun, telegram_id: int) -> User:
    user = await stored_user(run.harness, telegram_id)
    assert user is not None
    return user


async def test_a_mentor_sees_only_their_own_young_people(desk: DeskRun) -> None:
    h = desk.harness
    staff = await staff_member(h)
    mara = await new_mentor(h, staff)
    mine = await onboard(h, "en", first_name="Mine", start=f"/start {await invite_youth(mara)}")
    other_mentor = await new_mentor(h, staff, "sr")
    theirs = await onboard(
        h, "sr", first_name="Theirs", start=f"/start {await invite_youth(other_mentor, 'sr')}"
    )
    mine_id, theirs_id = (await _user(desk, mine.id)).id, (await _user(desk, theirs.id)).id
    async with browser() as client:
        assert (await sign_in(client, await console_link(other_mentor))).status == 303
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200 and "Theirs" in html and "Mine" not in html
        # Another mentor's young person, a staff member, a made-up id: one polite Serbian 404.
        staff_id = (await _user(desk, staff.id)).id
        for person_id in (mine_id, staff_id, 999999):
            status, html = await page(client, f"{desk.base}/desk/people/{person_id}")
            assert status == 404, person_id
            assert tr("sr", "This page does not exist, or it is not yours to see.") in html
            assert "Mine" not in html and "Sara" not in html
        # The mentor filter cannot widen a mentor's table either.
        mara_id = (await _user(desk, mara.id)).id
        status, html = await page(client, f"{desk.base}/desk/people?mentor={mara_id}")
        assert "Mine" not in html
        status, html = await page(client, f"{desk.base}/desk/people/{theirs_id}")
        assert status == 200 and "Theirs" in html
        # Nor can they change anything.
        url = f"{desk.base}/desk/people/{theirs_id}/programme"
        data = {"programme": "nova", "csrf": csrf_of(html)}
        async with client.post(url, data=data, allow_redirects=False) as r:
            assert r.status == 404
        assert (await _user(desk, theirs.id)).programme is None


async def test_a_role_change_ends_the_session_at_once(desk: DeskRun) -> None:
    h = desk.harness
    staff = await staff_member(h)
    mara = await new_mentor(h, staff)
    mara_id = (await _user(desk, mara.id)).id
    async with browser() as mentor_browser, browser() as staff_browser:
        await sign_in(mentor_browser, await console_link(mara))
        assert (await page(mentor_browser, f"{desk.base}/desk/people"))[0] == 200
        await sign_in(staff_browser, await console_link(staff))
        status, html = await page(staff_browser, f"{desk.base}/desk/people/{mara_id}")
        async with staff_browser.post(
            f"{desk.base}/desk/people/{mara_id}/role",
            data={"role": "staff", "csrf": csrf_of(html)},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        assert (await _user(desk, mara.id)).role == "staff"
        # Told in Telegram, as the bot tells after the same change.
        role = tr("en", "staff")
        assert mara.last.body.startswith(
            tr(
                "en",
                "Your role in Putokaz is now: {role}. Tap /menu to see what is new.",
                role=role,
            )
        )
        status, html = await page(mentor_browser, f"{desk.base}/desk/people")
        assert status == 401


async def test_deleteme_ends_the_session_at_once(desk: DeskRun) -> None:
    h = desk.harness
    staff = await staff_member(h)
    mara = await new_mentor(h, staff)
    async with browser() as client:
        await sign_in(client, await console_link(mara))
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 200
        await mara.send("/deleteme")
        await mara.click(tr("en", "🗑 Yes, delete everything"))
        assert await stored_user(h, mara.id) is None
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 401


async def test_sessions_expire_when_idle_and_sign_out_ends_them(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        desk.harness.clock.advance(timedelta(hours=11))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert status == 200  # and the idle time starts again
        desk.harness.clock.advance(timedelta(hours=11))
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 200
        desk.harness.clock.advance(timedelta(hours=12, minutes=1))
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 401
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/people")
        async with client.post(
            f"{desk.base}/desk/signout", data={"csrf": csrf_of(html)}, allow_redirects=False
        ) as r:
            assert r.status == 200
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 401


def _init_data(user_id: int, auth_date: int, token: str = TOKEN) -> str:
    """initData as Telegram signs it for a Mini App (core.telegram.org/bots/webapps)."""
    fields = {
        "auth_date": str(auth_date),
        "query_id": "AAF-test",
        "user": json.dumps({"id": user_id, "first_name": "Sara"}, separators=(",", ":")),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def test_the_mini_app_signs_in_with_telegrams_signed_init_data(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness)
    youth = await onboard(desk.harness, "en", first_name="Ivo")
    now = int(desk.harness.clock.now().timestamp())
    async with browser() as client:
        status, html = await page(client, f"{desk.base}/desk/app")
        assert status == 200 and "mini_app.js" in html
        url = f"{desk.base}/desk/app"
        forged = _init_data(staff.id, now, token="654321:another-bots-token")
        async with client.post(url, data={"init_data": forged}, allow_redirects=False) as r:
            assert r.status == 403
        stale = _init_data(staff.id, now - 2 * 3600)
        async with client.post(url, data={"init_data": stale}, allow_redirects=False) as r:
            assert r.status == 401
        young = _init_data(youth.id, now)
        async with client.post(url, data={"init_data": young}, allow_redirects=False) as r:
            assert r.status == 401
        good = _init_data(staff.id, now)
        async with client.post(url, data={"init_data": good}, allow_redirects=False) as r:
            assert r.status == 303
        assert (await page(client, f"{desk.base}/desk/people"))[0] == 200


@pytest.fixture
async def desk_any_db(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


async def _plan(run: DeskRun, mentor_tg: int, youth_tg: int, due: timedelta) -> None:
    """A goal with one task due `due` from now, written by the mentor through the plan rules."""
    h = run.harness
    async with h.sessions.begin() as session:
        mentor = await session.scalar(select(User).where(User.telegram_id == mentor_tg))
        youth = await session.scalar(select(User).where(User.telegram_id == youth_tg))
        assert mentor is not None and youth is not None
        ctx = plans.context_for(h.settings, h.clock)
        goal = await plans.add_goal(session, mentor, youth.id, "Find a job", "work", ctx)
        await plans.add_task(
            session, mentor, goal.id, title="Write a CV", owner="me",
            due_date=(h.clock.now() + due).date(), due_time=None, details=None, ctx=ctx,
        )  # fmt: skip


def _names_in(html: str) -> set[str]:
    return set(re.findall(r'<a href="/desk/people/\d+">([^<]+)</a>', html))


async def test_the_people_table_filters_and_pages_on_both_databases(desk_any_db: DeskRun) -> None:
    run = desk_any_db
    h = run.harness
    staff = await staff_member(h)
    mara = await new_mentor(h, staff)
    late = await onboard(h, "en", first_name="Late", start=f"/start {await invite_youth(mara)}")
    fine = await onboard(h, "bg", first_name="Fine", start=f"/start {await invite_youth(mara)}")
    await onboard(h, "sr", first_name="Јована")
    await _plan(run, mara.id, late.id, timedelta(days=-2))
    await _plan(run, mara.id, fine.id, timedelta(days=5))
    mara_id = (await _user(run, mara.id)).id
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        base = f"{run.base}/desk/people"
        everyone = {"Sara", "Mentor &lt;Mara&gt; &amp; co", "Late", "Fine", "Јована"}
        assert _names_in((await page(client, base))[1]) == everyone
        expected = {
            "?role=youth": {"Late", "Fine", "Јована"},
            "?role=mentor": {"Mentor &lt;Mara&gt; &amp; co"},
            f"?mentor={mara_id}": {"Late", "Fine"},
            "?plan=yes": {"Late", "Fine"},
            "?plan=no&role=youth": {"Јована"},
            "?q=јов": {"Јована"},  # Cyrillic, whatever the case, on SQLite too
            "?late=yes": {"Late"},
            "?late=no&plan=yes": {"Fine"},
            "?lang=bg": {"Fine"},
            "?q=LAT": {"Late"},
            f"?q={late.id}": {"Late"},
            "?q=%25": set(),  # a wildcard typed into the search is a character, not "all"
            "?role=nonsense&plan=maybe&page=x": everyone,  # unknown values are ignored
        }
        for query, names in expected.items():
            status, html = await page(client, base + query)
            assert status == 200 and _names_in(html) == names, query
        status, html = await page(client, f"{base}?late=yes")
        assert '<strong class="late">1</strong>' in html
        # A person's page: the plan in figures, and the mentor.
        late_id = (await _user(run, late.id)).id
        status, html = await page(client, f"{base}/{late_id}")
        assert status == 200 and "Mentor &lt;Mara&gt; &amp; co" in html
        assert '<strong class="late">1</strong>' in html


async def test_an_id_no_row_can_have_is_a_missing_page_on_both_databases(
    desk_any_db: DeskRun,
) -> None:
    """PostgreSQL refuses a number past 32 bits as a query's argument: never a server error."""
    run = desk_any_db
    staff = await staff_member(run.harness)
    paths = ("people/{}", "people/{}/plan", "workshops/{}", "announcements/{}", "counselling/{}")
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        csrf = csrf_of((await page(client, f"{run.base}/desk/people"))[1])
        for number in ("2147483647", "2147483648", "99999999999", "9" * 40):
            for path in paths:
                url = f"{run.base}/desk/" + path.format(number)
                assert (await page(client, url))[0] == 404, url
            async with client.post(
                f"{run.base}/desk/people/{number}/programme",
                data={"csrf": csrf, "programme": ""},
                allow_redirects=False,
            ) as r:
                assert r.status == 404, number


async def test_the_table_is_paged_on_the_server(desk: DeskRun) -> None:
    h = desk.harness
    staff = await staff_member(h)
    for i in range(26):
        await onboard(h, "en", first_name=f"Person {i:02d}")
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, first = await page(client, f"{desk.base}/desk/people?role=youth")
        assert status == 200
        assert len(_names_in(first)) == 25
        assert tr("en", "Page {page} of {pages}", page=1, pages=2) in first
        second = (await page(client, f"{desk.base}/desk/people?role=youth&page=2"))[1]
        assert _names_in(second) == {"Person 25"}
        assert 'href="/desk/people?role=youth&amp;page=1"' in second


@pytest.mark.parametrize("locale", ["sr", "sr_Latn", "bg", "en"])
async def test_pages_speak_the_signed_in_persons_language(desk: DeskRun, locale: str) -> None:
    staff = await staff_member(desk.harness, locale)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/people")
        assert f'<html lang="{locale.replace("_", "-")}">' in html
        assert tr(locale, "Search by name") in html and tr(locale, "Overdue tasks") in html
        status, html = await page(client, f"{desk.base}/desk/people/424242")
        assert status == 404 and tr(locale, "Nothing here") in html
