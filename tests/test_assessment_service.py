"""The self-assessment service on SQLite and PostgreSQL: progress, versions, who sees what."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.assessment import rules as assessment
from bot.assessment.models import Assessment, AssessmentAnswer, AssessmentScore
from bot.assessment.questionnaire import ASSESSMENT_DIR, Kind, Questionnaires, load_all
from bot.assessment.rules import Outcome, Results, Screen, Stale
from bot.db.engine import SessionFactory
from bot.i18n.catalogs import LOCALES_DIR
from bot.kit.errors import NotAllowed, NotFound
from bot.kit.sealing import Sealer, new_key
from bot.people import mentoring, privacy
from bot.people import rules as people
from bot.people.models import Role, User

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
QS = load_all(locales_dir=None)
SEALER = Sealer(new_key())
SECRET = "I am afraid of losing my room"


async def person(sessions: SessionFactory, telegram_id: int, role: Role = Role.YOUTH) -> User:
    async with sessions.begin() as session:
        user = await people.touch(
            session, telegram_id=telegram_id, language_code="en", now=NOW, admin_ids=()
        )
        people.give_consent(
            user, now=NOW, display_name=f"P{telegram_id}", birth_year=2004, default_tz="UTC"
        )
        user.role = role
    return user


async def walk(
    sessions: SessionFactory,
    user: User,
    qs: Questionnaires = QS,
    *,
    pick: int = 0,
    text: str | None = None,
    share: bool = False,
    now: datetime = NOW,
    stop_after: int | None = None,
) -> Outcome:
    """Answers every question with option `pick` (or the text), one transaction per step."""
    async with sessions.begin() as session:
        outcome: Outcome = await assessment.begin(session, user, qs, allow_text=True, now=now)
    steps = 0
    while isinstance(outcome, Screen):
        if stop_after is not None and steps >= stop_after:
            return outcome
        steps += 1
        async with sessions.begin() as session:
            screen = outcome
            if screen.awaiting_share:
                outcome = await assessment.share(
                    session, user, qs, assessment_id=screen.assessment_id,
                    question_index=screen.question.index, allow=share, allow_text=True, now=now,
                )  # fmt: skip
            elif screen.question.kind == Kind.TEXT:
                if text is None:
                    outcome = await assessment.skip(
                        session, user, qs, assessment_id=screen.assessment_id,
                        question_index=screen.question.index, allow_text=True, now=now,
                    )  # fmt: skip
                else:
                    outcome = await assessment.write(session, user, qs, SEALER, text=text, now=now)
            else:
                outcome = await assessment.choose(
                    session, user, qs, assessment_id=screen.assessment_id,
                    question_index=screen.question.index,
                    option_index=min(pick, len(screen.question.options) - 1),
                    allow_text=True, now=now,
                )  # fmt: skip
    return outcome


async def test_an_assessment_resumes_where_it_was_and_completes_with_scores(
    sessions: SessionFactory,
) -> None:
    user = await person(sessions, 1)
    paused = await walk(sessions, user, stop_after=6)
    # Six answers, two of them follow-ups of "in school" that keep its number: question 5.
    assert isinstance(paused, Screen) and paused.position == 5
    # Days later, in a new session: the same question, the same place.
    async with sessions.begin() as session:
        again = await assessment.begin(
            session, user, QS, allow_text=True, now=NOW + timedelta(days=3)
        )
    assert isinstance(again, Screen)
    assert (again.assessment_id, again.question.id, again.position) == (
        paused.assessment_id,
        paused.question.id,
        5,
    )
    done = await walk(sessions, user, pick=1)
    assert isinstance(done, Results)
    assert done.assessment.id == paused.assessment_id and done.previous is None
    async with sessions() as session:
        stored = await session.scalar(
            select(func.count()).where(AssessmentScore.assessment_id == paused.assessment_id)
        )
    assert stored == len(QS.current.domains)


async def test_one_assessment_in_progress_per_person_even_concurrently(
    sessions: SessionFactory,
) -> None:
    user = await person(sessions, 2)

    async def begin() -> int:
        async with sessions.begin() as session:
            outcome = await assessment.begin(session, user, QS, allow_text=True, now=NOW)
            assert isinstance(outcome, Screen)
            return outcome.assessment_id

    ids = await asyncio.gather(*(begin() for _ in range(5)))
    assert len(set(ids)) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 1


async def test_back_keeps_the_earlier_answer_and_a_stale_button_is_refused(
    sessions: SessionFactory,
) -> None:
    user = await person(sessions, 3)
    second = await walk(sessions, user, stop_after=1)
    assert isinstance(second, Screen) and second.position == 2
    async with sessions.begin() as session:
        first = await assessment.back(
            session, user, QS, assessment_id=second.assessment_id,
            question_index=second.question.index, allow_text=True, now=NOW,
        )  # fmt: skip
    assert isinstance(first, Screen) and first.position == 1 and first.chosen == "yes"
    assert not first.can_go_back
    with pytest.raises(Stale):
        async with sessions.begin() as session:
            await assessment.choose(
                session, user, QS, assessment_id=second.assessment_id,
                question_index=second.question.index, option_index=0, allow_text=True, now=NOW,
            )  # fmt: skip
    with pytest.raises(Stale):  # the first question has no Skip
        async with sessions.begin() as session:
            await assessment.skip(
                session, user, QS, assessment_id=first.assessment_id,
                question_index=first.question.index, allow_text=True, now=NOW,
            )  # fmt: skip


async def test_someone_elses_assessment_is_not_found(sessions: SessionFactory) -> None:
    owner = await person(sessions, 4)
    other = await person(sessions, 5)
    screen = await walk(sessions, owner, stop_after=0)
    assert isinstance(screen, Screen)
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await assessment.choose(
                session, other, QS, assessment_id=screen.assessment_id,
                question_index=screen.question.index, option_index=0, allow_text=True, now=NOW,
            )  # fmt: skip


def _two_versions(tmp_path: Path) -> Questionnaires:
    """Version 2 drops the money questions after `budget` and reorders nothing else."""
    shutil.copy(ASSESSMENT_DIR / "v1.yaml", tmp_path / "v1.yaml")
    text = (
        (ASSESSMENT_DIR / "v1.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2")
    )
    start = text.index("  - id: bank_account")
    end = text.index("  - id: health_general")
    (tmp_path / "v2.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    return load_all(tmp_path, locales_dir=LOCALES_DIR)


async def test_a_new_version_does_not_disturb_assessments_under_the_old_one(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    old_only = load_all(locales_dir=None)
    both = _two_versions(tmp_path)
    finished, ongoing, newcomer = [await person(sessions, n) for n in (6, 7, 8)]
    finished_result = await walk(sessions, finished, old_only)
    paused = await walk(sessions, ongoing, old_only, stop_after=3)
    assert isinstance(finished_result, Results) and isinstance(paused, Screen)
    # The new file arrives. The one in progress keeps version 1 and all its questions.
    resumed = await walk(sessions, ongoing, both)
    assert isinstance(resumed, Results) and resumed.assessment.version == 1
    assert resumed.scores["money"].answered == 4
    fresh = await walk(sessions, newcomer, both)
    assert isinstance(fresh, Results) and fresh.assessment.version == 2
    assert fresh.scores["money"].answered == 2
    # The finished one still reads with version 1, and the next one compares with it.
    async with sessions() as session:
        latest = await assessment.latest(session, finished, both)
    assert latest is not None and latest.questionnaire.version == 1
    second = await walk(sessions, finished, both, pick=4, now=NOW + timedelta(days=90))
    assert isinstance(second, Results) and second.assessment.version == 2
    assert second.previous is not None and second.previous.id == finished_result.assessment.id
    assert second.previous_scores is not None and "money" in second.previous_scores


async def test_free_text_is_encrypted_at_rest_and_shown_to_the_mentor_only_if_allowed(
    sessions: SessionFactory,
) -> None:
    mentor = await person(sessions, 10, Role.MENTOR)
    other_mentor = await person(sessions, 11, Role.MENTOR)
    youth, private = await person(sessions, 12), await person(sessions, 13)
    async with sessions.begin() as session:
        await mentoring.add(session, mentor.id, youth.id, NOW)
        await mentoring.add(session, mentor.id, private.id, NOW)
    await walk(sessions, youth, text=SECRET, share=True)
    await walk(sessions, private, text="my own business", share=False)
    async with sessions() as session:
        sealed = (await session.scalars(select(AssessmentAnswer.sealed_text))).all()
    texts = [t for t in sealed if t]
    assert len(texts) == 4 and not any("afraid" in t or "business" in t for t in texts)

    async with sessions() as session:
        shared = await assessment.for_mentor(session, mentor, QS, SEALER, youth.id)
        hidden = await assessment.for_mentor(session, mentor, QS, SEALER, private.id)
        assert [s.text for s in shared.shared] == [SECRET, SECRET]
        assert shared.results is not None and shared.results.assessment.user_id == youth.id
        assert hidden.shared == [] and hidden.results is not None
        with pytest.raises(NotFound):  # not their mentee
            await assessment.for_mentor(session, other_mentor, QS, SEALER, youth.id)
        with pytest.raises(NotAllowed):  # young people are not mentors
            await assessment.for_mentor(session, private, QS, SEALER, youth.id)
        # The person's own export has their text in the clear; a wrong key does not crash.
        exported = json.dumps(await assessment.export(session, youth, QS, SEALER))
        assert SECRET in exported
        other_key = json.dumps(await assessment.export(session, youth, QS, Sealer(new_key())))
        assert SECRET not in other_key and "encrypted with another key" in other_key


def _flatten(value: Any) -> str:
    if is_dataclass(value) and not isinstance(value, type):
        return json.dumps(asdict(value), default=str)
    return json.dumps(value, default=str)


async def test_staff_see_counts_and_averages_of_latest_assessments_and_no_text(
    sessions: SessionFactory,
) -> None:
    staff = await person(sessions, 20, Role.STAFF)
    first, second = await person(sessions, 21), await person(sessions, 22)
    await walk(sessions, first, pick=0, text=SECRET, share=True)  # yes / 1s everywhere
    await walk(sessions, second, pick=1, text=SECRET, share=True, now=NOW + timedelta(days=1))
    await walk(sessions, first, pick=1, now=NOW + timedelta(days=2))  # only this one counts
    async with sessions() as session:
        people_count, rows = await assessment.figures(session, staff, QS)
        with pytest.raises(NotAllowed):
            await assessment.figures(session, first, QS)
    assert people_count == 2
    housing = next(r for r in rows if r.domain.id == "housing")
    assert housing.people == 2 and sum(housing.levels) == 2
    assert housing.average is not None
    assert SECRET not in "".join(_flatten(r) for r in rows)


async def test_erasing_a_person_erases_their_assessments(sessions: SessionFactory) -> None:
    user = await person(sessions, 30)
    keep = await person(sessions, 31)
    await walk(sessions, user, text=SECRET)
    await walk(sessions, keep)
    await walk(sessions, user, stop_after=2)
    async with sessions.begin() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        await privacy.erase(session, stored)
    async with sessions() as session:
        owners = (await session.scalars(select(Assessment.user_id))).all()
        assert owners == [keep.id]
        answers = await session.scalar(select(func.count()).select_from(AssessmentAnswer))
        scores = await session.scalar(select(func.count()).select_from(AssessmentScore))
    assert answers == len(QS.current.questions)  # `keep` took every first option: all asked
    assert scores == len(QS.current.domains)


async def test_asking_the_mentor_about_a_step_is_remembered(sessions: SessionFactory) -> None:
    mentor = await person(sessions, 40, Role.MENTOR)
    youth, alone = await person(sessions, 41), await person(sessions, 42)
    async with sessions.begin() as session:
        await mentoring.add(session, mentor.id, youth.id, NOW)
    results = await walk(sessions, youth, pick=2)  # "no", lowest scores: steps suggested
    lonely = await walk(sessions, alone, pick=2)
    assert isinstance(results, Results) and results.steps
    assert isinstance(lonely, Results)
    step = results.steps[0]
    async with sessions.begin() as session:
        first = await assessment.ask_mentor(
            session, youth, QS, assessment_id=results.assessment.id, step_id=step.id
        )
    async with sessions.begin() as session:
        again = await assessment.ask_mentor(
            session, youth, QS, assessment_id=results.assessment.id, step_id=step.id
        )
        nobody = await assessment.ask_mentor(
            session, alone, QS, assessment_id=lonely.assessment.id, step_id=step.id
        )
        with pytest.raises(NotFound):  # someone else's assessment
            await assessment.ask_mentor(
                session, alone, QS, assessment_id=results.assessment.id, step_id=step.id
            )
    assert [m.id for m in first.mentors] == [mentor.id] and not first.already
    assert again.already
    assert nobody.mentors == []


async def test_completing_another_supersedes_the_latest_and_carries_the_first_averages(
    sessions: SessionFactory,
) -> None:
    """What the desk's reports read (bot/assessment/figures.py): when each completed one
    stopped being the latest, and the first one's averages on every later one's scores."""
    user = await person(sessions, 30)
    first = await walk(sessions, user, pick=0)
    second = await walk(sessions, user, pick=1, now=NOW + timedelta(days=5))
    third = await walk(sessions, user, pick=2, now=NOW + timedelta(days=9))
    assert isinstance(first, Results) and isinstance(second, Results)
    assert isinstance(third, Results)
    async with sessions() as session:
        found = {
            a.id: a.superseded_at
            for a in await session.scalars(select(Assessment).where(Assessment.user_id == user.id))
        }

        async def averages(assessment_id: int) -> dict[str, tuple[float, float | None]]:
            scores = await session.scalars(
                select(AssessmentScore).where(AssessmentScore.assessment_id == assessment_id)
            )
            return {s.domain: (s.average, s.first_average) for s in scores}

        firsts, seconds, thirds = [await averages(r.assessment.id) for r in (first, second, third)]
    assert found == {
        first.assessment.id: NOW + timedelta(days=5),
        second.assessment.id: NOW + timedelta(days=9),
        third.assessment.id: None,
    }
    assert firsts and all(f is None for _average, f in firsts.values())
    for later in (seconds, thirds):
        assert later.keys() == firsts.keys()
        assert {d: f for d, (_a, f) in later.items()} == {d: a for d, (a, _f) in firsts.items()}
    # Not a constant: the answers differed, so did the averages.
    assert any(seconds[d][0] != firsts[d][0] for d in firsts)
