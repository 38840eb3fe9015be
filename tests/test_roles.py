"""Invites, roles and staff tools; every privileged button is checked against the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.people.models import Invite, MentorLink
from bot.people.telegram.callbacks import (
    InviteAction,
    InviteCb,
    PeopleCb,
    PersonCb,
    SetRoleCb,
    UnlinkCb,
)
from tests.conftest import ADMIN_ID
from tests.conversation import (
    ALL_LOCALES,
    TELEGRAM_CODE,
    labels,
    language_button,
    onboard,
    stored_user,
    tr,
    trn,
)
from tests.harness import Harness, Person

REFUSAL = "This button no longer works."


def invite_token(text: str) -> str:
    found = re.search(r"https://t\.me/putokaz_test_bot\?start=([\w-]+)", text)
    assert found, text
    return found.group(1)


async def staff_member(harness: Harness, locale: str = "en") -> Person:
    person = await onboard(harness, locale, first_name="Sara", user_id=ADMIN_ID)
    assert tr(locale, "👤 People") in labels(person.last)
    return person


async def new_mentor(harness: Harness, staff: Person, locale: str = "en") -> Person:
    await staff.send("/menu")
    link = await staff.click("➕ Invite a mentor")
    return await onboard(
        harness, locale, first_name="Mentor <Mara> & co", start=f"/start {invite_token(link.body)}"
    )


async def invite_youth(mentor: Person, locale: str = "en") -> str:
    await mentor.send("/menu")
    link = await mentor.click(tr(locale, "➕ Invite a young person"))
    assert tr(locale, "➕ Send this link to the young person.") in link.html_text
    return invite_token(link.body)


async def links(harness: Harness) -> int:
    async with harness.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MentorLink)) or 0)


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_staff_invite_a_mentor_who_invites_a_young_person(
    harness: Harness, locale: str
) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff, locale)
    assert tr(locale, "🎉 You are now a mentor in Putokaz.") in mentor.last.html_text
    assert tr(locale, "👥 My young people") in labels(mentor.last)
    user = await stored_user(harness, mentor.id)
    assert user is not None and user.role == "mentor" and user.birth_year is None
    scope = {"type": "chat", "chat_id": mentor.id}
    commands = [c["command"] for c in harness.fake.commands(scope)]
    assert "mentees" in commands and "invite" in commands and "people" not in commands

    token = await invite_youth(mentor, locale)
    youth = await onboard(harness, "bg", first_name="Ivan <b>&", start=f"/start {token}")
    assert tr("bg", "🤝 Your mentor is now {name}.", name="Mentor &lt;Mara&gt; &amp; co") in (
        youth.last.html_text
    )
    # The mentor is told in their own language; the name is escaped HTML.
    told = mentor.last
    assert told.html_text == tr(
        locale,
        "🤝 New connection: {name} is now one of your young people.",
        name="Ivan &lt;b&gt;&amp;",
    )
    assert "Ivan <b>&" in told.body
    mentees = await mentor.send("/mentees")
    assert trn(locale, "You follow {n} young person.", "You follow {n} young people.", 1) in (
        mentees.html_text
    )
    assert await links(harness) == 1


async def test_links_that_are_used_expired_or_invalid_get_a_clear_message(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    await onboard(harness, "en", first_name="First", start=f"/start {token}")

    second = await onboard(harness, "en", first_name="Second", start=f"/start {token}")
    assert "This link has already been used. Please ask for a new one." in second.last.body

    late = await invite_youth(mentor)
    harness.clock.advance(timedelta(hours=73))
    third = await onboard(harness, "en", first_name="Third", start=f"/start {late}")
    assert "This link has expired. Please ask for a new one." in third.last.body

    fourth = await onboard(harness, "en", first_name="Fourth")
    reply = await fourth.send("/start not-a-real-token-at-all")
    assert "This link does not work. Please ask for a new one." in reply.body
    reply = await fourth.send("/start " + "x" * 200)
    assert "This link does not work" in reply.body
    assert await links(harness) == 1


async def test_a_young_person_under_15_can_join_through_a_mentors_link(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    youth = await onboard(harness, "en", first_name="Nina", year=2013, start=f"/start {token}")
    assert "🤝 Your mentor is now" in youth.last.body
    user = await stored_user(harness, youth.id)
    assert user is not None and user.birth_year == 2013 and user.consent_at is not None


async def test_a_revoked_link_no_longer_works(harness: Harness) -> None:
    staff = await staff_member(harness)
    link = await staff.click("➕ Invite a mentor")
    token = invite_token(link.body)
    await staff.send("/menu")
    listing = await staff.click("🔗 Open invites")
    assert "• Mentor link by Sara" in listing.body
    revoke = next(label for label in labels(listing) if label.startswith("✖️"))
    after = await staff.click(revoke, listing)
    assert "None. Every link has been used, has expired or was revoked." in after.body
    person = await onboard(harness, "en", first_name="Late", start=f"/start {token}")
    assert "This link does not work." in person.last.body
    user = await stored_user(harness, person.id)
    assert user is not None and user.role == "youth"


async def test_young_people_cannot_use_forged_staff_or_mentor_buttons(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    youth = await onboard(harness, "en", first_name="Eve")
    mentor_user = await stored_user(harness, mentor.id)
    youth_user = await stored_user(harness, youth.id)
    assert mentor_user is not None and youth_user is not None
    forged = [
        InviteCb(action=InviteAction.MENTOR).pack(),
        InviteCb(action=InviteAction.MENTEE).pack(),
        InviteCb(action=InviteAction.LIST).pack(),
        InviteCb(action=InviteAction.REVOKE, id=1).pack(),
        PeopleCb().pack(),
        PersonCb(id=mentor_user.id).pack(),
        SetRoleCb(id=youth_user.id, role="staff").pack(),
        UnlinkCb(mentor=mentor_user.id, youth=youth_user.id, back=youth_user.id).pack(),
        "nv:mentees",
        "garbage",
        "rl:abc:def:ghi",
    ]
    for data in forged:
        await youth.click_data(data)
        assert youth.last_answer == REFUSAL, data
    for command in ("/people", "/invite", "/mentees"):
        reply = await youth.send(command)
        assert reply.body.startswith("I do not know that command.")
    user = await stored_user(harness, youth.id)
    assert user is not None and user.role == "youth"
    async with harness.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 1  # the mentor's


async def test_a_mentor_cannot_change_roles_or_see_people(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    staff_user = await stored_user(harness, staff.id)
    mentor_user = await stored_user(harness, mentor.id)
    assert staff_user is not None and mentor_user is not None
    for data in (
        SetRoleCb(id=mentor_user.id, role="staff", confirmed=True).pack(),
        SetRoleCb(id=staff_user.id, role="youth", confirmed=True).pack(),
        PersonCb(id=staff_user.id).pack(),
        InviteCb(action=InviteAction.MENTOR).pack(),
    ):
        await mentor.click_data(data)
        assert mentor.last_answer == REFUSAL, data
    refreshed = await stored_user(harness, mentor.id)
    assert refreshed is not None and refreshed.role == "mentor"
    staff_again = await stored_user(harness, staff.id)
    assert staff_again is not None and staff_again.role == "staff"


async def test_a_mentor_cannot_revoke_another_mentors_link(harness: Harness) -> None:
    staff = await staff_member(harness)
    first = await new_mentor(harness, staff)
    second = await new_mentor(harness, staff)
    await invite_youth(first)
    async with harness.sessions() as session:
        theirs = await session.scalar(select(Invite.id).where(Invite.used_at.is_(None)))
    await second.click_data(InviteCb(action=InviteAction.REVOKE, id=int(theirs or 0)).pack())
    assert second.last_answer == "That link is no longer open."
    async with harness.sessions() as session:
        invite = await session.get(Invite, theirs)
        assert invite is not None and invite.revoked_at is None


async def test_staff_list_people_change_roles_and_unlink(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    youth = await onboard(harness, "sr", first_name="Jovana", start=f"/start {token}")

    await staff.send("/menu")
    people = await staff.click("👤 People")
    assert "3 people" in people.body
    mentors = await staff.click("Mentors", people)
    card = await staff.click(next(b for b in labels(mentors) if "Mara" in b), mentors)
    assert "Follows 1 young person" in card.body
    assert "Role: mentor" in card.body

    # Taking the mentor role away asks first, because the young person loses their mentor.
    ask = await staff.click("Change role to: young person", card)
    assert "This mentor follows 1 young person." in ask.body
    done = await staff.click("Yes, change the role", ask)
    assert "Role: young person" in done.body
    assert await links(harness) == 0
    mentor_name = "Mentor &lt;Mara&gt; &amp; co"
    assert tr("sr", "{name} is no longer your mentor in Putokaz.", name=mentor_name) in (
        youth.last.html_text
    )
    mentor_user = await stored_user(harness, mentor.id)
    assert mentor_user is not None and mentor_user.role == "youth"
    scope = {"type": "chat", "chat_id": mentor.id}
    assert "mentees" not in [c["command"] for c in harness.fake.commands(scope)]
    # Their old mentor menu is now stale: pressing it is refused politely.
    await mentor.click_data("nv:mentees", mentor.messages[0])
    assert mentor.last_answer == REFUSAL


async def test_staff_unlink_a_mentor_and_both_are_told(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff, "bg")
    token = await invite_youth(mentor, "bg")
    youth = await onboard(harness, "sr_Latn", first_name="Ana", start=f"/start {token}")
    await staff.send("/people")
    young = await staff.click("Young")
    card = await staff.click(next(b for b in labels(young) if b.startswith("Ana")), young)
    after = await staff.click(next(b for b in labels(card) if b.startswith("✖️")), card)
    assert "Mentor:" not in after.body
    assert await links(harness) == 0
    assert youth.last.body.startswith("Mentor <Mara> & co")  # in Serbian Latin
    assert tr("sr_Latn", "{name} is no longer your mentor in Putokaz.", name="X")[2:] in (
        youth.last.body
    )
    assert tr("bg", "{name} is no longer one of your young people in Putokaz.", name="Ana") == (
        mentor.last.body
    )


async def test_the_last_staff_member_cannot_give_up_the_role(harness: Harness) -> None:
    staff = await staff_member(harness)
    staff_user = await stored_user(harness, staff.id)
    assert staff_user is not None
    await staff.click_data(SetRoleCb(id=staff_user.id, role="youth", confirmed=True).pack())
    assert staff.last_answer == "Someone has to stay staff. Make another person staff first."
    refreshed = await stored_user(harness, staff.id)
    assert refreshed is not None and refreshed.role == "staff"


async def test_the_people_list_is_paged(harness: Harness) -> None:
    staff = await staff_member(harness)
    for number in range(12):
        await onboard(harness, "en", first_name=f"P{number:02}")
    first = await staff.send("/people")
    assert "13 people" in first.body and "Page 1 of 2" in first.body
    second = await staff.click("▶️", first)
    assert "Page 2 of 2" in second.body
    back = await staff.click("◀️", second)
    assert "Page 1 of 2" in back.body
    # A forged page far beyond the end shows the last page, not an error.
    beyond = await staff.click_data(PeopleCb(page=99).pack(), back)
    assert "Page 2 of 2" in beyond.body


async def test_the_same_language_button_is_available_to_staff(harness: Harness) -> None:
    staff = await staff_member(harness, "bg")
    assert tr("bg", "🧭 <b>Putokaz</b> · staff") in staff.last.html_text
    picker = await staff.send("/language")
    after = await staff.click(language_button("sr", picker), picker)
    assert tr("sr", "⚙️ <b>Settings</b>") in after.html_text
    assert TELEGRAM_CODE["sr"] == "sr"
