"""Scoring rules on the shipped questionnaire: conditions, progress, averages, suggestions."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from bot.assessment import scoring
from bot.assessment.questionnaire import ASSESSMENT_DIR, Kind, load
from bot.assessment.scoring import Given

Q = load(ASSESSMENT_DIR / "v1.yaml")


def path(answers: dict[str, Given], allow_text: bool = True) -> list[str]:
    """The ids a person with these answers is asked, in order."""
    asked = []
    question = scoring.first_question(Q, answers, allow_text)
    while question is not None:
        asked.append(question.id)
        question = scoring.next_question(Q, question, answers, allow_text)
    return asked


def best(question_ids: Iterable[str]) -> dict[str, Given]:
    """The highest-scoring option everywhere (yes for `returned`)."""
    out = {}
    for question_id in question_ids:
        question = Q.question(question_id)
        assert question is not None
        if question.kind == Kind.TEXT:
            out[question_id] = Given(skipped=True)
            continue
        option = max(question.options, key=lambda o: o.score or 0)
        out[question_id] = Given(option="yes" if question_id == "returned" else option.id)
    return out


def with_option(answers: dict[str, Given], question_id: str, option: str) -> dict[str, Given]:
    return {**answers, question_id: Given(option=option)}


def test_school_questions_only_for_people_in_school_and_papers_only_for_returnees() -> None:
    everyone = {q.id for q in Q.questions}
    conditional = {"school_coping", "school_missing", "papers_abroad", "registered"}
    in_school_returnee = with_option(with_option({}, "returned", "yes"), "study_now", "school")
    assert set(path(in_school_returnee)) == everyone
    not_in_school = with_option(with_option({}, "returned", "no"), "study_now", "finished")
    assert set(path(not_in_school)) == everyone - conditional
    assert len(path(not_in_school)) == len(Q.questions) - 4


def test_without_a_data_key_no_text_question_is_asked() -> None:
    asked = path(with_option({}, "returned", "no"), allow_text=False)
    assert "worry" not in asked and "proud" not in asked


def test_the_counter_goes_down_by_one_per_step_whatever_the_branch() -> None:
    """Follow-ups (`if`) keep the number of the question before them: the total never changes,
    so "2 / 31" is never followed by "3 / 29"."""
    numbered = sum(1 for q in Q.questions if q.condition is None)
    texts = sum(1 for q in Q.questions if q.kind == "text")
    for branch in ("school", "stopped"):
        answers = with_option(with_option({}, "returned", "no"), "study_now", branch)
        shown = [scoring.progress(Q, Q.questions[0], {}, True)]
        for question_id in path(answers)[1:]:
            question = Q.question(question_id)
            assert question is not None
            shown.append(scoring.progress(Q, question, answers, True))
        assert {total for _n, total in shown} == {numbered}
        steps = [b[0] - a[0] for a, b in itertools.pairwise(shown)]
        assert set(steps) <= {0, 1}, steps
        assert shown[0][0] == 1 and shown[-1][0] == numbered
    in_school = with_option(with_option({}, "returned", "no"), "study_now", "school")
    coping = Q.question("school_coping")
    assert coping is not None
    assert scoring.progress(Q, coping, in_school, True) == (2, numbered)  # a follow-up of 2
    learning = Q.question("learning_plan")
    assert learning is not None
    assert scoring.progress(Q, learning, in_school, True) == (3, numbered)
    assert scoring.progress(Q, learning, in_school, False) == (3, numbered - texts)


def test_going_back_passes_over_questions_that_were_not_asked() -> None:
    answers = with_option(with_option({}, "returned", "no"), "study_now", "finished")
    learning = Q.question("learning_plan")
    assert learning is not None
    previous = scoring.previous_question(Q, learning, answers, True)
    assert previous is not None and previous.id == "study_now"


def test_averages_per_domain_ignore_skips_and_questions_off_the_path() -> None:
    answers = best(path(with_option(with_option({}, "returned", "yes"), "study_now", "school")))
    answers["study_now"] = Given(option="stopped")  # 1; the school questions fall away
    answers["learning_plan"] = Given(option="3")
    answers["money_enough"] = Given(skipped=True)
    answers["budget"] = Given(option="2")
    answers["bank_account"] = Given(option="2")
    answers["benefits"] = Given(option="2")
    answers["returned"] = Given(option="no")  # papers_abroad and registered fall away too
    answers["id_card"] = Given(option="no")
    scores = scoring.score(Q, answers)
    assert scores["education"].average == 2.0 and scores["education"].answered == 2
    assert scores["money"].average == 2.0 and scores["money"].answered == 3
    assert scores["documents"].answered == 3
    assert scores["documents"].average == pytest.approx((1 + 5 + 5) / 3)
    assert scores["work"].average == 5.0 and scores["work"].level == 5


def test_a_domain_with_every_question_skipped_has_no_score() -> None:
    answers = best(path({}))
    answers["money_enough"] = Given(skipped=True)
    for question_id in ("budget", "bank_account", "benefits"):
        answers.pop(question_id)
    scores = scoring.score(Q, answers)
    assert scores["money"].average is None and scores["money"].level is None
    assert scoring.bar(None) == "▱▱▱▱▱"


@pytest.mark.parametrize(
    ("average", "level", "bar"),
    [
        (1.0, 1, "▰▱▱▱▱"),
        (2.49, 2, "▰▰▱▱▱"),
        (2.5, 3, "▰▰▰▱▱"),
        (3.5, 4, "▰▰▰▰▱"),
        (5.0, 5, "▰▰▰▰▰"),
    ],
)
def test_levels_round_half_up(average: float, level: int, bar: str) -> None:
    assert scoring.level_of(average) == level
    assert scoring.bar(scoring.level_of(average)) == bar


def _scores(**averages: float) -> dict[str, scoring.DomainScore]:
    out = {d.id: scoring.DomainScore(d.id, 4.5, 3) for d in Q.domains}
    out.update({k: scoring.DomainScore(k, v, 3) for k, v in averages.items()})
    return out


def test_strengths_needs_and_next_steps_follow_the_lowest_domains() -> None:
    scores = _scores(documents=1.5, health=2.0, housing=2.4, money=3.2, living_skills=3.9)
    assert [d.id for d in scoring.needs(Q, scores)] == ["documents", "health", "housing"]
    strengths = [d.id for d in scoring.strengths(Q, scores)]
    assert len(strengths) == 3 and not set(strengths) & {"documents", "health", "housing"}
    steps = [s.id for s in scoring.suggestions(Q, scores)]
    assert steps == ["legal_aid", "psych_support", "housing_advice"]


def test_no_next_step_when_everything_goes_well() -> None:
    scores = _scores()
    assert scoring.suggestions(Q, scores) == []
    assert scoring.needs(Q, scores) == []


def test_change_follows_the_bars() -> None:
    assert scoring.change(3.0, 2.0) == 1
    assert scoring.change(3.0, 3.2) == 0
    assert scoring.change(2.0, 3.0) == -1
    assert scoring.change(None, 3.0) is None
    # The arrow and the bar follow one rule: no ⬇️ beside a bar that did not change...
    assert scoring.change(3.0, 3.4) == 0 and scoring.level_of(3.0) == scoring.level_of(3.4)
    # ...and no ➡️ beside one that did.
    assert scoring.change(2.5, 2.4) == 1 and scoring.level_of(2.5) != scoring.level_of(2.4)
