"""A young person's self-assessment history at the desk, over real HTTP: every assessment with
its date in the reader's language, scores per domain with the change from the first to the
latest (short checks compared only with short checks), the star chart inline and at its own
address, all under the bot's privacy rule (their own mentor only; staff read that rule)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.assessment.models import Assessment, AssessmentKind, AssessmentScore, AssessmentStatus
from bot.i18n.formatting import fmt_change, fmt_date, fmt_number
from tests.conversation import ALL_LOCALES, onboard, stored_user, tr
from tests.desk_support import DeskRun, browser, console_link, page, running_desk, sign_in
from tests.harness import Person
from tests.test_roles import invite_youth, new_mentor, staff_member

Taken = list[tuple[datetime, AssessmentKind, dict[str, float]]]
DAYS = [datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 5, 4, 9, tzinfo=UTC)]
DAYS += [datetime(2026, 8, 3, 9, tzinfo=UTC), datetime(2026, 11, 2, 9, tzinfo=UTC)]
# Two full self-assessments and two short checks, taken in turns.
TAKEN: Taken = [
    (DAYS[0], AssessmentKind.FULL, {"education": 2.0, "work": 3.0, "housing": 4.0}),
    (DAYS[1], AssessmentKind.SHORT, {"education": 4.0, "work": 1.0}),
    (DAYS[2], AssessmentKind.FULL, {"education": 3.5, "work": 2.5, "housing": 4.0}),
    (DAYS[3], AssessmentKind.SHORT, {"education": 4.5, "work": 1.0}),
]


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[DeskRun]:
    async with running_desk(db_url) as run:
        yield run


@dataclass
class Seen:
    staff: Person
    mentor: Person
    other: Person  # a mentor of nobody here
    youth_id: int


async def _user_id(run: DeskRun, person: Person) -> int:
    found = await stored_user(run.harness, person.id)
    assert found is not None
    return found.id


async def _taken(run: DeskRun, youth_id: int, taken: Taken) -> None:
    async with run.harness.sessions.begin() as session:
        for done, kind, scores in taken:
            row = Assessment(
                user_id=youth_id, version=1, kind=kind, status=AssessmentStatus.COMPLETED,
                started_at=done, updated_at=done, completed_at=done,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            session.add_all(
                AssessmentScore(
                    assessment_id=row.id,
                    domain=domain,
                    average=average,
                    level=round(average),
                    answered=1,
                )
                for domain, average in scores.items()
            )


async def _seen(run: DeskRun, locale: str, taken: Taken) -> Seen:
    h = run.harness
    staff = await staff_member(h)
    mentor = await new_mentor(h, staff, locale)
    other = await new_mentor(h, staff)
    youth = await onboard(
        h, "bg", first_name="Калина", start=f"/start {await invite_youth(mentor, locale)}"
    )
    youth_id = await _user_id(run, youth)
    await _taken(run, youth_id, taken)
    return Seen(staff, mentor, other, youth_id)


def _between(text: str, start: str, end: str) -> str:
    at = text.index(start)
    return text[at : text.index(end, at)]


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_the_mentor_sees_every_assessment_its_scores_changes_and_star(
    desk: DeskRun, locale: str
) -> None:
    seen = await _seen(desk, locale, TAKEN)
    tz = desk.harness.settings.timezone
    async with browser() as client:
        await sign_in(client, await console_link(seen.mentor))
        status, raw = await page(client, f"{desk.base}/desk/people/{seen.youth_id}")
    assert status == 200, raw
    text = html.unescape(raw)
    full, short = tr(locale, "Full self-assessment"), tr(locale, "Short check")

    # The list: all four, newest first, each dated in the reader's language with its kind.
    listed = _between(text, 'id="taken"', "</ol>")
    expected = [
        f"{fmt_date(d, locale, tz)} · {k}" for d, k in zip(DAYS, [full, short] * 2, strict=True)
    ]
    assert [part.split("</li>")[0] for part in listed.split("<li>")[1:]] == expected[::-1]

    def change(value: float) -> str:
        return fmt_change(value, locale)

    # Full ones: education 2.0 → 3.5, work 3.0 → 2.5, housing unchanged.
    table = _between(text, 'id="scores-full"', "</table>")
    assert fmt_date(DAYS[0], locale, tz) in table and fmt_date(DAYS[2], locale, tz) in table
    assert fmt_date(DAYS[1], locale, tz) not in table  # a short check is not in this table
    rows = table.split("<tr>")[2:]
    education, work, housing = rows[0], rows[1], rows[2]
    assert tr(locale, "Education and training") in education
    assert f"<strong>{change(1.5)}</strong>" in education
    assert f"({change(1.5)})" in education  # the step from the one before, the same here
    assert fmt_number(3.5, locale, 1) in education
    assert f"<strong>{change(-0.5)}</strong>" in work
    assert f"<strong>{change(0.0)}</strong>" in housing
    # A domain without a score in both shows no change.
    assert "<strong>—</strong>" in rows[3]

    kinds_apart = "Each kind is compared only with itself: a short check with short checks, "
    assert tr(locale, kinds_apart + "a full self-assessment with full ones.") in text
    # Short checks, only with each other: education 4.0 → 4.5 (never 2.0 → 4.5 across kinds).
    table = _between(text, 'id="scores-short"', "</table>")
    education = table.split("<tr>")[2]
    assert f"<strong>{change(0.5)}</strong>" in education
    assert change(2.5) not in table and change(1.0) not in education
    assert fmt_date(DAYS[2], locale, tz) not in table

    # The star of each kind, inline: labels and legend in the reader's language.
    assert text.count("<svg") == 2
    star = _between(text, "<svg", "</svg>")
    assert tr(locale, "Education and training") in star or (
        tr(locale, "Education and training").split()[0] in star  # wrapped over two lines
    )
    first = tr(locale, "First ({date})", date=fmt_date(DAYS[0], locale, tz))
    latest = tr(locale, "Latest ({date})", date=fmt_date(DAYS[2], locale, tz))
    assert first in star and latest in star and f"<title>{full}</title>" in star
    short_star = text[text.rindex("<svg") :]
    assert tr(locale, "First ({date})", date=fmt_date(DAYS[1], locale, tz)) in short_star
    assert 'chart.svg?kind=short"' in raw and 'chart.svg?kind=full"' in raw


async def test_one_assessment_has_no_change_and_a_star_of_one_line(desk: DeskRun) -> None:
    seen = await _seen(desk, "sr", TAKEN[:1])
    async with browser() as client:
        await sign_in(client, await console_link(seen.mentor))
        status, raw = await page(client, f"{desk.base}/desk/people/{seen.youth_id}")
    assert status == 200
    text = html.unescape(raw)
    assert 'id="scores-short"' not in text and text.count("<svg") == 1
    table = _between(text, 'id="scores-full"', "</table>")
    assert tr("sr", "Change") not in table and "<strong>" not in table
    star = _between(text, "<svg", "</svg>")
    assert "stroke-dasharray" not in star  # no earlier line to compare with
    assert '<p class="hint">' not in text  # no word on comparing kinds with one kind


async def test_staff_read_that_only_the_mentor_sees_the_answers(desk: DeskRun) -> None:
    seen = await _seen(desk, "en", TAKEN)
    async with browser() as client:
        await sign_in(client, await console_link(seen.staff))
        status, raw = await page(client, f"{desk.base}/desk/people/{seen.youth_id}")
        assert status == 200
        text = html.unescape(raw)
        section = _between(text, 'id="assessments"', "</section>")
        assert tr("en", "Only the young person's mentor sees their answers.") in section
        assert "<svg" not in text and "scores-" not in text and "chart.svg" not in text
        async with client.get(
            f"{desk.base}/desk/people/{seen.youth_id}/chart.svg", allow_redirects=False
        ) as r:
            assert r.status == 404 and r.content_type == "text/html"


async def test_the_chart_alone_for_the_mentor_and_for_nobody_else(desk: DeskRun) -> None:
    seen = await _seen(desk, "bg", TAKEN)
    url = f"{desk.base}/desk/people/{seen.youth_id}/chart.svg"
    tz = desk.harness.settings.timezone
    async with browser() as client:
        await sign_in(client, await console_link(seen.mentor))
        async with client.get(url) as r:
            assert r.status == 200 and r.content_type == "image/svg+xml"
            assert r.headers["Cache-Control"] == "private, no-cache"
            tag = r.headers["ETag"]
            body = await r.text()
        assert body.startswith("<?xml") and "<svg" in body and body.endswith("</svg>")
        assert tr("bg", "Latest ({date})", date=fmt_date(DAYS[2], "bg", tz)) in body
        assert f"<title>{tr('bg', 'Full self-assessment')}</title>" in body
        # Unchanged: the browser's copy is confirmed, not sent again (the check still runs).
        async with client.get(url, headers={"If-None-Match": tag}) as r:
            assert r.status == 304 and await r.read() == b""
        async with client.get(url + "?kind=short") as r:
            assert r.status == 200
            body = await r.text()
        assert f"<title>{tr('bg', 'Short check')}</title>" in body
        assert tr("bg", "Latest ({date})", date=fmt_date(DAYS[3], "bg", tz)) in body
        for bad in ("?kind=long", "?kind="):
            async with client.get(url + bad) as r:
                assert r.status == 404
        # A made-up id, or an id of nobody's young person: not found, as any page.
        for forged in (seen.youth_id + 1000, 1, 10**13):
            async with client.get(f"{desk.base}/desk/people/{forged}/chart.svg") as r:
                assert r.status == 404 and r.content_type == "text/html"
    async with browser() as client:
        await sign_in(client, await console_link(seen.other))
        async with client.get(url) as r:
            assert r.status == 404 and "<svg" not in await r.text()
        status, raw = await page(client, f"{desk.base}/desk/people/{seen.youth_id}")
        assert status == 404 and "<svg" not in raw


async def test_a_young_person_without_assessments(desk: DeskRun) -> None:
    seen = await _seen(desk, "sr_Latn", [])
    async with browser() as client:
        await sign_in(client, await console_link(seen.mentor))
        status, raw = await page(client, f"{desk.base}/desk/people/{seen.youth_id}")
        assert status == 200
        assert tr("sr_Latn", "No self-assessment yet.") in html.unescape(raw)
        async with client.get(f"{desk.base}/desk/people/{seen.youth_id}/chart.svg") as r:
            assert r.status == 404


def test_the_star_escapes_its_words_and_draws_what_it_is_given() -> None:
    from bot.assessment.chart import Radar, Series
    from bot.assessment.chart_svg import svg

    chart = Radar(
        "A & <B>",
        ["Work <&> money", "Housing", "Health"],
        Series("now", [5.0, None, 2.5]),
        Series("before", [1.0, 1.0, 1.0]),
    )
    drawn = svg(chart)
    assert "<title>A &amp; &lt;B&gt;</title>" in drawn and "Work &lt;&amp;&gt;" in drawn
    assert "<script" not in drawn and "style=" not in drawn  # the desk's CSP runs neither
    assert drawn.count("stroke-dasharray") == 2  # the earlier line and its legend sample
    assert not svg(chart, standalone=False).startswith("<?xml")
    assert svg(chart, standalone=True).startswith("<?xml")
