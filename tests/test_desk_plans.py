"""Plans at the desk over real HTTP, on SQLite and PostgreSQL: a whole plan written in one save,
one message to the young person, the audit trail with its source, who may open which plan, CSRF,
and the CSV import's dry run and confirm (all or nothing)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import delete, func, select, update

from bot.db.engine import SessionFactory
from bot.people.models import User
from bot.plans import csv_import, sheet
from bot.plans import rules as plans
from bot.plans.models import Goal, PlanChange, ReminderStatus, Task, TaskStatus
from bot.plans.reminders import deadline
from tests.conversation import onboard, plain, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, csrf_of, page, running_desk, sign_in
from tests.harness import Person
from tests.test_plan_conversation import reminders_of, sender_for
from tests.test_plans import ctx as plan_ctx
from tests.test_plans import new_task, pair
from tests.test_roles import invite_youth, new_mentor, staff_member


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


async def _user(run: DeskRun, telegram_id: int) -> User:
    user = await stored_user(run.harness, telegram_id)
    assert user is not None
    return user


async def _count(run: DeskRun, model: Any, *where: Any) -> int:
    async with run.harness.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
    return int(found or 0)


def _day(run: DeskRun, days: int) -> str:
    return (run.harness.clock.now() + timedelta(days=days)).date().isoformat()


def _fields(html: str) -> dict[str, str]:
    """The plan form as the browser would post it untouched (keys, values, selected options)."""
    form = html[html.index('id="plan-form"') : html.index("</form>", html.index('id="plan-form"'))]
    fields: list[tuple[str, str]] = []
    for tag in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag.group(1)))
        if attrs.get("type") == "checkbox" and "checked" not in tag.group(1):
            continue
        if "name" in attrs:
            fields.append((attrs["name"], attrs.get("value", "")))
    for select_tag in re.finditer(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select_tag.group(2)) or re.search(
            r'<option value="([^"]*)"', select_tag.group(2)
        )
        fields.append((select_tag.group(1), chosen.group(1) if chosen else ""))
    for area in re.finditer(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields.append((area.group(1), area.group(2)))
    return dict(fields)


def _form_data(fields: dict[str, str], html: str) -> aiohttp.FormData:
    """`fields` with the repeated `goal` and `task` keys of the page, in the page's order."""
    data = aiohttp.FormData()
    for name in ("goal", "task"):
        for key in re.findall(rf'name="{name}" value="([^"]+)"', html):
            data.add_field(name, key)
    for name, value in fields.items():
        if name not in ("goal", "task"):
            data.add_field(name, value)
    return data


def _new_keys(html: str) -> tuple[list[str], dict[str, list[str]]]:
    goals = re.findall(r'name="goal" value="(n\d+)"', html)
    tasks: dict[str, list[str]] = {}
    for key, goal in re.findall(
        r'name="task" value="(x\d+)">\s*<input type="hidden" name="\1\.goal" value="(\w+)"', html
    ):
        tasks.setdefault(goal, []).append(key)
    return goals, tasks


async def _summaries(run: DeskRun) -> list[str]:
    """The statuses of the plan summaries written, oldest first."""
    return [r.status for r in await reminders_of(run.harness) if r.kind == sheet.SUMMARY]


async def _mentor_and_youth(run: DeskRun, locale: str = "sr") -> tuple[Person, Person, Person]:
    h = run.harness
    staff = await staff_member(h)
    mentor = await new_mentor(h, staff)
    youth = await onboard(
        h, locale, first_name="Јована", start=f"/start {await invite_youth(mentor)}"
    )
    return staff, mentor, youth


async def _write_two_goals_three_tasks(
    run: DeskRun, client: aiohttp.ClientSession, youth_id: int
) -> tuple[int, str]:
    url = f"{run.base}/desk/people/{youth_id}/plan"
    status, html = await page(client, url)
    assert status == 200, html
    fields = _fields(html)
    goals, tasks = _new_keys(html)
    assert len(goals) == 2 and all(len(tasks[g]) >= 2 for g in goals)
    first, second = goals
    fields.update({
        f"{first}.title": "Find a job", f"{first}.domain": "work",
        f"{tasks[first][0]}.title": "Write a CV", f"{tasks[first][0]}.due_date": _day(run, 5),
        f"{tasks[first][0]}.due_time": "14:30", f"{tasks[first][0]}.details": "With Ana",
        f"{tasks[first][1]}.title": "Apply for 3 jobs", f"{tasks[first][1]}.owner": "me",
        f"{tasks[first][1]}.due_date": _day(run, 12),
        f"{second}.title": "A place to live", f"{second}.domain": "housing",
        f"{tasks[second][0]}.title": "Visit the flat", f"{tasks[second][0]}.owner": "institution",
    })  # fmt: skip
    async with client.post(url, data=_form_data(fields, html), allow_redirects=False) as r:
        return r.status, r.headers.get("Location", "") or await r.text()


