"""Announcements and mentors' messages as staff, mentors and young people use them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.botapi import FakeTelegram, StoredMessage
from bot.broadcasts.models import Audience, Broadcast, BroadcastStatus
from bot.broadcasts.telegram.callbacks import AudienceCb, BcAction, BcCb, WhenCb
from bot.broadcasts.telegram.sender import BroadcastSender
from bot.i18n.formatting import fmt_date
from bot.i18n.locales import LANGUAGE_NAMES
from bot.people.models import User
from tests.broadcast_support import TOKEN, deliveries, seed
from tests.conftest import ADMIN_ID
from tests.conversation import ALL_LOCALES, labels, onboard, plain, stored_user, tr
from tests.harness import Harness, Person, running_bot
from tests.test_roles import REFUSAL, invite_youth, new_mentor, staff_member


def sender(harness: Harness) -> BroadcastSender:
    return BroadcastSender(
        harness.bot,
        harness.sessions,
        harness.assembled.pacer,
        harness.assembled.i18n,
        harness.clock,
        harness.settings,
    )


async def young_people(harness: Harness) -> dict[str, Person]:
    return {
        locale: await onboard(harness, locale, first_name=f"Y{locale}") for locale in ALL_LOCALES
    }


async def new_announcement(staff: Person) -> StoredMessage:
    await staff.send("/menu")
    await staff.click("📣 Announcements")
    return await staff.click("➕ New announcement")


async def write(staff: Person, harness: Harness, label: str, text: str) -> StoredMessage:
    await staff.click(label)
    return await staff.send(text)


def announced(locale: str, body: str, sender: str = "The Putokaz team") -> str:
    """An announcement as its reader sees it: who sends it, then what they wrote."""
    by = tr(locale, sender)
    return plain(tr(locale, "📣 <b>{sender}</b> announces:", sender=by)) + "\n\n" + body


async def latest_broadcast(harness: Harness) -> Broadcast:
    async with harness.sessions() as session:
        found = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()).limit(1))
        assert found is not None
        return found


async def test_staff_announce_in_each_language_with_a_preview_and_a_report(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    youth = await young_people(harness)
    draft = await new_announcement(staff)
    assert "👥 To: everyone · 4 people" in draft.body
    await write(staff, harness, "✏️ Српски", "Радионица: <CV> & посао")
    draft = await write(staff, harness, "✏️ English", "Workshop: <CV> & jobs")
    assert "📝 Text: Српски, English" in draft.body
    assert "✅ Српски" in labels(draft)
    await staff.click("🔗 Button")
    draft = await staff.send("example.org/cv")
    assert "🔗 Button: https://example.org/cv" in draft.body

    before = len(staff.messages)
    control = await staff.click("👁 Preview")
    previews = staff.messages[before:]
    # A header and the message itself per language, then the choice.
    assert len(previews) == 9
    shown = {previews[i].body: previews[i + 1] for i in range(0, 8, 2)}
    assert shown["👁 Preview for Српски (ћирилица) (1 person):"].body == announced(
        "sr", "Радионица: <CV> & посао"
    )
    assert shown["👁 Preview for Srpski (latinica) (1 person):"].body == announced(
        "sr_Latn", "Radionica: <CV> & posao"
    )
    assert shown["👁 Preview for Български (1 person):"].body == announced(
        "bg", "Workshop: <CV> & jobs"
    )
    assert control.body == "👆 That is how it looks. It goes to 4 people."

    progress = await staff.click("📤 Send now", control)
    assert "📣 Sending…" in progress.body and "⏳ Waiting: 4" in progress.body
    await sender(harness).run_round()

    for locale, person in youth.items():
        got = person.last
        preview = shown[f"👁 Preview for {LANGUAGE_NAMES[locale]} (1 person):"]
        # Exactly what the preview showed, with the button in the reader's language.
        assert got.html_text == preview.html_text
        assert got.buttons[0][0].text == tr(locale, "🔗 Open the link")
        assert got.buttons[0][0].url == "https://example.org/cv"
    assert youth["en"].last.body == "📣 The Putokaz team announces:\n\nWorkshop: <CV> & jobs"
    report = harness.fake.message(staff.id, control.message_id)
    assert "📣 Done" in report.body and "✅ Delivered: 4" in report.body
    assert "📄 Not delivered (CSV)" not in labels(report)


async def test_formatting_from_telegram_is_kept_and_typed_tags_are_shown_as_typed(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    reader = await onboard(harness, "en", first_name="Reader")
    await new_announcement(staff)
    await staff.click("✏️ Text for everyone")
    text = "Typed <b> and bold"
    update = staff.tg.send_message(
        text=text, entities=[{"type": "bold", "offset": 14, "length": 4}]
    )
    await harness.processed(update)
    await staff.click("👁 Preview")
    await staff.click("📤 Send now")
    await sender(harness).run_round()
    assert reader.last.html_text == (
        "📣 <b>The Putokaz team</b> announces:\n\nTyped &lt;b&gt; and <b>bold</b>"
    )
    assert reader.last.body == announced("en", text)


async def test_audiences_by_role_language_town_programme_and_mentor(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    mentee = await onboard(harness, "bg", first_name="Mentee", start=f"/start {token}")
    other = await onboard(harness, "sr", first_name="Other")

    # A young person picks a town in Settings.
    await other.send("/menu")
    await other.click(tr("sr", "⚙️ Settings"))
    towns = await other.click(tr("sr", "🏙 My town"))
    settings = await other.click(tr("sr", "Kragujevac"), towns)
    assert tr("sr", "Town: {place}", place=tr("sr", "Kragujevac")) in settings.body

    # Staff put the mentee in a programme on their card.
    await staff.send("/people")
    people = await staff.click("Young")
    card = await staff.click(next(b for b in labels(people) if b.startswith("Mentee")), people)
    choice = await staff.click("🏷 Programme", card)
    card = await staff.click("NOVA: work and activation", choice)
    assert "Programme: NOVA: work and activation" in card.body

    draft = await new_announcement(staff)
    assert "everyone · 3 people" in draft.body  # not the author

    async def pick(*steps: str) -> str:
        screen = await staff.click("👥 Who gets it")
        for step in steps:
            screen = await staff.click(step, screen)
        return screen.body

    assert "👥 To: Mentors · 1 person" in await pick("By role", "Mentors")
    assert "To: language: Български · 1 person" in await pick("By language", "Български")
    assert "To: language: Српски · 1 person" in await pick("By language", "Српски")
    assert "To: town: Kragujevac · 1 person" in await pick("By town", "Kragujevac")
    assert "To: town: Sofia · 0 people" in await pick("By town", "Sofia")
    found = await pick("By programme", "NOVA: work and activation")
    assert "To: programme: NOVA: work and activation · 1 person" in found
    found = await pick("Young people of a mentor", "Mentor <Mara> & co")
    assert "To: young people of Mentor &lt;Mara&gt; &amp; co · 1 person" in (
        staff.last.html_text
    ), found
    assert "To: everyone · 3 people" in await pick("Everyone")

    # Muting announcements takes a person out of every staff audience.
    await mentee.send("/menu")
    await mentee.click(tr("bg", "⚙️ Settings"))
    muted = await mentee.click(tr("bg", "🔕 Turn announcements off"))
    assert mentee.last_answer == tr(
        "bg", "Announcements are off. Reminders and messages from your mentor still come."
    )
    assert tr("bg", "Announcements: off") in muted.body
    assert "To: everyone · 2 people" in await pick("Everyone")


async def test_nobody_to_send_to_is_refused_before_anything_is_written(harness: Harness) -> None:
    staff = await staff_member(harness)
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Hello")
    draft = await staff.click("👁 Preview")
    assert staff.last_answer == "Nobody would get it. Choose other people."
    assert "0 people" in draft.body
    found = await latest_broadcast(harness)
    assert found.status == BroadcastStatus.DRAFT


async def test_a_mentor_writes_only_to_their_own_young_people(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    token = await invite_youth(mentor)
    mentee = await onboard(harness, "sr", first_name="Mine", start=f"/start {token}")
    stranger = await onboard(harness, "en", first_name="NotMine")
    # Muting staff announcements does not mute one's own mentor.
    await mentee.send("/menu")
    await mentee.click(tr("sr", "⚙️ Settings"))
    await mentee.click(tr("sr", "🔕 Turn announcements off"))

    await mentor.send("/menu")
    home = await mentor.click("📣 Message my young people")
    assert "📣 Messages to my young people" in home.body
    draft = await mentor.click("➕ New message")
    assert "👥 To: your young people · 1 person" in draft.body
    assert "👥 Who gets it" not in labels(draft)
    draft = await write(mentor, harness, "✏️ Text for everyone", "Видимо се у петак")
    mentor_draft = await latest_broadcast(harness)

    # Forged: a mentor choosing everyone, or a mentor's draft opened by someone else.
    await mentor.click_data(AudienceCb(id=mentor_draft.id, k=Audience.ALL).pack(), draft)
    assert mentor.last_answer == REFUSAL
    await stranger.click_data(BcCb(a=BcAction.OPEN, id=mentor_draft.id).pack(), stranger.last)
    assert stranger.last_answer == REFUSAL
    await stranger.click_data(BcCb(a=BcAction.NOW, id=mentor_draft.id).pack(), stranger.last)
    assert stranger.last_answer == REFUSAL
    await staff.click_data(BcCb(a=BcAction.OPEN, id=mentor_draft.id).pack(), staff.last)
    assert staff.last_answer == REFUSAL

    await mentor.send("/announce")
    await mentor.click("✏️ Continue the draft")
    await mentor.click("👁 Preview")
    await mentor.click("📤 Send now")
    await sender(harness).run_round()
    # Who writes comes first, the name escaped and as the mentor wrote it.
    assert mentee.last.html_text == (
        "✉️ Твој ментор <b>Mentor &lt;Mara&gt; &amp; co</b> ти пише:\n\nВидимо се у петак"
    )
    assert all("петак" not in m.body for m in stranger.messages)
    author = await stored_user(harness, mentor.id)
    assert author is not None
    async with harness.sessions() as session:
        found = await session.get(Broadcast, mentor_draft.id)
        assert found is not None and found.audience_value == str(author.id)


async def test_forged_buttons_for_staff_announcements_are_refused(harness: Harness) -> None:
    staff = await staff_member(harness)
    mentor = await new_mentor(harness, staff)
    youth = await onboard(harness, "bg", first_name="Youth")
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Hello")
    await staff.click("👁 Preview")
    await staff.click("📤 Send now")
    announcement = await latest_broadcast(harness)
    forged = [
        BcCb(a=BcAction.SHOW, id=announcement.id),
        BcCb(a=BcAction.STOP, id=announcement.id),
        BcCb(a=BcAction.CSV, id=announcement.id),
        BcCb(a=BcAction.HOME),
        AudienceCb(id=announcement.id, k=Audience.ALL),
        WhenCb(id=announcement.id, d=1, m=600),
    ]
    home = BcCb(a=BcAction.HOME).pack()  # a mentor has a home of their own
    # An action that no button has: it cannot be built, only typed into a forged query.
    for data in [*(item.pack() for item in forged), f"bc:nonsense:{announcement.id}:"]:
        await mentor.click_data(data, mentor.last)
        if data != home:
            assert mentor.last_answer == REFUSAL, data
    for item in forged:
        await youth.click_data(item.pack(), youth.last)
        assert youth.last_answer == tr("bg", REFUSAL), item
    # A staff audience value that does not exist is refused too.
    await new_announcement(staff)
    draft = await latest_broadcast(harness)
    await staff.click_data(AudienceCb(id=draft.id, k=Audience.ROLE, v="king").pack())
    assert staff.last_answer == REFUSAL
    await staff.click_data(AudienceCb(id=draft.id, k=Audience.MENTEES, m=999999).pack())
    assert staff.last_answer == REFUSAL


async def test_schedule_in_the_authors_time_then_send_or_cancel(harness: Harness) -> None:
    staff = await staff_member(harness)
    reader = await onboard(harness, "en", first_name="Reader")
    run = sender(harness)

    async def compose_and_schedule(text: str, hour: str) -> StoredMessage:
        await new_announcement(staff)
        await write(staff, harness, "✏️ Text for everyone", text)
        await staff.click("👁 Preview")
        days = await staff.click("🕒 Schedule")
        assert "🕒 On which day? (your time: Belgrade)" in days.body
        # 10:00 UTC is 11:00 in Belgrade: tomorrow is the second button.
        tomorrow = fmt_date(
            harness.clock.now() + timedelta(days=1), "en", "Europe/Belgrade", "MMMEd"
        )
        times = await staff.click(tomorrow, days)
        return await staff.click(hour, times)

    done = await compose_and_schedule("Morning news", "9:00\u202fAM")
    assert done.body == "🕒 Scheduled for Mon, Nov 30, 2026, 9:00\u202fAM."
    first = await latest_broadcast(harness)
    assert first.send_at is not None and first.send_at.hour == 8  # UTC

    second_screen = await compose_and_schedule("Never sent", "9:30\u202fAM")
    cancelled = await staff.click("✖️ Cancel it", second_screen)
    assert staff.last_answer == "Cancelled. Nobody gets it."
    assert "🕒 Scheduled (1)" in labels(cancelled)
    # Who cancelled it is recorded, as at the desk, and shown in their /mydata.
    gone = await latest_broadcast(harness)
    stored_staff = await stored_user(harness, staff.id)
    assert stored_staff is not None and gone.stopped_by_id == stored_staff.id
    assert gone.stopped_at == harness.clock.now()
    mine = json.loads((await staff.send("/mydata")).document.data)  # type: ignore[union-attr]
    assert [b["status"] for b in mine["announcements_stopped"]] == ["cancelled"]

    await run.run_round()
    assert all("Morning news" not in m.body for m in reader.messages)
    harness.clock.advance(timedelta(days=1))
    await run.run_round()
    assert reader.last.body == announced("en", "Morning news")
    assert all("Never sent" not in m.body for m in reader.messages)
    # The author is told when it goes out; that message becomes the report.
    told = staff.last
    assert "✅ Delivered: 1" in told.body and told.edited
    assert told.history[0] is not None and told.history[0].startswith(
        "🕒 Your scheduled message is going out now."
    )


async def test_a_photo_goes_with_the_text_and_a_refusal_is_explained(harness: Harness) -> None:
    staff = await staff_member(harness)
    reader = await onboard(harness, "bg", first_name="Reader")
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "x" * 1100)
    await staff.click("🖼 Photo")
    update = staff.tg.send_photo()
    await harness.processed(update)
    assert staff.last.body == "Under a photo: at most 904 characters.\nShorten the text first."
    await staff.click("⬅️ Back")
    await write(staff, harness, "✅ Text for everyone", "Ела на работилница")
    await staff.click("🖼 Photo")
    await harness.processed(staff.tg.send_photo())
    assert "🖼 With a photo" in staff.last.body

    harness.fake.fail_next("sendPhoto", status=400, description="wrong file identifier")
    await staff.click("👁 Preview")
    assert staff.last.body == (
        "⚠️ Telegram did not accept this message (Bad Request: wrong file identifier). "
        "Check the text and the link."
    )
    control = await staff.click("👁 Preview", await staff.click("✏️ Edit"))
    await staff.click("📤 Send now", control)
    await sender(harness).run_round()
    assert reader.last.photo is not None
    assert reader.last.caption == announced("bg", "Ела на работилница")


async def test_report_lists_who_did_not_get_it_as_csv(harness: Harness) -> None:
    staff = await staff_member(harness)
    fine = await onboard(harness, "en", first_name="Fine")
    gone = await onboard(harness, "sr", first_name="=Gone")
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Hello")
    control = await staff.click("👁 Preview")
    await staff.click("📤 Send now", control)
    gone.tg.block()
    await sender(harness).run_round()
    assert fine.last.body == announced("en", "Hello")
    report = harness.fake.message(staff.id, control.message_id)
    assert "🚫 Blocked the bot: 1" in report.body
    document = await staff.click("📄 Not delivered (CSV)", report)
    assert document.document is not None and document.caption == "📄 1 person did not get it."
    rows = list(csv.reader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert rows[0] == ["name", "language", "status", "reason", "attempts"]
    assert rows[1][:3] == ["'=Gone", "sr", "blocked"]
    assert "blocked" in rows[1][3]
    gone_user = await stored_user(harness, gone.id)
    assert gone_user is not None and not gone_user.is_active


async def test_replies_are_not_starved_and_progress_is_edited_sparingly(
    harness: Harness,
) -> None:
    staff = await staff_member(harness)
    await seed(harness.sessions, harness.fake, 150, harness.clock.now())
    asker = await onboard(harness, "en", first_name="Asker")
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Big news")
    control = await staff.click("👁 Preview")
    await staff.click("📤 Send now", control)
    run = sender(harness)
    started = time.monotonic()
    round_ = asyncio.create_task(run.run_round())
    await harness.fake.state.changed.wait_for(lambda: len(harness.fake.sent()) > 60 or None, 10)
    asked = time.monotonic()
    reply = await asker.send("/menu")
    waited = time.monotonic() - asked
    assert reply.body.startswith("🧭 Putokaz") and waited < 1.0, waited
    await round_
    took = time.monotonic() - started
    assert took >= 150 / harness.settings.broadcast_rate - 1
    edits = harness.fake.calls("editMessageText", chat_id=staff.id)
    edits = [e for e in edits if e.params.get("message_id") == control.message_id]
    # Every few seconds, plus the report: not one per message.
    assert 2 <= len(edits) <= took / 3 + 3, len(edits)
    assert "✅ Delivered: 151" in harness.fake.message(staff.id, control.message_id).body


@pytest.mark.parametrize("locale", ["sr", "bg"])
async def test_settings_show_town_and_announcements_in_the_persons_language(
    harness: Harness, locale: str
) -> None:
    person = await onboard(harness, locale)
    await person.send("/menu")
    screen = await person.click(tr(locale, "⚙️ Settings"))
    assert tr(locale, "Town: {place}", place="—") in screen.body
    assert tr(locale, "Announcements: on") in screen.body
    off = await person.click(tr(locale, "🔕 Turn announcements off"), screen)
    on = await person.click(tr(locale, "🔔 Turn announcements on"), off)
    assert person.last_answer == tr(locale, "Announcements are on.")
    assert tr(locale, "Announcements: on") in on.body
    user = await stored_user(harness, person.id)
    assert user is not None and not user.announcements_muted


async def test_mydata_holds_received_announcements_and_deleting_keeps_the_record(
    harness_any_db: Harness,
) -> None:
    harness = harness_any_db
    staff = await staff_member(harness)
    reader = await onboard(harness, "en", first_name="Reader")
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Hello")
    await staff.click("👁 Preview")
    await staff.click("📤 Send now")
    await sender(harness).run_round()
    data = json.loads((await reader.send("/mydata")).document.data)  # type: ignore[union-attr]
    assert data["announcements_received"] == [
        {
            "kind": "announcement",
            "status": "sent",
            "sent_at": data["announcements_received"][0]["sent_at"],
            "attempts": 0,
        }
    ]
    assert data["person"]["announcements_muted"] is False
    mine = json.loads((await staff.send("/mydata")).document.data)  # type: ignore[union-attr]
    assert mine["announcements_written"][0]["texts"] == {"*": "Hello"}

    # A draft left behind goes with its author; what went out stays, without a name.
    await new_announcement(staff)
    await staff.send("/deleteme")
    await staff.click("🗑 Yes, delete everything")
    async with harness.sessions() as session:
        left = (await session.scalars(select(Broadcast))).all()
        assert [(b.status, b.author_id) for b in left] == [(BroadcastStatus.DONE, None)]
        assert await session.scalar(select(User).where(User.telegram_id == staff.id)) is None


async def test_a_restart_mid_broadcast_goes_on_where_it_stopped(sqlite_url: str) -> None:
    """The bot is stopped while sending and a new one starts on the same database: a graceful
    stop records what was in flight and hands back the rest, so nobody gets it twice."""
    async with FakeTelegram(token=TOKEN, strict_html=True, rate_limit=30) as fake:
        async with running_bot(sqlite_url, admin_ids=frozenset({ADMIN_ID}), fake=fake) as first:
            staff = await staff_member(first)
            people = await seed(first.sessions, fake, 80, first.clock.now())
            await new_announcement(staff)
            await write(staff, first, "✏️ Text for everyone", "Hello")
            await staff.click("👁 Preview")
            control = await staff.click("📤 Send now")
            run = sender(first)
            round_ = asyncio.create_task(run.run_round())
            await fake.state.changed.wait_for(lambda: len(fake.sent()) > 30 or None, 10)
            await run.stop()
            assert round_.done()
        sent_before = sum(deliveries(fake, people).values())
        assert 0 < sent_before < 80
        async with running_bot(sqlite_url, admin_ids=frozenset({ADMIN_ID}), fake=fake) as second:
            await sender(second).run_round()
        assert deliveries(fake, people) == {p.id: 1 for p in people}
        report = fake.message(staff.id, control.message_id)
        assert "✅ Delivered: 80" in report.body


async def test_sending_can_be_stopped(harness: Harness) -> None:
    staff = await staff_member(harness)
    people = await seed(harness.sessions, harness.fake, 60, harness.clock.now())
    await new_announcement(staff)
    await write(staff, harness, "✏️ Text for everyone", "Oops")
    await staff.click("👁 Preview")
    progress = await staff.click("📤 Send now")
    run = sender(harness)
    round_ = asyncio.create_task(run.run_round())
    await harness.fake.state.changed.wait_for(lambda: len(harness.fake.sent()) > 15 or None, 10)
    await staff.click("⏹ Stop sending", progress)
    assert staff.last_answer == "Stopped. Messages already on their way still arrive."
    await round_
    stopped = await latest_broadcast(harness)
    stored_staff = await stored_user(harness, staff.id)
    assert stored_staff is not None and stopped.stopped_by_id == stored_staff.id
    got = sum(deliveries(harness.fake, people).values())
    assert 15 < got < 60
    report = harness.fake.message(staff.id, progress.message_id)
    assert f"✅ Delivered: {got}" in report.body
    assert f"⏹ Stopped before sending: {60 - got}" in report.body
