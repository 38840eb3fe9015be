"""/privacy, /mydata and /deleteme as people use them, in every locale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.booking import rules as booking
from bot.booking import workshops
from bot.booking.models import WorkshopChange
from bot.broadcasts.models import BroadcastText
from bot.broadcasts.telegram.sender import BroadcastSender
from bot.db.base import Base
from bot.db.engine import is_sqlite
from bot.people.mentor_line import MENTOR_LINE_DAYS
from bot.people.models import MentorLink, User
from tests.booking_support import draft
from tests.conversation import (
    ALL_LOCALES,
    TELEGRAM_CODE,
    language_button,
    onboard,
    stored_user,
    tr,
    trn,
)
from tests.harness import Harness, Person, running_bot
from tests.test_plan_conversation import add_task
from tests.test_roles import invite_token, invite_youth, new_mentor, staff_member


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_mydata_sends_a_json_file_of_everything_stored(
    harness_any_db: Harness, locale: str
) -> None:
    harness = harness_any_db
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    youth = await onboard(harness, locale, first_name="Đorđe <3", start=f"/start {token}")
    await youth.send("/mydata")
    document = youth.last.document
    assert document is not None and document.file_name == "putokaz-my-data.json"
    assert youth.last.caption == tr(locale, "📦 Everything Putokaz keeps about you.")
    data = json.loads(document.data)
    assert data["person"]["telegram_id"] == youth.id
    assert data["person"]["name"] == "Đorđe <3"
    assert data["person"]["language"] == locale
    assert data["person"]["birth_year"] == 2004
    assert data["person"]["consent_given_at"].startswith("2026-11-29T10:00")
    assert [m["name"] for m in data["mentors"]] == ["Mentor <Mara> & co"]
    # Nothing about anyone else: the mentor's own invites are not in the young person's file.
    assert data["invite_links_created"] == []

    mentor_data = json.loads(
        (await mentor.send("/mydata")).document.data  # type: ignore[union-attr]
    )
    assert [m["name"] for m in mentor_data["mentees"]] == ["Đorđe <3"]
    assert [i["kind"] for i in mentor_data["invite_links_created"]] == ["mentee"]


async def test_what_staff_changed_about_workshops_is_theirs_to_see_and_goes_with_them(
    harness: Harness,
) -> None:
    """workshop_changes name their actor: listed in the actor's /mydata, as counselling_changes
    are, and after /deleteme the history stays, done by nobody."""
    staff = await staff_member(harness)
    youth = await onboard(harness, "sr")
    sara = await stored_user(harness, staff.id)
    assert sara is not None
    async with harness.sessions.begin() as session:
        ctx = booking.context_for(harness.settings, harness.clock)
        made = await workshops.create(session, sara, draft(capacity=4), ctx)
        made_id = made.id
        await workshops.change(session, sara, made_id, ctx, capacity=6)
    document = (await staff.send("/mydata")).document
    assert document is not None
    changes = json.loads(document.data)["workshop_changes_made"]
    assert [(c["workshop"], c["action"]) for c in changes] == [
        (str(made_id), "created"),
        (str(made_id), "edited"),
    ]
    # Only their own actions: a young person's file has none.
    document = (await youth.send("/mydata")).document
    assert document is not None and json.loads(document.data)["workshop_changes_made"] == []

    await staff.click("🗑 Yes, delete everything", await staff.send("/deleteme"))
    assert await stored_user(harness, staff.id) is None
    async with harness.sessions() as session:
        left = (await session.execute(select(WorkshopChange.action, WorkshopChange.actor_id))).all()
    assert [tuple(row) for row in left] == [("created", None), ("edited", None)]


async def test_mydata_before_consent_holds_only_id_and_language(harness: Harness) -> None:
    person = harness.person(language_code="bg")
    await person.send("/start")
    await person.send("/mydata")
    data = json.loads(person.last.document.data)  # type: ignore[union-attr]
    assert data["person"]["telegram_id"] == person.id
    assert data["person"]["language"] == "bg"
    assert data["person"]["name"] is None and data["person"]["consent_given_at"] is None


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_deleteme_erases_the_person_after_confirmation_and_tells_the_mentor(
    harness_any_db: Harness, locale: str
) -> None:
    harness = harness_any_db
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff, "sr")
    token = await invite_youth(mentor, "sr")
    youth = await onboard(harness, locale, first_name="Teodora", start=f"/start {token}")

    ask = await youth.send("/deleteme")
    keep = await youth.click(tr(locale, "↩️ No, keep it"), ask)
    assert tr(locale, "Okay, nothing was deleted.") in keep.html_text
    assert await stored_user(harness, youth.id) is not None

    ask = await youth.send("/deleteme")
    assert tr(locale, "🗑 Yes, delete everything") in [b.text for r in ask.buttons for b in r]
    gone = await youth.click(tr(locale, "🗑 Yes, delete everything"), ask)
    assert gone.html_text == tr(
        locale, "✅ Done. Everything about you is deleted. If you write again, you start fresh."
    )
    assert await stored_user(harness, youth.id) is None
    async with harness.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MentorLink)) == 0
        # The mentor's invite stays theirs, but no longer points at the erased person.
        assert await session.scalar(select(func.count()).select_from(User)) == 2
    assert mentor.last.html_text == tr(
        "sr", "👋 {name} is no longer in Putokaz; their data was deleted.", name="Teodora"
    )
    deleted = [
        r
        for r in harness.fake.calls("deleteMyCommands")
        if (r.params.get("scope") or {}).get("chat_id") == youth.id
    ]
    assert deleted, "their personal command list is removed"

    # Writing again starts fresh.
    again = await youth.send("/start")
    assert again.html_text == tr(
        "sr" if locale != "bg" and locale != "en" else locale, "👋 Hi! Choose your language:"
    )


async def test_a_mentor_leaving_tells_their_young_people(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    youth = await onboard(harness, "bg", start=f"/start {token}")
    ask = await mentor.send("/deleteme")
    await mentor.click("🗑 Yes, delete everything", ask)
    assert youth.last.html_text == tr(
        "bg", "👋 Your mentor {name} is no longer in Putokaz.", name="Mentor &lt;Mara&gt; &amp; co"
    )


async def test_privacy_notice_is_open_before_consent(harness: Harness) -> None:
    person = harness.person(language_code="sr")
    notice = await person.send("/privacy")
    assert tr("sr", "🔒 <b>Privacy notice</b>") in notice.html_text
    assert "30" in notice.body
    # Not a dead end: Back leads to the start (tests/test_small_things.py follows it).
    assert [b.data for row in notice.buttons for b in row] == ["nv:start"]


MENTOR_LINE = (
    "<b>Writing to your mentor:</b> what you send with “✉️ Write to my mentor” reaches them as "
    "a copy; I keep only the message's number, for {days} day, so that their reply finds you.",
    "<b>Writing to your mentor:</b> what you send with “✉️ Write to my mentor” reaches them as "
    "a copy; I keep only the message's number, for {days} days, so that their reply finds you.",
)


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_the_privacy_notice_tells_of_the_line_to_the_mentor(
    harness: Harness, locale: str
) -> None:
    """Messages to the mentor are copied and only their ids kept for 30 days: said in /privacy
    and in the notice read before agreeing, with the button's own name."""
    line = trn(locale, *MENTOR_LINE, MENTOR_LINE_DAYS, days=MENTOR_LINE_DAYS)
    assert tr(locale, "✉️ Write to my mentor") in line and str(MENTOR_LINE_DAYS) in line
    person = harness.person(language_code=TELEGRAM_CODE[locale])
    intro = await person.click(language_button(locale, await person.send("/start")))
    notice = await person.click(tr(locale, "📄 Read more"), intro)
    assert line in notice.html_text
    await person.click(tr(locale, "✅ I agree"), notice)
    await person.click("2004", person.last)
    assert line in (await person.send("/privacy")).html_text