async def test_a_plan_of_two_goals_and_three_tasks_is_one_save_and_one_message(
    desk: DeskRun,
) -> None:
    _staff, mentor, youth = await _mentor_and_youth(desk, "sr")
    youth_id = (await _user(desk, youth.id)).id
    before = len(youth.messages)
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, html = await page(client, f"{desk.base}/desk/people/{youth_id}")
        assert f'/desk/people/{youth_id}/plan" id="open-plan"' in html
        status, location = await _write_two_goals_three_tasks(desk, client, youth_id)
        assert status == 303 and "told=soon" in location, location
        assert await _count(desk, Goal, Goal.youth_id == youth_id) == 2
        assert await _count(desk, Task, Task.youth_id == youth_id) == 3
        # Exactly one message, in the young person's language, that names every change: sent
        # by the reminder sender once the save is committed.
        assert await sender_for(desk.harness).tick() == 1
        assert len(youth.messages) == before + 1
        body = youth.last.body
        assert (
            plain(tr("sr", "📋 {name} updated your plan:", name="Mentor")).split("Mentor")[0]
            in body
        )
        for title in ("Find a job", "A place to live", "Write a CV", "Apply for 3 jobs"):
            assert title in body
        assert plain(tr("sr", "🎯 New goal: {goal}", goal="X")).split("X")[0] in body
        # The audit trail: every change with who and from where, shown on the page.
        async with desk.harness.sessions() as session:
            rows = (
                await session.scalars(select(PlanChange).where(PlanChange.youth_id == youth_id))
            ).all()
        assert len(rows) == 5
        mentor_id = (await _user(desk, mentor.id)).id
        assert {(r.source, r.actor_id) for r in rows} == {("console", mentor_id)}
        status, html = await page(client, f"{desk.base}/desk/people/{youth_id}/plan")
        trail = html[html.index('id="history"') :]
        assert trail.count("<tr>") == 1 + 5 and tr("en", "Desk") in trail
        assert "Write a CV" in trail

        # Saving the page unchanged tells nobody and changes nothing.
        async with client.post(
            f"{desk.base}/desk/people/{youth_id}/plan",
            data=_form_data(_fields(html), html),
            allow_redirects=False,
        ) as r:
            assert r.status == 303 and "told=none" in r.headers["Location"]
        assert await sender_for(desk.harness).tick() == 0
        assert len(youth.messages) == before + 1
        assert await _count(desk, PlanChange, PlanChange.youth_id == youth_id) == 5

        # Edit, move a task to the other goal, cancel one, mark a goal reached: one message.
        fields = _fields(html)
        async with desk.harness.sessions() as session:
            tasks = {t.title: t for t in await session.scalars(select(Task))}
            goals = {g.title: g for g in await session.scalars(select(Goal))}
        cv, apply_, visit = tasks["Write a CV"], tasks["Apply for 3 jobs"], tasks["Visit the flat"]
        fields[f"t{cv.id}.due_date"] = _day(desk, 7)
        fields[f"t{visit.id}.goal"] = f"g{goals['Find a job'].id}"
        fields[f"t{visit.id}.position"] = "0"
        fields[f"t{apply_.id}.cancel"] = "1"
        fields[f"g{goals['A place to live'].id}.reached"] = "1"
        async with client.post(
            f"{desk.base}/desk/people/{youth_id}/plan",
            data=_form_data(fields, html),
            allow_redirects=False,
        ) as r:
            assert r.status == 303 and "told=soon" in r.headers["Location"]
        assert await sender_for(desk.harness).tick() == 1
        assert len(youth.messages) == before + 2
        body = youth.last.body
        assert plain(tr("sr", "🎉 Goal reached: {goal}", goal="A place to live")) in body
        assert plain(tr("sr", "✖️ Cancelled: {task}", task="Apply for 3 jobs")) in body
        async with desk.harness.sessions() as session:
            moved = await session.get(Task, visit.id)
            cancelled = await session.get(Task, apply_.id)
            reached = await session.get(Goal, goals["A place to live"].id)
            later_cv = await session.get(Task, cv.id)
        assert moved is not None and moved.goal_id == goals["Find a job"].id
        # The moment the reports compare with follows the new day (14:30 in the service's zone).
        zone = desk.harness.settings.timezone
        assert cv.due_date is not None
        assert cv.deadline_at == deadline(cv.due_date, time(14, 30), zone)
        assert later_cv is not None and later_cv.due_date == cv.due_date + timedelta(days=2)
        assert later_cv.deadline_at == deadline(later_cv.due_date, time(14, 30), zone)
        assert cancelled is not None and cancelled.status == TaskStatus.CANCELLED
        assert reached is not None and reached.status == "reached"


