"""Scoring rules on the shipped questionnaire: conditions, progress, averages, suggestions."""

from __future__ import annotations

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


def test_progress_counts_undecided_questions_and_shrinks_when_they_fall_away() -> None:
    first = Q.questions[0]
    assert scoring.progress(Q, first, {}, True) == (1, len(Q.questions))
    answers = with_option({}, "returned", "no")
    study = Q.question("study_now")
    assert study is not None
    assert scoring.progress(Q, study, answers, True) == (2, len(Q.questions) - 2)
    answers = with_option(answers, "study_now", "stopped")
    learning = Q.question("learning_plan")
    assert learning is not None
    assert scoring.progress(Q, learning, answers, True) == (3, len(Q.questions) - 4)
    assert scoring.progress(Q, learning, answers, False) == (3, len(Q.questions) - 6)


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


def test_change_is_shown_only_when_it_is_noticeable() -> None:
    assert scoring.change(3.0, 2.0) == 1
    assert scoring.change(3.0, 3.2) == 0
    assert scoring.change(2.0, 3.0) == -1
    assert scoring.change(None, 3.0) is None