# Distinctive enough that finding one in the database files means it was left behind.
STAFF_NAME = "Dragoslava Ćirković-Stanojev"
MENTOR_NAME = "Živorad Mentorović"
YOUTH_NAME = "Vesna Brankovanović"  # add_task finds the young person by "Vesna"
TASK_TITLE = "Zakazati pregled kod doktorke Jelisavete"
NOTE = "Bila sam u Domu zdravlja Ribnikar-Zapad"
LEFT_BEHIND = (STAFF_NAME, MENTOR_NAME, YOUTH_NAME, TASK_TITLE, NOTE, "Find a job")
STAFF_TELEGRAM_ID = 7_770_001  # no counter or message id comes near it


async def _references(
    harness: Harness, user_ids: set[int], telegram_ids: set[int], texts: tuple[str, ...]
) -> list[str]:
    """Every value in every table that still points at one of these people."""
    found = []
    async with harness.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for column in table.columns:
                to_users = any(fk.column.table.name == "users" for fk in column.foreign_keys)
                for row in rows:
                    value = row[column.name]
                    if isinstance(value, str):
                        points = (
                            any(t in value for t in texts)
                            or any(str(i) in value for i in telegram_ids)
                            # a mentor's own young people: their users.id as text
                            or (column.name == "audience_value" and value in map(str, user_ids))
                        )
                    else:
                        points = (to_users and value in user_ids) or value in telegram_ids
                    if points:
                        found.append(f"{table.name}.{column.name}={value!r}")
    return found