async def test_a_wrong_row_saves_nothing_and_keeps_what_was_typed(desk: DeskRun) -> None:
    staff, _mentor, youth = await _mentor_and_youth(desk, "bg")
    youth_id = (await _user(desk, youth.id)).id
    before = len(youth.messages)
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        url = f"{desk.base}/desk/people/{youth_id}/plan"
        _status, html = await page(client, url)
        fields = _fields(html)
        goals, tasks = _new_keys(html)
        fields.update({
            f"{goals[0]}.title": "Find a job", f"{goals[0]}.domain": "work",
            f"{tasks[goals[0]][0]}.title": "Write a CV",
            f"{tasks[goals[0]][1]}.title": "Yesterday",
            f"{tasks[goals[0]][1]}.due_date": _day(desk, -1),
            f"{tasks[goals[0]][2]}.title": "Far", f"{tasks[goals[0]][2]}.due_date": "2040-01-01",
        })  # fmt: skip
        async with client.post(url, data=_form_data(fields, html), allow_redirects=False) as r:
            assert r.status == 422
            answer = await r.text()
        assert tr("en", "This day has passed. Pick today or a later day.") in answer
        assert (
            tr("en", "This day is more than {limit} years ahead. Please check the year.").format(
                limit=10
            )
            in answer
        )
        assert 'value="Write a CV"' in answer
        assert await _count(desk, Goal, Goal.youth_id == youth_id) == 0
        assert len(youth.messages) == before


async def test_a_mentor_cannot_open_or_change_another_mentors_young_person(desk: DeskRun) -> None:
    h = desk.harness
    staff, mentor, youth = await _mentor_and_youth(desk, "en")
    youth_id = (await _user(desk, youth.id)).id
    other = await new_mentor(h, staff, "sr")
    theirs = await onboard(
        h, "sr", first_name="Theirs", start=f"/start {await invite_youth(other, 'sr')}"
    )
    theirs_id = (await _user(desk, theirs.id)).id
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        await _write_two_goals_three_tasks(desk, client, youth_id)
    async with desk.harness.sessions() as session:
        a_task = (await session.scalars(select(Task).where(Task.youth_id == youth_id))).first()
    assert a_task is not None
    async with browser() as client:
        await sign_in(client, await console_link(other))
        status, own = await page(client, f"{desk.base}/desk/people/{theirs_id}/plan")
        assert status == 200
        token = csrf_of(own)
        staff_id = (await _user(desk, staff.id)).id
        for forged in (youth_id, staff_id, 999999):
            status, html = await page(client, f"{desk.base}/desk/people/{forged}/plan")
            assert status == 404
            assert tr("sr", "This page does not exist, or it is not yours to see.") in html
            assert "Find a job" not in html
            async with client.post(
                f"{desk.base}/desk/people/{forged}/plan",
                data={"csrf": token, "goal": "n0", "n0.title": "Mine now", "n0.domain": "work"},
                allow_redirects=False,
            ) as r:
                assert r.status == 404
        # A task of the other young person posted into one's own young person's plan.
        async with client.post(
            f"{desk.base}/desk/people/{theirs_id}/plan",
            data={
                "csrf": token, "task": f"t{a_task.id}", f"t{a_task.id}.title": "Stolen",
                f"t{a_task.id}.goal": "g1", f"t{a_task.id}.cancel": "1",
            },
            allow_redirects=False,
        ) as r:  # fmt: skip
            assert r.status == 404
        # Nor is the import theirs.
        assert (await page(client, f"{desk.base}/desk/plans/import"))[0] == 404
    assert await _count(desk, Goal, Goal.title == "Mine now") == 0
    async with desk.harness.sessions() as session:
        unchanged = await session.get(Task, a_task.id)
    assert unchanged is not None and unchanged.title != "Stolen"
    assert unchanged.status == TaskStatus.TODO


