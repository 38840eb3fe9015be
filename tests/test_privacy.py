"""/privacy, /mydata and /deleteme as people use them, in every locale."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.db.models import MentorLink, User
from tests.conversation import ALL_LOCALES, onboard, stored_user, tr
from tests.harness import Harness
from tests.test_roles import invite_youth, new_mentor, staff_member


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
    assert notice.buttons == []