async def new_mentor_named(harness: Harness, staff: Person, name: str) -> Person:
    await staff.send("/menu")
    link = await staff.click("➕ Invite a mentor")
    return await onboard(harness, "en", first_name=name, start=f"/start {invite_token(link.body)}")


async def test_erasure_leaves_no_reference_and_no_bytes_behind(db_url: str) -> None:
    async with running_bot(
        db_url, admin_ids=frozenset({STAFF_TELEGRAM_ID}), strict_html=True
    ) as harness:
        staff = await onboard(harness, "en", first_name=STAFF_NAME, user_id=STAFF_TELEGRAM_ID)
        mentor = await new_mentor_named(harness, staff, MENTOR_NAME)
        token = await invite_youth(mentor)
        youth = await onboard(harness, "sr", first_name=YOUTH_NAME, start=f"/start {token}")
        bystander = await onboard(harness, "bg", first_name="Bystander")
        await add_task(mentor, TASK_TITLE)
        plan = await youth.click(tr("sr", "📋 Open my plan"), youth.last)
        card = await youth.click(f"1. {TASK_TITLE}", plan)
        await youth.click(tr("sr", "✅ Done"), card)
        await youth.send(NOTE)

        # Staff announce to everyone; the mentor writes to their young people.
        await staff.send("/menu")
        await staff.click("📣 Announcements")
        await staff.click("➕ New announcement")
        await staff.click("✏️ Text for everyone")
        await staff.send("Workshop on Friday")
        await staff.click("👁 Preview")
        await staff.click("📤 Send now")
        await mentor.send("/menu")
        await mentor.click("📣 Message my young people")
        await mentor.click("➕ New message")
        await mentor.click("✏️ Text for everyone")
        await mentor.send("See you on Friday")
        await mentor.click("👁 Preview")
        await mentor.click("📤 Send now")
        await BroadcastSender(
            harness.bot, harness.sessions, harness.assembled.pacer, harness.assembled.i18n,
            harness.clock, harness.settings,
        ).run_round()  # fmt: skip
        assert bystander.last.body.endswith("\n\nWorkshop on Friday")
        assert youth.last.body.endswith("\n\nSee you on Friday")
        # A line to the mentor and back: its links go with either of the two.
        await youth.send("/mentor")
        await youth.send("Can we talk?")
        await harness.processed(mentor.tg.send("Yes", reply_to=mentor.last.message_id))
        assert youth.last.text == "Yes"

        leaving = (youth, mentor, staff)
        user_ids = set()
        for person in leaving:
            stored = await stored_user(harness, person.id)
            assert stored is not None
            user_ids.add(stored.id)
        telegram_ids = {person.id for person in leaving}
        assert await _references(harness, user_ids, telegram_ids, LEFT_BEHIND)  # the test sees

        for person in leaving:
            ask = await person.send("/deleteme")
            locale = "sr" if person is youth else "en"
            await person.click(tr(locale, "🗑 Yes, delete everything"), ask)
            assert await stored_user(harness, person.id) is None

        assert await _references(harness, user_ids, telegram_ids, LEFT_BEHIND) == []
        async with harness.sessions() as session:
            # What went out stays, unsigned: the team's record of announcements.
            texts = (await session.scalars(select(BroadcastText.body))).all()
            assert sorted(texts) == ["See you on Friday", "Workshop on Friday"]
        if is_sqlite(db_url):
            database = Path(make_url(db_url).database or "")
            files = [database, database.with_name(database.name + "-wal")]
            for file in files:
                data = file.read_bytes() if file.exists() else b""
                for text in LEFT_BEHIND:
                    assert text.encode() not in data, f"{text!r} is still in {file.name}"