async def test_plan_forms_without_their_csrf_token_are_refused(desk: DeskRun) -> None:
    staff, _mentor, youth = await _mentor_and_youth(desk, "en")
    youth_id = (await _user(desk, youth.id)).id
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        data = {"goal": "n0", "n0.title": "Find a job", "n0.domain": "work"}
        async with client.post(
            f"{desk.base}/desk/people/{youth_id}/plan", data=data, allow_redirects=False
        ) as r:
            assert r.status == 403
        upload = aiohttp.FormData()
        upload.add_field("file", b"telegram_id,goal,domain,task\n", filename="p.csv")
        async with client.post(
            f"{desk.base}/desk/plans/import", data=upload, allow_redirects=False
        ) as r:
            assert r.status == 403
    assert await _count(desk, Goal) == 0


async def test_a_young_person_who_blocked_the_bot_does_not_break_the_save(desk: DeskRun) -> None:
    _staff, mentor, youth = await _mentor_and_youth(desk, "en")
    youth_id = (await _user(desk, youth.id)).id
    youth.tg.block()
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, location = await _write_two_goals_three_tasks(desk, client, youth_id)
        # Telegram told the bot of the block: nothing is written for the sender to try.
        assert status == 303 and "told=no" in location
        status, html = await page(
            client, location if location.startswith("http") else desk.base + location
        )
        assert tr("en", "Saved.") in html
        notice = "The message did not reach the young person (they may have blocked the bot)."
        assert tr("en", notice) in html
    assert await _count(desk, Task, Task.youth_id == youth_id) == 3
    assert await _summaries(desk) == []


# The summary is written with the save and sent by the reminder sender


async def _saved_plan(run: DeskRun, locale: str = "bg") -> tuple[Person, Person, Person, int]:
    """A plan written at the desk by the mentor; the summary written, not yet sent."""
    staff, mentor, youth = await _mentor_and_youth(run, locale)
    youth_id = (await _user(run, youth.id)).id
    async with browser() as client:
        await sign_in(client, await console_link(mentor))
        status, location = await _write_two_goals_three_tasks(run, client, youth_id)
    assert status == 303 and "told=soon" in location, location
    assert await _summaries(run) == [ReminderStatus.PENDING]
    return staff, mentor, youth, youth_id


async def test_a_summary_written_with_the_save_goes_out_once_when_a_sender_runs_later(
    desk: DeskRun,
) -> None:
    _staff, _mentor, youth, _youth_id = await _saved_plan(desk)
    before = len(youth.messages)
    # The process stopped right after the commit: nothing was sent, the row waits.
    assert len(youth.messages) == before
    # A sender started later (a new process) delivers it; more rounds, more senders: once.
    assert await sender_for(desk.harness).tick() == 1
    assert await sender_for(desk.harness).tick() == 0
    assert await sender_for(desk.harness).tick() == 0
    assert len(youth.messages) == before + 1
    body = youth.last.html_text
    head = tr("bg", "📋 {name} updated your plan:", name="Mentor &lt;Mara&gt; &amp; co")
    assert body.startswith(head), body
    assert tr("bg", "🎯 New goal: {goal}", goal="<b>Find a job</b>") in body
    assert tr("bg", "🎯 New goal: {goal}", goal="<b>A place to live</b>") in body
    for title in ("Write a CV", "Apply for 3 jobs", "Visit the flat"):
        assert f"<b>{title}</b>" in body
    assert tr("bg", "no deadline") in body
    assert [b.text for row in youth.last.buttons for b in row] == [tr("bg", "📋 Open my plan")]
    assert await _summaries(desk) == [ReminderStatus.SENT]


async def test_a_summary_of_a_deleted_plan_is_dropped(desk: DeskRun) -> None:
    _staff, _mentor, youth, youth_id = await _saved_plan(desk)
    before = len(youth.messages)
    async with desk.harness.sessions() as session:
        await session.execute(delete(Goal).where(Goal.youth_id == youth_id))
        await session.commit()
    assert await sender_for(desk.harness).tick() == 0
    assert len(youth.messages) == before
    assert await _summaries(desk) == [ReminderStatus.CANCELLED]


async def test_a_summary_of_someone_no_longer_a_young_person_is_dropped(desk: DeskRun) -> None:
    _staff, _mentor, youth, youth_id = await _saved_plan(desk)
    before = len(youth.messages)
    async with desk.harness.sessions() as session:
        await session.execute(update(User).where(User.id == youth_id).values(role="mentor"))
        await session.commit()
    assert await sender_for(desk.harness).tick() == 0
    assert len(youth.messages) == before
    assert await _summaries(desk) == [ReminderStatus.CANCELLED]


async def test_a_summary_of_someone_who_erased_themselves_goes_with_them(desk: DeskRun) -> None:
    _staff, _mentor, youth, _youth_id = await _saved_plan(desk)
    ask = await youth.send("/deleteme")
    await youth.click(tr("bg", "🗑 Yes, delete everything"), ask)
    assert await stored_user(desk.harness, youth.id) is None
    before = len(youth.messages)
    assert await _summaries(desk) == []
    assert await sender_for(desk.harness).tick() == 0
    assert len(youth.messages) == before


async def test_a_summary_whose_young_person_goes_while_it_is_prepared_is_dropped(
    desk: DeskRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimed by the sender, then the person is erased before it is worded: nothing is sent,
    nothing breaks, and nothing of theirs is left."""
    _staff, _mentor, youth, youth_id = await _saved_plan(desk)
    before = len(youth.messages)
    original = sheet.summary_to_send

    async def erased_meanwhile(session: Any, reminder: Any) -> sheet.Summary | None:
        async with desk.harness.sessions.begin() as other:
            await other.execute(delete(User).where(User.id == youth_id))
        return await original(session, reminder)

    monkeypatch.setattr(sheet, "summary_to_send", erased_meanwhile)
    assert await sender_for(desk.harness).tick() == 0
    assert len(youth.messages) == before
    assert await _summaries(desk) == []


async def test_a_summary_whose_author_erased_themselves_says_someone(desk: DeskRun) -> None:
    _staff, mentor, youth, _youth_id = await _saved_plan(desk)
    ask = await mentor.send("/deleteme")
    await mentor.click(tr("en", "🗑 Yes, delete everything"), ask)
    assert await stored_user(desk.harness, mentor.id) is None
    before = len(youth.messages)
    assert await sender_for(desk.harness).tick() == 1
    assert len(youth.messages) == before + 1
    head = tr("bg", "📋 {name} updated your plan:", name=tr("bg", "someone"))
    assert youth.last.html_text.startswith(head)
    assert "Mentor" not in youth.last.html_text


# The import


def _upload(data: bytes, csrf: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", data, filename="plans.csv", content_type="text/csv")
    return form


def _confirm(html: str, csrf: str, data: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)  # as the page's form posts it
    form.add_field("csrf", csrf)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', html)
    blob = re.search(r'name="data" value="([^"]+)"', html)
    assert digest and blob
    form.add_field("digest", digest.group(1))
    form.add_field("data", data or blob.group(1))
    return form


async def test_the_import_checks_first_then_imports_all_or_nothing(desk: DeskRun) -> None:
    h = desk.harness
    staff, _mentor, youth = await _mentor_and_youth(desk, "en")
    youth_id = (await _user(desk, youth.id)).id
    good = (
        "telegram_id,goal,domain,task,owner,due_date,due_time,details\n"
        f"{youth.id},Find a job,work,Write a CV,me,{_day(desk, 5)},14:00,With Ana\n"
        f"{youth.id},Find a job,work,Apply,,{_day(desk, 9)},,\n"
    )
    bad = good + f"{youth.id},Find a job,cooking,Cook,,,,\n77,Find a job,work,Nobody,,,,\n"
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        status, html = await page(client, f"{desk.base}/desk/plans/import")
        assert status == 200
        csrf = csrf_of(html)
        url = f"{desk.base}/desk/plans/import"

        async with client.post(url, data=_upload(bad.encode(), csrf)) as r:
            assert r.status == 422
            answer = await r.text()
        assert tr("en", "Line {line}: {reason}", line=4, reason="")[:5] in answer
        assert "Line 4:" in answer and "Line 5:" in answer and "cooking" in answer
        assert await _count(desk, Goal) == 0

        async with client.post(url, data=_upload(good.encode(), csrf)) as r:
            assert r.status == 200
            dry = await r.text()
        assert 'id="confirm"' in dry and "tasks created: 2" in dry
        assert await _count(desk, Task) == 0  # a dry run writes nothing

        # Another file with the dry run's digest: refused, nothing written.
        forged = base64.b64encode(bad.replace("77", str(youth.id)).encode()).decode()
        async with client.post(f"{url}/confirm", data=_confirm(dry, csrf, forged)) as r:
            assert r.status == 400
        assert await _count(desk, Task) == 0

        async with client.post(f"{url}/confirm", data=_confirm(dry, csrf)) as r:
            assert r.status == 200
            done = await r.text()
        assert tr("en", "Imported.") in done
        assert await _count(desk, Task, Task.youth_id == youth_id) == 2
        staff_id = (await _user(desk, staff.id)).id
        async with h.sessions() as session:
            rows = (await session.scalars(select(PlanChange))).all()
        assert {(r.source, r.actor_id) for r in rows} == {("console", staff_id)}
        # The same file again changes nothing.
        async with client.post(f"{url}/confirm", data=_confirm(dry, csrf)) as r:
            assert "tasks created: 0" in (await r.text()).replace(
                "Tasks created: 0", "tasks created: 0"
            )
        assert await _count(desk, Task) == 2


async def test_a_broken_upload_gets_a_polite_answer(desk: DeskRun) -> None:
    staff = await staff_member(desk.harness, "sr")
    async with browser() as client:
        await sign_in(client, await console_link(staff))
        _status, html = await page(client, f"{desk.base}/desk/plans/import")
        csrf = csrf_of(html)
        url = f"{desk.base}/desk/plans/import"
        cyrillic = "telegram_id,goal,domain,task\n5,Посао,work,Пиши CV\n".encode("cp1251")
        async with client.post(url, data=_upload(cyrillic, csrf)) as r:
            assert r.status == 422
            assert "UTF-8" in await r.text()
        async with client.post(url, data=_upload(b"", csrf)) as r:
            assert r.status == 400
            assert (
                tr(
                    "sr",
                    "No file came with the form, or it is empty. Pick a CSV file and try again.",
                )
                in await r.text()
            )
        async with client.post(url, data=_upload(b"PK\x03\x04rest", csrf)) as r:
            assert r.status == 422
        # Not a form at all, or a cut-off one: refused politely, nothing read further.
        garbage = {"Content-Type": "multipart/form-data; boundary=xyz"}
        async with client.post(url, data=b"--xyz\r\nbroken", headers=garbage) as r:
            assert r.status == 403
            # The refusal page, in the browser's language (none given here: English).
            assert tr("en", "Putokaz desk") in await r.text()
        async with client.post(url, data={"csrf": csrf, "file": "x"}) as r:
            assert r.status == 403
        huge = b"telegram_id,goal,domain,task\n" + b"1,a,work,b\n" * 1_000_000
        async with client.post(url, data=_upload(huge, csrf)) as r:
            assert r.status == 413
            assert (
                tr("sr", "This file is too big. Split it into smaller files and import each one.")
                in await r.text()
            )
    assert await _count(desk, Goal) == 0


async def test_changes_made_in_the_bot_and_by_the_command_say_so(sessions: SessionFactory) -> None:
    """The audit trail's source: the bot's own edits are "bot", the server's import "import"."""
    mentor, youth = await pair(sessions)
    task_id = await new_task(sessions, mentor, youth, date(2026, 12, 10))
    async with sessions.begin() as session:
        await plans.complete(session, youth, task_id, None, plan_ctx())
    data = f"telegram_id,goal,domain,task\n{youth.telegram_id},Find a job,work,Apply\n"
    report = await csv_import.run(sessions, data, replace(plan_ctx(), source="import"))
    assert report.ok and report.tasks_created == 1
    async with sessions() as session:
        rows = (await session.scalars(select(PlanChange).order_by(PlanChange.id))).all()
    assert [(r.action, r.source) for r in rows] == [
        ("goal_added", "bot"),
        ("task_added", "bot"),
        ("task_done", "bot"),
        ("task_added", "import"),
    ]
    assert rows[-1].actor_id is None
